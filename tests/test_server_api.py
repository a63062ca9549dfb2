"""The serving API in process (httpx on the ASGI app), runs done by the engine in a counting runner."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from pathlib import Path
from typing import TypeVar

import httpx
import numpy as np
import pytest

import solvers
from app.server.app import create_app
from app.server.config import Batching, ConfigError, Limits, ModelConfig, ServerSettings, parse_model_config
from metamodel import io
from metamodel.elements import Aux
from tests.server_models import CountingRunner, cooling, infer_body, noisy, output, write_model

pytestmark = pytest.mark.anyio
T = TypeVar("T")
CONFIG = {"batching": {"max_batch_size": 64, "max_queue_delay_ms": 20},
          "limits": {"max_runs": 100, "max_steps": 10_000}}
QUIET = replace(ServerSettings(), model_defaults=replace(ModelConfig(), warmup=False))  # runs counted: only requests


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    write_model(tmp_path, "cooling", cooling(initial=100.0), "1", config=CONFIG)
    write_model(tmp_path, "cooling", cooling(initial=200.0), "2")
    write_model(tmp_path, "flat", cooling(initial=50.0), None)
    write_model(tmp_path, "noisy", noisy(), "1")
    (tmp_path / "broken" / "1").mkdir(parents=True)
    (tmp_path / "broken" / "1" / "broken.salver").write_text("{ not json", encoding="utf-8")
    return tmp_path


@contextlib.asynccontextmanager
async def serving(repo: Path, runner: CountingRunner | None = None,
                  **options: object) -> AsyncIterator[httpx.AsyncClient]:
    headers = options.pop("headers", {})
    options.setdefault("settings", QUIET)
    app = create_app(repo, runner=runner or CountingRunner(), **options)  # type: ignore[arg-type]
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://salver", headers=headers) as client:
            yield client


def direct(path: Path, **run: object) -> solvers.Results:
    return solvers.load(path).run(**run)


async def poll(fetch: Callable[[], Awaitable[T]], done: Callable[[T], bool], attempts: int = 600) -> T:
    """What ``fetch()`` gives once ``done`` holds for it (looked at every 50 ms; the last one otherwise)."""
    value = await fetch()
    for _ in range(attempts):
        if done(value):
            break
        await asyncio.sleep(0.05)
        value = await fetch()
    return value


# -- metadata and health ---------------------------------------------------------------------------------
async def test_server_metadata_health_and_model_metadata(repo: Path) -> None:
    async with serving(repo) as client:
        server = (await client.get("/v2")).json()
        assert server["name"] == "salver" and "model_repository" in server["extensions"]
        assert (await client.get("/v2/health/live")).json() == {"live": True}
        assert (await client.get("/v2/health/ready")).status_code == 200
        meta = (await client.get("/v2/models/cooling")).json()
        assert meta["name"] == "cooling" and meta["versions"] == ["1", "2"]
        assert {i["name"]: i["parameters"]["default"] for i in meta["inputs"]} == {"Tau": 10.0, "Ambient": 20.0}
        assert all(i["datatype"] == "FP64" and i["shape"] == [-1] for i in meta["inputs"])
        assert {"time", "Temperature", "Loss"} <= {o["name"] for o in meta["outputs"]}
        one = (await client.get("/v2/models/cooling/versions/1")).json()
        assert one["versions"] == ["1"]
        flat = await client.get("/v2/models/flat")
        assert flat.status_code == 200 and flat.json()["versions"] == ["1"]


async def test_unknown_model_version_and_route_are_404_with_a_message(repo: Path) -> None:
    async with serving(repo) as client:
        for path, words in (("/v2/models/nope", "unknown model 'nope'"),
                            ("/v2/models/cooling/versions/7", "no version '7'"),
                            ("/v2/models/cooling/versions/7/ready", "no version '7'"),
                            ("/v2/nothing/here", "no such endpoint")):
            response = await client.get(path)
            assert response.status_code == 404, path
            assert words in response.json()["error"]
        response = await client.post("/v2/models/nope/infer", json=infer_body({}))
        assert response.status_code == 404 and "cooling" in response.json()["error"]
        assert (await client.get("/v2/models/cooling/infer")).status_code == 405


# -- inference ---------------------------------------------------------------------------------------------
async def test_infer_returns_one_time_series_per_run(repo: Path) -> None:
    async with serving(repo) as client:
        response = await client.post("/v2/models/cooling/versions/1/infer",
                                     json=infer_body({"tau": [5.0, 20.0]}, ["Temperature"], save_per=1.0))
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["model_name"] == "cooling" and body["model_version"] == "1"
        time_shape, times = output(body, "time")
        assert times == list(np.arange(0.0, 10.5, 1.0)) and time_shape == [11]
        shape, data = output(body, "Temperature")
        assert shape == [2, 11]
        expected = direct(repo / "cooling/1/cooling.salver", params={"Tau": [5.0, 20.0]}, save_per=1.0)
        np.testing.assert_allclose(np.reshape(data, shape), expected["Temperature"].T)
        assert [t["name"] for t in body["outputs"]] == ["time", "Temperature"]


async def test_default_version_is_the_highest_and_run_options_apply(repo: Path) -> None:
    async with serving(repo) as client:
        request = {"id": "req-1", **infer_body({}, ["Temperature"], stop=4.0, method="rk4")}
        body = (await client.post("/v2/models/cooling/infer", json=request)).json()
        assert body["model_version"] == "2" and body["id"] == "req-1"
        shape, data = output(body, "Temperature")
        expected = direct(repo / "cooling/2/cooling.salver", stop=4.0, method="rk4")
        assert shape == [1, len(expected.time)] and data[0] == 200.0
        np.testing.assert_allclose(data, expected["Temperature"][:, 0])


BAD_REQUESTS = [
    ({"inputs": [{"name": "Tau", "shape": [1], "datatype": "FP32", "data": [1.0]}]}, "datatype must be FP64"),
    ({"inputs": [{"name": "Tau", "shape": [2], "datatype": "FP64", "data": [1.0]}]}, "needs 2 values"),
    ({"inputs": [{"name": "Tau", "shape": [1, 1], "datatype": "FP64", "data": [[1.0]]}]}, "shape must be [n]"),
    ({"inputs": [{"name": "Tau", "shape": [1], "datatype": "FP64", "data": ["x"]}]}, "must hold numbers"),
    ({"inputs": [{"name": "Tau", "shape": [1], "datatype": "FP64", "data": [True]}]}, "must hold numbers"),
    ({"inputs": [{"name": "Speed", "shape": [1], "datatype": "FP64", "data": [1.0]}]}, "unknown input 'Speed'"),
    (infer_body({"Tau": [1.0], "Ambient": [1.0, 2.0]}), "disagree on the number of runs"),
    (infer_body({"Tau": [1.0], "tau": [2.0]}), "given twice"),
    (infer_body({"Tau": [1.0] * 101}), "exceed this model's limit of 100"),
    (infer_body({}, ["Pressure"]), "unknown output 'Pressure'"),
    (infer_body({}, flavour=1), "unknown parameter 'flavour'"),
    (infer_body({}, stop=1e9), "time steps"),
    (infer_body({}, stop=-1.0), "must be greater than start"),
    (infer_body({}, dt=0), "must be positive"),
    (infer_body({}, method="magic"), "unknown method"),
    (infer_body({}, seed=-3), "parameter 'seed'"),
    (infer_body({}, stop="soon"), "finite number"),
    ({"inputs": [{"name": "Tau", "shape": [1], "datatype": "FP64"}]}, "inputs.0.data"),
    ({"inputs": "Tau"}, "inputs"),
    ([1, 2, 3], "invalid request body"),
]


async def test_bad_requests_get_400_with_a_clear_message_and_the_server_keeps_serving(repo: Path) -> None:
    async with serving(repo) as client:
        for body, words in BAD_REQUESTS:
            response = await client.post("/v2/models/cooling/versions/1/infer", json=body)
            assert response.status_code == 400, (body, response.text)
            assert words in response.json()["error"], (words, response.json())
        malformed = await client.post("/v2/models/cooling/infer", content=b'{"inputs": [',
                                      headers={"content-type": "application/json"})
        assert malformed.status_code == 400 and "JSON" in malformed.json()["error"]
        not_finite = await client.post("/v2/models/cooling/infer", content=b'{"inputs": [{"name": "Tau", '
                                       b'"shape": [1], "datatype": "FP64", "data": [NaN]}]}',
                                       headers={"content-type": "application/json"})
        assert not_finite.status_code == 400 and "JSON" in not_finite.json()["error"]  # NaN is not JSON
        binary = await client.post("/v2/models/cooling/infer", content=b"\x00\x01",
                                   headers={"Inference-Header-Content-Length": "2"})
        assert binary.status_code == 400 and "JSON" in binary.json()["error"]
        again = await client.post("/v2/models/cooling/infer", json=infer_body({"Tau": [3.0]}))
        assert again.status_code == 200


async def test_simulation_errors_are_400_naming_the_variable(repo: Path) -> None:
    async with serving(repo) as client:
        response = await client.post("/v2/models/cooling/infer", json=infer_body({"Tau": [0.0]}))
        assert response.status_code == 400
        assert "Loss" in response.json()["error"]


async def test_concurrent_requests_are_coalesced_into_few_runs_with_right_results(repo: Path) -> None:
    runner = CountingRunner(delay=0.05)
    taus = [1.0 + i for i in range(24)]
    async with serving(repo, runner=runner) as client:
        responses = await asyncio.gather(*[
            client.post("/v2/models/cooling/versions/1/infer", json=infer_body({"Tau": [tau]}, ["Temperature"]))
            for tau in taus])
    assert all(r.status_code == 200 for r in responses)
    assert len(runner.batches) < len(taus) / 3
    assert sum(b.runs for b in runner.batches) == len(taus)
    assert max(r.json()["parameters"]["batch_requests"] for r in responses) > 1
    expected = direct(repo / "cooling/1/cooling.salver", params={"Tau": taus})["Temperature"]
    for i, response in enumerate(responses):
        shape, data = output(response.json(), "Temperature")
        assert shape == [1, expected.shape[0]]
        np.testing.assert_allclose(data, expected[:, i])


async def test_one_models_slow_load_does_not_block_another_models_requests(repo: Path) -> None:
    import threading

    from app.server.modelinfo import describe

    loading, release = threading.Event(), threading.Event()
    released: list[bool] = []

    def slow_describe(path: str):  # noqa: ANN202
        if "flat" in path:  # this load lasts until the other model has answered
            loading.set()
            released.append(release.wait(30))
        return describe(path)

    async with serving(repo, describe_model=slow_describe) as client:
        slow = asyncio.ensure_future(client.post("/v2/models/flat/infer", json=infer_body({})))
        assert await asyncio.to_thread(loading.wait, 30)
        quick = await client.post("/v2/models/cooling/infer", json=infer_body({}))
        assert quick.status_code == 200 and not slow.done()
        release.set()
        assert (await slow).status_code == 200
    assert released == [True]  # had the load blocked the other request, it would have waited in vain


# -- versions, repository extension, idle unload ----------------------------------------------------------
async def test_repository_index_load_and_unload(repo: Path) -> None:
    async with serving(repo) as client:
        index = (await client.post("/v2/repository/index")).json()
        assert {(r["name"], r["version"], r["state"]) for r in index} == {
            ("broken", "1", "UNAVAILABLE"), ("cooling", "1", "UNAVAILABLE"), ("cooling", "2", "UNAVAILABLE"),
            ("flat", "1", "UNAVAILABLE"), ("noisy", "1", "UNAVAILABLE")}
        loaded = await client.post("/v2/repository/models/cooling/load")
        assert loaded.status_code == 200 and loaded.json()["versions"] == ["1", "2"]
        ready = (await client.post("/v2/repository/index", json={"ready": True})).json()
        assert [(r["name"], r["version"]) for r in ready] == [("cooling", "1"), ("cooling", "2")]
        assert (await client.post("/v2/repository/models/cooling/unload")).status_code == 200
        assert (await client.post("/v2/repository/index", json={"ready": True})).json() == []
        broken = await client.post("/v2/repository/models/broken/load")
        assert broken.status_code == 400 and "broken" in broken.json()["error"]
        reasons = {r["name"]: r["reason"] for r in (await client.post("/v2/repository/index")).json()}
        assert "cannot be loaded" in reasons["broken"]
        assert (await client.post("/v2/repository/models/ghost/load")).status_code == 404
        assert (await client.post("/v2/repository/models/ghost/unload")).status_code == 404
        # an unloaded model loads again on its next request (scale to zero)
        assert (await client.post("/v2/models/cooling/infer", json=infer_body({}))).status_code == 200


async def test_model_ready_reports_loadable_versions(repo: Path) -> None:
    async with serving(repo) as client:
        ok = await client.get("/v2/models/cooling/versions/1/ready")
        assert ok.status_code == 200 and ok.json()["ready"] is True
        bad = await client.get("/v2/models/broken/ready")
        assert bad.status_code == 400 and bad.json()["ready"] is False and bad.json()["error"]
        infer = await client.post("/v2/models/broken/infer", json=infer_body({}))
        assert infer.status_code == 400 and "cannot be loaded" in infer.json()["error"]


async def test_new_and_changed_versions_are_picked_up_and_in_flight_requests_finish_on_theirs(repo: Path) -> None:
    runner = CountingRunner(delay=0.4)
    path = repo / "cooling" / "2" / "cooling.salver"
    async with serving(repo, runner=runner) as client:
        first = (await client.post("/v2/models/cooling/infer", json=infer_body({}, ["Temperature"]))).json()
        assert output(first, "Temperature")[1][0] == 200.0
        in_flight = asyncio.ensure_future(
            client.post("/v2/models/cooling/infer", json=infer_body({"Tau": [4.0]}, ["Temperature"])))
        assert await asyncio.to_thread(runner.wait_for_batches, 2)
        io.save(cooling(initial=300.5), path)
        stat = path.stat()
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10_000_000))
        changed = (await client.post("/v2/models/cooling/infer", json=infer_body({}, ["Temperature"]))).json()
        assert output(changed, "Temperature")[1][0] == 300.5
        old = (await in_flight).json()
        assert output(old, "Temperature")[1][0] == 200.0
        write_model(repo, "cooling", cooling(initial=400.0), "3")
        newest = (await client.post("/v2/models/cooling/infer", json=infer_body({}, ["Temperature"]))).json()
        assert newest["model_version"] == "3" and output(newest, "Temperature")[1][0] == 400.0


async def test_idle_models_are_unloaded_and_load_again_on_demand(repo: Path) -> None:
    settings = replace(QUIET, idle_unload_s=0.2)
    async with serving(repo, settings=settings) as client:
        assert (await client.post("/v2/models/flat/infer", json=infer_body({}))).status_code == 200
        assert [r["name"] for r in (await client.post("/v2/repository/index", json={"ready": True})).json()] == [
            "flat"]

        async def ready() -> list:
            return (await client.post("/v2/repository/index", json={"ready": True})).json()

        assert await poll(ready, lambda index: index == []) == []
        assert (await client.post("/v2/models/flat/infer", json=infer_body({}))).status_code == 200


# -- async runs, cache ------------------------------------------------------------------------------------
async def test_async_run_is_accepted_then_polled_to_its_result(repo: Path) -> None:
    runner = CountingRunner()
    runner.hold()
    async with serving(repo, runner=runner) as client:
        accepted = await client.post("/v2/models/cooling/infer",
                                     json=infer_body({"Tau": [7.0]}, ["Temperature"], **{"async": True}))
        assert accepted.status_code == 202
        run_id = accepted.json()["id"]
        assert accepted.headers["location"] == f"/v2/runs/{run_id}"
        first = await client.get(f"/v2/runs/{run_id}")
        assert first.status_code == 202 and first.json()["status"] == "running"
        runner.release()
        polled = await poll(lambda: client.get(f"/v2/runs/{run_id}"), lambda r: r.status_code == 200)
        assert polled.json()["status"] == "completed"
        sync = (await client.post("/v2/models/cooling/infer", json=infer_body({"Tau": [7.0]}, ["Temperature"]))).json()
        assert output(polled.json()["result"], "Temperature") == output(sync, "Temperature")
        failing = await client.post("/v2/models/cooling/infer", json=infer_body({"Tau": [0.0]}, **{"async": True}))
        assert failing.status_code == 202

        async def state() -> dict:
            return (await client.get(f"/v2/runs/{failing.json()['id']}")).json()

        failed = await poll(state, lambda s: s["status"] != "running")
        assert failed["status"] == "failed" and "Loss" in failed["error"]
        invalid = await client.post("/v2/models/cooling/infer", json=infer_body({}, **{"async": "yes"}))
        assert invalid.status_code == 400
        assert (await client.get("/v2/runs/0123")).status_code == 404


async def test_identical_requests_are_answered_from_the_cache(repo: Path) -> None:
    runner = CountingRunner()
    async with serving(repo, runner=runner) as client:
        body = infer_body({"Tau": [3.0, 4.0]}, ["Temperature"])
        first = (await client.post("/v2/models/cooling/versions/1/infer", json=body)).json()
        second = (await client.post("/v2/models/cooling/versions/1/infer", json=body)).json()
        assert first["parameters"]["cached"] is False and second["parameters"]["cached"] is True
        assert first["outputs"] == second["outputs"] and len(runner.batches) == 1
        other = (await client.post("/v2/models/cooling/versions/1/infer",
                                   json=infer_body({"Tau": [3.0, 4.5]}, ["Temperature"]))).json()
        assert other["parameters"]["cached"] is False and len(runner.batches) == 2
        metrics = (await client.get("/metrics")).text
        assert 'salver_cache_hits_total{model="cooling",version="1"} 1' in metrics


async def test_stochastic_models_are_never_cached_and_seeded_runs_repeat(repo: Path) -> None:
    runner = CountingRunner()
    async with serving(repo, runner=runner) as client:
        seeded = infer_body({"Mean": [0.0, 1.0]}, ["Level"], seed=42)
        first, second = [(await client.post("/v2/models/noisy/infer", json=seeded)).json() for _ in range(2)]
        assert second["parameters"]["cached"] is False and len(runner.batches) == 2
        assert output(first, "Level") == output(second, "Level")
        unseeded = [(await client.post("/v2/models/noisy/infer", json=infer_body({}, ["Level"]))).json()
                    for _ in range(2)]
        assert output(unseeded[0], "Level") != output(unseeded[1], "Level")


# -- validation, metrics, auth, limits --------------------------------------------------------------------
async def test_validate_returns_diagnostics_even_for_a_model_that_cannot_run(repo: Path) -> None:
    bad = cooling()
    bad.add(Aux(id="leak", name="Leak", equation="Undefined Thing * 2"))
    write_model(repo, "faulty", bad, "1")
    async with serving(repo) as client:
        good = (await client.post("/v2/models/cooling/validate")).json()
        assert good["name"] == "cooling" and good["version"] == "2" and good["valid"] is True
        report = (await client.post("/v2/models/faulty/versions/1/validate")).json()
        assert report["valid"] is False and report["errors"] >= 1
        assert any(d["element"] == "Leak" and d["severity"] == "error" for d in report["diagnostics"])
        broken = await client.post("/v2/models/broken/validate")
        assert broken.status_code == 400 and "broken.salver" in broken.json()["error"]


async def test_metrics_count_requests_batches_failures_and_loaded_models(repo: Path) -> None:
    async with serving(repo) as client:
        await client.post("/v2/models/cooling/versions/1/infer", json=infer_body({"Tau": [2.0, 3.0]}))
        await client.post("/v2/models/cooling/versions/1/infer", json=infer_body({"Tau": [0.0]}))
        response = await client.get("/metrics")
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    text = response.text
    assert 'salver_inference_requests_total{model="cooling",version="1"} 2' in text
    assert 'salver_inference_failures_total{model="cooling",version="1",status="400"} 1' in text
    assert 'salver_batch_runs_bucket{model="cooling",version="1",le="2"} 1' in text
    assert 'salver_models_loaded{model="cooling",version="1"} 1' in text
    assert 'salver_run_seconds_count{model="cooling",version="1"} 1' in text
    assert 'salver_queue_seconds_count{model="cooling",version="1"} 1' in text
    assert "# TYPE salver_onnxruntime_provider gauge" in text
    assert 'salver_http_requests_total{method="POST",route="/v2/models/{model_name}/versions/{model_version}/infer"' \
           ',status="200"} 1' in text


async def test_bearer_token_is_required_everywhere_but_health(repo: Path) -> None:
    async with serving(repo, token="s3cret") as client:
        assert (await client.get("/v2/health/live")).status_code == 200
        assert (await client.get("/v2/health/ready")).status_code == 200
        for path in ("/v2", "/metrics", "/openapi.json", "/v2/models/cooling"):
            missing = await client.get(path)
            assert missing.status_code == 401 and "bearer token" in missing.json()["error"]
            assert missing.headers["www-authenticate"].startswith("Bearer")
        wrong = await client.post("/v2/models/cooling/infer", json=infer_body({}),
                                  headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401 and wrong.json()["error"] == "invalid bearer token"
        basic = await client.get("/v2", headers={"Authorization": "Basic czNjcmV0"})
        assert basic.status_code == 401
        right = await client.post("/v2/models/cooling/infer", json=infer_body({}),
                                  headers={"Authorization": "Bearer s3cret"})
        assert right.status_code == 200


async def test_oversized_bodies_are_refused_with_413(repo: Path) -> None:
    settings = replace(QUIET, max_body_bytes=2000)
    async with serving(repo, settings=settings) as client:
        big = infer_body({"Tau": [1.0] * 500})
        declared = await client.post("/v2/models/cooling/infer", json=big)
        assert declared.status_code == 413 and "limit of 2000" in declared.json()["error"]

        async def chunks() -> AsyncIterator[bytes]:
            data = json.dumps(big).encode()
            for i in range(0, len(data), 512):
                yield data[i:i + 512]

        streamed = await client.post("/v2/models/cooling/infer", content=chunks(),
                                     headers={"content-type": "application/json"})
        assert streamed.status_code == 413
        assert (await client.post("/v2/models/cooling/infer", json=infer_body({"Tau": [2.0]}))).status_code == 200


def test_model_config_parsing_names_bad_keys() -> None:
    defaults = ModelConfig()
    config = parse_model_config({"batching": {"max_batch_size": 8}, "limits": {"max_run_seconds": 2},
                                 "sim_spec": {"stop": 50, "method": "rk4"}, "cache": False}, defaults)
    assert config.batching == Batching(max_batch_size=8, max_queue_delay_ms=defaults.batching.max_queue_delay_ms)
    assert config.limits == replace(Limits(), max_run_seconds=2.0)
    assert config.sim_spec == {"stop": 50.0, "method": "rk4"} and config.cache is False
    for data, words in (({"batching": {"max_size": 1}}, "unknown key 'max_size'"),
                        ({"limits": {"max_runs": 0}}, "positive integer"),
                        ({"limits": {"max_runs": 2.5}}, "whole number"),
                        ({"limits": {"max_run_seconds": -1}}, "non-negative"),
                        ({"limits": {"max_steps": 1e300}}, "too large"),
                        ({"sim_spec": {"stop": "late"}}, "expected a finite number"),
                        ({"sim_spec": {"stop": 1e308}}, "expected a finite number"),
                        ({"instance_group": {"priority": "urgent"}}, "high, normal, low"),
                        ({"instance_group": {"count": -1}}, "non-negative"),
                        ({"onnxruntime": {"arena_extend_strategy": "kGreedy"}}, "kSameAsRequested"),
                        ({"onnxruntime": {"providers": "CUDAExecutionProvider"}}, "list of strings"),
                        ({"warmup": "yes"}, "true or false"),
                        ({"sim_spec": {"colour": 1}}, "unknown key 'colour'"),
                        ({"cache": 1}, "true or false"),
                        ({"speed": 1}, "unknown key 'speed'"),
                        ([], "JSON object")):
        with pytest.raises(ConfigError, match=words):
            parse_model_config(data, defaults)


async def test_model_config_sim_spec_sets_default_run_options(repo: Path) -> None:
    write_model(repo, "configured", cooling(), "1", config={"sim_spec": {"stop": 3.0, "save_per": 1.0}})
    (repo / "misconfigured" / "1").mkdir(parents=True)
    io.save(cooling(), repo / "misconfigured" / "1" / "m.salver")
    (repo / "misconfigured" / "config.json").write_text('{"limits": {"max_runs": "many"}}', encoding="utf-8")
    async with serving(repo) as client:
        body = (await client.post("/v2/models/configured/infer", json=infer_body({}, ["Temperature"]))).json()
        assert output(body, "time")[1] == [0.0, 1.0, 2.0, 3.0]
        bad = await client.post("/v2/models/misconfigured/infer", json=infer_body({}))
        assert bad.status_code == 400 and "max_runs" in bad.json()["error"]


async def test_model_folder_with_its_parts_serves_the_file_named_like_it(tmp_path: Path) -> None:
    folder = tmp_path / "tower"
    folder.mkdir()
    io.save(cooling(initial=100.0), folder / "tower.salver")
    io.save(cooling(initial=5.0), folder / "part.salver")
    (tmp_path / "ambiguous").mkdir()
    for name in ("a.salver", "b.salver"):
        io.save(cooling(), tmp_path / "ambiguous" / name)
    async with serving(tmp_path) as client:
        answer = await client.post("/v2/models/tower/infer", json=infer_body({}, ["Temperature"]))
        assert answer.status_code == 200
        assert output(answer.json(), "Temperature")[1][0] == 100.0
        refused = await client.post("/v2/models/ambiguous/infer", json=infer_body({}, ["Temperature"]))
        assert refused.status_code in (400, 404) and "exactly one model file" in refused.json()["error"]

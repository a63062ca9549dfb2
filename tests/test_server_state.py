"""Serving state and bounds in process (httpx on the ASGI app, the engine in a counting runner): truthful
readiness, content-hash change detection, model-control modes, warm-up, byte-bounded memory, numeric
inputs at the engine's limits, and an event loop that answers while a large response is encoded."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import threading
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import httpx
import numpy as np
import pytest

from app.server import encoding
from app.server.app import create_app
from app.server.config import ModelConfig, ServerSettings
from metamodel import io
from tests.server_models import CountingRunner, cooling, infer_body, output, write_model

pytestmark = pytest.mark.anyio
SAMPLES = Path(__file__).resolve().parent.parent / "samples"
QUIET = replace(ServerSettings(), model_defaults=replace(ModelConfig(), warmup=False))


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@contextlib.asynccontextmanager
async def serving(repo: Path, runner: CountingRunner | None = None,
                  settings: ServerSettings = QUIET) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(repo, runner=runner or CountingRunner(), settings=settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://salver", timeout=60) as client:
            client.app = app  # type: ignore[attr-defined]
            yield client


async def index(client: httpx.AsyncClient) -> dict[tuple[str, str], dict[str, str]]:
    rows = (await client.post("/v2/repository/index")).json()
    return {(r["name"], r["version"]): r for r in rows}


def metric(text: str, name: str) -> float:
    """The value of an unlabelled metric line ``name value``."""
    return float(next(line.split()[-1] for line in text.splitlines() if line.startswith(name + " ")))


# -- numeric inputs at the engine's limits ------------------------------------------------------------------
HUGE_REQUESTS = [
    (infer_body({}, stop=1e308), "magnitude"),
    (infer_body({}, start=-1e308, stop=1e308), "magnitude"),
    (infer_body({}, stop=1e300), "time steps"),
    (infer_body({}, dt=1e-300), "time steps"),
    (infer_body({}, save_per=1e-300), "save_per"),
    (infer_body({}, start=-1e300, stop=1e300, dt=1.0), "time steps"),
    (infer_body({}, seed=2**40), "seed"),
    (infer_body({}, timeout=-5), "timeout"),
    (infer_body({}, timeout=True), "timeout"),
    ({"inputs": [{"name": "Tau", "shape": [10**12], "datatype": "FP64", "data": [1.0]}]}, "shape must be [n]"),
    ({"inputs": [{"name": "Tau", "shape": [2], "datatype": "FP64", "data": [1.0, 2.0]}],
      "parameters": {"save_per": 1e-6, "dt": 1e-6, "stop": 1.0}}, "time steps"),
    ({"inputs": [], "outputs": [{"name": "Temperature", "parameters": {"binary_data": "yes"}}]}, "true or false"),
    ({"inputs": [], "outputs": [{"name": "Temperature", "parameters": {"colour": 1}}]}, "unknown parameter"),
    ({"inputs": [{"name": "Tau", "shape": [1], "datatype": "FP64", "parameters": {"binary_data_size": 8}}]},
     "does not fit"),
]


async def test_huge_and_malformed_numbers_are_400_not_500(tmp_path: Path) -> None:
    write_model(tmp_path, "cooling", cooling(), "1", config={"limits": {"max_steps": 100_000}})
    runner = CountingRunner()
    async with serving(tmp_path, runner) as client:
        for body, words in HUGE_REQUESTS:
            response = await client.post("/v2/models/cooling/infer", json=body)
            assert response.status_code == 400, (body, response.text)
            assert words in response.json()["error"], (words, response.json())
        assert runner.batches == []  # refused before anything ran
        assert (await client.post("/v2/models/cooling/infer", json=infer_body({"Tau": [1e308]}))).status_code == 200


async def test_a_run_that_would_not_fit_its_memory_bound_is_refused_and_batches_stay_within_it(
        tmp_path: Path) -> None:
    # 21 saved times x 3 variables x 8 bytes = 504 bytes per run: 2 runs fit 1100 bytes, 3 do not
    write_model(tmp_path, "cooling", cooling(), "1", config={
        "limits": {"max_run_bytes": 1100}, "batching": {"max_batch_size": 64, "max_queue_delay_ms": 50}})
    runner = CountingRunner(delay=0.05)
    async with serving(tmp_path, runner) as client:
        refused = await client.post("/v2/models/cooling/infer", json=infer_body({"Tau": [1.0, 2.0, 3.0]}))
        assert refused.status_code == 400 and "MiB" in refused.json()["error"]
        answers = await asyncio.gather(*[client.post("/v2/models/cooling/infer", json=infer_body({"Tau": [t]}))
                                         for t in (1.0, 2.0, 3.0, 4.0, 5.0)])
    assert all(a.status_code == 200 for a in answers)
    assert max(b.runs for b in runner.batches) <= 2 and sum(b.runs for b in runner.batches) == 5


# -- truthful state -----------------------------------------------------------------------------------------
async def test_a_model_file_broken_on_disk_is_not_ready_and_not_served_from_the_old_load(tmp_path: Path) -> None:
    path = write_model(tmp_path, "cooling", cooling(), "1")
    async with serving(tmp_path) as client:
        assert (await client.get("/v2/models/cooling/ready")).status_code == 200
        assert (await index(client))[("cooling", "1")]["state"] == "READY"
        path.write_text("{ not a model", encoding="utf-8")
        row = (await index(client))[("cooling", "1")]
        assert row["state"] == "UNAVAILABLE" and "cannot be loaded" in row["reason"]
        assert (await client.get("/v2/models/cooling/ready")).status_code == 400
        answer = await client.post("/v2/models/cooling/infer", json=infer_body({}))
        assert answer.status_code == 400 and "cannot be loaded" in answer.json()["error"]
        io.save(cooling(initial=42.0), path)  # repaired: ready again, with the new content
        fixed = await client.post("/v2/models/cooling/infer", json=infer_body({}, ["Temperature"]))
        assert fixed.status_code == 200 and output(fixed.json(), "Temperature")[1][0] == 42.0


async def test_a_same_size_edit_with_its_mtime_restored_is_noticed_by_content(tmp_path: Path) -> None:
    path = write_model(tmp_path, "cooling", cooling(initial=200.0), "1")
    async with serving(tmp_path) as client:
        first = (await client.post("/v2/models/cooling/infer", json=infer_body({}, ["Temperature"]))).json()
        assert output(first, "Temperature")[1][0] == 200.0
        before = path.stat()
        text = path.read_text(encoding="utf-8")
        assert text.count("200.0") == 1
        path.write_text(text.replace("200.0", "300.0"), encoding="utf-8")  # same size
        os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))  # and the same mtime
        assert (path.stat().st_size, path.stat().st_mtime_ns) == (before.st_size, before.st_mtime_ns)
        second = (await client.post("/v2/models/cooling/infer", json=infer_body({}, ["Temperature"]))).json()
        assert output(second, "Temperature")[1][0] == 300.0
        assert second["parameters"]["cached"] is False  # the old version's cached result is not served


async def test_a_touched_file_with_the_same_content_is_not_reloaded(tmp_path: Path) -> None:
    path = write_model(tmp_path, "cooling", cooling(), "1")
    async with serving(tmp_path) as client:
        assert (await client.post("/v2/models/cooling/infer", json=infer_body({}))).status_code == 200
        loaded = client.app.state.service.repository.loaded("cooling", "1")  # type: ignore[attr-defined]
        os.utime(path)
        again = await client.post("/v2/models/cooling/infer", json=infer_body({}))
        assert again.json()["parameters"]["cached"] is True
        assert client.app.state.service.repository.loaded("cooling", "1") is loaded  # type: ignore[attr-defined]


async def test_a_swapped_onnx_network_makes_the_model_unavailable_and_drops_its_cached_results(
        tmp_path: Path, no_gpu: None) -> None:
    shutil.copytree(SAMPLES / "sir_neural", tmp_path / "sir_neural")
    settings = replace(QUIET, model_defaults=ModelConfig())  # warm-up on: a load runs the network once
    async with serving(tmp_path, settings=settings) as client:
        body = infer_body({}, ["Infected"], stop=5.0)
        first = await client.post("/v2/models/sir_neural/infer", json=body)
        assert first.status_code == 200, first.text
        assert (await client.post("/v2/models/sir_neural/infer", json=body)).json()["parameters"]["cached"] is True
        shutil.copy(SAMPLES / "thermal_plant" / "controller.onnx", tmp_path / "sir_neural" / "contact_net.onnx")
        row = (await index(client))[("sir_neural", "1")]
        assert row["state"] == "UNAVAILABLE" and "changed since it was added" in row["reason"]
        swapped = await client.post("/v2/models/sir_neural/infer", json=body)
        assert swapped.status_code == 400 and "changed since it was added" in swapped.json()["error"]
        metrics = (await client.get("/metrics")).text
        assert metric(metrics, "salver_cache_entries") == 0


async def test_warmup_runs_the_model_once_at_load_so_the_first_request_finds_it_compiled(tmp_path: Path) -> None:
    write_model(tmp_path, "cooling", cooling(), "1")
    write_model(tmp_path, "cold", cooling(), "1", config={"warmup": False})
    runner = CountingRunner()
    async with serving(tmp_path, runner, settings=ServerSettings()) as client:
        assert (await client.post("/v2/repository/models/cooling/load")).status_code == 200
        assert [(b.runs, b.outputs) for b in runner.batches] == [(1, ())]  # the warm-up: one run, one step
        assert runner.batches[0].options.stop == runner.batches[0].options.start + runner.batches[0].options.dt
        assert (await client.post("/v2/repository/models/cold/load")).status_code == 200
        assert len(runner.batches) == 1


async def test_explicit_mode_loads_only_what_it_is_told_and_unloaded_models_stay_unloaded(tmp_path: Path) -> None:
    write_model(tmp_path, "cooling", cooling(), "1")
    write_model(tmp_path, "other", cooling(), "1")
    settings = replace(QUIET, control_mode="explicit", load_models=("cooling",))
    async with serving(tmp_path, settings=settings) as client:
        rows = await index(client)
        assert rows[("cooling", "1")]["state"] == "READY" and rows[("other", "1")]["state"] == "UNAVAILABLE"
        not_loaded = await client.post("/v2/models/other/infer", json=infer_body({}))
        assert not_loaded.status_code == 400 and "not loaded" in not_loaded.json()["error"]
        assert (await client.post("/v2/models/cooling/infer", json=infer_body({}))).status_code == 200
        assert (await client.post("/v2/repository/models/cooling/unload")).status_code == 200
        for _ in range(2):  # stays unloaded: a request does not bring it back
            gone = await client.post("/v2/models/cooling/infer", json=infer_body({}))
            assert gone.status_code == 400 and "not loaded" in gone.json()["error"]
        assert (await client.get("/v2/models/cooling/ready")).status_code == 400
        assert (await client.post("/v2/repository/models/other/load")).status_code == 200
        assert (await client.post("/v2/models/other/infer", json=infer_body({}))).status_code == 200


async def test_none_mode_loads_everything_at_start_and_refuses_model_control(tmp_path: Path) -> None:
    path = write_model(tmp_path, "cooling", cooling(initial=100.0), "1")
    async with serving(tmp_path, settings=replace(ServerSettings(), control_mode="none")) as client:
        assert (await index(client))[("cooling", "1")]["state"] == "READY"
        refused = await client.post("/v2/repository/models/cooling/unload")
        assert refused.status_code == 400 and "not allowed" in refused.json()["error"]
        io.save(cooling(initial=7.0), path)  # none: the repository is not followed
        answer = (await client.post("/v2/models/cooling/infer", json=infer_body({}, ["Temperature"]))).json()
        assert output(answer, "Temperature")[1][0] == 100.0  # what was loaded (and warmed up) serves on


async def test_poll_mode_follows_new_changed_and_removed_versions(tmp_path: Path) -> None:
    write_model(tmp_path, "cooling", cooling(initial=100.0), "1")
    settings = replace(QUIET, control_mode="poll", poll_s=3600.0)  # polled by hand below
    async with serving(tmp_path, settings=settings) as client:
        repository = client.app.state.service.repository  # type: ignore[attr-defined]
        write_model(tmp_path, "cooling", cooling(initial=200.0), "2")
        before = (await client.post("/v2/models/cooling/infer", json=infer_body({}))).json()
        assert before["model_version"] == "1"  # not followed until the poll
        await repository.poll()
        after = (await client.post("/v2/models/cooling/infer", json=infer_body({}, ["Temperature"]))).json()
        assert after["model_version"] == "2" and output(after, "Temperature")[1][0] == 200.0
        shutil.rmtree(tmp_path / "cooling" / "2")
        await repository.poll()
        assert (await client.post("/v2/models/cooling/infer", json=infer_body({}))).json()["model_version"] == "1"
        assert (await client.post("/v2/repository/models/cooling/load")).status_code == 400


# -- bounded memory -----------------------------------------------------------------------------------------
async def test_the_result_cache_is_bounded_by_bytes_and_freed_on_unload(tmp_path: Path) -> None:
    write_model(tmp_path, "cooling", cooling(), "1")
    one = 8 * 21 * 5 + 256  # one run: time and 4 variables at 21 saved times, plus the entry's overhead
    async with serving(tmp_path, settings=replace(QUIET, cache_bytes=3 * one * 8)) as client:
        for tau in range(1, 40):
            assert (await client.post("/v2/models/cooling/infer", json=infer_body({"Tau": [float(tau)]}))).is_success
        text = (await client.get("/metrics")).text
        assert 0 < metric(text, "salver_cache_bytes") <= metric(text, "salver_cache_capacity_bytes") == 3 * one * 8
        assert metric(text, "salver_cache_evictions") > 0
        assert (await client.post("/v2/repository/models/cooling/unload")).status_code == 200
        text = (await client.get("/metrics")).text
        assert metric(text, "salver_cache_bytes") == 0 and metric(text, "salver_cache_entries") == 0


async def test_kept_async_results_are_bounded_by_bytes(tmp_path: Path) -> None:
    write_model(tmp_path, "cooling", cooling(), "1", config={"cache": False})
    one = 8 * 21 * 5  # time, Temperature, Loss, Tau and Ambient at 21 saved times
    async with serving(tmp_path, settings=replace(QUIET, async_results_bytes=3 * one)) as client:
        ids = []
        for tau in range(1, 8):
            started = await client.post("/v2/models/cooling/infer",
                                        json=infer_body({"Tau": [float(tau)]}, **{"async": True}))
            ids.append(started.json()["id"])
            while (await client.get(f"/v2/runs/{ids[-1]}")).status_code == 202:
                await asyncio.sleep(0.01)
        text = (await client.get("/metrics")).text
        assert 0 < metric(text, "salver_async_result_bytes") <= 3 * one
        kept = [(await client.get(f"/v2/runs/{i}")).status_code for i in ids]
        assert kept[-3:] == [200, 200, 200] and kept[0] == 404  # the oldest went to stay in bounds
        assert (await client.delete(f"/v2/runs/{ids[-1]}")).status_code == 200  # forgotten on request
        assert (await client.get(f"/v2/runs/{ids[-1]}")).status_code == 404


async def test_deleting_a_queued_async_run_cancels_it_before_it_runs(tmp_path: Path) -> None:
    write_model(tmp_path, "cooling", cooling(), "1", config={"instance_group": {"count": 1},
                                                             "batching": {"max_batch_size": 1}})
    runner = CountingRunner()
    runner.hold()
    async with serving(tmp_path, runner) as client:
        first = await client.post("/v2/models/cooling/infer", json=infer_body({"Tau": [1.0]}, **{"async": True}))
        assert await asyncio.to_thread(runner.wait_for_batches, 1)
        queued = await client.post("/v2/models/cooling/infer", json=infer_body({"Tau": [2.0]}, **{"async": True}))
        deleted = await client.delete(f"/v2/runs/{queued.json()['id']}")
        assert deleted.status_code == 200 and deleted.json()["status"] == "cancelled"
        runner.release()
        while (await client.get(f"/v2/runs/{first.json()['id']}")).status_code == 202:
            await asyncio.sleep(0.01)
        assert [float(b.params["Tau"][0]) for b in runner.batches] == [1.0]  # the cancelled one never ran
        assert (await client.delete("/v2/runs/nope")).status_code == 404
        assert "salver_inference_cancelled_total" in (await client.get("/metrics")).text


async def test_a_full_queue_answers_429_with_retry_after(tmp_path: Path) -> None:
    write_model(tmp_path, "cooling", cooling(), "1", config={
        "instance_group": {"count": 1, "queue_limit": 1}, "batching": {"max_batch_size": 1}})
    runner = CountingRunner()
    runner.hold()
    async with serving(tmp_path, runner) as client:
        running = asyncio.ensure_future(client.post("/v2/models/cooling/infer", json=infer_body({"Tau": [1.0]})))
        assert await asyncio.to_thread(runner.wait_for_batches, 1)
        queued = asyncio.ensure_future(client.post("/v2/models/cooling/infer", json=infer_body({"Tau": [2.0]})))
        while client.app.state.service.repository.loaded("cooling", "1").batcher.queued == 0:  # type: ignore
            await asyncio.sleep(0.01)
        full = await client.post("/v2/models/cooling/infer", json=infer_body({"Tau": [3.0]}))
        assert full.status_code == 429 and full.headers["retry-after"] == "1"
        runner.release()
        assert (await running).status_code == 200 and (await queued).status_code == 200


# -- the event loop is never blocked by an answer -------------------------------------------------------------
async def test_liveness_answers_while_a_large_response_is_being_encoded(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    write_model(tmp_path, "cooling", cooling(stop=1000.0, dt=0.01), "1",
                config={"limits": {"max_steps": 200_000, "max_runs": 1000}, "cache": False})
    encoding_started, proceed = threading.Event(), threading.Event()
    real_values = encoding._values

    def held_values(values: np.ndarray):  # noqa: ANN202 - the encoder stops after its first part
        parts = real_values(values)
        yield next(parts)
        if values.size > encoding.CHUNK_VALUES:
            encoding_started.set()
            proceed.wait(30)
        yield from parts

    monkeypatch.setattr(encoding, "_values", held_values)
    async with serving(tmp_path) as client:
        body = infer_body({"Tau": [float(t) for t in range(1, 11)]}, ["Temperature"])  # 10 x 100,001 values
        big = asyncio.ensure_future(client.post("/v2/models/cooling/infer", json=body))
        assert await asyncio.to_thread(encoding_started.wait, 60)
        live = await client.get("/v2/health/live")  # answered while the encoder is held mid-body
        answered_while_held = not proceed.is_set()
        proceed.set()
        response = await big
    assert live.status_code == 200 and answered_while_held
    shape, data = output(response.json(), "Temperature")
    assert shape == [10, 100_001] and len(data) == 1_000_010 and data[0] == 100.0

"""Runs in worker processes with the real engine: results, the run time limit, faults, ONNX providers."""

from __future__ import annotations

import asyncio
import contextlib
import json
import multiprocessing
import os
import shutil
import signal
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

import solvers
from app.server.app import create_app
from app.server.batcher import Batch, RunOptions, RunOutput
from app.server.config import ServerSettings
from app.server.workers import ModelSource, WorkerGroup, run_batch
from metamodel.elements import Flow, Stock
from metamodel.model import Model
from solvers import native
from tests.server_models import cooling, infer_body, noisy, output, write_model

pytestmark = pytest.mark.anyio
SAMPLES = Path(__file__).resolve().parent.parent / "samples"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    write_model(tmp_path, "cooling", cooling(), "1",
                config={"limits": {"max_run_seconds": 1.0, "max_steps": 50_000_000}})
    write_model(tmp_path, "heavy", heavy(), "1", config={"limits": {"max_run_seconds": 1.0, "max_steps": 50_000_000}})
    return tmp_path


def heavy(stocks: int = 300) -> Model:
    """Stocks that each drain slowly: much work per step, whatever the backend."""
    model = Model(name="heavy")
    for i in range(1, stocks + 1):
        model.add(Stock(f"s{i}", f"Stock {i}", equation="1", outflows=[f"f{i}"]))
        model.add(Flow(f"f{i}", f"Flow {i}", equation=f"Stock_{i} * 0.001"))
    return model


def worker_pids() -> set[int]:
    """The simulation worker processes alive now."""
    return {p.pid for p in multiprocessing.active_children() if p.name == "salver-worker"}


@contextlib.asynccontextmanager
async def serving(repo: Path) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(repo, settings=replace(ServerSettings(), workers=1))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://salver", timeout=60) as client:
            client.app = app  # type: ignore[attr-defined]
            yield client


async def test_worker_process_runs_match_the_engine_and_faults_are_reported(repo: Path) -> None:
    async with serving(repo) as client:
        response = await client.post("/v2/models/cooling/infer", json=infer_body({"Tau": [2.0, 8.0]}, ["Loss"]))
        assert response.status_code == 200, response.text
        shape, data = output(response.json(), "Loss")
        expected = solvers.load(repo / "cooling/1/cooling.salver").run({"Tau": [2.0, 8.0]})["Loss"]
        np.testing.assert_allclose(np.reshape(data, shape), expected.T)
        fault = await client.post("/v2/models/cooling/infer", json=infer_body({"Tau": [0.0]}))
        assert fault.status_code == 400 and "variable 'Loss'" in fault.json()["error"]


@pytest.mark.skipif(native.find_compiler() is None, reason="no C compiler: served models run in Python")
def test_served_batches_run_the_c_program_and_give_each_run_its_solo_numbers(tmp_path: Path) -> None:
    source = ModelSource(str(write_model(tmp_path, "cooling", cooling(), "1")), "")
    random = ModelSource(str(write_model(tmp_path, "noisy", noisy(), "1")), "")
    cache: dict[str, Any] = {}
    taus = [0.5, 2.0, 3.0, 7.5, 40.0]
    batch = Batch({"Tau": np.asarray(taus)}, len(taus), RunOptions(0.0, 10.0, 0.5, 0.5, "rk4"),
                  ("Temperature", "Loss"), 60.0)
    together = run_batch(cache, source, batch)
    assert cache[source.key].native_ready and together.metadata["backend"] == "native"
    python = solvers.load(source.path).run({"Tau": taus}, method="rk4", backend="python")
    for index, tau in enumerate(taus):
        alone = run_batch(cache, source, replace(batch, params={"Tau": np.asarray([tau])}, runs=1))
        assert alone.metadata["backend"] == "native"
        for name in ("Temperature", "Loss"):
            np.testing.assert_array_equal(together.data[name][index], alone.data[name][0])  # batched or not
            np.testing.assert_array_equal(alone.data[name][0], python[name][:, index])  # the Python numbers
    drawn = run_batch(cache, random, Batch({}, 2, RunOptions(0.0, 5.0, 1.0, 1.0, "euler", 7), ("Level",), 60.0))
    assert not cache[random.key].native_ready and drawn.metadata["backend"] == "vector"  # C has no random numbers


async def test_large_replies_come_back_whole_and_writable_both_below_and_above_the_threaded_size(
        tmp_path: Path) -> None:
    from app.server.workers import LARGE_REPLY

    path = write_model(tmp_path, "cooling", cooling(), "1")
    source = ModelSource(str(path), "", ())
    group = WorkerGroup(1)
    try:
        for runs in (3, 8_000):  # about 4 KB and 2.7 MB of arrays
            taus = np.linspace(1.0, 9.0, runs)
            batch = Batch({"Tau": taus}, runs, RunOptions(0.0, 10.0, 0.5, 0.5, "euler"), ("Temperature", "Loss"), 60.0)
            answer: RunOutput = await group.run(source, batch)
            expected = solvers.load(path).run({"Tau": taus}, runs=runs)
            assert (sum(a.nbytes for a in answer.data.values()) > LARGE_REPLY) == (runs > 3)
            for name in ("Temperature", "Loss"):
                np.testing.assert_allclose(answer.data[name], expected[name].T)
                assert answer.data[name].flags.writeable
            np.testing.assert_allclose(answer.time, expected.time)
    finally:
        group.close()


def group_pids(client: httpx.AsyncClient, name: str) -> set[int]:
    """Process ids of the worker processes of a loaded model's version 1."""
    loaded = client.app.state.service.repository.loaded(name, "1")  # type: ignore[attr-defined]
    return set(loaded.group.pids()) if loaded is not None else set()


async def test_a_runaway_simulation_is_stopped_at_the_time_limit_and_serving_goes_on(repo: Path) -> None:
    async with serving(repo) as client:
        assert (await client.post("/v2/models/cooling/infer", json=infer_body({}))).status_code == 200
        assert (await client.post("/v2/models/heavy/infer", json=infer_body({}, ["Stock_1"]))).status_code == 200
        (worker,) = group_pids(client, "heavy")
        cooling_workers = group_pids(client, "cooling")
        assert cooling_workers and worker not in cooling_workers  # each model has processes of its own
        runaway = await client.post("/v2/models/heavy/infer",  # 50 million steps of 300 stocks: minutes
                                    json=infer_body({}, ["Stock_1"], stop=500_000.0, dt=0.01, save_per=1000.0))
        assert runaway.status_code == 400
        assert "run time limit of 1 s" in runaway.json()["error"]
        assert worker not in worker_pids()  # the process running it was killed, not left to finish
        assert group_pids(client, "cooling") == cooling_workers  # the other model's were not touched
        after = await client.post("/v2/models/cooling/infer", json=infer_body({"Tau": [5.0]}))
        assert after.status_code == 200
        metrics = (await client.get("/metrics")).text
        assert 'salver_inference_failures_total{model="heavy",version="1",status="400"} 1' in metrics


async def test_neural_component_provider_is_reported_in_metrics(repo: Path) -> None:
    shutil.copytree(SAMPLES / "sir_neural", repo / "sir_neural")
    async with serving(repo) as client:
        response = await client.post("/v2/models/sir_neural/infer", json=infer_body({}))
        assert response.status_code == 200, response.text
        metrics = (await client.get("/metrics")).text
    provider_lines = [line for line in metrics.splitlines() if line.startswith("salver_onnxruntime_provider{")]
    assert provider_lines and all(line.endswith(" 1") for line in provider_lines)
    assert any("ExecutionProvider" in line for line in provider_lines)


def slow_body(**options: object) -> dict:
    """A heavy run that lasts minutes (stopped by cancellation or its limit, never awaited)."""
    return infer_body({}, ["Stock_1"], stop=500_000.0, dt=0.01, save_per=1000.0, **options)


async def test_slow_runs_of_one_model_never_block_another_model(tmp_path: Path) -> None:
    write_model(tmp_path, "heavy", heavy(), "1", config={"instance_group": {"count": 1},
                                                        "limits": {"max_steps": 50_000_000}})
    write_model(tmp_path, "teacup", cooling(), "1")
    async with serving(tmp_path) as client:  # one worker per model (workers=1)
        runs = [(await client.post("/v2/models/heavy/infer", json=slow_body(**{"async": True}))).json()["id"]
                for _ in range(2)]
        quick = await client.post("/v2/models/teacup/infer", json=infer_body({"Tau": [3.0]}))
        assert quick.status_code == 200
        states = [(await client.get(f"/v2/runs/{run}")).json()["status"] for run in runs]
        assert states == ["running", "running"]  # the teacup answered while both slow runs were going on
        for run in runs:
            assert (await client.delete(f"/v2/runs/{run}")).json()["status"] == "cancelled"


async def test_deleting_a_running_run_kills_its_worker_process(tmp_path: Path) -> None:
    write_model(tmp_path, "heavy", heavy(), "1", config={"limits": {"max_steps": 50_000_000}})
    async with serving(tmp_path) as client:
        assert (await client.post("/v2/models/heavy/infer", json=infer_body({}, ["Stock_1"]))).status_code == 200
        (worker,) = group_pids(client, "heavy")
        run = (await client.post("/v2/models/heavy/infer", json=slow_body(**{"async": True}))).json()["id"]
        batcher = client.app.state.service.repository.loaded("heavy", "1").batcher  # type: ignore[attr-defined]
        while batcher.queued:  # taken from the queue: running in the worker
            await asyncio.sleep(0.01)
        deleted = await client.delete(f"/v2/runs/{run}")
        assert deleted.status_code == 200 and deleted.json()["status"] == "cancelled"
        for _ in range(500):
            if worker not in worker_pids():
                break
            await asyncio.sleep(0.02)
        assert worker not in worker_pids()  # stopped, not left computing for minutes
        again = await client.post("/v2/models/heavy/infer", json=infer_body({}, ["Stock_1"], stop=50.0))
        assert again.status_code == 200  # a fresh worker took over (another run: the first is cached)
        metrics = (await client.get("/metrics")).text
        assert 'salver_worker_restarts_total{model="heavy",version="1",reason="cancelled"} 1' in metrics


async def test_a_killed_worker_is_replaced_and_the_request_retried(repo: Path) -> None:
    async with serving(repo) as client:
        assert (await client.post("/v2/models/cooling/infer", json=infer_body({}))).status_code == 200
        (worker,) = group_pids(client, "cooling")
        os.kill(worker, signal.SIGKILL)
        while worker in worker_pids():
            await asyncio.sleep(0.02)
        answer = await client.post("/v2/models/cooling/infer", json=infer_body({"Tau": [4.0]}))
        assert answer.status_code == 200, answer.text
        assert worker not in group_pids(client, "cooling")
        metrics = (await client.get("/metrics")).text
        assert 'salver_worker_restarts_total{model="cooling",version="1",reason="died"} 1' in metrics


async def test_a_worker_killed_while_idle_is_replaced_before_any_request_asks(tmp_path: Path) -> None:
    path = write_model(tmp_path, "cooling", cooling(), "1")
    source = ModelSource(str(path), "", ())
    reasons: list[str] = []
    group = WorkerGroup(1, on_restart=reasons.append)
    try:
        short = Batch({}, 1, RunOptions(0.0, 10.0, 1.0, 1.0, "euler"), ("Temperature",), 120.0)
        await group.run(source, short)
        (first,) = group.pids()
        os.kill(first, signal.SIGKILL)
        for _ in range(2400):  # no request is sent meanwhile: the group starts the spare by itself
            if group.pids() and first not in group.pids():
                break
            await asyncio.sleep(0.05)
        (spare,) = group.pids()
        assert spare != first and reasons == ["died"]
        answer: RunOutput = await group.run(source, short)
        assert answer.data["Temperature"].shape == (1, 11)
        assert group.pids() == [spare] and reasons == ["died"]  # the spare served it
    finally:
        group.close()


async def test_a_worker_dying_mid_run_is_replaced_and_the_run_tried_again(tmp_path: Path) -> None:
    in_c = native.find_compiler() is not None  # the worker runs the model's C program: 300 stocks for seconds
    path = write_model(tmp_path, "heavy", heavy(300 if in_c else 20), "1")
    source = ModelSource(str(path), "", ())
    group = WorkerGroup(1)
    try:
        options = RunOptions(0.0, 40_000.0 if in_c else 20_000.0, 0.01, 2000.0 if in_c else 1000.0, "euler")
        batch = Batch({}, 1, options, ("Stock_1",), 120.0)
        running = asyncio.ensure_future(group.run(source, batch))
        while not group.pids():
            await asyncio.sleep(0.02)
        (first,) = group.pids()
        await asyncio.sleep(0.5)  # the run is under way in the worker (it lasts seconds); killed earlier, the same
        os.kill(first, signal.SIGKILL)
        answer: RunOutput = await asyncio.wait_for(running, 120)
        assert answer.data["Stock_1"].shape == (1, 21)
        assert group.pids() and first not in group.pids()
    finally:
        group.close()


async def test_a_run_cancelled_while_its_reply_is_awaited_stops_its_worker(tmp_path: Path) -> None:
    path = write_model(tmp_path, "heavy", heavy(), "1")
    source = ModelSource(str(path), "", ())
    reasons: list[str] = []
    group = WorkerGroup(1, on_restart=reasons.append)
    try:
        long = Batch({}, 1, RunOptions(0.0, 100_000.0, 0.01, 1000.0, "euler"), ("Stock_1",), 600.0)
        running = asyncio.ensure_future(group.run(source, long))
        while not group.pids():
            await asyncio.sleep(0.02)
        (first,) = group.pids()
        await asyncio.sleep(0.5)  # the run is under way: the group waits on the worker's pipe
        running.cancel()
        with pytest.raises(asyncio.CancelledError):
            await running
        assert reasons == ["cancelled"] and first not in worker_pids()  # its pipe is mid-run: not reused
        short = Batch({}, 1, RunOptions(0.0, 10.0, 1.0, 1.0, "euler"), ("Stock_1",), 120.0)
        answer: RunOutput = await group.run(source, short)
        assert answer.data["Stock_1"].shape == (1, 11) and first not in group.pids()
    finally:
        group.close()


def test_onnxruntime_settings_of_a_model_reach_its_sessions(monkeypatch: pytest.MonkeyPatch) -> None:
    import onnxruntime as ort

    from app.server.config import ModelConfig as Config
    from app.server.config import parse_model_config
    from app.server.service import worker_setup
    from solvers import neural

    config = parse_model_config({"onnxruntime": {"gpu_mem_limit": 1 << 30, "arena_extend_strategy": "kSameAsRequested",
                                                 "device_id": 0, "intra_op_threads": 2},
                                 "instance_group": {"count": 2, "priority": "low"}}, Config())
    setup = worker_setup(config)
    assert setup.nice == 10
    calls: list[tuple[list[str], list[dict[str, str]], int]] = []
    real = ort.InferenceSession

    def recording(data, options=None, providers=None, provider_options=None, **kwargs):  # noqa: ANN001, ANN003, ANN202
        calls.append((list(providers), list(provider_options), options.intra_op_num_threads))
        if "CUDAExecutionProvider" in providers:
            raise RuntimeError("no CUDA here")  # as on a machine without a GPU: the chain's CPU tail runs
        return real(data, options, providers=providers, provider_options=provider_options, **kwargs)

    monkeypatch.setattr(neural, "cuda_device_count", lambda: 1)
    monkeypatch.setattr(ort, "get_available_providers", lambda: ["CUDAExecutionProvider", neural.CPU_PROVIDER])
    monkeypatch.setattr(ort, "InferenceSession", recording)
    neural.clear_session_cache()
    try:
        neural.configure_sessions(neural.SessionSettings(setup.provider_options, setup.intra_op_threads))
        compiled = solvers.load(SAMPLES / "sir_neural" / "sir_neural.salver")
        result = compiled.run(stop=2.0)
    finally:
        neural.configure_sessions(neural.SessionSettings())
        neural.clear_session_cache()
    assert result.metadata["providers"] == {"contact_net": "CPUExecutionProvider"}
    cuda, cpu = calls[0], calls[-1]
    assert cuda[0] == ["CUDAExecutionProvider", "CPUExecutionProvider"]
    assert cuda[1][0] == {"arena_extend_strategy": "kSameAsRequested", "device_id": "0",
                          "gpu_mem_limit": str(1 << 30)}
    assert cpu[0] == ["CPUExecutionProvider"] and cpu[1] == [{}] and cpu[2] == 2


async def test_two_neural_models_serve_side_by_side_with_their_own_settings(tmp_path: Path) -> None:
    for sample, threads in (("sir_neural", 1), ("thermal_plant", 2)):
        shutil.copytree(SAMPLES / sample, tmp_path / sample)
        (tmp_path / sample / "config.json").write_text(json.dumps(
            {"instance_group": {"count": 1}, "onnxruntime": {"intra_op_threads": threads,
                                                             "gpu_mem_limit": 256 << 20}}), encoding="utf-8")
    async with serving(tmp_path) as client:
        answers = await asyncio.gather(*[client.post(f"/v2/models/{m}/infer", json=infer_body({}))
                                         for m in ("sir_neural", "thermal_plant") for _ in range(3)])
        assert all(a.status_code == 200 for a in answers), [a.text for a in answers]
        config = (await client.get("/v2/models/thermal_plant/config")).json()
        assert config["parameters"]["gpu_mem_limit"]["string_value"] == str(256 << 20)
        assert config["instance_group"][0]["count"] == 1
        assert group_pids(client, "sir_neural").isdisjoint(group_pids(client, "thermal_plant"))

"""Runs in worker processes with the real engine: results, the run time limit, faults, ONNX providers."""

from __future__ import annotations

import contextlib
import multiprocessing
import shutil
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import httpx
import numpy as np
import pytest

import solvers
from app.server.app import create_app
from app.server.config import ServerSettings
from metamodel.elements import Flow, Stock
from metamodel.model import Model
from tests.server_models import cooling, infer_body, output, write_model

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


async def test_a_runaway_simulation_is_stopped_at_the_time_limit_and_serving_goes_on(repo: Path) -> None:
    others = worker_pids()
    async with serving(repo) as client:
        assert (await client.post("/v2/models/cooling/infer", json=infer_body({}))).status_code == 200
        (worker,) = worker_pids() - others
        runaway = await client.post("/v2/models/heavy/infer",  # 50 million steps of 300 stocks: minutes
                                    json=infer_body({}, ["Stock_1"], stop=500_000.0, dt=0.01, save_per=1000.0))
        assert runaway.status_code == 400
        assert "run time limit of 1 s" in runaway.json()["error"]
        assert worker not in worker_pids()  # the process running it was killed, not left to finish
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

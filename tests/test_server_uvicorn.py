"""A real uvicorn server on 127.0.0.1: a Triton HTTP client against it, and graceful shutdown."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest
import tritonclient.http as triton
import uvicorn

import solvers
from app.server.app import create_app
from tests.server_models import CountingRunner, cooling, infer_body, write_model


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Running:
    """A uvicorn server in a thread; ``stop()`` asks it to exit as SIGTERM would."""

    def __init__(self, repo: Path, runner: CountingRunner) -> None:
        self.port = free_port()
        config = uvicorn.Config(create_app(repo, runner=runner), host="127.0.0.1", port=self.port,
                                log_config=None, access_log=False, timeout_graceful_shutdown=10)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.02)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(20)


@pytest.fixture
def running(tmp_path: Path) -> Iterator[tuple[Running, CountingRunner, Path]]:
    path = write_model(tmp_path, "cooling", cooling(), "1")
    runner = CountingRunner()
    server = Running(tmp_path, runner)
    yield server, runner, path
    server.stop()


def test_the_triton_http_client_works_against_the_server(running: tuple[Running, CountingRunner, Path]) -> None:
    server, _, path = running
    client = triton.InferenceServerClient(url=f"127.0.0.1:{server.port}")
    assert client.is_server_live() and client.is_server_ready()
    assert client.get_server_metadata()["name"] == "salver"
    meta = client.get_model_metadata("cooling")
    assert {i["name"] for i in meta["inputs"]} == {"Tau", "Ambient"}
    tau = triton.InferInput("Tau", [3], "FP64")
    tau.set_data_from_numpy(np.array([2.0, 5.0, 9.0]), binary_data=False)
    wanted = [triton.InferRequestedOutput("Temperature"),  # binary by default: answered as JSON
              triton.InferRequestedOutput("time", binary_data=False)]
    result = client.infer("cooling", [tau], outputs=wanted, parameters={"stop": 6.0}, request_id="t1")
    temperature = result.as_numpy("Temperature")
    expected = solvers.load(path).run({"Tau": [2.0, 5.0, 9.0]}, stop=6.0)
    assert temperature.shape == (3, len(expected.time))
    np.testing.assert_allclose(temperature, expected["Temperature"].T)
    np.testing.assert_allclose(result.as_numpy("time"), expected.time)
    assert result.get_response()["id"] == "t1"
    client.load_model("cooling")
    assert client.is_model_ready("cooling")
    assert [(m["name"], m["state"]) for m in client.get_model_repository_index()] == [("cooling", "READY")]
    client.unload_model("cooling")
    assert client.get_model_repository_index()[0]["state"] == "UNAVAILABLE"
    with pytest.raises(triton.InferenceServerException, match="unknown input 'Speed'"):
        client.infer("cooling", [_input("Speed", [1.0])])
    with pytest.raises(triton.InferenceServerException, match="unknown model"):
        client.get_model_metadata("nothing")
    client.close()


def _input(name: str, values: list[float]) -> triton.InferInput:
    tensor = triton.InferInput(name, [len(values)], "FP64")
    tensor.set_data_from_numpy(np.array(values), binary_data=False)
    return tensor


def test_shutdown_lets_requests_in_flight_finish(running: tuple[Running, CountingRunner, Path]) -> None:
    server, runner, _ = running
    runner.delay = 1.0
    answers: list[httpx.Response] = []
    request = threading.Thread(target=lambda: answers.append(
        httpx.post(f"{server.url}/v2/models/cooling/infer", json=infer_body({"Tau": [3.0]}), timeout=30)))
    request.start()
    assert runner.wait_for_batches(1), "the request is running"
    server.stop()
    request.join(30)
    assert not server.thread.is_alive()
    assert answers and answers[0].status_code == 200
    assert answers[0].json()["outputs"][1]["shape"] == [1, 21]
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{server.url}/v2/health/live", timeout=2)

"""``salver serve`` as a process, spoken to by Triton's own clients: gRPC (KServe v2 service with Triton's
extensions) and HTTP with binary tensors; the protos and their generated modules; client disconnects."""

from __future__ import annotations

import filecmp
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest
import tritonclient.grpc as triton_grpc
import tritonclient.http as triton_http

import solvers
from app.server.proto import HERE, generate
from tests.server_models import cooling, write_model

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Served:
    """``salver serve`` on two free ports of 127.0.0.1; stopped (SIGTERM, then waited for) at the end."""

    def __init__(self, repo: Path, *extra: str) -> None:
        self.port, self.grpc_port = free_port(), free_port()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "serve", str(repo), "--port", str(self.port), "--grpc-port",
             str(self.grpc_port), "--workers", "1", "--log-level", "warning", *extra],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 120
        while True:
            assert self.process.poll() is None, self.process.stderr.read().decode()  # type: ignore[union-attr]
            try:
                if httpx.get(f"{self.url}/v2/health/ready", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.1)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Served, Path]]:
    repo = tmp_path_factory.mktemp("repo")
    path = write_model(repo, "cooling", cooling(), "1", config={"batching": {"max_batch_size": 16}})
    server = Served(repo)
    yield server, path
    server.stop()


def test_triton_grpc_client_runs_models_and_reads_config_statistics_and_repository(
        served: tuple[Served, Path]) -> None:
    server, path = served
    client = triton_grpc.InferenceServerClient(url=f"127.0.0.1:{server.grpc_port}")
    try:
        assert client.is_server_live() and client.is_server_ready() and client.is_model_ready("cooling")
        assert client.get_server_metadata().name == "salver"
        meta = client.get_model_metadata("cooling")
        assert {i.name for i in meta.inputs} == {"Tau", "Ambient"} and meta.versions == ["1"]
        tau = triton_grpc.InferInput("Tau", [3], "FP64")
        tau.set_data_from_numpy(np.array([2.0, 5.0, 9.0]))
        wanted = [triton_grpc.InferRequestedOutput("Temperature"), triton_grpc.InferRequestedOutput("time")]
        result = client.infer("cooling", [tau], outputs=wanted, parameters={"stop": 6.0, "method": "rk4"},
                              request_id="g1")
        expected = solvers.load(path).run({"Tau": [2.0, 5.0, 9.0]}, stop=6.0, method="rk4")
        np.testing.assert_allclose(result.as_numpy("Temperature"), expected["Temperature"].T)
        np.testing.assert_allclose(result.as_numpy("time"), expected.time)
        assert result.get_response().id == "g1"
        config = client.get_model_config("cooling").config
        assert config.name == "cooling" and config.max_batch_size == 16
        assert {i.name for i in config.input} == {"Tau", "Ambient"}
        assert config.input[0].data_type == triton_grpc.model_config_pb2.TYPE_FP64
        assert config.instance_group[0].count == 1
        stats = client.get_inference_statistics("cooling").model_stats
        assert stats[0].name == "cooling" and stats[0].inference_count >= 3 and stats[0].execution_count >= 1
        assert stats[0].inference_stats.success.count >= 1
        assert [(m.name, m.state) for m in client.get_model_repository_index().models] == [("cooling", "READY")]
        with pytest.raises(triton_grpc.InferenceServerException, match="unknown input 'Speed'"):
            speed = triton_grpc.InferInput("Speed", [1], "FP64")
            speed.set_data_from_numpy(np.array([1.0]))
            client.infer("cooling", [speed])
        with pytest.raises(triton_grpc.InferenceServerException, match="magnitude"):
            client.infer("cooling", [tau], parameters={"stop": 1e308})
        with pytest.raises(triton_grpc.InferenceServerException, match="unknown model"):
            client.get_model_metadata("nothing")
    finally:
        client.close()


def test_triton_http_client_with_binary_tensors_config_and_statistics(served: tuple[Served, Path]) -> None:
    server, path = served
    client = triton_http.InferenceServerClient(url=f"127.0.0.1:{server.port}")
    try:
        tau = triton_http.InferInput("Tau", [2], "FP64")
        tau.set_data_from_numpy(np.array([3.0, 7.0]), binary_data=True)
        ambient = triton_http.InferInput("Ambient", [2], "FP64")
        ambient.set_data_from_numpy(np.array([10.0, 25.0]), binary_data=False)  # JSON beside binary
        wanted = [triton_http.InferRequestedOutput("Temperature", binary_data=True),
                  triton_http.InferRequestedOutput("time", binary_data=False)]
        result = client.infer("cooling", [tau, ambient], outputs=wanted, parameters={"save_per": 1.0})
        expected = solvers.load(path).run({"Tau": [3.0, 7.0], "Ambient": [10.0, 25.0]}, save_per=1.0)
        np.testing.assert_allclose(result.as_numpy("Temperature"), expected["Temperature"].T)
        np.testing.assert_allclose(result.as_numpy("time"), expected.time)
        everything = client.infer("cooling", [tau])  # no outputs named: every output, all binary
        assert everything.get_output("Temperature")["parameters"]["binary_data_size"] == 2 * 21 * 8
        np.testing.assert_allclose(everything.as_numpy("Loss"),
                                   solvers.load(path).run({"Tau": [3.0, 7.0]})["Loss"].T)
        config = client.get_model_config("cooling")
        assert config["name"] == "cooling" and config["input"][0]["data_type"] == "TYPE_FP64"
        stats = client.get_inference_statistics("cooling")["model_stats"][0]
        assert stats["name"] == "cooling" and stats["inference_count"] >= 2
        assert client.get_inference_statistics()["model_stats"]
    finally:
        client.close()


def test_a_client_that_disconnects_is_not_a_server_error(served: tuple[Served, Path]) -> None:
    server, _ = served
    body = json.dumps({"inputs": [{"name": "Tau", "shape": [1], "datatype": "FP64", "data": [2.0]}]}).encode()
    with socket.create_connection(("127.0.0.1", server.port)) as sock:  # leaves halfway through the body
        sock.sendall(f"POST /v2/models/cooling/infer HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     f"Content-Length: {len(body)}\r\n\r\n".encode() + body[:10])
    metrics = ""
    for _ in range(200):
        metrics = httpx.get(f"{server.url}/metrics").text
        if 'status="499"' in metrics:
            break
        time.sleep(0.05)
    assert 'status="499"} 1' in metrics  # the body never came: counted before routing, as 499
    assert 'status="500"' not in metrics


def test_the_extension_messages_match_tritons_field_numbers_and_types() -> None:
    from tritonclient.grpc import model_config_pb2, service_pb2

    from app.server.proto import triton_extensions_pb2 as ours

    theirs = {**service_pb2.DESCRIPTOR.message_types_by_name, **model_config_pb2.DESCRIPTOR.message_types_by_name}

    def check(mine, reference) -> None:  # noqa: ANN001
        fields = {f.name: f for f in reference.fields}
        for field in mine.fields:
            other = fields[field.name]
            assert (field.number, field.type, field.is_repeated) == (other.number, other.type, other.is_repeated), \
                f"{mine.full_name}.{field.name}"
        nested = {n.name: n for n in reference.nested_types}
        for inner in mine.nested_types:
            check(inner, nested[inner.name])

    for name, message in ours.DESCRIPTOR.message_types_by_name.items():
        check(message, theirs[name])


def test_the_generated_modules_are_those_protoc_makes_from_the_protos(tmp_path: Path) -> None:
    for written in generate(tmp_path):
        assert filecmp.cmp(written, HERE / written.name, shallow=False), f"run `make protos`: {written.name} differs"


def test_the_kserve_proto_is_kept_as_published() -> None:
    text = (HERE / "grpc_predict_v2.proto").read_text(encoding="utf-8")
    assert "package inference;" in text and "service GRPCInferenceService" in text
    assert "rpc ModelInfer(ModelInferRequest) returns (ModelInferResponse) {}" in text
    assert os.path.getsize(HERE / "grpc_predict_v2.proto") > 10_000

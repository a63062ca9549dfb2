"""Inference and liveness requests taken before routing (``app/server/fastpath.py``) get exactly the
answers, status codes, headers and counted routes that the routed way gives, errors and disconnects too."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import struct
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.server.app import create_app
from app.server.config import ModelConfig, ServerSettings
from tests.server_models import CountingRunner, cooling, infer_body, write_model

pytestmark = pytest.mark.anyio
SETTINGS = replace(ServerSettings(), model_defaults=replace(ModelConfig(), warmup=False), cache_bytes=0,
                   max_body_bytes=60_000)
TOKEN = "s3cret"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    write_model(tmp_path, "cooling", cooling(initial=100.0), "1", config={"limits": {"max_runs": 5000}})
    write_model(tmp_path, "cooling", cooling(initial=200.0), "2")
    write_model(tmp_path, "flat", cooling(initial=50.0), None)
    (tmp_path / "broken" / "1").mkdir(parents=True)
    (tmp_path / "broken" / "1" / "broken.salver").write_text("{ not json", encoding="utf-8")
    return tmp_path


@contextlib.asynccontextmanager
async def both_ways(repo: Path, runner: CountingRunner | None = None,
                    **options: Any) -> AsyncIterator[tuple[Any, Any, httpx.AsyncClient, httpx.AsyncClient]]:
    """Two servers over ``repo``: one spoken to as uvicorn does (early routes taken), one through its
    routed middleware stack only (the reference)."""
    early = create_app(repo, runner=runner or CountingRunner(), settings=SETTINGS, **options)
    routed = create_app(repo, runner=runner or CountingRunner(), settings=SETTINGS, **options)
    async with early.router.lifespan_context(early), routed.router.lifespan_context(routed):
        clients = [httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://salver")
                   for app in (early, reference(routed))]
        async with clients[0], clients[1]:
            yield early, routed, clients[0], clients[1]


def reference(app: Any) -> Any:
    """``app`` as Starlette calls it, without the early routes: its middleware stack over the router."""
    stack = app.build_middleware_stack()

    async def routed(scope: dict[str, Any], receive: Any, send: Any) -> None:
        scope["app"] = app
        await stack(scope, receive, send)

    return routed


def binary_request(values: list[float], **parameters: Any) -> tuple[bytes, dict[str, str]]:
    header = json.dumps({"inputs": [{"name": "Tau", "shape": [len(values)], "datatype": "FP64",
                                     "parameters": {"binary_data_size": 8 * len(values)}}],
                         "outputs": [{"name": "Temperature", "parameters": {"binary_data": True}}, {"name": "time"}],
                         "parameters": parameters}).encode()
    return header + struct.pack(f"<{len(values)}d", *values), {"Inference-Header-Content-Length": str(len(header))}


def requests() -> list[tuple[str, str, dict[str, str], bytes]]:
    """(method, path, headers, body): answers, every kind of client error, and paths routing must take."""
    def post(path: str, document: Any, **headers: str) -> tuple[str, str, dict[str, str], bytes]:
        content = document if isinstance(document, bytes) else json.dumps(document).encode()
        return "POST", path, headers, content

    binary, binary_headers = binary_request([2.0, 5.0])
    wrong_length = {"Inference-Header-Content-Length": "12x"}
    return [
        post("/v2/models/cooling/infer", infer_body({"Tau": [2.0, 4.0]}, ["Temperature"])),
        post("/v2/models/cooling/versions/2/infer", infer_body({"Ambient": [5.0]})),
        post("/v2/models/flat/infer", {"id": "r-1", **infer_body({}, ["time", "Loss"], stop=4.0, dt=0.25)}),
        post("/v2/models/cooling/infer", infer_body({"Tau": [1.0 + i for i in range(2000)]}, ["Temperature"])),
        ("POST", "/v2/models/cooling/infer", binary_headers, binary),
        ("POST", "/v2/models/cooling/infer", binary_request([1.0 + i for i in range(2000)])[1],
         binary_request([1.0 + i for i in range(2000)])[0]),
        post("/v2/models/nothing/infer", infer_body({})),
        post("/v2/models/cooling/versions/9/infer", infer_body({})),
        post("/v2/models/broken/infer", infer_body({})),
        post("/v2/models/cooling/infer", b"{ not json"),
        post("/v2/models/cooling/infer", [1, 2]),
        post("/v2/models/cooling/infer", infer_body({"Nope": [1.0]})),
        post("/v2/models/cooling/infer", {"inputs": [{"name": "Tau", "shape": [1], "datatype": "FP32", "data": [1]}]}),
        post("/v2/models/cooling/infer", infer_body({"Tau": [1.0]}, ["Nope"])),
        post("/v2/models/cooling/infer", infer_body({}, stop=1e308, dt=1e-300)),
        post("/v2/models/cooling/infer", infer_body({}, colour="red")),
        post("/v2/models/cooling/infer", infer_body({"Tau": [1.0]}), **wrong_length),
        post("/v2/models/cooling/infer", infer_body({"Tau": [1.0] * 8000})),  # over the body limit: 413
        ("GET", "/v2/models/cooling/infer", {}, b""),  # 405: routing decides
        post("/v2/models/cooling/infer/", infer_body({})),  # not the route: routing answers
        ("GET", "/v2/health/live", {}, b""),
        ("HEAD", "/v2/health/live", {}, b""),
        ("GET", "/v2/health/ready", {}, b""),
    ]


async def test_early_answers_are_the_routed_answers_byte_for_byte(repo: Path) -> None:
    async with both_ways(repo) as (early, routed, early_client, routed_client):
        for method, path, headers, content in requests():
            answers = [await client.request(method, path, headers=headers, content=content)
                       for client in (early_client, routed_client)]
            first, second = answers
            assert first.status_code == second.status_code, (method, path, first.text[:300])
            assert first.headers.multi_items() == second.headers.multi_items(), (method, path)
            assert first.content == second.content, (method, path, first.text[:300], second.text[:300])
            assert first.status_code < 500, (method, path, first.text[:300])
        assert early.middleware_stack is not None  # the requests that are not early ones were routed
        assert early.state.service.metrics.http._values == routed.state.service.metrics.http._values


async def test_inference_and_liveness_never_reach_the_router(repo: Path) -> None:
    async with both_ways(repo) as (early, _, client, _):
        answers = [await client.post("/v2/models/cooling/infer", json=infer_body({"Tau": [3.0]})),
                   await client.post("/v2/models/cooling/versions/1/infer", json=infer_body({"Tau": [3.0]})),
                   await client.post("/v2/models/nothing/infer", json=infer_body({})),
                   await client.post("/v2/models/cooling/infer", content=b"[]"),
                   await client.get("/v2/health/live")]
        assert [a.status_code for a in answers] == [200, 200, 404, 400, 200]
        assert early.middleware_stack is None  # built on the first routed request only
        counted = early.state.service.metrics.http._values
        assert counted[("POST", "/v2/models/{model_name}/infer", "200")] == 1
        assert counted[("POST", "/v2/models/{model_name}/versions/{model_version}/infer", "200")] == 1
        assert counted[("POST", "/v2/models/{model_name}/infer", "400")] == 1
        assert counted[("GET", "/v2/health/live", "200")] == 1


async def test_asynchronous_runs_and_the_bearer_token_are_the_same_early(repo: Path) -> None:
    async with both_ways(repo, token=TOKEN) as (_, _, early_client, routed_client):
        for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": f"Bearer {TOKEN}"}):
            body = infer_body({"Tau": [2.0]}, ["Temperature"], **{"async": True})
            first, second = [await client.post("/v2/models/cooling/infer", json=body, headers=headers)
                             for client in (early_client, routed_client)]
            assert first.status_code == second.status_code
            same_id = re.compile(rb'"id":"[^"]*"')
            assert same_id.sub(b"", first.content) == same_id.sub(b"", second.content)
            assert first.headers.keys() == second.headers.keys()
        assert first.status_code == 202 and first.headers["location"].startswith("/v2/runs/")
        live = [await client.get("/v2/health/live") for client in (early_client, routed_client)]
        assert [a.status_code for a in live] == [200, 200]


async def _leave_during_the_run(app: Any, runner: CountingRunner) -> list[dict[str, Any]]:
    """An inference whose client disconnects once its run has started: the messages the app sent."""
    content = json.dumps(infer_body({"Tau": [2.0]})).encode()
    scope = {"type": "http", "asgi": {"version": "3.0", "spec_version": "2.3"}, "http_version": "1.1",
             "method": "POST", "scheme": "http", "path": "/v2/models/cooling/infer", "raw_path": b"",
             "query_string": b"", "root_path": "", "headers": [(b"content-length", str(len(content)).encode())],
             "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80)}
    messages: list[dict[str, Any]] = []
    delivered = False

    async def receive() -> dict[str, Any]:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": content, "more_body": False}
        await asyncio.to_thread(runner.wait_for_batches, len(runner.batches) + 1)
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)

    await app(scope, receive, send)
    return messages


async def test_a_client_leaving_mid_run_is_counted_as_gone_on_both_ways(repo: Path) -> None:
    runner = CountingRunner()
    runner.hold()
    async with both_ways(repo, runner=runner) as (early, routed, _, _):
        try:
            sent = [await _leave_during_the_run(app, runner) for app in (early, reference(routed))]
        finally:
            runner.release()
        assert sent[0] == sent[1] and sent[0][0]["status"] == 499
        for app in (early, routed):
            metrics = app.state.service.metrics
            assert metrics.http._values == {("POST", "/v2/models/{model_name}/infer", "499"): 1}
            assert metrics.cancelled._values == {("cooling", "2"): 1}  # the highest version

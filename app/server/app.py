"""The HTTP application: KServe v2 routes with Triton's binary tensor, repository, model configuration
and statistics extensions, validation, async runs, metrics."""

from __future__ import annotations

import asyncio
import contextlib
import importlib.metadata
import inspect
import itertools
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException
from starlette.types import Receive, Scope, Send

from app.server import encoding
from app.server.config import ServerSettings
from app.server.fastpath import Server, body, header
from app.server.guards import BearerAuth, BodyLimit, JsonBodies
from app.server.logs import AccessLog
from app.server.metrics import CONTENT_TYPE
from app.server.modelconfig import model_config
from app.server.protocol import InferRequest, InferResponse, ProtocolError, model_metadata, parse_request, split_body
from app.server.repository import NotFound, Unavailable
from app.server.runs import AsyncRun, RunFailure
from app.server.service import Describe, InferenceService, Runner
from metamodel.errors import SalverError

log = logging.getLogger("salver.server")
EXTENSIONS = ["binary_tensor_data", "model_repository", "model_configuration", "statistics",
              "salver_validate", "salver_async_runs", "salver_metrics"]
HEADER_LENGTH = "inference-header-content-length"
CLIENT_GONE = 499  # the status logged and counted for a request whose client went away


@dataclass(frozen=True)
class Target:
    """The model (and version, if the path names one) a request is about."""

    name: str
    version: str | None


class ErrorBody(BaseModel):
    """Every error: a message saying what is wrong (and, for readiness, the model and ``ready: false``)."""

    error: str


ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": text} for status, text in (
        (400, "Bad request: the request does not fit the protocol, the model or its limits, or the model "
              "cannot be loaded"),
        (401, "Missing or wrong bearer token"), (404, "Unknown model, version, run or endpoint"),
        (413, "Request body too large"), (429, "The model's queue is full; retry later"),
        (503, "The server is shutting down"))}


def _add_model_route(app: FastAPI, method: str, suffix: str, handler: Callable[..., Awaitable[Any]],
                     **options: Any) -> None:
    """Route ``handler(target, ...)`` at ``/v2/models/{m}<suffix>`` and ``/v2/models/{m}/versions/{v}<suffix>``.
    The path parameters are the endpoint's own (a dependency would cost FastAPI a second solve per request)."""
    signature = inspect.signature(handler)
    options.setdefault("responses", ERRORS)
    others = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in signature.parameters.values()
              if p.name != "target"]
    for path, names, tag in ((f"/v2/models/{{model_name}}{suffix}", ("model_name",), ""),
                             (f"/v2/models/{{model_name}}/versions/{{model_version}}{suffix}",
                              ("model_name", "model_version"), "_version")):
        parameters = [inspect.Parameter(n, inspect.Parameter.KEYWORD_ONLY, annotation=str) for n in names] + others

        async def endpoint(*, model_name: str, model_version: str | None = None, **kwargs: Any) -> Any:
            return await handler(target=Target(model_name, model_version), **kwargs)

        endpoint.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
        endpoint.__annotations__ = dict(handler.__annotations__)
        app.add_api_route(path, endpoint, methods=[method], name=f"{handler.__name__}{tag}", **options)


def _error(status: int, message: str, headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": message, **extra}, status_code=status, headers=headers)


def _validation_message(exc: Exception) -> str:
    parts = []
    for error in exc.errors()[:10]:  # type: ignore[attr-defined]
        where = ".".join(str(p) for p in error.get("loc", ()) if p != "body")
        parts.append(f"{where}: {error.get('msg')}" if where else str(error.get("msg")))
    return "invalid request body: " + "; ".join(parts)


def _install_error_handlers(app: FastAPI) -> None:
    from fastapi.exceptions import RequestValidationError

    async def not_found(_: Request, exc: Exception) -> JSONResponse:
        return _error(404, str(exc))

    async def bad_request(_: Request, exc: Exception) -> JSONResponse:
        return _error(400, str(exc))

    async def run_failure(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RunFailure)
        return _error(exc.status_code, str(exc), exc.headers)

    async def invalid(_: Request, exc: Exception) -> JSONResponse:
        return _error(400, _validation_message(exc))

    async def http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, HTTPException)
        message = exc.detail if exc.status_code != 404 else f"no such endpoint: {request.method} {request.url.path}"
        return JSONResponse({"error": message}, status_code=exc.status_code, headers=exc.headers)

    async def internal(request: Request, exc: Exception) -> JSONResponse:
        log.error("internal error", exc_info=exc, extra={"path": request.url.path})
        return _error(500, f"internal error: {type(exc).__name__}")

    app.add_exception_handler(NotFound, not_found)
    app.add_exception_handler(Unavailable, bad_request)
    app.add_exception_handler(ProtocolError, bad_request)
    app.add_exception_handler(RunFailure, run_failure)
    app.add_exception_handler(RequestValidationError, invalid)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(Exception, internal)


def _openapi(app: FastAPI) -> Callable[[], dict[str, Any]]:
    """The OpenAPI document as the server answers: 400 (not FastAPI's 422) for invalid input, the infer
    body documented though the route parses it itself (JSON or binary)."""
    def build() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            for model in (InferRequest, InferResponse):
                document = model.model_json_schema(ref_template="#/components/schemas/{model}")
                components.update(document.pop("$defs", {}))
                components[model.__name__] = document
            for path in schema.get("paths", {}).values():
                for operation in path.values():
                    operation.get("responses", {}).pop("422", None)
            for name in ("HTTPValidationError", "ValidationError"):
                components.pop(name, None)
            app.openapi_schema = schema
        return app.openapi_schema

    return build


class IndexRequest(BaseModel):
    """Triton's repository index request: ``ready`` lists only loaded versions."""

    ready: bool = False


class VerifyRequest(BaseModel):
    """Parameter values for the run that requirements are checked against (one run)."""

    parameters: dict[str, float] | None = None


class RepositoryRequest(BaseModel):
    """Triton's load/unload request body (its parameters are accepted and not used)."""

    parameters: dict[str, Any] | None = None


def create_app(repo_path: str | Path, *, token: str | None = None, settings: ServerSettings | None = None,
               runner: Runner | None = None, describe_model: Describe | None = None,
               grpc_port: int | None = None, grpc_host: str = "127.0.0.1") -> Server:
    """The serving application for the model repository at ``repo_path``.

    ``token``: bearer token required on every endpoint but health (HTTP and gRPC). ``runner`` and
    ``describe_model`` replace the worker processes and the engine's compiler (tests). ``grpc_port``
    also serves the KServe v2 gRPC service there while the application runs (0: any free port, then
    read ``app.state.grpc_port``).
    """
    root = Path(repo_path)
    if not root.is_dir():
        raise ValueError(f"model repository {root} is not a folder")
    settings = settings or ServerSettings()
    service = InferenceService(str(root), settings, runner=runner, describe_model=describe_model)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async def sweep() -> None:
            period = max(0.05, min(30.0, settings.idle_unload_s / 4))
            while True:
                await asyncio.sleep(period)
                await service.sweep_idle()

        async def poll() -> None:
            while True:
                await asyncio.sleep(settings.poll_s)
                await service.repository.poll()

        grpc_server = None
        if grpc_port is not None:
            from app.server.grpc_service import start_grpc

            grpc_server, app.state.grpc_port = await start_grpc(service, app.version, grpc_host, grpc_port, token,
                                                                lambda: bool(app.state.ready))
        await service.repository.start()
        loop = asyncio.get_running_loop()
        tasks = [loop.create_task(sweep())]
        if settings.control_mode == "poll":
            tasks.append(loop.create_task(poll()))
        app.state.ready = True
        log.info("serving", extra={"repository": str(root), "models": service.repository.models(),
                                   "mode": settings.control_mode})
        try:
            yield
        finally:
            app.state.ready = False
            for task in tasks:
                task.cancel()
            if grpc_server is not None:
                await grpc_server.stop(grace=10)
            await service.close()
            log.info("stopped")

    app = Server(title="Salver model server", version=importlib.metadata.version("salver"),
                  description="Salver models over the KServe v2 inference protocol.", lifespan=lifespan)
    app.state.service = service
    app.state.ready = False
    app.openapi = _openapi(app)  # type: ignore[method-assign]
    _install_error_handlers(app)
    _add_routes(app, service)
    app.add_middleware(JsonBodies)
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    if token:
        app.add_middleware(BearerAuth, token=token)
    app.add_middleware(AccessLog, counter=service.metrics.http)
    return app


async def _until_disconnect(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


async def _unless_client_leaves(receive: Receive, work: Awaitable[Any]) -> Any:
    """``await work``, cancelled (and None returned) when the client disconnects first."""
    task = asyncio.ensure_future(work)
    watcher = asyncio.ensure_future(_until_disconnect(receive))
    watcher.add_done_callback(lambda _: task.cancel())
    try:
        return await task
    except asyncio.CancelledError:
        current = asyncio.current_task()
        if watcher.done() and not watcher.cancelled() and current is not None and not current.cancelling():
            return None  # the client left (a cancellation of this request's own task goes on)
        raise
    finally:
        watcher.cancel()


def answer_response(answer: Any) -> Response:
    """The HTTP response of an Answer: JSON, or Triton's binary form when outputs ask for it; large
    bodies are produced in a thread and streamed."""
    if answer.binary:
        header, raw = encoding.binary_parts(answer)
        headers = {"Inference-Header-Content-Length": str(len(header)),
                   "Content-Length": str(len(header) + sum(a.nbytes for a in raw))}
        if answer.values <= encoding.INLINE_VALUES:
            return Response(b"".join([header, *(a.tobytes() for a in raw)]), media_type="application/octet-stream",
                            headers={"Inference-Header-Content-Length": headers["Inference-Header-Content-Length"]})
        chunks = (memoryview(a).cast("B")[i:i + (1 << 22)] for a in raw for i in range(0, a.nbytes, 1 << 22))
        return StreamingResponse(itertools.chain([header], chunks), media_type="application/octet-stream",
                                 headers=headers)
    if answer.values <= encoding.INLINE_VALUES:
        return Response(encoding.json_body(answer), media_type="application/json")
    return StreamingResponse(encoding.json_parts(answer), media_type="application/json")


def _add_routes(app: Server, service: InferenceService) -> None:
    repository = service.repository

    @app.get("/v2", responses=ERRORS)
    async def server_metadata() -> dict[str, Any]:
        """KServe v2 server metadata."""
        return {"name": "salver", "version": app.version, "extensions": EXTENSIONS}

    @app.get("/v2/health/live", responses=ERRORS)
    async def live() -> dict[str, bool]:
        """The server process answers."""
        return {"live": True}

    async def early_live(scope: Scope, receive: Receive, send: Send) -> None:
        await JSONResponse(await live())(scope, receive, send)

    @app.get("/v2/health/ready", responses={**ERRORS, 400: {"description": "Not ready (starting or stopping)"}})
    async def ready() -> JSONResponse:
        """The server takes inference requests (400 while starting or stopping)."""
        is_ready = bool(app.state.ready)
        return JSONResponse({"ready": is_ready}, status_code=200 if is_ready else 400)

    async def metadata(target: Target) -> dict[str, Any]:
        """KServe v2 model metadata: parameters as inputs, variables and time as outputs."""
        loaded = await repository.acquire(target.name, target.version)
        repository.release(loaded)
        versions = [target.version] if target.version else repository.served_versions(target.name)
        return model_metadata(target.name, versions, loaded.info)

    async def model_ready(target: Target) -> JSONResponse:
        """200 when the version can serve (in lazy mode it is loaded if needed), 400 with the reason when not."""
        try:
            loaded = await repository.acquire(target.name, target.version)
        except Unavailable as exc:
            return _error(400, str(exc), name=target.name, ready=False)
        repository.release(loaded)
        return JSONResponse({"name": target.name, "version": loaded.version, "ready": True})

    async def config(target: Target) -> dict[str, Any]:
        """Triton's model configuration extension: the model as Triton's ModelConfig JSON describes it."""
        loaded = await repository.acquire(target.name, target.version)
        repository.release(loaded)
        return model_config(loaded, service.settings.workers)

    async def stats(target: Target) -> dict[str, Any]:
        """Triton's statistics extension for one model (every version, or the one named)."""
        versions = [target.version] if target.version else repository.served_versions(target.name)
        for version in versions:
            repository.resolve(target.name, version)
        return {"model_stats": service.stats.report([(target.name, v) for v in versions])}

    async def respond(target: Target, content: bytes, header_length: str | None, receive: Receive) -> Response:
        document, binary = split_body(content, header_length)
        parsed = parse_request(document, binary)
        answer = await _unless_client_leaves(receive, service.infer(target.name, target.version, parsed))
        if answer is None:
            return Response(status_code=CLIENT_GONE)
        if isinstance(answer, AsyncRun):
            return JSONResponse(answer.head(), status_code=202, headers={"Location": f"/v2/runs/{answer.id}"})
        return answer_response(answer)

    async def infer(target: Target, request: Request) -> Response:
        """Run the model: inputs are parameter values per run, outputs the variables' time series.
        Triton's binary tensor extension: ``Inference-Header-Content-Length`` gives the JSON header's
        length, binary inputs carry ``binary_data_size``, outputs ask ``binary_data``."""
        return await respond(target, await request.body(), request.headers.get(HEADER_LENGTH), request.receive)

    async def early_infer(scope: Scope, receive: Receive, send: Send) -> None:
        """``infer`` as an ASGI endpoint (``fastpath``)."""
        content = await body(receive)
        if content is None:
            return
        params = scope["path_params"]
        response = await respond(Target(params["model_name"], params.get("model_version")), content,
                                header(scope, HEADER_LENGTH.encode()), receive)
        await response(scope, receive, send)

    async def validate(target: Target) -> dict[str, Any]:
        """Validation diagnostics of the model file (it need not compile)."""
        version = repository.resolve(target.name, target.version)
        path = repository.model_file(target.name, version)
        try:
            diagnostics = await asyncio.get_running_loop().run_in_executor(None, _diagnostics, str(path))
        except SalverError as exc:
            raise Unavailable(f"cannot read {path.name}: {exc}") from exc
        errors = sum(1 for d in diagnostics if d["severity"] == "error")
        return {"name": target.name, "version": version, "valid": errors == 0, "errors": errors,
                "diagnostics": diagnostics}

    async def verify(target: Target, body: VerifyRequest | None = None) -> dict[str, Any]:
        """Run the model with the given parameter values and check each requirement against the run."""
        version = repository.resolve(target.name, target.version)
        path = repository.model_file(target.name, version)
        parameters = (body.parameters if body is not None else None) or {}
        try:
            verdicts = await asyncio.get_running_loop().run_in_executor(None, _verdicts, str(path), parameters)
        except SalverError as exc:
            raise Unavailable(f"cannot verify {path.name}: {exc}") from exc
        return {"name": target.name, "version": version, "requirements": verdicts}

    infer_doc = {"requestBody": {"required": True, "content": {
        "application/json": {"schema": {"$ref": "#/components/schemas/InferRequest"}},
        "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}}}
    infer_responses = {**ERRORS, 200: {"model": InferResponse, "description": "The outputs (JSON, or Triton's "
                                       "binary form: a JSON header then raw tensors)",
                                       "content": {"application/octet-stream": {}}},
                       202: {"description": "An asynchronous run started; poll its Location"}}
    @app.get("/v2/models/stats", responses=ERRORS)
    async def all_stats() -> dict[str, Any]:
        """Triton's statistics extension for every loaded model version."""
        loaded = [(v.name, v.version) for v in repository.loaded_versions()]
        return {"model_stats": service.stats.report(loaded)}  # routed before /v2/models/{m}, which would take it

    _add_model_route(app, "GET", "", metadata)
    _add_model_route(app, "GET", "/ready", model_ready, responses={
        **ERRORS, 400: {"description": "Not ready: the reason, the model and ready: false"}})
    _add_model_route(app, "GET", "/config", config)
    _add_model_route(app, "GET", "/stats", stats)
    _add_model_route(app, "POST", "/infer", infer, openapi_extra=infer_doc, responses=infer_responses,
                     response_model=None)
    _add_model_route(app, "POST", "/validate", validate)
    _add_model_route(app, "POST", "/verify", verify)
    app.router.routes.sort(key=lambda route: getattr(route, "name", "") not in ("infer", "infer_version"))
    # inference first: each request is matched against the routes in order, and nearly all are inferences
    app.take_early({"infer": early_infer, "infer_version": early_infer, "live": early_live})

    def _run(run_id: str) -> AsyncRun:
        run = service.runs.get(run_id)
        if run is None:
            raise NotFound(f"unknown run '{run_id}' (finished runs are kept for a while, then forgotten)")
        return run

    @app.get("/v2/runs/{run_id}", responses={**ERRORS, 202: {"description": "Still running"}})
    async def run_status(run_id: str) -> Response:
        """An asynchronous run: 202 while running, 200 with its result, error or cancellation when done."""
        run = _run(run_id)
        status = 202 if run.status == "running" else 200
        if run.result is None or run.result.values <= encoding.INLINE_VALUES:
            return Response(b"".join(encoding.run_parts(run)), status_code=status, media_type="application/json")
        return StreamingResponse(encoding.run_parts(run), status_code=status, media_type="application/json")

    @app.delete("/v2/runs/{run_id}", responses=ERRORS)
    async def cancel_run(run_id: str) -> dict[str, Any]:
        """Cancel a running asynchronous run (its simulation stops unless other requests share it), or
        forget a finished one and free its result."""
        run = await service.runs.cancel(_run(run_id).id)
        assert run is not None
        return run.head()

    @app.post("/v2/repository/index", responses=ERRORS)
    async def repository_index(body: IndexRequest | None = None) -> list[dict[str, str]]:
        """Triton's repository index: every version with its state (READY, LOADING, UNAVAILABLE) and reason."""
        rows = await repository.index()
        return [r for r in rows if r["state"] == "READY"] if body and body.ready else rows

    @app.post("/v2/repository/models/{model_name}/load", responses=ERRORS)
    async def load_model(model_name: str, body: RepositoryRequest | None = None) -> dict[str, Any]:
        """Load every version of a model now, from its files as they are (lazy and explicit modes)."""
        return {"name": model_name, "versions": await repository.load(model_name)}

    @app.post("/v2/repository/models/{model_name}/unload", responses=ERRORS)
    async def unload_model(model_name: str, body: RepositoryRequest | None = None) -> dict[str, Any]:
        """Unload a model; requests in flight finish. In lazy mode a later request loads it again; in
        explicit mode it stays unloaded until loaded."""
        repository.unload(model_name)
        return {"name": model_name}

    @app.get("/metrics", responses=ERRORS, response_class=PlainTextResponse)
    async def metrics() -> Response:
        """Prometheus metrics."""
        return Response(service.metrics.render(), media_type=CONTENT_TYPE)


def _verdicts(path: str, parameters: dict[str, float]) -> list[dict[str, object]]:
    import solvers
    from solvers.verify import verify

    compiled = solvers.load(path)
    return [v.to_json() for v in verify(compiled, compiled.run(params=parameters))]


def _diagnostics(path: str) -> list[dict[str, object]]:
    import importers
    from metamodel.validation import validate

    model, report = importers.load(path)
    return [d.to_json() for d in report.diagnostics() + validate(model)]

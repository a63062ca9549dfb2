"""The HTTP application: KServe v2 routes, Triton's repository extension, validation, async runs, metrics."""

from __future__ import annotations

import asyncio
import contextlib
import importlib.metadata
import inspect
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from starlette.exceptions import HTTPException

from app.server.config import ServerSettings
from app.server.guards import BearerAuth, BodyLimit, JsonBodies
from app.server.logs import AccessLog
from app.server.metrics import CONTENT_TYPE
from app.server.protocol import InferRequest, ProtocolError, model_metadata
from app.server.repository import Describe, NotFound, Unavailable
from app.server.runs import AsyncRun, RunFailure
from app.server.service import InferenceService, Runner
from metamodel.errors import SalverError

log = logging.getLogger("salver.server")
EXTENSIONS = ["model_repository", "salver_validate", "salver_async_runs", "salver_metrics"]


@dataclass(frozen=True)
class Target:
    """The model (and version, if the path names one) a request is about."""

    name: str
    version: str | None


def _latest(model_name: str) -> Target:
    return Target(model_name, None)


def _versioned(model_name: str, model_version: str) -> Target:
    return Target(model_name, model_version)


def _add_model_route(app: FastAPI, method: str, suffix: str, handler: Callable[..., Awaitable[Any]],
                     **options: Any) -> None:
    """Route ``handler(target, ...)`` at ``/v2/models/{m}<suffix>`` and ``/v2/models/{m}/versions/{v}<suffix>``."""
    signature = inspect.signature(handler)
    for path, pick, tag in ((f"/v2/models/{{model_name}}{suffix}", _latest, ""),
                            (f"/v2/models/{{model_name}}/versions/{{model_version}}{suffix}", _versioned,
                             "_version")):
        parameters = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY,
                                default=Depends(pick) if p.name == "target" else p.default)
                      for p in signature.parameters.values()]

        async def endpoint(handler: Callable[..., Awaitable[Any]] = handler, **kwargs: Any) -> Any:
            return await handler(**kwargs)

        endpoint.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
        endpoint.__annotations__ = dict(handler.__annotations__)
        app.add_api_route(path, endpoint, methods=[method], name=f"{handler.__name__}{tag}", **options)


def _error(status: int, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": message, **extra}, status_code=status)


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for error in exc.errors()[:10]:
        where = ".".join(str(p) for p in error.get("loc", ()) if p != "body")
        parts.append(f"{where}: {error.get('msg')}" if where else str(error.get("msg")))
    return "invalid request body: " + "; ".join(parts)


def _install_error_handlers(app: FastAPI) -> None:
    async def not_found(_: Request, exc: Exception) -> JSONResponse:
        return _error(404, str(exc))

    async def bad_request(_: Request, exc: Exception) -> JSONResponse:
        return _error(400, str(exc))

    async def run_failure(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RunFailure)
        return _error(exc.status_code, str(exc))

    async def invalid(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        if "inference-header-content-length" in request.headers:
            return _error(400, "the binary tensor data extension is not supported; send JSON tensors")
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
               runner: Runner | None = None, describe_model: Describe | None = None) -> FastAPI:
    """The serving application for the model repository at ``repo_path``.

    ``token``: bearer token required on every endpoint but health. ``runner`` and ``describe_model``
    replace the worker processes and the engine's compiler (tests); by default runs go to worker
    processes that stop a run at its time limit.
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

        sweeper = asyncio.get_running_loop().create_task(sweep())
        app.state.ready = True
        log.info("serving", extra={"repository": str(root), "models": service.repository.models()})
        try:
            yield
        finally:
            app.state.ready = False
            sweeper.cancel()
            await service.close()
            log.info("stopped")

    app = FastAPI(title="Salver model server", version=importlib.metadata.version("salver"),
                  description="Salver models over the KServe v2 inference protocol.", lifespan=lifespan)
    app.state.service = service
    app.state.ready = False
    _install_error_handlers(app)
    _add_routes(app, service)
    app.add_middleware(JsonBodies)
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    if token:
        app.add_middleware(BearerAuth, token=token)
    app.add_middleware(AccessLog, counter=service.metrics.http)
    return app


def _add_routes(app: FastAPI, service: InferenceService) -> None:
    repository = service.repository

    @app.get("/v2")
    async def server_metadata() -> dict[str, Any]:
        """KServe v2 server metadata."""
        return {"name": "salver", "version": app.version, "extensions": EXTENSIONS}

    @app.get("/v2/health/live")
    async def live() -> dict[str, bool]:
        """The server process answers."""
        return {"live": True}

    @app.get("/v2/health/ready")
    async def ready() -> JSONResponse:
        """The server takes inference requests (400 while starting or stopping)."""
        is_ready = bool(app.state.ready)
        return JSONResponse({"ready": is_ready}, status_code=200 if is_ready else 400)

    async def metadata(target: Target) -> dict[str, Any]:
        """KServe v2 model metadata: parameters as inputs, variables and time as outputs."""
        loaded = await repository.acquire(target.name, target.version)
        repository.release(loaded)
        versions = [target.version] if target.version else repository.versions(target.name)
        return model_metadata(target.name, versions, loaded.info)

    async def model_ready(target: Target) -> JSONResponse:
        """200 when the version can serve (it is loaded if needed), 400 with the reason when it cannot."""
        try:
            loaded = await repository.acquire(target.name, target.version)
        except Unavailable as exc:
            return _error(400, str(exc), name=target.name, ready=False)
        repository.release(loaded)
        return JSONResponse({"name": target.name, "version": loaded.version, "ready": True})

    async def infer(target: Target, body: InferRequest) -> JSONResponse:
        """Run the model: inputs are parameter values per run, outputs the variables' time series."""
        answer = await service.infer(target.name, target.version, body)
        if isinstance(answer, AsyncRun):
            return JSONResponse(answer.to_json(), status_code=202, headers={"Location": f"/v2/runs/{answer.id}"})
        return JSONResponse(answer)

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

    _add_model_route(app, "GET", "", metadata)
    _add_model_route(app, "GET", "/ready", model_ready)
    _add_model_route(app, "POST", "/infer", infer)
    _add_model_route(app, "POST", "/validate", validate)
    _add_model_route(app, "POST", "/verify", verify)

    @app.get("/v2/runs/{run_id}")
    async def run_status(run_id: str) -> JSONResponse:
        """An asynchronous run: 202 while running, 200 with its result or error when done."""
        run = service.runs.get(run_id)
        if run is None:
            raise NotFound(f"unknown run '{run_id}' (finished runs are kept for a while, then forgotten)")
        return JSONResponse(run.to_json(), status_code=202 if run.status == "running" else 200)

    @app.post("/v2/repository/index")
    async def repository_index(body: IndexRequest | None = None) -> list[dict[str, str]]:
        """Triton's repository index: every version with its state (READY or UNAVAILABLE) and reason."""
        rows = repository.index()
        return [r for r in rows if r["state"] == "READY"] if body and body.ready else rows

    @app.post("/v2/repository/models/{model_name}/load")
    async def load_model(model_name: str, body: RepositoryRequest | None = None) -> dict[str, Any]:
        """Load every version of a model now."""
        return {"name": model_name, "versions": await repository.load(model_name)}

    @app.post("/v2/repository/models/{model_name}/unload")
    async def unload_model(model_name: str, body: RepositoryRequest | None = None) -> dict[str, Any]:
        """Unload a model; requests in flight finish, and a later request loads it again."""
        repository.unload(model_name)
        return {"name": model_name}

    @app.get("/metrics")
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

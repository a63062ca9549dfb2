"""The KServe v2 gRPC service (``inference.GRPCInferenceService``) with Triton's model repository,
configuration and statistics methods, on the HTTP server's event loop and inference service.

Tensors travel as ``raw_input_contents`` / ``raw_output_contents`` (little-endian FP64) or as
``fp64_contents``; run options as request parameters (Triton's clients send numbers as its
``double_param``, read here from the fields the KServe message does not name).
"""

from __future__ import annotations

import struct
from collections.abc import Awaitable, Callable
from typing import Any

import grpc
import numpy as np
from google.protobuf import json_format, unknown_fields

from app.server.modelconfig import model_config
from app.server.proto import grpc_predict_v2_pb2 as pb
from app.server.proto import triton_extensions_pb2 as ext
from app.server.protocol import DATATYPE, Input, Output, Parsed, ProtocolError, check_values, model_metadata
from app.server.repository import NotFound, Unavailable
from app.server.runs import AsyncRun, RunFailure
from app.server.service import InferenceService

SERVICE = "inference.GRPCInferenceService"
_STATUS = {400: grpc.StatusCode.INVALID_ARGUMENT, 404: grpc.StatusCode.NOT_FOUND,
           429: grpc.StatusCode.RESOURCE_EXHAUSTED, 503: grpc.StatusCode.UNAVAILABLE,
           500: grpc.StatusCode.INTERNAL}
MAX_MESSAGE_BYTES = 256 * 1024 * 1024


def parameter_value(parameter: Any) -> Any:
    """The value of an InferParameter: its KServe fields, or Triton's double (4) and uint64 (5)."""
    choice = parameter.WhichOneof("parameter_choice")
    if choice is not None:
        return getattr(parameter, choice)
    for field in unknown_fields.UnknownFieldSet(parameter):
        if field.field_number == 4 and field.wire_type == 1:
            return struct.unpack("<d", struct.pack("<Q", field.data))[0]
        if field.field_number == 5 and field.wire_type == 0:
            return int(field.data)
    raise ProtocolError("a parameter has no value (expected a bool, int64, string or double)")


def _parameter(value: Any) -> Any:
    if isinstance(value, bool):
        return pb.InferParameter(bool_param=value)
    if isinstance(value, int):
        return pb.InferParameter(int64_param=value)
    return pb.InferParameter(string_param=str(value))


def parse_infer(request: Any) -> Parsed:
    """A ModelInferRequest in protocol terms (inputs checked as the HTTP ones are)."""
    raw = list(request.raw_input_contents)
    if raw and len(raw) != len(request.inputs):
        raise ProtocolError(f"raw_input_contents holds {len(raw)} tensors for {len(request.inputs)} inputs")
    inputs = []
    for index, tensor in enumerate(request.inputs):
        if tensor.datatype != DATATYPE:
            raise ProtocolError(f"input '{tensor.name}': datatype must be {DATATYPE}, got '{tensor.datatype}'")
        shape = list(tensor.shape)
        if len(shape) != 1 or not 1 <= shape[0] <= 2**31:
            raise ProtocolError(f"input '{tensor.name}': shape must be [n] with n >= 1 runs, got {shape}")
        if raw:
            if len(raw[index]) % 8:
                raise ProtocolError(f"input '{tensor.name}': {len(raw[index])} raw bytes are not FP64 values")
            values = np.frombuffer(raw[index], dtype="<f8").astype(float)
        else:
            values = np.asarray(tensor.contents.fp64_contents, dtype=float)
        inputs.append(Input(tensor.name, check_values(tensor.name, values, shape)))
    outputs = [Output(o.name) for o in request.outputs] if len(request.outputs) else None
    parameters = {key: parameter_value(value) for key, value in request.parameters.items()}
    return Parsed(request.id or None, parameters, inputs, outputs)


def infer_response(answer: Any) -> Any:
    """The ModelInferResponse of an Answer: every output as raw FP64 contents, in order."""
    response = pb.ModelInferResponse(model_name=answer.name, model_version=answer.version, id=answer.id or "")
    for key, value in answer.parameters.items():
        response.parameters[key].CopyFrom(_parameter(value))
    for name, shape, values in answer.tensors():
        response.outputs.add(name=name, datatype=DATATYPE, shape=shape)
        response.raw_output_contents.append(np.ascontiguousarray(values, dtype="<f8").tobytes())
    return response


class Servicer:
    """The service's methods; errors become gRPC status codes with the HTTP answers' messages."""

    def __init__(self, service: InferenceService, version: str, ready: Callable[[], bool]) -> None:
        self.service = service
        self.version = version
        self.ready = ready

    async def ServerLive(self, request: Any, context: Any) -> Any:  # noqa: N802 (gRPC method names)
        return pb.ServerLiveResponse(live=True)

    async def ServerReady(self, request: Any, context: Any) -> Any:  # noqa: N802
        return pb.ServerReadyResponse(ready=self.ready())

    async def ServerMetadata(self, request: Any, context: Any) -> Any:  # noqa: N802
        from app.server.app import EXTENSIONS

        return pb.ServerMetadataResponse(name="salver", version=self.version, extensions=EXTENSIONS)

    async def ModelReady(self, request: Any, context: Any) -> Any:  # noqa: N802
        try:
            loaded = await self.service.repository.acquire(request.name, request.version or None)
        except (Unavailable, NotFound):
            return pb.ModelReadyResponse(ready=False)
        self.service.repository.release(loaded)
        return pb.ModelReadyResponse(ready=True)

    async def ModelMetadata(self, request: Any, context: Any) -> Any:  # noqa: N802
        repository = self.service.repository
        loaded = await repository.acquire(request.name, request.version or None)
        repository.release(loaded)
        versions = [request.version] if request.version else repository.served_versions(request.name)
        document = model_metadata(request.name, versions, loaded.info)
        for tensor in document["inputs"] + document["outputs"]:
            tensor.pop("parameters", None)
        return json_format.ParseDict(document, pb.ModelMetadataResponse())

    async def ModelInfer(self, request: Any, context: Any) -> Any:  # noqa: N802
        parsed = parse_infer(request)
        answer = await self.service.infer(request.model_name, request.model_version or None, parsed)
        if isinstance(answer, AsyncRun):
            response = pb.ModelInferResponse(model_name=request.model_name, id=parsed.id or "")
            response.parameters["run_id"].CopyFrom(_parameter(answer.id))
            return response
        return infer_response(answer)

    async def ModelConfig(self, request: Any, context: Any) -> Any:  # noqa: N802
        repository = self.service.repository
        loaded = await repository.acquire(request.name, request.version or None)
        repository.release(loaded)
        document = {"config": model_config(loaded, self.service.settings.workers)}
        return json_format.ParseDict(document, ext.ModelConfigResponse())

    async def ModelStatistics(self, request: Any, context: Any) -> Any:  # noqa: N802
        repository = self.service.repository
        if request.name:
            versions = [request.version] if request.version else repository.served_versions(request.name)
            for version in versions:
                repository.resolve(request.name, version)
            keys = [(request.name, v) for v in versions]
        else:
            keys = [(v.name, v.version) for v in repository.loaded_versions()]
        rows = self.service.stats.report(keys)
        for row in rows:
            row.pop("memory_usage", None)
        return json_format.ParseDict({"model_stats": rows}, ext.ModelStatisticsResponse())

    async def RepositoryIndex(self, request: Any, context: Any) -> Any:  # noqa: N802
        rows = await self.service.repository.index()
        if request.ready:
            rows = [r for r in rows if r["state"] == "READY"]
        return json_format.ParseDict({"models": rows}, ext.RepositoryIndexResponse())

    async def RepositoryModelLoad(self, request: Any, context: Any) -> Any:  # noqa: N802
        await self.service.repository.load(request.model_name)
        return ext.RepositoryModelLoadResponse()

    async def RepositoryModelUnload(self, request: Any, context: Any) -> Any:  # noqa: N802
        self.service.repository.unload(request.model_name)
        return ext.RepositoryModelUnloadResponse()


METHODS = {
    "ServerLive": (pb.ServerLiveRequest, pb.ServerLiveResponse),
    "ServerReady": (pb.ServerReadyRequest, pb.ServerReadyResponse),
    "ServerMetadata": (pb.ServerMetadataRequest, pb.ServerMetadataResponse),
    "ModelReady": (pb.ModelReadyRequest, pb.ModelReadyResponse),
    "ModelMetadata": (pb.ModelMetadataRequest, pb.ModelMetadataResponse),
    "ModelInfer": (pb.ModelInferRequest, pb.ModelInferResponse),
    "ModelConfig": (ext.ModelConfigRequest, ext.ModelConfigResponse),
    "ModelStatistics": (ext.ModelStatisticsRequest, ext.ModelStatisticsResponse),
    "RepositoryIndex": (ext.RepositoryIndexRequest, ext.RepositoryIndexResponse),
    "RepositoryModelLoad": (ext.RepositoryModelLoadRequest, ext.RepositoryModelLoadResponse),
    "RepositoryModelUnload": (ext.RepositoryModelUnloadRequest, ext.RepositoryModelUnloadResponse),
}
UNGUARDED = frozenset({"ServerLive", "ServerReady"})


def _handler(name: str, method: Callable[[Any, Any], Awaitable[Any]], token: str | None) -> Any:
    request_type, response_type = METHODS[name]

    async def call(request: Any, context: Any) -> Any:
        if token and name not in UNGUARDED:
            metadata = dict(context.invocation_metadata())
            scheme, _, given = str(metadata.get("authorization", "")).partition(" ")
            if scheme.lower() != "bearer" or given.strip() != token:
                await context.abort(grpc.StatusCode.UNAUTHENTICATED, "missing or invalid bearer token: send "
                                    "the metadata 'authorization: Bearer <token>'")
        try:
            return await method(request, context)
        except NotFound as exc:
            await context.abort(grpc.StatusCode.NOT_FOUND, str(exc))
        except (Unavailable, ProtocolError) as exc:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        except RunFailure as exc:
            await context.abort(_STATUS.get(exc.status_code, grpc.StatusCode.INTERNAL), str(exc))

    return grpc.unary_unary_rpc_method_handler(call, request_deserializer=request_type.FromString,
                                               response_serializer=response_type.SerializeToString)


async def start_grpc(service: InferenceService, version: str, host: str, port: int, token: str | None,
                     ready: Callable[[], bool]) -> tuple[Any, int]:
    """Start the gRPC server on ``host:port`` (0: a free port); returns it and the port it listens on."""
    servicer = Servicer(service, version, ready)
    server = grpc.aio.server(options=[("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
                                      ("grpc.max_send_message_length", MAX_MESSAGE_BYTES)])
    handlers = {name: _handler(name, getattr(servicer, name), token) for name in METHODS}
    server.add_generic_rpc_handlers([grpc.method_handlers_generic_handler(SERVICE, handlers)])
    bound = server.add_insecure_port(f"{host}:{port}")
    if bound == 0:
        raise OSError(f"cannot listen for gRPC on {host}:{port}")
    await server.start()
    return server, bound

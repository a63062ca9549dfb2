"""The KServe v2 inference protocol: request parsing (JSON and Triton's binary tensor extension), checks
against the model and its limits, and the answer a request gets.

A model's inputs are its parameters (FP64, shape ``[n]`` for n runs); its outputs are variables'
time series (FP64, shape ``[n, times]``) plus ``time``; run options travel in ``parameters``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import orjson
from pydantic import BaseModel, Field

from app.server.batcher import RunOptions, RunOutput, RunRequest
from app.server.config import ModelConfig
from app.server.modelinfo import ModelInfo
from metamodel.names import canonical

DATATYPE = "FP64"
TIME = "time"
RUN_OPTIONS = ("start", "stop", "dt", "save_per", "method", "seed", "async", "timeout")
CLIENT_PARAMETERS = ("binary_data_output",)  # Triton's: every output as binary data unless it says otherwise
ADAPTIVE_METHODS = frozenset({"rk45", "rk23", "dop853", "radau", "bdf", "lsoda"})
MAX_ABS_TIME = 1e300  # start, stop, dt and save_per beyond this are refused (their differences overflow)
MAX_LISTED = 20
MAX_TENSORS = 10_000


class ProtocolError(ValueError):
    """A request that does not fit the protocol or the model (HTTP 400)."""


# -- the documented shapes (OpenAPI); bodies are parsed by ``parse_request`` -------------------------------
class TensorInput(BaseModel):
    """One input tensor: a parameter of the model, one value per run (``binary_data_size`` with
    Triton's binary extension instead of ``data``)."""

    name: str
    shape: list[int]
    datatype: str
    parameters: dict[str, Any] | None = None
    data: list[Any] | None = None


class TensorOutputRequest(BaseModel):
    """One requested output: a variable's name or ``time``; ``{"binary_data": true}`` sends it as bytes."""

    name: str
    parameters: dict[str, Any] | None = None


class InferRequest(BaseModel):
    """An inference request; ``parameters`` carries run options (start, stop, dt, save_per, method,
    seed, async, timeout in microseconds) and Triton's ``binary_data_output``."""

    id: str | None = None
    parameters: dict[str, Any] | None = None
    inputs: list[TensorInput] = Field(default_factory=list)
    outputs: list[TensorOutputRequest] | None = None


class TensorOutput(BaseModel):
    """One output tensor: ``time`` or a variable (``data`` absent when sent as binary data)."""

    name: str
    datatype: str
    shape: list[int]
    parameters: dict[str, Any] | None = None
    data: list[float | None] | None = None


class InferResponse(BaseModel):
    """The answer: one tensor per output; ``parameters`` says whether it came from the cache and how
    many requests and runs shared the batch."""

    model_name: str
    model_version: str
    id: str | None = None
    parameters: dict[str, Any] | None = None
    outputs: list[TensorOutput]


# -- parsed requests ----------------------------------------------------------------------------------------
@dataclass
class Input:
    """An input tensor with its values."""

    name: str
    values: np.ndarray


@dataclass
class Output:
    """A requested output; ``binary`` None where the request did not say."""

    name: str
    binary: bool | None = None


@dataclass
class Parsed:
    """A request in protocol terms, whichever transport brought it (HTTP JSON, HTTP binary, gRPC)."""

    id: str | None
    parameters: dict[str, Any]
    inputs: list[Input]
    outputs: list[Output] | None


def _listing(names: list[str]) -> str:
    shown = ", ".join(names[:MAX_LISTED])
    return shown + (f", … ({len(names)} in all)" if len(names) > MAX_LISTED else "") if names else "none"


def _flatten(data: list[Any], name: str) -> list[float]:
    values: list[float] = []
    stack: list[Any] = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(reversed(item))
        elif isinstance(item, int | float) and not isinstance(item, bool):
            if not math.isfinite(item):
                raise ProtocolError(f"input '{name}': values must be finite numbers, got {item!r}")
            values.append(float(item))
        else:
            raise ProtocolError(f"input '{name}': data must hold numbers (FP64), got {item!r}")
    return values


def _shape(value: Any, name: str) -> list[int]:
    if not isinstance(value, list) or not all(isinstance(d, int) and not isinstance(d, bool) for d in value):
        raise ProtocolError(f"input '{name}': shape must be a list of integers, got {value!r}")
    if len(value) != 1 or not 1 <= value[0] <= 2**31:
        raise ProtocolError(f"input '{name}': shape must be [n] with n >= 1 runs, got {value}")
    return value


def check_values(name: str, values: np.ndarray, shape: list[int]) -> np.ndarray:
    """``values`` checked against ``shape`` and for finiteness."""
    if values.size != shape[0]:
        raise ProtocolError(f"input '{name}': shape {shape} needs {shape[0]} values, data has {values.size}")
    if not np.isfinite(values).all():
        raise ProtocolError(f"input '{name}': values must be finite numbers")
    return values


def _input(tensor: Any, index: int, binary: memoryview, offset: int) -> tuple[Input, int]:
    if not isinstance(tensor, dict):
        raise ProtocolError(f"invalid request body: inputs.{index}: expected an object, got {tensor!r}")
    name = tensor.get("name")
    if not isinstance(name, str):
        raise ProtocolError(f"invalid request body: inputs.{index}.name: a string is required")
    datatype = tensor.get("datatype")
    if datatype != DATATYPE:
        raise ProtocolError(f"input '{name}': datatype must be {DATATYPE}, got {datatype!r}")
    shape = _shape(tensor.get("shape"), name)
    parameters = tensor.get("parameters") or {}
    if not isinstance(parameters, dict):
        raise ProtocolError(f"input '{name}': parameters must be an object")
    size = parameters.get("binary_data_size")
    if size is not None:
        if isinstance(size, bool) or not isinstance(size, int) or size < 0 or offset + size > len(binary):
            raise ProtocolError(f"input '{name}': binary_data_size {size!r} does not fit the "
                                f"{len(binary) - offset} bytes of binary data left in the body")
        if size != 8 * shape[0]:
            raise ProtocolError(f"input '{name}': shape {shape} of {DATATYPE} needs {8 * shape[0]} bytes of "
                                f"binary data, binary_data_size is {size}")
        values = np.frombuffer(binary[offset:offset + size], dtype="<f8").astype(float)
        return Input(name, check_values(name, values, shape)), offset + size
    if "data" not in tensor:
        raise ProtocolError(f"invalid request body: inputs.{index}.data: field required (or binary_data_size)")
    data = tensor["data"]
    if not isinstance(data, list):
        raise ProtocolError(f"invalid request body: inputs.{index}.data: expected a list")
    values = np.asarray(_flatten(data, name), dtype=float)
    return Input(name, check_values(name, values, shape)), offset


def _output(spec: Any, index: int) -> Output:
    if not isinstance(spec, dict) or not isinstance(spec.get("name"), str):
        raise ProtocolError(f"invalid request body: outputs.{index}: an object with a string 'name' is required")
    parameters = spec.get("parameters") or {}
    if not isinstance(parameters, dict):
        raise ProtocolError(f"output '{spec['name']}': parameters must be an object")
    for key, value in parameters.items():
        if key == "binary_data":
            if not isinstance(value, bool):
                raise ProtocolError(f"output '{spec['name']}': binary_data must be true or false")
        elif key == "classification" and value in (0, None):
            continue
        else:
            raise ProtocolError(f"output '{spec['name']}': unknown parameter '{key}' (known: binary_data)")
    return Output(spec["name"], parameters.get("binary_data"))


def split_body(body: bytes, header_length: str | None) -> tuple[Any, memoryview]:
    """The JSON document of a body and the binary data after it (Triton's ``Inference-Header-Content-Length``)."""
    view = memoryview(body)
    if header_length is not None:
        if not header_length.strip().isdigit() or int(header_length) > len(body):
            raise ProtocolError(f"Inference-Header-Content-Length {header_length!r} must be a byte count "
                                f"within the body's {len(body)} bytes")
        cut = int(header_length)
        head, binary = view[:cut], view[cut:]
    else:
        head, binary = view, view[len(body):]
    try:
        document = orjson.loads(head)
    except orjson.JSONDecodeError as exc:
        raise ProtocolError(f"invalid request body: not JSON: {exc}") from None
    return document, binary


def parse_request(document: Any, binary: memoryview | None = None) -> Parsed:
    """A KServe v2 inference request from its JSON document (and binary tensor data)."""
    if not isinstance(document, dict):
        raise ProtocolError(f"invalid request body: expected a JSON object, got {type(document).__name__}")
    binary = binary if binary is not None else memoryview(b"")
    request_id = document.get("id")
    if request_id is not None and not isinstance(request_id, str):
        raise ProtocolError("invalid request body: id: expected a string")
    parameters = document.get("parameters") or {}
    if not isinstance(parameters, dict):
        raise ProtocolError("invalid request body: parameters: expected an object")
    tensors = document.get("inputs", [])
    if not isinstance(tensors, list) or len(tensors) > MAX_TENSORS:
        raise ProtocolError(f"invalid request body: inputs: expected a list (of at most {MAX_TENSORS})")
    inputs, offset = [], 0
    for index, tensor in enumerate(tensors):
        parsed, offset = _input(tensor, index, binary, offset)
        inputs.append(parsed)
    if offset != len(binary):
        raise ProtocolError(f"the body holds {len(binary) - offset} bytes of binary data that no input claims")
    outputs = document.get("outputs")
    if outputs is not None:
        if not isinstance(outputs, list) or len(outputs) > MAX_TENSORS:
            raise ProtocolError(f"invalid request body: outputs: expected a list (of at most {MAX_TENSORS})")
        outputs = [_output(spec, i) for i, spec in enumerate(outputs)]
    return Parsed(request_id, parameters, inputs, outputs)


# -- checks against the model --------------------------------------------------------------------------------
def _number(parameters: dict[str, Any], key: str, default: float) -> float:
    value = parameters.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not abs(value) <= MAX_ABS_TIME:
        raise ProtocolError(f"parameter '{key}' must be a finite number of magnitude at most {MAX_ABS_TIME:g}, "
                            f"got {value!r}")
    return float(value)


def run_options(parameters: dict[str, Any], info: ModelInfo, config: ModelConfig,
                methods: frozenset[str]) -> RunOptions:
    """Run options from request ``parameters`` over the model config's and the model's sim specs."""
    for key in parameters:
        if key not in RUN_OPTIONS and key not in CLIENT_PARAMETERS:
            raise ProtocolError(f"unknown parameter '{key}'; run options are: {', '.join(RUN_OPTIONS)}")
    spec = {**info.sim_spec, **config.sim_spec}
    start = _number(parameters, "start", float(spec["start"]))
    stop = _number(parameters, "stop", float(spec["stop"]))
    dt = _number(parameters, "dt", float(spec["dt"]))
    save_per = _number(parameters, "save_per", float(spec.get("save_per", dt)))
    if not stop > start:
        raise ProtocolError(f"stop ({stop:g}) must be greater than start ({start:g})")
    if not (dt > 0 and save_per > 0):
        raise ProtocolError(f"dt ({dt:g}) and save_per ({save_per:g}) must be positive")
    method = parameters.get("method", spec["method"])
    if not isinstance(method, str) or method.lower() not in methods:
        raise ProtocolError(f"parameter 'method': unknown method {method!r}; "
                            f"methods: {', '.join(sorted(methods))}")
    seed = parameters.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**32):
        raise ProtocolError(f"parameter 'seed' must be an integer in [0, 2^32), got {seed!r}")
    options = RunOptions(start, stop, dt, save_per, method.lower(), seed)
    steps = options.step_count
    if not steps <= config.limits.max_steps:  # also catches an infinite count: (stop - start) / dt overflowed
        shown = f"{steps:.3g}" if math.isfinite(steps) else "too many"
        raise ProtocolError(f"{shown} time steps ((stop - start) / dt) exceed this model's limit "
                            f"of {config.limits.max_steps}")
    if not options.saved_count <= config.limits.max_steps + 1:
        raise ProtocolError(f"save_per ({save_per:g}) is too short: it saves more times than the "
                            f"{config.limits.max_steps} steps allowed")
    return options


def _outputs(parsed: Parsed, info: ModelInfo) -> tuple[str, ...]:
    if parsed.outputs is None:
        return tuple(info.variables)
    by_key = {canonical(v): v for v in info.variables}
    names: list[str] = []
    for output in parsed.outputs:
        if output.name == TIME:
            continue
        variable = by_key.get(canonical(output.name))
        if variable is None:
            raise ProtocolError(f"unknown output '{output.name}'; "
                                f"outputs are: {TIME}, {_listing(info.variables)}")
        names.append(variable)
    return tuple(dict.fromkeys(names))


def binary_outputs(parsed: Parsed, info: ModelInfo) -> frozenset[str]:
    """Outputs (``time`` and variable names) to send as binary data over HTTP."""
    wanted = parsed.parameters.get("binary_data_output", False)
    if not isinstance(wanted, bool):
        raise ProtocolError(f"parameter 'binary_data_output' must be true or false, got {wanted!r}")
    if parsed.outputs is None:
        return frozenset([TIME, *info.variables]) if wanted else frozenset()
    by_key = {canonical(v): v for v in info.variables}
    chosen = set()
    for output in parsed.outputs:
        if output.binary if output.binary is not None else wanted:
            chosen.add(TIME if output.name == TIME else by_key.get(canonical(output.name), output.name))
    return frozenset(chosen)


def deadline(parsed: Parsed, config: ModelConfig, wants_async: bool) -> float:
    """Seconds the run may take: the model's limit, shortened by Triton's ``timeout`` (microseconds)."""
    limits = config.limits
    limit = limits.max_async_run_seconds if wants_async else limits.max_run_seconds
    timeout = parsed.parameters.get("timeout")
    if timeout is None:
        return limit
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not 0 < timeout <= 1e15:
        raise ProtocolError(f"parameter 'timeout' must be a positive number of microseconds, got {timeout!r}")
    return min(limit, timeout / 1e6)


def to_run_request(parsed: Parsed, info: ModelInfo, config: ModelConfig, methods: frozenset[str],
                   *, deadline_s: float) -> RunRequest:
    """Check ``parsed`` against the model and its limits; raises ProtocolError with a clear message."""
    options = run_options(parsed.parameters, info, config, methods)
    by_key = {canonical(p): p for p in info.parameters}
    params: dict[str, np.ndarray] = {}
    for tensor in parsed.inputs:
        parameter = by_key.get(canonical(tensor.name))
        if parameter is None:
            raise ProtocolError(f"unknown input '{tensor.name}'; inputs (parameters) are: "
                                f"{_listing(list(info.parameters))}")
        if parameter in params:
            raise ProtocolError(f"input '{tensor.name}' given twice")
        params[parameter] = tensor.values
    sizes = {len(v) for v in params.values()}
    if len(sizes) > 1:
        raise ProtocolError(f"inputs disagree on the number of runs: shapes {sorted(sizes)}; give every "
                            "input the same shape [n]")
    runs = sizes.pop() if sizes else 1
    limits = config.limits
    if runs > limits.max_runs:
        raise ProtocolError(f"{runs} runs exceed this model's limit of {limits.max_runs} per request")
    outputs = _outputs(parsed, info)
    points = int(options.saved_count)
    values = runs * points * max(1, len(outputs))
    if values > limits.max_output_values:
        raise ProtocolError(f"the response would hold {values} values ({runs} runs x {points} times x "
                            f"{len(outputs)} outputs), over the limit of {limits.max_output_values}; "
                            "ask for fewer outputs, runs or a longer save_per")
    run_bytes = run_bytes_per_run(options, points, info)
    if runs * run_bytes > limits.max_run_bytes:
        raise ProtocolError(f"the run would hold about {runs * run_bytes / 1024**2:.0f} MiB ({runs} runs x {points} "
                            f"times x {len(info.variables)} variables), over this model's limit of "
                            f"{limits.max_run_bytes / 1024**2:.0f} MiB; ask for fewer runs or a longer save_per")
    alone = info.stochastic and options.seed is not None
    batch_runs = max(runs, min(config.batching.max_batch_size, limits.max_run_bytes // max(1, run_bytes)))
    return RunRequest(params, runs, options, outputs, deadline_s, alone=alone, batch_runs=batch_runs)


def run_bytes_per_run(options: RunOptions, points: int, info: ModelInfo) -> int:
    """Bytes one run holds in the engine: every reported variable at every saved time (the adaptive
    methods also keep the stocks' trajectories twice)."""
    per_time = len(info.variables) + (2 * info.stocks if options.method in ADAPTIVE_METHODS else 0)
    return 8 * points * max(1, per_time)


# -- answers ----------------------------------------------------------------------------------------------------
@dataclass
class Answer:
    """What an inference request gets: per output variable its values of shape ``(runs, times)``."""

    name: str
    version: str
    time: np.ndarray
    outputs: dict[str, np.ndarray]
    parameters: dict[str, Any] = field(default_factory=dict)
    id: str | None = None
    binary: frozenset[str] = frozenset()

    @property
    def nbytes(self) -> int:
        return int(self.time.nbytes + sum(v.nbytes for v in self.outputs.values()))

    @property
    def values(self) -> int:
        return int(self.time.size + sum(v.size for v in self.outputs.values()))

    def tensors(self) -> list[tuple[str, list[int], np.ndarray]]:
        """(name, shape, values) of every output tensor: ``time`` first, then the variables."""
        rows = [(TIME, [len(self.time)], self.time)]
        rows += [(name, list(values.shape), values) for name, values in self.outputs.items()]
        return rows


def answer_from(name: str, version: str, output: RunOutput) -> Answer:
    """The Answer of a run's output (arrays that share memory with a larger batch are copied)."""
    outputs = {}
    for variable, values in output.data.items():
        owner = values.base if values.base is not None else values
        outputs[variable] = values.copy() if owner.nbytes > values.nbytes else values
    return Answer(name, version, output.time, outputs)


def model_metadata(name: str, versions: list[str], info: ModelInfo) -> dict[str, Any]:
    """KServe v2 model metadata: parameters as inputs (with defaults), variables and time as outputs."""
    return {
        "name": name,
        "versions": versions,
        "platform": "salver",
        "inputs": [{"name": p, "datatype": DATATYPE, "shape": [-1],  # a NaN default: the input must be given
                    "parameters": {"default": v} if math.isfinite(v) else {"required": True}}
                   for p, v in info.parameters.items()],
        "outputs": [{"name": TIME, "datatype": DATATYPE, "shape": [-1]}]
                   + [{"name": v, "datatype": DATATYPE, "shape": [-1, -1]} for v in info.variables],
    }

"""The KServe v2 inference protocol: request/response bodies and their checks.

A model's inputs are its parameters (FP64, shape ``[n]`` for n runs); its outputs are variables'
time series (FP64, shape ``[n, times]``) plus ``time``; run options travel in ``parameters``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from pydantic import BaseModel, Field

from app.server.batcher import RunOptions, RunOutput, RunRequest
from app.server.config import ModelConfig
from app.server.modelinfo import ModelInfo
from metamodel.names import canonical

DATATYPE = "FP64"
TIME = "time"
RUN_OPTIONS = ("start", "stop", "dt", "save_per", "method", "seed", "async")
# Triton clients ask for binary outputs by default; the answer is JSON, which they read as well.
CLIENT_PARAMETERS = ("binary_data_output",)
MAX_LISTED = 20


class ProtocolError(ValueError):
    """A request that does not fit the protocol or the model (HTTP 400)."""


class TensorInput(BaseModel):
    """One input tensor: a parameter of the model, one value per run."""

    name: str
    shape: list[int]
    datatype: str
    parameters: dict[str, Any] | None = None
    data: list[Any]


class TensorOutputRequest(BaseModel):
    """One requested output: a variable's name or ``time``."""

    name: str
    parameters: dict[str, Any] | None = None


class InferRequest(BaseModel):
    """An inference request; ``parameters`` carries run options (stop, method, save_per, seed, async)."""

    id: str | None = None
    parameters: dict[str, Any] | None = None
    inputs: list[TensorInput] = Field(default_factory=list)
    outputs: list[TensorOutputRequest] | None = None


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


def _input_array(tensor: TensorInput) -> np.ndarray:
    if tensor.datatype != DATATYPE:
        raise ProtocolError(f"input '{tensor.name}': datatype must be {DATATYPE}, got '{tensor.datatype}'")
    if tensor.parameters and "binary_data_size" in tensor.parameters:
        raise ProtocolError(f"input '{tensor.name}': binary tensor data is not supported; send JSON data")
    if len(tensor.shape) != 1 or tensor.shape[0] < 1:
        raise ProtocolError(f"input '{tensor.name}': shape must be [n] with n >= 1 runs, got {tensor.shape}")
    values = _flatten(tensor.data, tensor.name)
    if len(values) != tensor.shape[0]:
        raise ProtocolError(f"input '{tensor.name}': shape {tensor.shape} needs {tensor.shape[0]} values, "
                            f"data has {len(values)}")
    return np.asarray(values, dtype=float)


def _number(parameters: dict[str, Any], key: str, default: float) -> float:
    value = parameters.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ProtocolError(f"parameter '{key}' must be a finite number, got {value!r}")
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
    if stop <= start:
        raise ProtocolError(f"stop ({stop:g}) must be greater than start ({start:g})")
    if dt <= 0 or save_per <= 0:
        raise ProtocolError(f"dt ({dt:g}) and save_per ({save_per:g}) must be positive")
    method = parameters.get("method", spec["method"])
    if not isinstance(method, str) or method.lower() not in methods:
        raise ProtocolError(f"parameter 'method': unknown method {method!r}; "
                            f"methods: {', '.join(sorted(methods))}")
    seed = parameters.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**32):
        raise ProtocolError(f"parameter 'seed' must be an integer in [0, 2^32), got {seed!r}")
    options = RunOptions(start, stop, dt, save_per, method.lower(), seed)
    if options.steps > config.limits.max_steps:
        raise ProtocolError(f"{options.steps} time steps ((stop - start) / dt) exceed this model's limit "
                            f"of {config.limits.max_steps}")
    return options


def _outputs(request: InferRequest, info: ModelInfo) -> tuple[str, ...]:
    if request.outputs is None:
        return tuple(info.variables)
    by_key = {canonical(v): v for v in info.variables}
    names: list[str] = []
    for output in request.outputs:
        if output.name == TIME:
            continue
        variable = by_key.get(canonical(output.name))
        if variable is None:
            raise ProtocolError(f"unknown output '{output.name}'; "
                                f"outputs are: {TIME}, {_listing(info.variables)}")
        names.append(variable)
    return tuple(dict.fromkeys(names))


def to_run_request(request: InferRequest, info: ModelInfo, config: ModelConfig, methods: frozenset[str],
                   *, deadline_s: float) -> RunRequest:
    """Check ``request`` against the model and its limits; raises ProtocolError with a clear message."""
    options = run_options(request.parameters or {}, info, config, methods)
    by_key = {canonical(p): p for p in info.parameters}
    params: dict[str, np.ndarray] = {}
    for tensor in request.inputs:
        parameter = by_key.get(canonical(tensor.name))
        if parameter is None:
            raise ProtocolError(f"unknown input '{tensor.name}'; inputs (parameters) are: "
                                f"{_listing(list(info.parameters))}")
        if parameter in params:
            raise ProtocolError(f"input '{tensor.name}' given twice")
        params[parameter] = _input_array(tensor)
    sizes = {len(v) for v in params.values()}
    if len(sizes) > 1:
        raise ProtocolError(f"inputs disagree on the number of runs: shapes {sorted(sizes)}; give every "
                            "input the same shape [n]")
    runs = sizes.pop() if sizes else 1
    if runs > config.limits.max_runs:
        raise ProtocolError(f"{runs} runs exceed this model's limit of {config.limits.max_runs} per request")
    outputs = _outputs(request, info)
    points = int((options.stop - options.start) / options.save_per + 1e-9) + 1
    values = runs * points * max(1, len(outputs))
    if values > config.limits.max_output_values:
        raise ProtocolError(f"the response would hold {values} values ({runs} runs x {points} times x "
                            f"{len(outputs)} outputs), over the limit of {config.limits.max_output_values}; "
                            "ask for fewer outputs, runs or a longer save_per")
    alone = info.stochastic and options.seed is not None
    return RunRequest(params, runs, options, outputs, deadline_s, alone=alone)


def _data(values: np.ndarray) -> list[Any]:
    flat = np.ascontiguousarray(values, dtype=float).ravel()
    if np.isfinite(flat).all():
        return flat.tolist()
    return [v if math.isfinite(v) else None for v in flat.tolist()]  # JSON has no NaN/inf: null


def infer_response(name: str, version: str, output: RunOutput, runs: int) -> dict[str, Any]:
    """The KServe v2 response body: each variable as ``[runs, times]`` plus ``time`` as ``[times]``."""
    times = len(output.time)
    tensors = [{"name": TIME, "datatype": DATATYPE, "shape": [times], "data": _data(output.time)}]
    for variable, values in output.data.items():
        tensors.append({"name": variable, "datatype": DATATYPE, "shape": [runs, times],
                        "data": _data(values.T)})
    return {"model_name": name, "model_version": version, "outputs": tensors}


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

"""Neural components: ONNX signatures, integrity checks and batched onnxruntime sessions.

A ``NeuralRunner`` evaluates one component for all runs of a simulation at once: each input port gets
an array of shape ``(runs, features)`` and the component's session is called once per evaluation.
Sessions are cached process-wide per (file sha256, provider chain). Which provider really runs is read
back from ``session.get_providers()``: a GPU build of onnxruntime on a machine without a GPU falls back
to the CPU without saying so.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import hashlib
import os
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort

from metamodel.access import AccessError, confined
from metamodel.elements import NeuralComponent, NeuralPort
from metamodel.errors import ModelError, SimulationError
from metamodel.model import Model
from metamodel.names import canonical

PROVIDER_ORDER = ("TensorrtExecutionProvider", "CUDAExecutionProvider", "CPUExecutionProvider")
GPU_PROVIDERS = frozenset({"TensorrtExecutionProvider", "CUDAExecutionProvider"})
CPU_PROVIDER = "CPUExecutionProvider"

_ONNX_TYPES = {
    "tensor(float)": "float32", "tensor(double)": "float64", "tensor(float16)": "float16",
    "tensor(bfloat16)": "bfloat16", "tensor(int64)": "int64", "tensor(int32)": "int32",
    "tensor(int16)": "int16", "tensor(int8)": "int8", "tensor(uint8)": "uint8", "tensor(bool)": "bool",
}

MAX_ONNX_BYTES = 2 * 1024**3  # protobuf's limit for one message: the largest ONNX file without external data

_SESSIONS: dict[tuple[str, tuple[str, ...], str], ort.InferenceSession] = {}
_SESSIONS_LOCK = threading.Lock()


@dataclass(frozen=True)
class SessionSettings:
    """Options of the sessions a process creates: per-provider options (CUDA's ``device_id``,
    ``gpu_mem_limit``, ``arena_extend_strategy``) and the CPU threads of one session (0: onnxruntime's)."""

    provider_options: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = ()
    intra_op_threads: int = 0

    def options_for(self, provider: str) -> dict[str, str]:
        return dict(next((opts for name, opts in self.provider_options if name == provider), ()))


_SETTINGS = SessionSettings()


def configure_sessions(settings: SessionSettings) -> None:
    """Use ``settings`` for the sessions this process creates from now on (a serving worker process
    runs one model, configured by that model's onnxruntime settings)."""
    global _SETTINGS
    _SETTINGS = settings


# --------------------------------------------------------------------------------------------------
# Files and signatures
# --------------------------------------------------------------------------------------------------


def file_sha256(path: str | os.PathLike[str]) -> str:
    """The hex sha256 of a file's bytes."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def read_signature(path: str | os.PathLike[str]) -> tuple[list[NeuralPort], list[NeuralPort]]:
    """The input and output ports of an ONNX file: names, shapes (``None`` for dynamic axes), dtypes.

    Raises ``ModelError`` when the file is missing or onnxruntime cannot load it.
    """
    file = Path(path)
    label = f"ONNX file '{file}'"
    data = _read_bytes(file, label)
    session = _session(data, hashlib.sha256(data).hexdigest(), (CPU_PROVIDER,), label)
    return ([_port(arg) for arg in session.get_inputs()], [_port(arg) for arg in session.get_outputs()])


def _port(arg: Any) -> NeuralPort:
    shape = [dim if isinstance(dim, int) else None for dim in (arg.shape or [])]
    return NeuralPort(name=arg.name, shape=shape, dtype=_ONNX_TYPES.get(arg.type, arg.type))


def _read_bytes(file: Path, label: str) -> bytes:
    """The bytes of an ONNX file, after checking that it is a file of a size an ONNX file can have."""
    if not file.is_file():
        raise ModelError(f"{label}: file not found")
    size = file.stat().st_size
    if size > MAX_ONNX_BYTES:
        raise ModelError(f"{label}: {size} bytes, more than the {MAX_ONNX_BYTES} one ONNX file can hold")
    try:
        return file.read_bytes()
    except OSError as exc:
        raise ModelError(f"{label}: cannot read it: {exc.strerror}") from None


def feature_width(port: NeuralPort, component: str = "") -> int:
    """Features per run of a port; raises ``ModelError`` naming the port for an unsupported shape."""
    problem = port.shape_problem()
    if problem is not None:
        where = f"neural component '{component}', port '{port.name}'" if component else f"port '{port.name}'"
        raise ModelError(f"{where}: {problem}")
    return port.width


def add_neural_component(
    model: Model,
    onnx_path: str | os.PathLike[str],
    name: str | None = None,
    model_dir: str | os.PathLike[str] | None = None,
) -> NeuralComponent:
    """Read an ONNX file's signature and add a neural component with one port per tensor.

    The file is stored relative to ``model_dir`` (default: the folder of ``model.source_path``; an
    absolute path when neither is known) together with its sha256.
    """
    component = build_neural_component(model, onnx_path, name, model_dir)
    model.add(component)
    return component


def build_neural_component(
    model: Model,
    onnx_path: str | os.PathLike[str],
    name: str | None = None,
    model_dir: str | os.PathLike[str] | None = None,
) -> NeuralComponent:
    """The neural component ``add_neural_component`` would add, not yet in the model (for commands)."""
    file = Path(onnx_path).resolve()
    inputs, outputs = read_signature(file)
    if model_dir is None and model.source_path:
        model_dir = Path(model.source_path).parent
    stored = Path(os.path.relpath(file, Path(model_dir).resolve())).as_posix() if model_dir else str(file)
    return NeuralComponent(id=model.new_id(name or file.stem), name=_free_name(model, name, file.stem),
                           path=stored, sha256=file_sha256(file), inputs=inputs, outputs=outputs)


def _free_name(model: Model, name: str | None, stem: str) -> str:
    taken = {e.canonical for e in model.elements.values()}
    if name is not None:
        if canonical(name) in taken:
            raise ModelError(f"cannot add neural component '{name}': the name is already used")
        return name
    candidate, n = stem, 1
    while canonical(candidate) in taken:
        n += 1
        candidate = f"{stem} {n}"
    return candidate


# --------------------------------------------------------------------------------------------------
# Providers and sessions
# --------------------------------------------------------------------------------------------------


@functools.cache
def cuda_device_count() -> int:
    """GPUs the CUDA driver reports; 0 when there is no driver (checked once per process)."""
    for library in ("libcuda.so.1", "libcuda.so", "nvcuda.dll"):
        try:
            driver = ctypes.CDLL(library)
        except OSError:
            continue
        count = ctypes.c_int(0)
        if driver.cuInit(0) == 0 and driver.cuDeviceGetCount(ctypes.byref(count)) == 0:
            return count.value
        return 0
    return 0


def provider_chain(providers: Sequence[str] | None = None) -> tuple[str, ...]:
    """The providers to try, best first, always ending with the CPU.

    Without ``providers``: TensorRT, CUDA, CPU, keeping those this onnxruntime build offers and, for the
    GPU ones, only when the CUDA driver sees a GPU. Given names are kept in their order (filtered by
    the build); unknown names raise ``ModelError``.
    """
    available = ort.get_available_providers()
    if providers is None:
        gpu_ok = cuda_device_count() > 0
        wanted = [p for p in PROVIDER_ORDER if p not in GPU_PROVIDERS or gpu_ok]
    else:
        unknown = [p for p in providers if p not in ort.get_all_providers()]
        if unknown:
            raise ModelError(f"unknown onnxruntime provider(s) {unknown}; known: {ort.get_all_providers()}")
        wanted = list(providers)
    chain = [p for p in wanted if p in available and p != CPU_PROVIDER]
    return (*chain, CPU_PROVIDER)


def _session(data: bytes, digest: str, providers: tuple[str, ...], label: str) -> ort.InferenceSession:
    """The cached session of these bytes on this provider chain, created on first use."""
    settings = _SETTINGS
    key = (digest, providers, repr(settings))
    with _SESSIONS_LOCK:
        session = _SESSIONS.get(key)
        if session is None:
            session = _SESSIONS[key] = _create_session(data, providers, label, settings)
        return session


@functools.cache
def _preload_cuda_libraries() -> None:
    """Load CUDA and cuDNN from the nvidia-* Python packages, where onnxruntime looks for them."""
    preload = getattr(ort, "preload_dlls", None)
    if preload is not None:
        with contextlib.suppress(Exception):
            preload()


def _create_session(data: bytes, providers: tuple[str, ...], label: str,
                    settings: SessionSettings) -> ort.InferenceSession:
    """Try the chain, then its shorter tails, so a provider that fails to start drops out."""
    if GPU_PROVIDERS.intersection(providers) and cuda_device_count() > 0:
        _preload_cuda_libraries()
    options = ort.SessionOptions()
    options.log_severity_level = 3
    if settings.intra_op_threads:
        options.intra_op_num_threads = settings.intra_op_threads
    failure: Exception | None = None
    for start in range(len(providers)):
        tail = list(providers[start:])
        try:
            return ort.InferenceSession(data, options, providers=tail, enable_fallback=0,
                                        provider_options=[settings.options_for(p) for p in tail])
        except Exception as exc:  # onnxruntime raises its own pybind exception types
            failure = exc
    message = str(failure).strip().splitlines()[-1] if failure and str(failure).strip() else repr(failure)
    raise ModelError(f"{label}: onnxruntime cannot load it: {message}")


def clear_session_cache() -> None:
    """Drop every cached session (they are rebuilt on next use)."""
    with _SESSIONS_LOCK:
        _SESSIONS.clear()


def cached_session_count() -> int:
    """How many sessions the process-wide cache holds."""
    with _SESSIONS_LOCK:
        return len(_SESSIONS)


def model_dir(model: Model) -> Path:
    """The folder neural component paths are relative to: the model file's, else the working folder."""
    return Path(model.source_path).parent if model.source_path else Path.cwd()


def describe_providers(model: Model, providers: list[str] | None = None) -> list[dict[str, str | None]]:
    """Per neural component: name, file, and the provider it runs on (or why it cannot run)."""
    described: list[dict[str, str | None]] = []
    for component in model.of_kind(NeuralComponent):
        entry: dict[str, str | None] = {"name": component.name, "path": component.path, "provider": None,
                                        "error": None}
        try:
            entry["provider"] = NeuralRunner(component, model_dir(model), providers).provider
        except ModelError as exc:
            entry["provider"], entry["error"] = "unavailable", str(exc)
        described.append(entry)
    return described


# --------------------------------------------------------------------------------------------------
# Running
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Tensor:
    """One session tensor as the runner feeds or reads it."""

    name: str
    width: int
    rank: int
    dtype: np.dtype[Any]

    def shape(self, runs: int) -> tuple[int, ...]:
        return (runs, self.width) if self.rank == 2 else (runs,)


class NeuralRunner:
    """Evaluates a neural component for all runs at once on the best provider that loads.

    ``io_binding`` (default: on for GPU providers) keeps inputs and outputs in device buffers bound to
    the session, reused while the number of runs stays the same.
    """

    def __init__(
        self,
        component: NeuralComponent,
        base_dir: str | os.PathLike[str],
        providers: list[str] | None = None,
        require_gpu: bool = False,
        io_binding: bool | None = None,
    ) -> None:
        self.component = component
        self.label = f"neural component '{component.name}'"
        if not component.path:
            raise ModelError(f"{self.label}: no ONNX file path is set")
        try:
            file = confined(component.path, base_dir, "ONNX file")
        except AccessError as exc:
            raise ModelError(f"{self.label}: {exc}") from None
        data = _read_bytes(file, f"{self.label}: ONNX file '{file}'")
        digest = hashlib.sha256(data).hexdigest()
        if digest != component.sha256:
            raise ModelError(
                f"{self.label}: ONNX file '{file}' has changed since it was added "
                f"(sha256 {digest[:12]}…, expected {component.sha256[:12] or 'none recorded'}…); "
                "re-add the component to accept the new file")
        self.session = _session(data, digest, provider_chain(providers), self.label)
        self.provider: str = self.session.get_providers()[0]
        if require_gpu and self.provider not in GPU_PROVIDERS:
            raise ModelError(
                f"{self.label}: a GPU provider was required, but onnxruntime runs it on {self.provider} "
                f"(this build offers {ort.get_available_providers()}, the CUDA driver sees "
                f"{cuda_device_count()} GPU(s))")
        self.inputs = self._tensors(component.inputs, self.session.get_inputs(), "input")
        self.outputs = self._tensors(component.outputs, self.session.get_outputs(), "output")
        self.io_binding = self.provider in GPU_PROVIDERS if io_binding is None else io_binding
        self._device = "cuda" if self.provider in GPU_PROVIDERS else "cpu"
        self._bound: tuple[int, Any, dict[str, ort.OrtValue], list[ort.OrtValue]] | None = None
        self._lock = threading.Lock()

    def _tensors(self, ports: list[NeuralPort], args: Sequence[Any], role: str) -> list[_Tensor]:
        """Match the component's ports with the session's tensors by name and check their shapes."""
        by_name = {p.name: p for p in ports}
        names = {a.name for a in args}
        extra = [p.name for p in ports if p.name not in names]
        if extra:
            raise ModelError(f"{self.label}: {role} port(s) {extra} are not in the ONNX file")
        tensors = []
        for arg in args:
            port = by_name.get(arg.name)
            if port is None:
                raise ModelError(f"{self.label}: the ONNX file's {role} '{arg.name}' has no port")
            actual = _port(arg)
            if actual.shape and actual.shape[0] is not None:
                raise ModelError(f"{self.label}, {role} port '{arg.name}': the batch axis has the fixed size "
                                 f"{actual.shape[0]}; export the network with a dynamic first axis")
            width = feature_width(actual, self.component.name)
            if feature_width(port, self.component.name) != width:
                raise ModelError(f"{self.label}, {role} port '{arg.name}': shape {port.shape} in the model, "
                                 f"{actual.shape} in the ONNX file")
            try:
                dtype = np.dtype(actual.dtype)
            except TypeError:
                raise ModelError(f"{self.label}, {role} port '{arg.name}': element type {actual.dtype} "
                                 "is not supported") from None
            if port.dtype != actual.dtype:
                raise ModelError(f"{self.label}, {role} port '{arg.name}': element type {port.dtype} in the "
                                 f"model, {actual.dtype} in the ONNX file")
            tensors.append(_Tensor(arg.name, width, len(actual.shape), dtype))
        return tensors

    def __call__(self, inputs: Mapping[str, np.ndarray], time: float | None = None) -> dict[str, np.ndarray]:
        """Run the network once for all runs: ``(runs, features)`` inputs in, float64 outputs out.

        Raises ``ModelError`` for a missing input or a wrong shape, ``SimulationError`` for outputs
        that are NaN or infinite.
        """
        feed: dict[str, np.ndarray] = {}
        runs: int | None = None
        for tensor in self.inputs:
            if tensor.name not in inputs:
                raise ModelError(f"{self.label}: no values for input port '{tensor.name}'")
            array = np.asarray(inputs[tensor.name])
            if array.ndim != 2 or array.shape[1] != tensor.width or (runs is not None and len(array) != runs):
                expected = f"({runs if runs is not None else 'runs'}, {tensor.width})"
                raise ModelError(f"{self.label}, input port '{tensor.name}': expected an array of shape "
                                 f"{expected}, got {array.shape}")
            runs = len(array)
            feed[tensor.name] = np.ascontiguousarray(array.reshape(tensor.shape(runs)), dtype=tensor.dtype)
        runs = runs or 0
        raw = self._run_bound(feed, runs) if self.io_binding else self.session.run(None, feed)
        return {tensor.name: self._checked(tensor, value, runs, time)
                for tensor, value in zip(self.outputs, raw, strict=True)}

    def _checked(self, tensor: _Tensor, value: Any, runs: int, time: float | None) -> np.ndarray:
        array = np.asarray(value, dtype=np.float64)
        variable = f"{self.component.name}.{tensor.name}"
        if array.size != runs * tensor.width:
            raise SimulationError(f"{self.label} returned shape {array.shape} for output port "
                                  f"'{tensor.name}', expected ({runs}, {tensor.width})",
                                  time=time, variable=variable)
        array = array.reshape(runs, tensor.width)
        bad = ~np.isfinite(array)
        if bad.any():
            failed = int(bad.any(axis=1).sum())
            raise SimulationError(f"{self.label}, output port '{tensor.name}' is NaN or infinite in "
                                  f"{failed} of {runs} runs", time=time, variable=variable)
        return array

    def _run_bound(self, feed: dict[str, np.ndarray], runs: int) -> list[np.ndarray]:
        """Run through IOBinding: inputs copied into bound device buffers, outputs read back once."""
        with self._lock:
            if self._bound is None or self._bound[0] != runs:
                self._bound = self._bind(runs)
            _, binding, inputs, outputs = self._bound
            for name, array in feed.items():
                inputs[name].update_inplace(array)
            self.session.run_with_iobinding(binding)
            return [value.numpy() for value in outputs]

    def _bind(self, runs: int) -> tuple[int, Any, dict[str, ort.OrtValue], list[ort.OrtValue]]:
        binding = self.session.io_binding()
        inputs: dict[str, ort.OrtValue] = {}
        for tensor in self.inputs:
            inputs[tensor.name] = self._buffer(tensor, runs)
            binding.bind_ortvalue_input(tensor.name, inputs[tensor.name])
        outputs = [self._buffer(tensor, runs) for tensor in self.outputs]
        for tensor, value in zip(self.outputs, outputs, strict=True):
            binding.bind_ortvalue_output(tensor.name, value)
        return runs, binding, inputs, outputs

    def _buffer(self, tensor: _Tensor, runs: int) -> ort.OrtValue:
        return ort.OrtValue.ortvalue_from_shape_and_type(tensor.shape(runs), tensor.dtype, self._device, 0)

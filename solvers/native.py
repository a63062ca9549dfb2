"""The native backend: a model's C program, compiled once by the system C compiler and loaded with cffi.

Builds are cached by the hash of the C source (which holds the whole model) in the user's cache folder
(``solvers.cache``: ``$SALVER_CACHE_DIR``, else ``$XDG_CACHE_HOME/salver`` or ``~/.cache/salver``), under
``native/``. A build compiles into a private temporary folder and renames the library into place, so
processes building the same model at once never see a half-written file. The compiler is ``$CC`` when set (and
then only it), else the first of ``cc``, ``gcc``, ``clang`` found; with none, models run in Python.

Compiler flags keep IEEE arithmetic exact (no fast-math, no fused multiply-add contraction), so the
numbers are those of the scalar Python backend.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import io
import os
import platform
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from metamodel import atomic
from metamodel.errors import SalverError
from solvers import cache
from solvers.integrators import Steps, saved_between
from solvers.native_code import NativeSource

if TYPE_CHECKING:
    from solvers.model_run import RunSetup

FLAGS = ("-O1", "-fPIC", "-shared", "-ffp-contract=off", "-fno-fast-math", "-fno-math-errno")
METHODS = {"euler": 0, "rk2": 1, "rk4": 2}
_CDEF = """
void sv_sizes(int64_t *out);
void sv_init(int64_t runs, double *S, double *M, const double *PAR, double *V, double *HI, int64_t *HL,
             int64_t capacity, double start, double dt, double stop);
void sv_steps(int64_t runs, double *S, double *M, const double *PAR, double *V, double *H, int64_t *HL,
              double *HI, int64_t capacity, double *K, int64_t n0, int64_t n1, int64_t last, double start,
              double dt, double stop, int64_t every, int method, double *OUT, int64_t first_row, int64_t rows);
"""
_LOCK = threading.Lock()
_LOADED: dict[str, NativeLibrary] = {}
_FFI: Any = None


class NativeBuildError(SalverError):
    """The C program could not be built (no compiler, or the compiler failed)."""


def cache_dir() -> Path:
    """Where compiled models are kept."""
    return cache.folder("native")


def find_compiler() -> list[str] | None:
    """The C compiler command: ``$CC`` when set (None if it is not found), else cc, gcc or clang."""
    import shlex
    import shutil

    wanted = os.environ.get("CC", "").strip()
    candidates = [shlex.split(wanted)] if wanted else [["cc"], ["gcc"], ["clang"]]
    for command in candidates:
        path = shutil.which(command[0])
        if path is not None:
            return [path, *command[1:]]
    return None


def digest(source: NativeSource) -> str:
    """The cache key of a C program: its text, the flags and the platform."""
    if not source.digest:
        text = "\n".join([source.program.source, " ".join(FLAGS), sys.platform, platform.machine()])
        source.digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:40]
    return source.digest


def _library_path(key: str) -> Path:
    return cache_dir() / f"sv_{key}.so"


def is_built(source: NativeSource) -> bool:
    """True when the program is loaded in this process or compiled in the cache."""
    key = digest(source)
    return key in _LOADED or _library_path(key).is_file()


def library(source: NativeSource) -> NativeLibrary:
    """The loaded library of ``source``, compiling it first unless the cache has it (intact)."""
    key = digest(source)
    with _LOCK:
        loaded = _LOADED.get(key)
        if loaded is None:
            path = _library_path(key)
            if path.is_file():
                try:
                    loaded = NativeLibrary(path, source)
                except NativeBuildError:  # a damaged cache entry: built again
                    loaded = None
            if loaded is None:
                _build(source.program.source, path)
                loaded = NativeLibrary(path, source)
            _LOADED[key] = loaded
        return loaded


def _build(text: str, target: Path) -> None:
    compiler = find_compiler()
    if compiler is None:
        raise NativeBuildError("no C compiler found (install cc, gcc or clang, or set CC)")
    import subprocess  # builds only: a run of a built model needs neither
    import tempfile

    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="build-", dir=target.parent) as folder:
        source, built = Path(folder) / "model.c", Path(folder) / target.name
        source.write_text(text, encoding="utf-8")
        try:
            done = subprocess.run([*compiler, *FLAGS, "-o", str(built), str(source), "-lm"], capture_output=True,
                                  text=True, timeout=3600)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise NativeBuildError(f"the C compiler could not run: {exc}") from None
        if done.returncode != 0 or not built.is_file():
            detail = (done.stderr or done.stdout).strip().splitlines()[:3]
            raise NativeBuildError(f"the C compiler failed: {' / '.join(detail)}")
        os.replace(built, target)


def _ffi() -> Any:
    """cffi's description of the program's functions, made once per process."""
    global _FFI
    if _FFI is None:
        _FFI = _saved_ffi() or _parsed_ffi()
    return _FFI


def _ffi_module() -> tuple[str, Path]:
    """The name and path of the module cffi writes for ``_CDEF`` (out-of-line ABI mode) in the cache."""
    try:
        import _cffi_backend
    except ImportError:
        raise NativeBuildError("cffi is not installed (pip install cffi)") from None
    key = hashlib.sha256(f"{_CDEF}\0{_cffi_backend.__version__}".encode()).hexdigest()[:16]
    name = f"sv_ffi_{key}"
    return name, cache_dir() / f"{name}.py"


def _saved_ffi() -> Any:
    """The description read from the module in the cache (about 1 ms, where importing cffi and parsing the
    declarations take tens of ms in every process), or None when there is none or it cannot be read."""
    name, path = _ffi_module()
    if not path.is_file():
        return None
    try:
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
        spec.loader.exec_module(module)  # type: ignore[union-attr]
        return module.ffi
    except Exception:  # noqa: BLE001 - a damaged cache file of any kind is written again
        return None


def _parsed_ffi() -> Any:
    """The description parsed by cffi, and written to the cache for the next processes."""
    try:
        import cffi
    except ImportError:
        raise NativeBuildError("cffi is not installed (pip install cffi)") from None
    ffi = cffi.FFI()
    ffi.cdef(_CDEF)
    name, path = _ffi_module()
    writer = cffi.FFI()
    writer.cdef(_CDEF)
    writer.set_source(name, None)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic.replacing_path(path) as temp, contextlib.redirect_stdout(io.StringIO()):  # cffi says "generating"
            writer.emit_python_code(str(temp))
    except OSError:
        pass  # an unwritable cache costs the next process the parse again
    return ffi


class NativeLibrary:
    """A compiled model program, with a check that its sizes are the ones it was written for."""

    def __init__(self, path: Path, source: NativeSource) -> None:
        self.ffi = _ffi()
        try:
            self.lib = self.ffi.dlopen(str(path))
        except OSError as exc:
            raise NativeBuildError(f"cannot load the compiled model {path}: {exc}") from None
        sizes = self.ffi.new("int64_t[6]")
        self.lib.sv_sizes(sizes)
        expected = (source.stocks, source.memories, source.pipelines, source.parameters, source.reported,
                    source.slots)
        if tuple(sizes) != expected:
            raise NativeBuildError(f"the cached library {path.name} does not match its program; delete it")
        self.source = source

    def pointer(self, array: np.ndarray, kind: str = "double *") -> Any:
        return self.ffi.cast(kind, array.__array_interface__["data"][0])


class NativeStepper:
    """All runs of one call in compiled code: the stepper of ``solvers.integrators`` for the C backend."""

    def __init__(self, native: NativeLibrary, setup: RunSetup, steps: Steps) -> None:
        source, runs = native.source, setup.runs
        self.native, self.setup, self.steps, self.runs = native, setup, steps, runs
        self.par = np.empty((runs, len(setup.par)))
        arrays = {i for i, p in enumerate(setup.par) if isinstance(p, np.ndarray) and p.ndim}
        self.par[:] = [0.0 if i in arrays else float(p) for i, p in enumerate(setup.par)]
        for i in arrays:
            self.par[:, i] = setup.par[i]
        self.state = np.zeros((runs, source.stocks))
        self.memory = np.zeros((runs, source.memories))
        self.slots = np.zeros(source.slots)
        self.capacity = steps.count + 1 if source.pipelines else 0
        self.history = np.zeros((runs, source.pipelines, self.capacity))
        self.lengths = np.zeros((runs, source.pipelines), dtype=np.int64)
        self.initial = np.zeros((runs, source.pipelines))
        self.scratch = np.zeros(5 * source.stocks + source.memories)
        p = native.pointer
        native.lib.sv_init(runs, p(self.state), p(self.memory), p(self.par), p(self.slots), p(self.initial),
                           p(self.lengths, "int64_t *"), self.capacity, steps.start, steps.dt, setup.spec.stop)

    def advance(self, n0: int, n1: int) -> np.ndarray:
        native, steps, p = self.native, self.steps, self.native.pointer
        rows = saved_between(n0, n1, steps.save_every)
        out = np.empty((self.runs, rows, native.source.reported))  # each run's rows together: cache friendly
        native.lib.sv_steps(self.runs, p(self.state), p(self.memory), p(self.par), p(self.slots), p(self.history),
                            p(self.lengths, "int64_t *"), p(self.initial), self.capacity, p(self.scratch), n0, n1,
                            steps.count, steps.start, steps.dt, self.setup.spec.stop, steps.save_every,
                            METHODS[self.setup.method], p(out), -(-n0 // steps.save_every), rows)
        return out.transpose(1, 2, 0)

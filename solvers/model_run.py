"""CompiledModel: a compiled model ready to run with parameters, many runs at once."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import CodeType
from typing import TYPE_CHECKING, Any

import numpy as np

from metamodel.elements import INTEGRATION_METHODS, SimSpec
from metamodel.errors import ModelError, SimulationError
from metamodel.gc_pause import gc_paused
from metamodel.model import Model
from metamodel.names import canonical
from solvers import backends, blocks, budget, cache, integrators, runtime, stability
from solvers.analysis import AnalysisMethods
from solvers.flatten import FmuUse, NeuralUse
from solvers.program import Layout, RateSystem
from solvers.results import Results

if TYPE_CHECKING:
    from solvers.jacobian import JacobianFunction
    from solvers.writers import ProgramSet

_FILENAME = "<salver-model-{}>"
MAX_STEPS = 50_000_000  # time steps x runs in one call


def _pow(base: float, exponent: float) -> float:
    return math.pow(base, exponent)


def _floor(x: float) -> float:
    return float(math.floor(x))


def _stack(columns: list[Any], runs: int) -> np.ndarray:
    """Stack per-feature values (scalars or run arrays) into a ``(runs, features)`` batch."""
    return np.column_stack([np.broadcast_to(np.asarray(c, dtype=float), (runs,)) for c in columns])


@dataclass
class RunSetup:
    """Everything one call of ``run`` needs, resolved from the arguments and the sim specs."""

    spec: SimSpec
    method: str
    runs: int
    vector: bool
    par: list[Any]
    seed: int | None
    progress: Callable[[float], None] | None = None
    non_negative: list[int] = field(default_factory=list)
    jacobian: JacobianFunction | None = None
    backend: str = ""  # the one that ran: "scalar", "vector" or "native"
    backend_note: str = ""  # why Python ran where C was asked for


class CompiledModel(AnalysisMethods):
    """A compiled model; ``run`` simulates all runs at once, on the backend that suits the call.

    The analyses over many runs (``sensitivity``, ``calibrate``, …) come from ``AnalysisMethods``."""

    def __init__(self, model: Model, layout: Layout, programs: ProgramSet,
                 lookups: dict[str, runtime.Lookup], neural: list[NeuralUse], rate_system: RateSystem,
                 fmus: list[FmuUse] | None = None) -> None:
        self.model = model
        self.rate_system = rate_system
        self._jacobian: JacobianFunction | None | bool = False  # False: not built yet
        self.layout = layout
        self.programs = programs
        self.lookups = lookups
        self.neural = neural
        self.fmus = fmus or []
        self._fmu_pools: list[Any] | None = None  # solvers.fmu.FmuPool per component, made on first run
        self._code: dict[bool, CodeType] = {}  # byte code of each backend, compiled on first use
        self._defaults = list(layout.parameter_defaults)
        self._param_index = {canonical(layout.display[k]): i for i, k in enumerate(layout.parameters)}
        self._reported_names = [layout.display[k] for k in layout.reported]
        self._reported_index = {canonical(name): name for name in self._reported_names}
        self.aliases: dict[str, str] = {}  # other accepted names of parameters (canonical -> display name)
        self._providers: dict[str, str] = {}

    # -- description ----------------------------------------------------------------------------------
    @property
    def sim_spec(self) -> SimSpec:
        return self.model.sim_spec

    @property
    def parameters(self) -> dict[str, float]:
        """Display name -> default value of every constant that ``run(params=...)`` may set."""
        return {self.layout.display[k]: v for k, v in zip(self.layout.parameters, self._defaults, strict=True)}

    @property
    def variables(self) -> list[str]:
        """Display names of the variables reported in Results."""
        return list(self._reported_names)

    @property
    def providers(self) -> dict[str, str]:
        """Neural component name -> onnxruntime provider that ran it (after the first run)."""
        return dict(self._providers)

    # -- running --------------------------------------------------------------------------------------
    def run(self, params: Mapping[str, float | np.ndarray | list[float]] | None = None, runs: int | None = None,
            method: str | None = None, start: float | None = None, stop: float | None = None,
            dt: float | None = None, save_per: float | None = None, seed: int | None = None,
            providers: list[str] | None = None, require_gpu: bool = False,
            progress: Callable[[float], None] | None = None, backend: str = "auto") -> Results:
        """Simulate; parameter arrays of length n make n runs. Raises SimulationError on run-time faults.

        ``progress`` is called with the fraction done, about a hundred times over a fixed-step run.
        ``backend`` is ``"auto"`` (by size), ``"python"`` or ``"native"`` (compiled C; a model it cannot
        run goes to Python with a warning); ``metadata["backend"]`` says which ran.
        """
        setup, steps = self._prepare(params, runs, method, start, stop, dt, save_per, seed, progress)
        if setup.spec.controls:
            return self._run_dynamic(setup, providers, require_gpu, params, seed, backend)
        budget.check_memory(len(steps.saved), len(self.layout.reported), len(self.layout.stocks), setup.runs,
                            adaptive=setup.method in integrators.ADAPTIVE)
        time = steps.start + steps.saved * steps.dt
        shape = (len(time), len(self.layout.reported), setup.runs)
        out: np.ndarray | None = None
        for row, block in self._blocks(setup, steps, providers, require_gpu, backend):
            if out is None:  # laid out as the backend writes: C keeps each run's values together
                out = np.empty(shape) if setup.backend != "native" else np.empty(
                    (shape[2], shape[0], shape[1])).transpose(1, 2, 0)
            out[row:row + len(block)] = block
        if out is None:
            out = np.empty(shape)
        hint = self._step_hint(setup, out, providers, require_gpu)
        self._check_finite(time, out, hint)
        if hint:
            warnings.warn(hint, stability.StiffnessWarning, stacklevel=2)
        return self._results(time, out, setup, params, seed, hint)

    def stream(self, params: Mapping[str, float | np.ndarray | list[float]] | None = None, runs: int | None = None,
               method: str | None = None, start: float | None = None, stop: float | None = None,
               dt: float | None = None, save_per: float | None = None, seed: int | None = None,
               providers: list[str] | None = None, require_gpu: bool = False,
               progress: Callable[[float], None] | None = None, backend: str = "auto") -> Iterator[Results]:
        """Simulate like ``run``, yielding the saved steps in time order, a block of them at a time, as
        they are computed: a long run never holds more than one block."""
        setup, steps = self._prepare(params, runs, method, start, stop, dt, save_per, seed, progress)
        if setup.spec.controls:
            yield self._run_dynamic(setup, providers, require_gpu, params, seed, backend)
            return
        time = steps.start + steps.saved * steps.dt
        for row, block in self._blocks(setup, steps, providers, require_gpu, backend):
            times = time[row:row + len(block)]
            self._check_finite(times, block)
            yield self._results(times, block, setup, params, seed)

    def _prepare(self, params: Mapping[str, Any] | None, runs: int | None, method: str | None,
                 start: float | None, stop: float | None, dt: float | None, save_per: float | None,
                 seed: int | None, progress: Callable[[float], None] | None) -> tuple[RunSetup, integrators.Steps]:
        setup = self._setup(params or {}, runs, method, start, stop, dt, save_per, seed, progress)
        steps = integrators.grid(setup.spec)
        if steps.count * max(setup.runs, 1) > MAX_STEPS:
            raise SimulationError(f"{steps.count} steps x {setup.runs} runs is more than the {MAX_STEPS} allowed")
        return setup, steps

    def _step_hint(self, setup: RunSetup, out: np.ndarray, providers: list[str] | None,
                   require_gpu: bool) -> str | None:
        """Why a fixed-step run whose values grew a million-fold (or overflowed) took too long a step."""
        if setup.method in integrators.ADAPTIVE or not (stability.grew(out) or not np.isfinite(out).all()):
            return None
        namespace = self._namespace(setup, providers, require_gpu)
        return stability.step_warning(namespace, setup.method, setup.spec.start, setup.spec.dt, setup.par,
                                      len(self.layout.stocks), len(self.layout.memories))

    def _results(self, time: np.ndarray, out: np.ndarray, setup: RunSetup, params: Mapping[str, Any] | None,
                 seed: int | None, hint: str | None = None) -> Results:
        data = dict(zip(self._reported_names, out.transpose(1, 0, 2), strict=True))  # views (times, runs)
        spec = setup.spec
        metadata = {"method": setup.method, "dt": spec.dt, "start": spec.start, "stop": spec.stop,
                    "save_per": spec.save_per or spec.dt, "runs": setup.runs, "seed": seed,
                    "params": {k: np.asarray(v).tolist() for k, v in (params or {}).items()},
                    "providers": self.providers, "backend": setup.backend, "warnings": [hint] if hint else []}
        if setup.backend_note:
            metadata["backend_note"] = setup.backend_note
        return Results(time, data, setup.runs, metadata, self._reported_index)

    def _run_dynamic(self, setup: RunSetup, providers: list[str] | None, require_gpu: bool,
                     params: Mapping[str, Any] | None, seed: int | None, backend: str) -> Results:
        """A run whose TIME STEP, SAVEPER or FINAL TIME change during the run (``solvers.dynamic_steps``):
        the scalar Python program; the native backend never runs such a model (asked for, it says why)."""
        from solvers import dynamic_steps

        setup.backend_note = (f"{', '.join(sorted(setup.spec.controls.values()))} change during the run: the "
                              "Python program steps with them")
        if backend == "native":
            warnings.warn(f"running in Python: {setup.backend_note}", backends.NativeFallbackWarning, stacklevel=3)

        dynamic_steps.check(setup, len(self.layout.pipelines) + len(self.layout.blocks))
        reported = {canonical(self.layout.display[k]): i for i, k in enumerate(self.layout.reported)}
        columns = {}
        for control, name in setup.spec.controls.items():
            if canonical(name) not in reported:
                raise ModelError(f"the control variable '{name}' is not a variable of the model")
            columns[control] = reported[canonical(name)]
        if self.fmus:
            raise ModelError("a model with FMU components runs on a fixed time step: its TIME STEP, SAVEPER "
                             "and FINAL TIME cannot change during the run")
        sizes = (len(self.layout.stocks), len(self.layout.memories), len(self.layout.reported))
        setup.backend = "scalar"
        namespace = self._namespace(setup, providers, require_gpu)
        with np.errstate(all="ignore"):
            try:
                time, out = dynamic_steps.integrate(namespace, setup, *sizes, columns, MAX_STEPS)
            except (ZeroDivisionError, OverflowError, ValueError, FloatingPointError, TypeError) as exc:
                raise self._fault(exc) from None
        self._check_finite(time, out)
        return self._results(time, out, setup, params, seed)

    def _blocks(self, setup: RunSetup, steps: integrators.Steps, providers: list[str] | None, require_gpu: bool,
                backend: str) -> Iterator[tuple[int, np.ndarray]]:
        """The saved rows in blocks from the chosen backend; a scalar Python run that meets a division by
        zero (or an overflow) starts again on the vector backend, whose IEEE arithmetic the reference
        tools share, and goes on from the rows already given."""
        sizes = (len(self.layout.stocks), len(self.layout.memories), len(self.layout.reported))
        choice = backends.choose(self.programs, setup, steps, backend, bool(self.neural), bool(self.fmus))
        setup.backend_note = choice.note
        if choice.native is not None:
            from solvers.native import NativeStepper

            setup.backend = "native"
            yield from integrators.integrate({}, setup, *sizes, steps, NativeStepper(choice.native, setup, steps))
            return
        setup.backend = "vector" if setup.vector else "scalar"
        namespace = self._namespace(setup, providers, require_gpu)
        try:
            yield from self._python_blocks(namespace, setup, steps, providers, require_gpu)
        finally:
            for fmu in namespace["FMU"]:
                fmu.close()

    def _python_blocks(self, namespace: dict[str, Any], setup: RunSetup, steps: integrators.Steps,
                       providers: list[str] | None, require_gpu: bool) -> Iterator[tuple[int, np.ndarray]]:
        sizes = (len(self.layout.stocks), len(self.layout.memories), len(self.layout.reported))
        blocks = integrators.integrate(namespace, setup, *sizes, steps)
        given = 0
        while True:
            with np.errstate(all="ignore"):
                try:
                    row, block = next(blocks)
                except StopIteration:
                    return
                except (ZeroDivisionError, OverflowError, ValueError) as exc:
                    if setup.vector:
                        raise self._fault(exc) from None
                    setup.vector, setup.backend = True, "vector"
                    setup.par = [np.float64(p) for p in setup.par]
                    blocks = _after(integrators.integrate(self._namespace(setup, providers, require_gpu), setup,
                                                          *sizes, steps), given)
                    continue
                except (FloatingPointError, TypeError) as exc:
                    raise self._fault(exc) from None
            given = row + len(block)
            yield row, block

    def _setup(self, params: Mapping[str, Any], runs: int | None, method: str | None, start: float | None,
               stop: float | None, dt: float | None, save_per: float | None, seed: int | None,
               progress: Callable[[float], None] | None) -> RunSetup:
        base = self.model.sim_spec
        spec = SimSpec(start=base.start if start is None else float(start),
                       stop=base.stop if stop is None else float(stop),
                       dt=base.dt if dt is None else float(dt),
                       save_per=base.save_per if save_per is None else float(save_per),
                       method=(method or base.method or "euler").lower(), time_units=base.time_units,
                       controls={k: v for k, v in base.controls.items()
                                 if {"stop": stop, "dt": dt, "save_per": save_per}[k] is None})
        if spec.method not in INTEGRATION_METHODS:
            raise ModelError(f"unknown method '{spec.method}'; choose one of {', '.join(INTEGRATION_METHODS)}")
        if self.layout.euler_only and spec.method != "euler":
            raise ModelError(f"'{self.layout.euler_only[0]}' moves in whole time steps (a conveyor, queue, SHIFT IF "
                             f"TRUE or other builtin with a state of its own): such a model integrates with Euler, "
                             f"not '{spec.method}'")
        if not (spec.dt > 0 and all(map(math.isfinite, (spec.start, spec.stop, spec.dt)))) or spec.stop < spec.start \
                or (spec.save_per is not None and not (spec.save_per > 0 and math.isfinite(spec.save_per))):
            raise ModelError(f"invalid time specs: start {spec.start}, stop {spec.stop}, dt {spec.dt}, "
                             f"save period {spec.save_per}")
        if spec.dt > spec.stop - spec.start > 0:
            raise ModelError(f"the time step {spec.dt:g} is longer than the run from {spec.start:g} to {spec.stop:g}, "
                             f"which would then hold only its initial time: choose a step of at most "
                             f"{spec.stop - spec.start:g}")
        par: list[Any] = list(self._defaults)
        sizes = set()
        for name, value in params.items():
            index = self._param_index.get(canonical(self.aliases.get(canonical(name), name)))
            if index is None:
                known = ", ".join(self.parameters) or "none"
                raise ModelError(f"unknown parameter '{name}'; parameters are: {known}")
            array = np.asarray(value, dtype=float)
            if array.ndim > 1:
                raise ModelError(f"parameter '{name}' must be a number or a 1-D array of run values")
            if array.ndim == 1:
                sizes.add(array.size)
                par[index] = array
            else:
                par[index] = float(array)
        if len(sizes) > 1:
            raise ModelError(f"parameter arrays have different lengths {sorted(sizes)}")
        missing = [self.layout.display[self.layout.parameters[i]] for i, v in enumerate(par)
                   if isinstance(v, float) and math.isnan(v)]
        if missing:  # a default of NaN marks an input the model does not give (an under-determined value)
            raise ModelError(f"no value for {', '.join(missing)}: the model does not give one; set it "
                             f"(--set {missing[0]}=VALUE, or run(params={{...}}))")
        count = sizes.pop() if sizes else (runs or 1)
        if runs is not None and (isinstance(runs, bool) or not isinstance(runs, int | np.integer) or runs < 1):
            raise ModelError(f"runs must be a whole number, at least 1, not {runs!r}")
        if runs is not None and runs != count and sizes:
            raise ModelError(f"runs={runs} but the parameter arrays have {count} values")
        if count < 1:
            raise ModelError("parameter arrays must have at least one value (one per run)")
        vector = count > 1 or bool(self.neural) or bool(self.fmus) or spec.method in integrators.ADAPTIVE
        if vector:  # numpy values everywhere: IEEE arithmetic (x/0 = inf) like the reference tools
            par = [np.broadcast_to(np.asarray(p, dtype=float), (count,)) if isinstance(p, np.ndarray)
                   else np.float64(p) for p in par]
        else:
            par = [p if type(p) is float else float(np.asarray(p).ravel()[0]) for p in par]
        jacobian = self.jacobian() if spec.method in integrators.STIFF else None
        return RunSetup(spec, spec.method, count, vector, par, seed, progress, self.layout.non_negative, jacobian)


    def jacobian(self) -> JacobianFunction | None:
        """The analytic Jacobian of the stocks' rates (built with sympy on first use), or None."""
        if self._jacobian is False:
            from solvers.jacobian import build_jacobian  # sympy: only for the stiff solvers

            self._jacobian = build_jacobian(self.rate_system)
        return self._jacobian  # type: ignore[return-value]

    def _namespace(self, setup: RunSetup, providers: list[str] | None, require_gpu: bool) -> dict[str, Any]:
        spec = setup.spec
        namespace: dict[str, Any] = {
            "_m": math, "_np": np, "_rt": runtime, "_pow": _pow, "_floor": _floor, "_stack": _stack,
            "_DT": spec.dt, "_START": spec.start, "_STOP": spec.stop, "_RUNS": setup.runs,
            "_INF": math.inf, "_NAN": math.nan, "PAR": setup.par,
            "PIPES": [runtime.PipelineState(spec.start, spec.dt) for _ in self.layout.pipelines],
            "BLOCKS": [blocks.make(b, spec.start, spec.dt, setup.runs if setup.vector else None)
                       for b in self.layout.blocks],
            "_rng": runtime.RandomSource(setup.seed, setup.runs if setup.vector else None),
            "NN": self._neural_runners(providers, require_gpu),
            "FMU": self._fmu_runs(setup),
        }
        for index, table in enumerate(self.lookups.values()):
            namespace[f"_lk{index}"] = table
        exec(self._byte_code(setup.vector), namespace)  # noqa: S102 - generated from the AST only
        return namespace

    def _byte_code(self, vector: bool) -> CodeType:
        if vector not in self._code:
            filename = _FILENAME.format("vector" if vector else "scalar")
            try:
                with gc_paused():
                    self._code[vector] = cache.byte_code(self.programs.python(vector).source, filename)
            except (SyntaxError, RecursionError, MemoryError) as exc:
                raise ModelError(f"model '{self.model.name}' is too large or too deeply nested for Python to "
                                 f"compile ({type(exc).__name__}: {exc})") from None
        return self._code[vector]

    def _neural_runners(self, providers: list[str] | None, require_gpu: bool) -> list[Any]:
        if not self.neural:
            return []
        from solvers.neural import NeuralRunner

        base = Path(self.model.source_path).parent if self.model.source_path else Path.cwd()
        runners = [NeuralRunner(use.component, base, providers=providers, require_gpu=require_gpu)
                   for use in self.neural]
        self._providers = {use.component.name: r.provider for use, r in zip(self.neural, runners, strict=True)}
        return runners

    def _fmu_runs(self, setup: RunSetup) -> list[Any]:
        """One ``FmuRun`` per FMU component for this call; the instances come from pools kept between
        calls (created, and each FMU unpacked, on the first call)."""
        if not self.fmus:
            return []
        from solvers.fmu import FmuPool, FmuRun

        if self._fmu_pools is None:
            base = Path(self.model.source_path).parent if self.model.source_path else Path.cwd()
            self._fmu_pools = [FmuPool(use.component, base) for use in self.fmus]
        spec = setup.spec
        return [FmuRun(pool, setup.runs, spec.start, spec.stop, spec.dt, spec.method in integrators.ADAPTIVE)
                for pool in self._fmu_pools]

    def _fault(self, exc: BaseException) -> SimulationError:
        """A run-time fault named by the variable whose generated line raised it, and the time."""
        variable, time = None, None
        tb = exc.__traceback__
        while tb is not None:
            filename = tb.tb_frame.f_code.co_filename
            if filename.startswith("<salver-model"):
                variable = self.programs.python("vector" in filename).lines.get(tb.tb_lineno, variable)
                time = tb.tb_frame.f_locals.get("t", time)
            tb = tb.tb_next
        messages = {ZeroDivisionError: "division by zero", OverflowError: "numeric overflow"}
        return SimulationError(messages.get(type(exc), str(exc)), time=time, variable=variable)

    def _check_finite(self, time: np.ndarray, out: np.ndarray, hint: str | None = None) -> None:
        finite = np.isfinite(out)
        if finite.all():
            return
        step, column, _ = np.argwhere(~finite)[0]
        name = self.layout.display[self.layout.reported[column]]
        value = out[step, column][~finite[step, column]][0]
        what = "not a number (0/0 or an invalid operation)" if np.isnan(value) else "infinite (division by zero " \
            "or overflow)"
        raise SimulationError(f"value became {what}" + (f"; {hint}" if hint else ""), time=float(time[step]),
                              variable=name)


def _after(blocks: Iterator[tuple[int, np.ndarray]], given: int) -> Iterator[tuple[int, np.ndarray]]:
    """The rows of ``blocks`` from row ``given`` on."""
    for row, block in blocks:
        if row + len(block) > given:
            skip = max(0, given - row)
            yield row + skip, block[skip:]

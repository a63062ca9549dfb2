"""FMU components at run time: one FMU instance per run, stepped or integrated with the model.

The generated programs call an ``FmuRun`` (one per component and call of ``run``) at every evaluation
of the model, with the values of the component's inputs for all runs:

- *co-simulation*: on a main step at time ``t`` the inputs are set and the outputs read (an output
  that depends on an input directly sees the new input, no delay); after the step is recorded the
  FMU advances one communication step ``dt`` (``doStep``). Evaluations between main steps (RK
  stages) see the outputs of the last communication point. Adaptive methods are refused: a
  co-simulation FMU advances on the fixed grid.
- *model exchange*: the FMU's continuous states are stocks of the model, integrated by Salver's
  integrator; every evaluation sets time, states and inputs and reads derivatives and outputs, so
  the derivatives are part of the right-hand side. After each main step the FMU is told the step is
  complete, and events are handled: a time event, an event the FMU asks for, or a state event (an
  event indicator changing sign). A state event is located inside the step by linear interpolation
  of the indicator, the FMU's event iteration runs there, and the remainder of the step is
  integrated from the new state with one Euler step; the stocks take the states after the event.
  Adaptive methods are refused for FMUs with event indicators or time events.

Instances are created once per compiled model and component (the FMU is unpacked once per process)
and reset between runs: a pool keeps them for the next call.
"""

from __future__ import annotations

import contextlib
import math
import threading
import weakref
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from metamodel.access import AccessError, confined
from metamodel.elements import FmuComponent, FmuVariable
from metamodel.errors import ModelError, ParseError, SimulationError

_FMI2_ACCESS = {"Real": "Real", "Integer": "Integer", "Enumeration": "Integer", "Boolean": "Boolean"}
_FMI3_ACCESS = {"Enumeration": "Int64"}  # other FMI 3.0 types are named like their getters
_INTEGERS = {"Integer", "Enumeration", "Int8", "UInt8", "Int16", "UInt16", "Int32", "UInt32", "Int64", "UInt64"}
EVENT_ITERATIONS = 100


class FmuError(SimulationError):
    """An FMU call that failed, or an FMU that asked to end the simulation."""


def _accessor(version: str, fmi_type: str) -> str:
    if version == "2":
        return _FMI2_ACCESS[fmi_type]
    return _FMI3_ACCESS.get(fmi_type, fmi_type)


class _Group:
    """Variables of one FMI type, read or written with one call."""

    def __init__(self, version: str, fmi_type: str, variables: list[FmuVariable]) -> None:
        self.name = _accessor(version, fmi_type)
        self.refs = [v.value_reference for v in variables]
        self.variables = variables
        self.integer = fmi_type in _INTEGERS
        self.boolean = fmi_type == "Boolean"


def _reader(version: str, instance: Any, group: _Group) -> Callable[[], list[Any]]:
    """A call that reads ``group`` from ``instance`` into arrays made once (an FMU call per read)."""
    from fmpy import fmi2, fmi3

    count = len(group.refs)
    types = fmi2 if version == "2" else fmi3
    refs = (getattr(types, f"fmi{version}ValueReference") * count)(*group.refs)
    buffer = (getattr(types, f"fmi{version}{group.name}") * count)()
    function = getattr(instance, f"fmi{version}Get{group.name}")
    arguments = (instance.component, refs, count, buffer) + ((count,) if version == "3" else ())

    def read() -> list[Any]:
        function(*arguments)
        return buffer[:]

    return read


def _groups(version: str, variables: list[FmuVariable]) -> list[tuple[list[int], _Group]]:
    """Variables grouped by accessor, with their positions in ``variables``."""
    by_name: dict[str, tuple[list[int], list[FmuVariable], str]] = {}
    for position, variable in enumerate(variables):
        name = _accessor(version, variable.type)
        positions, members, _ = by_name.setdefault(name, ([], [], variable.type))
        positions.append(position)
        members.append(variable)
    return [(positions, _Group(version, fmi_type, members)) for positions, members, fmi_type in by_name.values()]


class FmuPool:
    """The instances of one FMU component for one compiled model, kept between calls of ``run``."""

    def __init__(self, component: FmuComponent, base_dir: str | Path) -> None:
        from importers.fmu import open_fmu

        self.component = component
        self.label = f"FMU component '{component.name}'"
        if not component.path:
            raise ModelError(f"{self.label}: no FMU file path is set")
        try:
            file = confined(component.path, base_dir, "FMU file")
            self.archive = open_fmu(file, component.sha256)
        except (AccessError, ParseError) as exc:
            raise ModelError(f"{self.label}: {exc}") from None
        description = self.archive.description
        self.version = description.fmiVersion.split(".")[0]
        self.interface = component.interface
        if self.interface not in component.interfaces:
            raise ModelError(f"{self.label}: the FMU does not implement "
                             f"{'co-simulation' if self.interface == 'cs' else 'model exchange'}")
        kind = description.coSimulation if self.interface == "cs" else description.modelExchange
        self.identifier = kind.modelIdentifier
        self.guid = description.guid if self.version == "2" else description.instantiationToken
        self.states = component.states if self.interface == "me" else 0
        self.indicators = component.event_indicators if self.interface == "me" else 0
        self._idle: list[Any] = []
        self._lock = threading.Lock()
        self._count = 0
        weakref.finalize(self, _free, self._idle)  # the instances go with the compiled model

    def acquire(self, runs: int) -> list[Any]:
        """``runs`` instances, reused when idle, created otherwise."""
        with self._lock:
            taken = self._idle[:runs]
            del self._idle[:runs]
        while len(taken) < runs:
            taken.append(self._instantiate())
        return taken

    def release(self, instances: list[Any]) -> None:
        with self._lock:
            self._idle.extend(instances)

    def _instantiate(self) -> Any:
        from fmpy import fmi2, fmi3

        classes = {("2", "cs"): fmi2.FMU2Slave, ("2", "me"): fmi2.FMU2Model, ("3", "cs"): fmi3.FMU3Slave,
                   ("3", "me"): fmi3.FMU3Model}
        with self._lock:
            self._count += 1
            name = f"{self.component.name}#{self._count}"
        try:
            instance = classes[(self.version, self.interface)](
                guid=self.guid, unzipDirectory=str(self.archive.folder), modelIdentifier=self.identifier,
                instanceName=name)
            instance.instantiate()
        except Exception as exc:  # fmpy raises plain exceptions for a missing binary or a failed call
            raise ModelError(f"{self.label}: cannot instantiate the FMU: {exc}") from None
        instance.salver_used = False
        return instance


def _free(instances: list[Any]) -> None:
    """Free FMU instances (and empty the list); a failure while freeing has nothing left to tell."""
    while instances:
        instance = instances.pop()
        with contextlib.suppress(Exception):
            instance.freeInstance()


def _values(value: Any, runs: int) -> np.ndarray:
    return np.broadcast_to(np.asarray(value, dtype=float), (runs,))


class FmuRun:
    """One component over one call of ``run``: the instances of its runs, the communication grid and,
    for model exchange, the states and event indicators at the last main step."""

    def __init__(self, pool: FmuPool, runs: int, start: float, stop: float, dt: float, adaptive: bool) -> None:
        self.pool = pool
        self.label = pool.label
        self.cs = pool.interface == "cs"
        if adaptive and self.cs:
            raise ModelError(f"{self.label}: a co-simulation FMU advances on the fixed communication grid; "
                             "run with euler, rk2 or rk4 (or use its model exchange interface)")
        self.runs, self.start, self.stop, self.dt = runs, start, stop, dt
        self.adaptive = adaptive
        component = pool.component
        self.outputs = _groups(pool.version, component.outputs)
        self.parameters = {p.name: p for p in component.parameters}
        self.instances: list[Any] = []
        self._readers: list[list[tuple[list[int], Callable[[], list[Any]]]]] = []  # per run: the output groups
        self.n_out = len(component.outputs)
        self.nx = pool.states
        self.nz = pool.indicators
        self._last: np.ndarray | None = None  # co-simulation: the outputs of the last communication point
        self._time = start  # co-simulation: the FMU's time
        self._x = np.zeros((runs, self.nx))  # model exchange, at the last main step
        self._z = np.zeros((runs, self.nz))
        self._t = start
        self._next_event = np.full(runs, math.inf)
        self._z_end = np.zeros(self.nz)  # the indicators at the end of the step being completed
        self._x_buffer, self._x_view = _buffer(self.nx)  # model exchange: the states, then the derivatives
        self._z_buffer, self._z_view = _buffer(self.nz)

    # -- set-up ------------------------------------------------------------------------------------
    def initialize(self, t: float, parameters: Mapping[str, Any], inputs: Mapping[str, Any]) -> np.ndarray:
        """Instantiate (or reset) one instance per run, set parameters and inputs, initialise; the
        values at the start: ``[outputs, derivatives, states]`` x runs."""
        self.instances = self.pool.acquire(self.runs)
        version = self.pool.version
        self._readers = [[(positions, _reader(version, instance, group)) for positions, group in self.outputs]
                         for instance in self.instances]
        columns = np.empty((self.n_out + 2 * self.nx, self.runs))
        feed = {name: _values(value, self.runs) for name, value in inputs.items()}
        settings = {name: _values(value, self.runs) for name, value in parameters.items()}
        for run, instance in enumerate(self.instances):
            self._call(self._setup, instance, run, t, settings, feed)
            columns[:self.n_out, run] = self._read(run, t)
            if not self.cs:
                x = self._states(instance)
                self._x[run] = x
                columns[self.n_out:self.n_out + self.nx, run] = self._derivatives(instance, run, t)
                columns[self.n_out + self.nx:, run] = x
                self._z[run] = self._indicators(instance)
        if not self.cs and self.adaptive and (self.nz or np.isfinite(self._next_event).any()):
            raise ModelError(f"{self.label}: events of a model exchange FMU are handled on the fixed-step "
                             "methods; run with euler, rk2 or rk4")
        self._t = t
        self._time = t
        self._last = columns[:self.n_out].copy()
        return columns

    def _setup(self, instance: Any, run: int, t: float, settings: dict[str, np.ndarray],
               feed: dict[str, np.ndarray]) -> None:
        if instance.salver_used:
            instance.reset()
        instance.salver_used = True
        stop = self.stop if self.stop > t else None
        if self.pool.version == "2":
            instance.setupExperiment(startTime=t, stopTime=stop)
        values = {name: column[run] for name, column in settings.items()}
        self._write(instance, [(self.parameters[n], v) for n, v in values.items()])
        self._set_inputs(instance, run, feed)
        if self.pool.version == "2":
            instance.enterInitializationMode()
        else:
            instance.enterInitializationMode(startTime=t, stopTime=stop)
        instance.exitInitializationMode()
        if not self.cs:
            self._event_iteration(instance, run, t)
            instance.enterContinuousTimeMode()

    # -- evaluations -------------------------------------------------------------------------------
    def __call__(self, t: float, inputs: Mapping[str, Any], states: Any, main: bool) -> np.ndarray:
        """The outputs and (model exchange) derivatives at ``t`` for all runs: ``[outputs, derivatives,
        states]`` x runs; on a main step of model exchange the states are those after any event."""
        t = float(t)
        feed = {name: _values(value, self.runs) for name, value in inputs.items()}
        if self.cs:
            if not main:
                return self._last  # type: ignore[return-value]
            columns = np.empty((self.n_out, self.runs))
            for run, instance in enumerate(self.instances):
                self._call(self._set_inputs, instance, run, feed)
                columns[:, run] = self._read(run, t)
            self._last = columns
            return columns
        x = np.array([_values(states[k], self.runs) for k in range(self.nx)]).reshape(self.nx, self.runs)
        columns = np.empty((self.n_out + 2 * self.nx, self.runs))
        for run, instance in enumerate(self.instances):
            xr = x[:, run].copy()
            if main and t > self._t:
                xr = self._call(self._complete_step, instance, run, t, xr, feed)
            else:
                self._call(self._evaluate_at, instance, run, t, xr, feed)
            columns[:self.n_out, run] = self._read(run, t)
            columns[self.n_out:self.n_out + self.nx, run] = self._derivatives(instance, run, t)
            columns[self.n_out + self.nx:, run] = xr
        if main:
            self._t = t
        return columns

    def advance(self, t: float) -> None:
        """After a main step at ``t``: a co-simulation FMU steps to ``t + dt`` (not past the stop time)."""
        if not self.cs or float(t) + self.dt > self.stop + 1e-9 * self.dt:
            return
        for run, instance in enumerate(self.instances):
            self._call(self._do_step, instance, run, float(t))
        self._time = float(t) + self.dt

    def _do_step(self, instance: Any, run: int, t: float) -> None:
        result = instance.doStep(currentCommunicationPoint=t, communicationStepSize=self.dt)
        if self.pool.version == "3" and result[1]:
            raise FmuError(f"{self.label}: the FMU asked to end the simulation (run {run + 1})", time=t)

    # -- model exchange --------------------------------------------------------------------------------
    def _evaluate_at(self, instance: Any, run: int, t: float, x: np.ndarray, feed: dict[str, np.ndarray]) -> None:
        instance.setTime(t)
        if self.nx:
            self._x_view[:] = x
            instance.setContinuousStates(self._x_buffer, self.nx)
        self._set_inputs(instance, run, feed)

    def _complete_step(self, instance: Any, run: int, t: float, x: np.ndarray,
                       feed: dict[str, np.ndarray]) -> np.ndarray:
        """The main step from the last one to ``t`` is done: handle the first event inside it (state,
        time or step event); the states at ``t``."""
        t0, x0, z0 = self._t, self._x[run], self._z[run]
        self._evaluate_at(instance, run, t, x, feed)
        step_event, terminate = instance.completedIntegratorStep()
        if terminate:
            raise FmuError(f"{self.label}: the FMU asked to end the simulation (run {run + 1})", time=t)
        z = self._z_end = self._indicators(instance)
        fraction = math.inf  # of the step, where the first event falls
        crossed = [i for i in range(self.nz) if (z0[i] > 0) != (z[i] > 0)]
        if crossed:
            fraction = self._crossing(instance, run, t0, t, x0, x, z0, crossed, feed)
        if self._next_event[run] <= t + 1e-9 * self.dt:
            fraction = min(fraction, max(self._next_event[run] - t0, 0.0) / (t - t0))
        if step_event:
            fraction = min(fraction, 1.0)
        if fraction <= 1.0:
            when = t0 + fraction * (t - t0)
            x_event = x0 + fraction * (x - x0)
            self._evaluate_at(instance, run, when, x_event, feed)
            instance.enterEventMode()
            changed = self._event_iteration(instance, run, when)
            instance.enterContinuousTimeMode()
            x = self._states(instance) if changed else x_event
            if when < t:  # the rest of the step from the state after the event
                self._evaluate_at(instance, run, when, x, feed)
                x = x + (t - when) * self._derivatives(instance, run, when)
                self._evaluate_at(instance, run, t, x, feed)
            z = self._indicators(instance)
        self._x[run], self._z[run] = x, z
        return x

    def _crossing(self, instance: Any, run: int, t0: float, t: float, x0: np.ndarray, x: np.ndarray,
                  z0: np.ndarray, crossed: list[int], feed: dict[str, np.ndarray]) -> float:
        """Where in the step the first indicator changes sign: linear interpolation of the indicators,
        moved towards the end of the step until an indicator has changed sign there (an FMU tests the
        sign of its own variables at the event, so the event must not fall just short of the root)."""
        fraction = min(max(min(z0[i] / (z0[i] - self._z_end[i]) for i in crossed), 0.0), 1.0)
        for push in (0.0, 1e-12, 1e-9, 1e-6, 1e-3):
            trial = fraction + (1.0 - fraction) * push
            self._evaluate_at(instance, run, t0 + trial * (t - t0), x0 + trial * (x - x0), feed)
            z = self._indicators(instance)
            if any((z0[i] > 0) != (z[i] > 0) for i in range(self.nz)):
                return trial
        return 1.0

    def _event_iteration(self, instance: Any, run: int, t: float) -> bool:
        """Run the FMU's event iteration; whether the continuous states changed. Records the next time event."""
        changed = False
        for _ in range(EVENT_ITERATIONS):
            if self.pool.version == "2":
                needed, terminate, _, values_changed, defined, next_time = instance.newDiscreteStates()
            else:
                needed, terminate, _, values_changed, defined, next_time = instance.updateDiscreteStates()
            if terminate:
                raise FmuError(f"{self.label}: the FMU asked to end the simulation (run {run + 1})", time=t)
            changed = changed or bool(values_changed)
            if not needed:
                self._next_event[run] = float(next_time) if defined else math.inf
                return changed
        raise FmuError(f"{self.label}: the event iteration did not converge in {EVENT_ITERATIONS} rounds "
                       f"(run {run + 1})", time=t)

    def _states(self, instance: Any) -> np.ndarray:
        if not self.nx:
            return np.zeros(0)
        instance.getContinuousStates(self._x_buffer, self.nx)
        return self._x_view.copy()

    def _derivatives(self, instance: Any, run: int, t: float) -> np.ndarray:
        if not self.nx:
            return np.zeros(0)
        try:
            if self.pool.version == "2":
                instance.getDerivatives(self._x_buffer, self.nx)
            else:
                instance.getContinuousStateDerivatives(self._x_buffer, self.nx)
        except Exception as exc:
            raise self._failure(exc, run, t) from None
        return self._x_view.copy()

    def _indicators(self, instance: Any) -> np.ndarray:
        if not self.nz:
            return np.zeros(0)
        instance.getEventIndicators(self._z_buffer, self.nz)
        return self._z_view.copy()

    # -- values ------------------------------------------------------------------------------------
    def _set_inputs(self, instance: Any, run: int, feed: dict[str, np.ndarray]) -> None:
        pairs = []
        for variable in self.pool.component.inputs:
            if variable.name not in feed:
                raise ModelError(f"{self.label}: no value for input '{variable.name}'")
            pairs.append((variable, feed[variable.name][run]))
        self._write(instance, pairs)

    def _write(self, instance: Any, pairs: list[tuple[FmuVariable, float]]) -> None:
        version = self.pool.version
        by_name: dict[str, tuple[list[int], list[Any]]] = {}
        for variable, value in pairs:
            name = _accessor(version, variable.type)
            refs, values = by_name.setdefault(name, ([], []))
            refs.append(variable.value_reference)
            values.append(self._converted(variable, float(value)))
        for name, (refs, values) in by_name.items():
            getattr(instance, f"set{name}")(refs, values)

    def _converted(self, variable: FmuVariable, value: float) -> Any:
        if not math.isfinite(value):
            raise SimulationError(f"{self.label}: {variable.causality} '{variable.name}' is given {value}",
                                  variable=f"{self.pool.component.name}.{variable.name}")
        if variable.type == "Boolean":
            return value != 0.0
        if variable.type in _INTEGERS:
            if value != round(value):
                raise SimulationError(f"{self.label}: {variable.causality} '{variable.name}' is an integer "
                                      f"({variable.type}) but is given {value}",
                                      variable=f"{self.pool.component.name}.{variable.name}")
            return int(round(value))
        return value

    def _read(self, run: int, t: float) -> np.ndarray:
        values = np.empty(self.n_out)
        try:
            for positions, read in self._readers[run]:
                values[positions] = read()
        except Exception as exc:
            raise self._failure(exc, run, t) from None
        return values

    def _call(self, function: Any, instance: Any, run: int, *args: Any) -> Any:
        try:
            return function(instance, run, *args)
        except (SimulationError, ModelError):
            raise
        except Exception as exc:
            raise self._failure(exc, run, args[0] if args and isinstance(args[0], float) else None) from None

    def _failure(self, exc: Exception, run: int, t: float | None) -> FmuError:
        return FmuError(f"{self.label}: {exc} (run {run + 1})", time=t)

    def close(self) -> None:
        """Give the instances back to the pool for the next call."""
        instances, self.instances = self.instances, []
        self.pool.release(instances)


def _buffer(size: int) -> tuple[Any, np.ndarray]:
    """A C array of ``size`` doubles (at least one) for FMU calls, and a numpy view of its first ``size``."""
    from ctypes import c_double

    array = (c_double * max(size, 1))()
    return array, np.ctypeslib.as_array(array)[:size]

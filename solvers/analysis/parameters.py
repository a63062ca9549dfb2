"""Which model constants an analysis may vary, and the ``NAME=…`` texts that name them."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from metamodel.errors import SalverError
from metamodel.names import canonical

if TYPE_CHECKING:
    from solvers.model_run import CompiledModel

# Vensim's simulation controls are constants of the model, but the run takes its times from the sim
# specs: varying them run by run would report values the runs never used.
_CONTROLS = {"initial_time", "final_time", "time_step", "saveper"}


class AnalysisError(SalverError):
    """An analysis that cannot give an answer (a model that fails at every candidate, outputs that do not
    vary)."""


class RequestError(AnalysisError):
    """An analysis asked for something impossible: an unknown name, a bad distribution, range or option."""


def split_assignment(text: str, what: str, form: str = "VALUE") -> tuple[str, str]:
    """``NAME=SPEC`` -> (name, spec); ``what`` and ``form`` describe the option in the error message."""
    name, sep, spec = text.partition("=")
    if not sep or not name.strip() or not spec.strip():
        raise RequestError(f"{what}: expected NAME={form}, got '{text}'")
    return name.strip(), spec.strip()


def parse_range(text: str, what: str) -> tuple[str, tuple[float, float]]:
    """``NAME=LOW:HIGH`` -> (name, (low, high)) with finite low < high."""
    name, spec = split_assignment(text, what, "LOW:HIGH")
    parts = spec.split(":")
    try:
        low, high = (float(p) for p in parts) if len(parts) == 2 else (math.nan, math.nan)
    except ValueError:
        low = high = math.nan
    if not (math.isfinite(low) and math.isfinite(high)):
        raise RequestError(f"{what} {name}: expected LOW:HIGH numbers, got '{spec}'")
    if not low < high:
        raise RequestError(f"{what} {name}: LOW must be below HIGH, got '{spec}'")
    return name, (low, high)


def resolve_parameters(compiled: CompiledModel, names: Iterable[str]) -> list[str]:
    """The display names of the model's constants called ``names`` (any spelling of the name).

    Raises AnalysisError for a name that is no constant of the model (listing the constants), for a
    simulation control, and for a constant named twice.
    """
    known = {canonical(name): name for name in compiled.parameters}
    resolved: list[str] = []
    for name in names:
        key = canonical(name)
        if key in _CONTROLS:
            raise RequestError(f"'{name}' is a simulation control; set the run's times instead of varying it")
        if key not in known:
            variables = {canonical(v) for v in compiled.variables}
            why = "is computed by an equation, not a constant" if key in variables else "is not in the model"
            choices = ", ".join(n for k, n in known.items() if k not in _CONTROLS) or "none"
            raise RequestError(f"'{name}' {why}; the constants that can vary are: {choices}")
        if known[key] in resolved:
            raise RequestError(f"'{name}' is named twice")
        resolved.append(known[key])
    return resolved


def resolve_variable(compiled: CompiledModel, name: str) -> str:
    """The display name of the reported variable called ``name``; AnalysisError if there is none."""
    variables = {canonical(v): v for v in compiled.variables}
    try:
        return variables[canonical(name)]
    except KeyError:
        raise RequestError(f"'{name}' is not a variable of the model; variables are: "
                            f"{', '.join(compiled.variables)}") from None


def keyed(mapping: Mapping[str, object], compiled: CompiledModel) -> dict[str, object]:
    """``mapping`` re-keyed by the display names of the model's constants (checked)."""
    return dict(zip(resolve_parameters(compiled, mapping), mapping.values(), strict=True))

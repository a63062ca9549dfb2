"""Validation rules of FMU components (codes FM0xx): the file reference and units across connections."""

from __future__ import annotations

from collections.abc import Iterator

from metamodel.elements import FmuComponent, FmuVariable
from metamodel.equations.parser import parse
from metamodel.errors import ParseError
from metamodel.model import Model
from metamodel.units import UnitMismatch, infer_units
from metamodel.validation.registry import Diagnostic, rule
from metamodel.validation.sd_rules import ModelUnits, fmu_units


@rule("FM001", "error", "FMU variable fed in other units", domain="fmu")
def fed_in_other_units(model: Model) -> Iterator[Diagnostic]:
    """An input or parameter whose equation gives units other than the FMU's for it (the FMU's unit
    names read through its unit definitions)."""
    units = ModelUnits(model)
    for component in model.of_kind(FmuComponent):
        for group in ("inputs", "parameters"):
            for variable in getattr(component, group):
                problem = _mismatch(variable, fmu_units(component, variable), units)
                if problem:
                    yield Diagnostic("FM001", "error", f"{variable.causality} '{variable.name}' of FMU "
                                     f"'{component.name}' {problem}", component.id, component.name, None,
                                     f"{group}[{variable.name}].equation")


def _mismatch(variable: FmuVariable, expression: str, units: ModelUnits) -> str | None:
    if not (variable.units.strip() and variable.equation.strip()):
        return None
    wanted = units.parse(expression)
    try:
        tree = parse(variable.equation)
    except ParseError:
        return None  # SD001 reports it
    if wanted is None:
        return None
    mismatches: list[UnitMismatch] = []
    given = infer_units(tree, units.lookup, units.time_unit, mismatches)
    if given is None or mismatches:
        return None
    return None if given == wanted else f"is in {variable.units} ({wanted}), but its equation gives {given}"


@rule("FM002", "error", "FMU component without an FMU file", domain="fmu")
def missing_path(model: Model) -> Iterator[Diagnostic]:
    for component in model.of_kind(FmuComponent):
        if not component.path.strip():
            yield Diagnostic("FM002", "error", "no FMU file path is set", component.id, component.name, None, "path")

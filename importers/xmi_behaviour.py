"""Blocks whose behaviour is an SD model or an FMU: an ``OpaqueBehavior`` with language XMILE, Vensim
or Salver whose body names the model file, or one whose body names an ``.fmu`` (language FMI, or any),
relative to the XMI file and inside its folder.

The file is imported as a submodel of the architecture and bound to the block through a Module, so
that ``salver run`` simulates the architecture (see ``solvers/architecture.py``). An FMU comes in as the
model ``importers.fmu`` wraps it in: its inputs, parameters and outputs are variables, which the
block's ports name as they name an SD model's.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

from importers.report import ImportReport
from importers.xmi_document import Node, XmiDocument
from metamodel.access import AccessError, confined
from metamodel.elements import Block, FmuComponent, Module, SimSpec
from metamodel.errors import ParseError
from metamodel.model import Model

SD_LANGUAGES = {"xmile", "vensim", "salver"}
FMU_LANGUAGES = {"fmi", "fmu"}


def _text(element: Node, slot: str) -> str:
    child = next((c for c in element.children if c.tag == slot), None)
    return (child.text or "").strip() if child is not None else (element.get(slot) or "").strip()


def is_sd_behaviour(element: Node) -> bool:
    """True for an opaque behaviour whose language names an SD model format or FMI, or whose body
    names an FMU."""
    language = _text(element, "language").casefold()
    return language in SD_LANGUAGES | FMU_LANGUAGES or _text(element, "body").casefold().endswith(".fmu")


def bind_sd_behaviour(model: Model, element: Node, element_id: str, block: Block, source: str,
                      report: ImportReport) -> None:
    """Import the model file named in the behaviour's body and make it ``block``'s behaviour."""
    from importers import load  # the dispatcher: any SD format Salver reads

    body = _text(element, "body")
    name = element.get("name") or Path(body).stem or block.name
    if "!" in source:
        report.add("SD behaviour inside an archive cannot name a neighbouring file", name, element.line,
                   "error")
        return
    try:
        if not body:
            raise AccessError("SD behaviour names no file")
        target = confined(body, Path(source).parent, "SD behaviour file")
    except AccessError as exc:
        report.add(str(exc), name, element.line, "error")
        return
    try:
        submodel, sub_report = load(target)
    except ParseError as exc:
        report.add(f"SD behaviour not loaded: {exc}", name, element.line, "error")
        return
    for entry in sub_report.entries:
        report.add(f"{target.name}: {entry.reason}", entry.element, entry.line, entry.severity)
    for component in submodel.of_kind(FmuComponent):  # run from the architecture's folder
        component.path = Path(os.path.relpath(target, Path(source).parent.resolve())).as_posix()
    model.submodels[name] = submodel
    model.add(Module(element_id, name, owner=block.id, model_name=name))
    block.behavior = element_id


def simulation_config(doc: XmiDocument) -> SimSpec | None:
    """Time settings of a Cameo «SimulationConfig» (``startTime``, ``endTime``, ``stepSize``), if any."""
    for application in sorted((a for a in doc.applications() if a.name == "SimulationConfig"),
                              key=lambda a: a.line or 0):
        values = {tag: application.value(tag) for tag in ("startTime", "endTime", "stepSize")}
        try:
            numbers = {tag: float(text) for tag, text in values.items() if text not in (None, "")}
        except ValueError:
            continue
        if "endTime" in numbers:
            start = numbers.get("startTime", 0.0)
            return SimSpec(start=start, stop=numbers["endTime"], dt=numbers.get("stepSize", 1.0))
    return None


def settle_time(model: Model, report: ImportReport, outer: SimSpec | None) -> None:
    """The architecture's time settings: its own (a «SimulationConfig»), else those its SD behaviours
    agree on (an FMU's default experiment counts only where no SD behaviour gives settings);
    behaviours that disagree with no settings of the architecture are an error."""
    behaviours = {m.name: model.submodels[m.model_name].sim_spec for m in model.of_kind(Module)
                  if m.model_name in model.submodels}
    fmus = {n for n in behaviours if any(True for _ in model.submodels[n].of_kind(FmuComponent))}
    if len(fmus) < len(behaviours):  # an FMU's default experiment suggests a grid; an SD model has one
        behaviours = {n: spec for n, spec in behaviours.items() if n not in fmus}
    if outer is not None:
        model.sim_spec = outer
        differing = sorted(n for n, spec in behaviours.items() if _grid(spec) != _grid(outer))
        if differing:
            report.add(f"SD behaviours {', '.join(differing)} run under the architecture's time settings "
                       f"({_describe(outer)}), not their own", severity="info")
        return
    grids = {_grid(spec) for spec in behaviours.values()}
    if len(grids) > 1:
        listed = "; ".join(f"{n}: {_describe(spec)}" for n, spec in sorted(behaviours.items()))
        report.add(f"SD behaviours have different time settings ({listed}) and the architecture has none of its "
                   "own: give it a «SimulationConfig» with startTime, endTime and stepSize", severity="error")
    if behaviours:
        model.sim_spec = replace(next(iter(behaviours.values())))


def _grid(spec: SimSpec) -> tuple[float, float, float]:
    return spec.start, spec.stop, spec.dt


def _describe(spec: SimSpec) -> str:
    return f"{spec.start:g} to {spec.stop:g} step {spec.dt:g}"

"""Validation rules of the system-dynamics part of a model (codes SD0xx), one function per rule."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import networkx as nx

from metamodel.elements import (
    Aux,
    Element,
    Flow,
    FmuComponent,
    FmuVariable,
    Module,
    NeuralComponent,
    NeuralPort,
    Stock,
    Variable,
)
from metamodel.equations.ast import BinOp, Call, If, Name, Node, Star, Subscript, UnaryOp, walk
from metamodel.equations.builtins import CONSTANT_NAMES, is_builtin
from metamodel.equations.builtins import lookup as lookup_builtin
from metamodel.equations.deps import referenced_names
from metamodel.equations.parser import parse
from metamodel.errors import ParseError
from metamodel.model import Model
from metamodel.names import canonical
from metamodel.units import Unit, UnitContext, UnitMismatch, infer_units
from metamodel.validation.neural_rules import port_expressions
from metamodel.validation.registry import Diagnostic, rule, shared

# Builtins whose value does not depend on the current value of their arguments (they hold state),
# mapped to how many leading arguments they do read instantly.
_LAGGED_ARGS = {
    "smth1": 0, "smth3": 0, "smthn": 0, "delay1": 0, "delay3": 0, "delayn": 0, "delay": 0,
    "delay_fixed": 0, "trend": 0, "forcst": 0, "init": 0, "previous": 0, "integ": 0,
    "active_initial": 1, "sample_if_true": 2,
}

# Constants that set up the run (Vensim's control section) rather than feed equations.
_RUN_CONTROLS = frozenset({"initial_time", "final_time", "time_step", "saveper"})

# --------------------------------------------------------------------------------------------------
# What the rules share: equation texts, parsed once; the names an equation may use; units
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EquationText:
    """One equation of an element: ``field`` names where it lives, ``offset`` where it starts there."""

    element: Element
    field: str
    text: str
    offset: int = 0


def equation_texts(model: Model) -> Iterator[EquationText]:
    """Every equation in the model: variables (also per-element ones) and neural input feeds."""
    for variable in model.variables():
        if variable.equation:
            yield EquationText(variable, "equation", variable.equation)
        for key, text in variable.element_equations.items():
            yield EquationText(variable, f"element_equations[{key}]", text)
    for component in model.of_kind(NeuralComponent):
        for port in component.inputs:
            for offset, text in port_expressions(port.equation):
                yield EquationText(component, f"inputs[{port.name}].equation", text, offset)
    for fmu in model.of_kind(FmuComponent):
        for group in ("inputs", "parameters"):
            for variable in getattr(fmu, group):
                if variable.equation.strip():
                    yield EquationText(fmu, f"{group}[{variable.name}].equation", variable.equation)


def parsed(text: str) -> Node | ParseError:
    """The AST of an equation, or the ParseError it raises (the parser keeps the trees it made)."""
    try:
        return parse(text)
    except ParseError as exc:
        return exc


def parsed_equations(model: Model) -> Iterator[tuple[EquationText, Node]]:
    """Equations that parse, with their trees (SD001 reports the others)."""
    for source in equation_texts(model):
        tree = parsed(source.text)
        if isinstance(tree, Node):
            yield source, tree


def _span(source: EquationText, span: tuple[int, int]) -> tuple[int, int]:
    return source.offset + span[0], source.offset + span[1]


def _diagnostic(code: str, severity: str, element: Element | None, message: str,
                span: tuple[int, int] | None = None, field: str = "") -> Diagnostic:
    return Diagnostic(code, severity, message, element.id if element else None,
                      element.name if element else "", span, field)


def variables_by_name(model: Model) -> dict[str, Variable]:
    """Variables by canonical name (the first one where names repeat: SD004 reports it)."""
    return shared(("variables_by_name", id(model)), lambda: _variables_by_name(model))


def _variables_by_name(model: Model) -> dict[str, Variable]:
    found: dict[str, Variable] = {}
    for variable in model.variables():
        found.setdefault(variable.canonical, variable)
    return found


class NameSpace:
    """The names an equation may use in a model."""

    def __init__(self, model: Model) -> None:
        self.variables = variables_by_name(model)
        self.modules = {m.canonical for m in model.of_kind(Module)}
        self.outputs: dict[str, NeuralPort | FmuVariable] = {
            f"{c.canonical}.{canonical(p.name)}": p for c in model.of_kind(NeuralComponent) for p in c.outputs}
        self.outputs.update({f"{c.canonical}.{v.key}": v for c in model.of_kind(FmuComponent)
                             for v in (*c.outputs, *c.parameters)})
        self.dimensions = {d.canonical for d in model.dimensions}
        self.dimension_elements = {canonical(e) for d in model.dimensions for e in d.elements}

    def resolves(self, key: str, *, in_subscript: bool = False) -> bool:
        """True when canonical name ``key`` means something here."""
        if key in self.variables or key in CONSTANT_NAMES or key in self.dimensions or key in self.outputs:
            return True
        if in_subscript and key in self.dimension_elements:
            return True
        return "." in key and key.split(".", 1)[0] in self.modules


def fmu_units(component: FmuComponent, variable: FmuVariable) -> str:
    """The unit of an FMU variable as a unit expression: its definition in SI base units where the FMU
    gives one (``m/s2`` -> ``m*s^-2``), else its name."""
    return component.units_defs.get(variable.units, variable.units)


class ModelUnits:
    """The declared units of a model's variables, parsed in the model's unit context."""

    def __init__(self, model: Model) -> None:
        texts = [v.units for v in model.variables()] + [model.sim_spec.time_units]
        self.context = UnitContext.for_texts(model.units_defs, [t for t in texts if t])
        self.time_unit = self.parse(model.sim_spec.time_units)
        self.declared = {key: self.parse(v.units) for key, v in variables_by_name(model).items()}
        self.declared.update({key: self.parse(port.units) for key, port in NameSpace(model).outputs.items()})
        for fmu in model.of_kind(FmuComponent):  # an FMU's unit names read through its unit definitions
            for variable in (*fmu.outputs, *fmu.parameters):
                self.declared[f"{fmu.canonical}.{variable.key}"] = self.parse(fmu_units(fmu, variable))

    def parse(self, text: str) -> Unit | None:
        """The unit of ``text``; None when blank or unreadable (SD010 reports the latter)."""
        if not text.strip():
            return None
        try:
            return self.context.parse(text)
        except ParseError:
            return None

    def lookup(self, key: str) -> Unit | None:
        return self.declared.get(key)


def instant_references(node: Node) -> set[str]:
    """Names whose current value ``node`` needs; references inside delays and smooths do not count."""
    if isinstance(node, Call) and node.canonical in _LAGGED_ARGS:
        kept = node.args[: _LAGGED_ARGS[node.canonical]]
        return set().union(*(instant_references(arg) for arg in kept))
    if isinstance(node, Call | BinOp | UnaryOp | If):
        own = {node.canonical} if isinstance(node, Call) and not is_builtin(node.func) else set()
        return own.union(*(instant_references(child) for child in node.children()))
    return referenced_names(node)


def _subscript_indices(tree: Node) -> set[int]:
    return {id(index) for item in walk(tree) if isinstance(item, Subscript) for index in item.indices}


# --------------------------------------------------------------------------------------------------
# Rules
# --------------------------------------------------------------------------------------------------


@rule("SD001", "error", "equation syntax error")
def syntax_error(model: Model) -> Iterator[Diagnostic]:
    for variable in model.variables():
        if not variable.equations() and getattr(variable, "gf", None) is None:  # a bare table is fine
            yield _diagnostic("SD001", "error", variable, f"'{variable.name}' has no equation", field="equation")
    for source in equation_texts(model):
        tree = parsed(source.text)
        if isinstance(tree, ParseError):
            at = tree.offset if tree.offset is not None else 0
            span = _span(source, (at, min(at + 1, len(source.text))))
            yield _diagnostic("SD001", "error", source.element, tree.message, span, source.field)


@rule("SD002", "error", "undefined name")
def undefined_name(model: Model) -> Iterator[Diagnostic]:
    names = NameSpace(model)
    for source, tree in parsed_equations(model):
        indices = _subscript_indices(tree)
        for node in walk(tree):
            if isinstance(node, Name | Subscript):
                if not names.resolves(node.canonical, in_subscript=id(node) in indices):
                    yield _diagnostic("SD002", "error", source.element, f"'{node.name}' is not defined",
                                      _span(source, node.span), source.field)
            elif isinstance(node, Star) and node.dim and canonical(node.dim) not in names.dimensions:
                yield _diagnostic("SD002", "error", source.element, f"dimension '{node.dim}' is not defined",
                                  _span(source, node.span), source.field)


@rule("SD003", "warning", "unused element")
def unused_parameter(model: Model) -> Iterator[Diagnostic]:
    """A constant (parameter) that no equation and no module binding reads."""
    used: set[str] = set()
    for _source, tree in parsed_equations(model):
        used |= referenced_names(tree)
    for module in model.of_kind(Module):
        used.update(canonical(c.source) for c in module.connections)
    for aux in model.of_kind(Aux):
        if aux.is_parameter and aux.canonical not in used and aux.canonical not in _RUN_CONTROLS:
            yield _diagnostic("SD003", "warning", aux, f"constant '{aux.name}' is not used by any equation")


@rule("SD004", "error", "duplicate name")
def duplicate_name(model: Model) -> Iterator[Diagnostic]:
    """Variables, modules and neural components share one namespace (canonical names)."""
    first: dict[str, Element] = {}
    for element in model.elements.values():
        if not isinstance(element, Variable | Module | NeuralComponent | FmuComponent) or not element.canonical:
            continue
        if element.canonical in first:
            other = first[element.canonical]
            yield _diagnostic("SD004", "error", element, f"name '{element.name}' is already used by "
                              f"{other.kind} '{other.name}' (id {other.id})", field="name")
        else:
            first[element.canonical] = element


@rule("SD005", "error", "algebraic loop")
def algebraic_loop(model: Model) -> Iterator[Diagnostic]:
    """A cycle of instantaneous dependencies with no stock (or delay) to break it."""
    by_name = {k: v for k, v in variables_by_name(model).items() if not isinstance(v, Stock)}
    order = {key: i for i, key in enumerate(by_name)}
    graph = nx.DiGraph()
    graph.add_nodes_from(by_name)
    for key, variable in by_name.items():
        for text in variable.equations():
            tree = parsed(text)
            if isinstance(tree, Node):
                graph.add_edges_from((dep, key) for dep in instant_references(tree) if dep in by_name)
    for component in nx.strongly_connected_components(graph):
        start = min(component, key=order.__getitem__)
        if len(component) == 1 and not graph.has_edge(start, start):
            continue
        cycle = [edge[0] for edge in nx.find_cycle(graph.subgraph(component), source=start)]
        first = min(cycle, key=order.__getitem__)
        cycle = cycle[cycle.index(first):] + cycle[: cycle.index(first)]
        path = " -> ".join(by_name[key].name for key in [*cycle, first])
        yield _diagnostic("SD005", "error", by_name[first], f"algebraic loop: {path}")


def _attached_flows(model: Model) -> set[str]:
    return {flow_id for stock in model.of_kind(Stock) for flow_id in (*stock.inflows, *stock.outflows)}


@rule("SD006", "warning", "flow attached to no stock")
def unattached_flow(model: Model) -> Iterator[Diagnostic]:
    attached = _attached_flows(model)
    for flow in model.of_kind(Flow):
        if flow.id not in attached:
            yield _diagnostic("SD006", "warning", flow, f"flow '{flow.name}' fills and drains no stock")


@rule("SD007", "warning", "flow units do not match stock units per time unit")
def flow_stock_units(model: Model) -> Iterator[Diagnostic]:
    units = ModelUnits(model)
    if units.time_unit is None:
        return
    for stock in model.of_kind(Stock):
        stock_unit = units.parse(stock.units)
        if stock_unit is None:
            continue
        expected = stock_unit / units.time_unit
        for flow_id in (*stock.inflows, *stock.outflows):
            flow = model.get(flow_id)
            flow_unit = units.parse(flow.units) if isinstance(flow, Flow) else None
            if flow is not None and flow_unit is not None and flow_unit != expected:
                yield _diagnostic("SD007", "warning", flow, f"flow '{flow.name}' is in {flow_unit} but stock "
                                  f"'{stock.name}' needs {expected}", field="units")


@rule("SD008", "warning", "equation units differ from declared units")
def equation_units(model: Model) -> Iterator[Diagnostic]:
    units = ModelUnits(model)
    for source, tree in parsed_equations(model):
        element = source.element
        mismatches: list[UnitMismatch] = []
        inferred = infer_units(tree, units.lookup, units.time_unit, mismatches)
        for mismatch in mismatches:
            yield _diagnostic("SD008", "warning", element, mismatch.message, _span(source, mismatch.span),
                              source.field)
        if not isinstance(element, Variable) or getattr(element, "gf", None) is not None:
            continue  # a graphical function's equation is its input, not its value
        declared = units.parse(element.units)
        if declared is not None and inferred is not None and inferred != declared:
            yield _diagnostic("SD008", "warning", element, f"equation gives {inferred} but '{element.name}' "
                              f"is declared in {declared}", _span(source, tree.span), source.field)


@rule("SD009", "error", "bad graphical function")
def bad_graphical_function(model: Model) -> Iterator[Diagnostic]:
    for variable in model.variables():
        gf = getattr(variable, "gf", None)
        if gf is None:
            continue
        problem = ""
        if not gf.ypts:
            problem = "has no points"
        elif gf.xpts and len(gf.xpts) != len(gf.ypts):
            problem = f"has {len(gf.xpts)} x points but {len(gf.ypts)} y points"
        elif gf.xpts:
            bad = next((i for i in range(1, len(gf.xpts)) if gf.xpts[i] <= gf.xpts[i - 1]), None)
            if bad is not None:
                problem = (f"x points are not strictly increasing: x[{bad}] = {gf.xpts[bad]:g} follows "
                           f"{gf.xpts[bad - 1]:g}")
        elif gf.xscale and gf.xscale[0] >= gf.xscale[1] and len(gf.ypts) > 1:
            problem = f"x scale {gf.xscale[0]:g}..{gf.xscale[1]:g} is not increasing"
        if problem:
            yield _diagnostic("SD009", "error", variable, f"graphical function of '{variable.name}' {problem}",
                              field="gf")


@rule("SD010", "warning", "unknown unit")
def unknown_unit(model: Model) -> Iterator[Diagnostic]:
    context = ModelUnits(model).context
    fields: list[tuple[Element | None, str, str]] = [(v, "units", v.units) for v in model.variables()]
    fields.append((None, "time_units", model.sim_spec.time_units))
    for element, field, text in fields:
        if not text.strip():
            continue
        try:
            context.parse(text)
        except ParseError as exc:
            span = (exc.offset, exc.offset + 1) if exc.offset is not None else None
            yield Diagnostic("SD010", "warning", f"cannot read units '{text}': {exc.message}",
                             element.id if element else None, element.name if element else "sim specs",
                             span, field)


@rule("SD011", "error", "unknown function or wrong number of arguments")
def bad_call(model: Model) -> Iterator[Diagnostic]:
    variables = variables_by_name(model)
    for source, tree in parsed_equations(model):
        for node in walk(tree):
            if not isinstance(node, Call):
                continue
            message = _call_problem(node, variables)
            if message:
                yield _diagnostic("SD011", "error", source.element, message, _span(source, node.span),
                                  source.field)


def _call_problem(node: Call, variables: dict[str, Variable]) -> str:
    """Why a call is wrong, or an empty string."""
    count = len(node.args)
    builtin = lookup_builtin(node.func)
    if builtin is not None:
        if builtin.min_args <= count <= builtin.max_args:
            return ""
        noun = "argument" if builtin.arity in ("1", "at least 1") else "arguments"
        return f"{node.func.upper()} takes {builtin.arity} {noun}, not {count}"
    target = variables.get(node.canonical)
    if target is None:
        return f"unknown function '{node.func}'"
    if getattr(target, "gf", None) is None:
        return f"'{node.func}' is called like a function but has no graphical function"
    return "" if count == 1 else f"graphical function '{node.func}' takes 1 argument, not {count}"


@rule("SD012", "error", "stock inflow or outflow is not a flow")
def stock_flow_not_a_flow(model: Model) -> Iterator[Diagnostic]:
    for stock in model.of_kind(Stock):
        for field, ids in (("inflows", stock.inflows), ("outflows", stock.outflows)):
            for flow_id in ids:
                target = model.get(flow_id)
                if isinstance(target, Flow):
                    continue
                what = "no element" if target is None else f"{target.kind} '{target.name}'"
                yield _diagnostic("SD012", "error", stock, f"{field[:-1]} '{flow_id}' of stock '{stock.name}' "
                                  f"is {what}, not a flow", field=field)

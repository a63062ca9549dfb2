"""XMILE calls of one element's graphical function: ``LOOKUP(c[A1], x)`` where the arrayed ``c`` has a
graphical function per element (each read into a table aux by the importer) reads that element's table."""

from __future__ import annotations

import itertools

from importers.report import ImportReport
from importers.vensim_arrays import rebuild
from metamodel.elements import Dimension, Variable
from metamodel.equations.ast import Call, Name, Node, Subscript, walk
from metamodel.equations.parser import parse
from metamodel.equations.printer import to_text
from metamodel.errors import ParseError
from metamodel.model import Model
from metamodel.names import canonical

# canonical variable name -> canonical comma-joined element key -> name of the element's table aux
ElementTables = dict[str, dict[str, str]]


def redirect_element_lookups(model: Model, tables: ElementTables, dimensions: list[Dimension],
                             report: ImportReport) -> None:
    """Point every ``LOOKUP`` of an element of a per-element graphical function at that element's table.
    A dimension of the calling variable as the subscript (``e[D] = LOOKUP(c[D], x)``) means each element
    of ``e`` reads its own table, so ``e`` gets one equation per element."""
    if not tables:
        return
    members = {d.canonical: d.elements for d in dimensions}
    for var in [e for e in model.elements.values() if isinstance(e, Variable)]:
        own = [canonical(d) for d in var.dimensions]
        if var.equation.strip() and _calls_element_table(var.equation, tables):
            if own and _binds(var.equation, tables, set(own)):
                combos = itertools.product(*(members.get(d, []) for d in own))
                var.element_equations = {",".join(c): var.equation for c in combos} | var.element_equations
                var.equation = ""
            else:
                var.equation = _redirect(var.equation, {}, tables, var, report)
        for key, text in list(var.element_equations.items()):
            if _calls_element_table(text, tables):
                bound = dict(zip(own, (canonical(e) for e in key.split(",")), strict=False))
                var.element_equations[key] = _redirect(text, bound, tables, var, report)


def _element_calls(text: str, tables: ElementTables) -> list[Subscript]:
    try:
        tree = parse(text)
    except ParseError:
        return []
    return [n.args[0] for n in walk(tree) if isinstance(n, Call) and canonical(n.func) == "lookup" and n.args
            and isinstance(n.args[0], Subscript) and canonical(n.args[0].name) in tables]


def _calls_element_table(text: str, tables: ElementTables) -> bool:
    return bool(_element_calls(text, tables))


def _binds(text: str, tables: ElementTables, dims: set[str]) -> bool:
    return any(isinstance(i, Name) and canonical(i.name) in dims
               for ref in _element_calls(text, tables) for i in ref.indices)


def _redirect(text: str, bound: dict[str, str], tables: ElementTables, var: Variable,
              report: ImportReport) -> str:
    def visit(node: Node) -> Node:
        node = rebuild(node, visit)
        if not (isinstance(node, Call) and canonical(node.func) == "lookup" and node.args
                and isinstance(node.args[0], Subscript) and canonical(node.args[0].name) in tables):
            return node
        ref = node.args[0]
        key = ",".join(bound.get(canonical(i.name), canonical(i.name)) if isinstance(i, Name) else "?"
                       for i in ref.indices)
        table = tables[canonical(ref.name)].get(key)
        if table is None:
            report.add(f"LOOKUP of {ref.name}[{key}]: that element has no graphical function of its own",
                       var.name, None, "error")
            return node
        return Call(node.func, (Name(table, span=ref.span), *node.args[1:]), span=node.span)

    return to_text(visit(parse(text)))

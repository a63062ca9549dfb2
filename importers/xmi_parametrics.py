"""SysML 1 parametrics in XMI: constraints with their expressions, and default values as written.

A UML ``Constraint`` (``ownedRule``) of a block or constraint block becomes a ``Constraint`` element
owned by it, or by the block it constrains when it sits in a package. Its specification is an
``OpaqueExpression`` (one body per language: the first body that reads as math is kept), a
``LiteralString`` or an ``Expression``; the text is stored as written and read by the solver with
:mod:`metamodel.equations.notation`. A body that does not read as math is kept and reported: the
model then refuses to run rather than run without it. An OCL constraint of a block that is not a
constraint block is a UML invariant: kept, neither reported nor solved (:mod:`metamodel.constraints`).

Default values keep UML's literal semantics: a ``LiteralReal`` or ``LiteralInteger`` without a value is
0, a ``LiteralBoolean`` without one is false, a ``LiteralString`` is text (quoted) unless it is a number
or a literal array, an ``InstanceValue`` names an enumeration literal.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from importers.report import ImportReport
from importers.xmi_document import Node, XmiDocument
from metamodel.constraints import is_invariant
from metamodel.elements import Block, Constraint
from metamodel.equations.notation import parse_body
from metamodel.errors import ParseError
from metamodel.model import Model

_NUMBER = re.compile(r"^\s*[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?\s*$")


def _child(element: Node, name: str) -> list[Node]:
    return [c for c in element.children if c.tag == name]


def _texts(element: Node, name: str) -> list[str]:
    """Values of a multi-valued string slot: child elements' text, else the attribute."""
    children = _child(element, name)
    if children:
        return [(c.text or "") for c in children]
    value = element.get(name)
    return [value] if value is not None else []


@dataclass
class PendingConstraint:
    """A constraint in a package: attached to the block it constrains once every element exists."""

    element: Node
    constrained: list[str]


def specification(doc: XmiDocument, element: Node) -> tuple[str, str] | None:
    """``(body, language)`` of a constraint's specification, or None when it has none."""
    specs = _child(element, "specification")
    if not specs:
        return None
    spec = specs[0]
    kind = spec.kind or ""
    if kind == "OpaqueExpression":
        bodies, languages = _texts(spec, "body"), _texts(spec, "language")
        if not bodies:
            return "", languages[0] if languages else ""
        pairs = list(zip(bodies, [*languages, *[""] * len(bodies)], strict=False))
        for body, language in pairs:
            try:
                parse_body(body, language)
                return body, language
            except ParseError:
                continue
        return pairs[0]
    if kind == "Expression":
        return spec.get("symbol") or "", ""
    if kind in ("LiteralString", "LiteralBoolean", "LiteralInteger", "LiteralReal"):
        return spec.get("value") or "", ""
    return f"<{kind}>", ""


def read_constraint(model: Model, doc: XmiDocument, report: ImportReport, element: Node,
                    owner: str | None) -> PendingConstraint | None:
    """Map a UML constraint; a constraint outside blocks comes back to be attached later."""
    holder = model.get(owner)
    if not isinstance(holder, Block):
        return PendingConstraint(element, doc.refs(element, "constrainedElement"))
    _add(model, doc, report, element, holder)
    return None


def attach(model: Model, doc: XmiDocument, report: ImportReport, pending: PendingConstraint) -> bool:
    """Attach a package's constraint to the block it constrains; False when it constrains no block."""
    block = next((model.elements[i] for i in pending.constrained if isinstance(model.get(i), Block)), None)
    if block is None:
        return False
    _add(model, doc, report, pending.element, block)  # type: ignore[arg-type]
    return True


def _add(model: Model, doc: XmiDocument, report: ImportReport, element: Node, block: Block) -> None:
    element_id = element.id or f"constraint:{element.line}"
    name = element.get("name") or ""
    spec = specification(doc, element)
    body, language = spec if spec is not None else ("", "")
    if element_id in model.elements:
        report.add(f"duplicate xmi:id {element_id!r}; second element skipped", name, element.line, "error")
        return
    constraint = Constraint(element_id, name, owner=block.id, body=body.strip(), language=language.strip())
    model.add(constraint)
    report.lines[element_id] = element.line
    label = f"constraint {name or body.strip()[:40]!r} of {block.name}"
    if is_invariant(constraint, block):
        return  # kept as written, not solved (see metamodel.constraints)
    if not body.strip():
        report.add(f"{label} has no expression; the block does not run until it has one", name,
                   element.line)
        return
    try:
        parse_body(body, language)
    except ParseError as exc:
        where = f" at column {exc.offset + 1}" if exc.offset is not None else ""
        report.add(f"{label} ({language or 'no language'}) is not math this importer reads{where}: "
                   f"{exc.message}; the block does not run until it is rewritten", name, element.line)


def default_value(doc: XmiDocument, element: Node) -> str:
    """The default value of a property as equation text (see the module docstring)."""
    for child in _child(element, "defaultValue"):
        kind = child.kind or ""
        value = child.get("value")
        if kind in ("LiteralReal", "LiteralInteger", "LiteralUnlimitedNatural"):
            return value if value is not None else "0"
        if kind == "LiteralBoolean":
            return value if value is not None else "false"
        if kind == "LiteralString":
            return _text_literal(value or "")
        if kind == "InstanceValue":
            literal = doc.by_id.get(doc.ref(child, "instance") or "")
            return json.dumps(literal.get("name") or "") if literal is not None else ""
        if kind in ("OpaqueExpression", "Expression"):
            bodies = _texts(child, "body") or [child.get("symbol") or ""]
            return bodies[0].strip()
        if value is not None:
            return value
        return next(((c.text or "").strip() for c in child.children if c.tag in ("value", "body")), "")
    return ""


def _text_literal(value: str) -> str:
    text = value.strip()
    if _NUMBER.match(text) or text[:1] in "[{(" or (len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'"):
        return text
    return json.dumps(text)

"""Left sides of Vensim records: what a record defines (variable, lookup, dimension, data …)."""

from __future__ import annotations

from dataclasses import dataclass, field

from importers.vensim_arrays import DimensionDef, Lhs, SubscriptError, numeric_range
from importers.vensim_lex import Token, tokenize
from importers.vensim_records import Record
from metamodel.equations.ast import Node
from metamodel.errors import ParseError
from metamodel.names import canonical

DATA_MODES = ("INTERPOLATE", "HOLD BACKWARD", "LOOK FORWARD", "RAW")


@dataclass
class Definition:
    """One record's left side; ``rhs`` are the tokens after ``=``, ``(`` kept for lookups.

    ``kind``: ``eq`` (``=``, ``==``), ``data`` (``:=`` or no equation), ``lookup``, ``dim``,
    ``equiv``, ``check`` (reality checks). ``node`` holds an already translated right side.
    """

    name: str
    lhs: Lhs
    kind: str
    rhs: list[Token]
    record: Record
    line: int | None
    node: Node | None = None
    extra: dict[str, object] = field(default_factory=dict)


def read_definition(record: Record, line: int | None) -> Definition:
    """Parse a record's left side; ``ParseError`` (with the offset) when it is malformed."""
    tokens = tokenize(record.definition, record.offset)
    if tokens[0].kind != "name":
        raise ParseError("expected a variable or dimension name", offset=tokens[0].start)
    name = tokens[0].text
    i = 1
    subscripts: list[str] = []
    excepts: list[list[str]] = []
    if _op(tokens[i], "["):
        subscripts, i = _subscript_list(tokens, i)
    while tokens[i].kind == "ckw" and tokens[i].text == "EXCEPT":
        i += 1
        while True:
            names, i = _subscript_list(tokens, i)
            excepts.append(names)
            if not _op(tokens[i], ","):
                break
            i += 1
    modes = []
    while tokens[i].kind == "ckw" and tokens[i].text in DATA_MODES:
        modes.append(tokens[i].text)
        i += 1
    lhs = Lhs(subscripts, excepts)
    token = tokens[i]
    if modes:
        return _data_definition(name, lhs, token, tokens[i + 1:] if token.kind != "end" else tokens[i:], record,
                                line, modes[-1])
    if token.kind == "ckw" and token.text in ("THE CONDITION", "TEST INPUT"):
        return Definition(name, lhs, "check", tokens[i + 1:], record, line)
    if token.kind == "end":
        return Definition(name, lhs, "data", tokens[i:], record, line)
    if token.kind == "op" and token.text in ("=", "=="):
        return Definition(name, lhs, "eq", tokens[i + 1:], record, line)
    if _op(token, ":="):
        return Definition(name, lhs, "data", tokens[i + 1:], record, line)
    if _op(token, "("):
        return Definition(name, lhs, "lookup", tokens[i:], record, line)
    if _op(token, ":") and not subscripts:
        return Definition(name, lhs, "dim", tokens[i + 1:], record, line)
    if _op(token, "<->") and not subscripts:
        return Definition(name, lhs, "equiv", tokens[i + 1:], record, line)
    raise ParseError(f"expected '=', ':', '(' or '<->' after {name!r}, found {token.text!r}", offset=token.start)


def _data_definition(name: str, lhs: Lhs, token: Token, rhs: list[Token], record: Record, line: int | None,
                     mode: str) -> Definition:
    """``name[...]:HOLD BACKWARD:`` followed by ``:=``, ``=`` or nothing: a data variable."""
    if token.kind != "end" and not (token.kind == "op" and token.text in ("=", "==", ":=")):
        raise ParseError(f"expected '=' or ':=' after the data mode of {name!r}, found {token.text!r}",
                         offset=token.start)
    return Definition(name, lhs, "data", rhs, record, line, extra={"mode": mode})


def _op(token: Token, text: str) -> bool:
    return token.kind == "op" and token.text == text


def _subscript_list(tokens: list[Token], i: int) -> tuple[list[str], int]:
    if not _op(tokens[i], "["):
        raise ParseError("expected '['", offset=tokens[i].start)
    i += 1
    names: list[str] = []
    while True:
        if tokens[i].kind != "name":
            raise ParseError("expected a subscript name", offset=tokens[i].start)
        names.append(tokens[i].text)
        i += 1
        if _op(tokens[i], "!"):
            i += 1
        if _op(tokens[i], ","):
            i += 1
            continue
        if _op(tokens[i], "]"):
            return names, i + 1
        raise ParseError("expected ',' or ']' in subscripts", offset=tokens[i].start)


def dimension_def(definition: Definition) -> DimensionDef:
    """``a, b, (c1-c3), other dim -> mapped dim`` into a ``DimensionDef``."""
    tokens = definition.rhs
    items: list[str] = []
    maps: list[str] = []
    lists: dict[str, list[str]] = {}
    i = 0
    target = items
    while tokens[i].kind != "end":
        token = tokens[i]
        if token.kind == "name":
            if i + 1 < len(tokens) and _op(tokens[i + 1], "("):
                raise SubscriptError(f"subscripts from {token.text.upper()} are not supported")
            target.append(token.text)
            i += 1
        elif _op(token, "("):
            if target is maps:  # ``-> (other: a, b)``: the dimension and its elements in mapping order
                i = _map_list(tokens, i, maps, lists)
                continue
            if not (tokens[i + 1].kind == "name" and _op(tokens[i + 2], "-") and tokens[i + 3].kind == "name"
                    and _op(tokens[i + 4], ")")):
                raise SubscriptError("expected a numeric range such as (a1-a9)")
            items.extend(numeric_range(tokens[i + 1].text, tokens[i + 3].text))
            i += 5
        elif _op(token, ","):
            i += 1
        elif _op(token, "->"):
            target = maps
            i += 1
        else:
            raise SubscriptError(f"unexpected {token.text!r} in a dimension definition")
    if not items:
        raise SubscriptError("a dimension without elements")
    return DimensionDef(definition.name, items, maps, definition.line, lists)


def _map_list(tokens: list[Token], i: int, maps: list[str], lists: dict[str, list[str]]) -> int:
    """Reads ``(target: e1, e2, ...)`` from the ``(`` at ``i``; returns the index after its ``)``."""
    if not (tokens[i + 1].kind == "name" and _op(tokens[i + 2], ":")):
        raise SubscriptError("expected '(dimension: elements)' after '->'")
    name = tokens[i + 1].text
    listed: list[str] = []
    i += 3
    while not _op(tokens[i], ")"):
        if tokens[i].kind == "end":
            raise SubscriptError(f"the mapping to {name!r} has no ')'")
        if tokens[i].kind == "name":
            listed.append(tokens[i].text)
        elif not _op(tokens[i], ","):
            raise SubscriptError(f"unexpected {tokens[i].text!r} in the mapping to {name!r}")
        i += 1
    maps.append(name)
    lists[canonical(name)] = listed
    return i + 1

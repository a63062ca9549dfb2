"""The schema of ``.salver`` documents: JSON data checked against the metamodel's dataclasses.

``decode(hint, data, path)`` builds the value of an annotated type (a dataclass, ``list[...]``,
``tuple[...]``, ``dict[str, ...]``, ``X | None``, ``str``, ``float``, ``int``, ``bool``) from JSON
data. Types come from the dataclasses' annotations; the ranges they cannot express (``dt > 0``, a
port direction, finite numbers) from ``RANGES``; fields whose values the annotation cannot describe
(a variable's range, whose bounds may be infinite) have their own decoders (``DECODERS``). A value
that does not fit raises ``SchemaError`` naming its field path (``elements.tank.gf.ypts[2]``), so
that nothing downstream meets a field of the wrong type, NaN, an infinity or a negative count.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import types
import typing
from collections.abc import Callable
from typing import Any

from metamodel.elements import (
    FMU_CAUSALITIES,
    FMU_INTERFACES,
    GF_TYPES,
    INTEGRATION_METHODS,
    PORT_DIRECTIONS,
    RELATION_KINDS,
    FlowProperty,
    FmuComponent,
    FmuVariable,
    GraphicalFunction,
    NeuralPort,
    Part,
    Port,
    Relation,
    SimSpec,
    Variable,
)
from metamodel.errors import SalverError
from metamodel.views import VIEW_KINDS, Shape, View


class SchemaError(SalverError):
    """JSON data that does not fit the schema; ``path`` names the field."""

    def __init__(self, path: str, message: str) -> None:
        self.path = path
        self.message = message
        super().__init__(f"{path or 'document'}: {message}")


Check = Callable[[Any], str | None]  # the problem with a field's value, or None


def _positive(value: float | None) -> str | None:
    return None if value is None or value > 0 else "must be greater than 0"


def _not_negative(value: int | float | None) -> str | None:
    return None if value is None or value >= 0 else "must not be negative"


def _one_of(choices: tuple[str, ...]) -> Check:
    def check(value: str) -> str | None:
        return None if value in choices else f"must be one of {', '.join(choices)}, not {value!r}"

    return check


def _controls(controls: dict[str, str]) -> str | None:
    unknown = sorted(set(controls) - {"stop", "dt", "save_per"})
    return f"unknown time settings {', '.join(map(repr, unknown))} (stop, dt, save_per)" if unknown else None


def _dims(shape: list[int | None]) -> str | None:
    return None if all(d is None or d >= 0 for d in shape) else "axis sizes must not be negative"


# (dataclass, field) -> check of the decoded value
RANGES: dict[tuple[type, str], Check] = {
    (SimSpec, "dt"): _positive,
    (SimSpec, "save_per"): _positive,
    (SimSpec, "method"): _one_of(INTEGRATION_METHODS),
    (SimSpec, "controls"): _controls,
    (GraphicalFunction, "type"): _one_of(GF_TYPES),
    (Part, "lower"): _not_negative,
    (Part, "upper"): _not_negative,
    (Port, "lower"): _not_negative,
    (Port, "upper"): _not_negative,
    (Port, "direction"): _one_of(PORT_DIRECTIONS),
    (FlowProperty, "direction"): _one_of(PORT_DIRECTIONS),
    (Relation, "relation"): _one_of(RELATION_KINDS),
    (NeuralPort, "shape"): _dims,
    (FmuVariable, "causality"): _one_of(FMU_CAUSALITIES),
    (FmuVariable, "value_reference"): _not_negative,
    (FmuComponent, "interface"): _one_of(FMU_INTERFACES),
    (FmuComponent, "states"): _not_negative,
    (FmuComponent, "event_indicators"): _not_negative,
    (View, "kind"): _one_of(VIEW_KINDS),
    (Shape, "width"): _not_negative,
    (Shape, "height"): _not_negative,
}


def _gf_points(gf: GraphicalFunction) -> str | None:
    if gf.xpts and len(gf.xpts) != len(gf.ypts):
        return f"has {len(gf.xpts)} x values for {len(gf.ypts)} y values"
    return None


# dataclass -> check of the whole decoded instance
WHOLE: dict[type, Callable[[Any], str | None]] = {GraphicalFunction: _gf_points}


@functools.cache
def _fields(cls: type) -> tuple[dict[str, Any], frozenset[str], frozenset[str]]:
    """Hints, settable field names and required field names of a dataclass."""
    hints = typing.get_type_hints(cls)
    settable = [f for f in dataclasses.fields(cls) if f.init and not f.name.startswith("_")]
    required = [f.name for f in settable
                if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]
    return hints, frozenset(f.name for f in settable), frozenset(required)


def _kind(data: Any) -> str:
    if data is None:
        return "null"
    if isinstance(data, bool):
        return "true/false"
    return {dict: "an object", list: "a list", str: "text", int: "a number", float: "a number"}.get(
        type(data), type(data).__name__)


class _Misfit(Exception):
    """A value that does not fit, raised inside a decoding plan; ``where`` holds the path's steps from the
    innermost out, each ``(step, key)`` with step one of "field", "key", "index" (the path is only
    written out when something does not fit)."""

    def __init__(self, message: str, where: list[tuple[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.where = where if where is not None else []


def _path(prefix: str, where: list[tuple[str, Any]]) -> str:
    path = prefix
    for step, key in reversed(where):
        if step == "index":
            path = f"{path}[{key}]"
        elif step == "key" or path:
            path = f"{path}.{key}"
        else:
            path = key
    return path


Decoder = Callable[[Any], Any]  # JSON data -> value; raises _Misfit
_PLANS: dict[Any, Decoder] = {}


def decode(hint: Any, data: Any, path: str = "") -> Any:
    """The value of type ``hint`` that JSON ``data`` describes; ``SchemaError`` naming ``path`` if none."""
    try:
        return _plan(hint)(data)
    except _Misfit as misfit:
        raise SchemaError(_path(path, misfit.where), misfit.message) from None


def _plan(hint: Any) -> Decoder:
    """The decoder of ``hint``, made once per type (decoding a big model calls it for every field)."""
    plan = _PLANS.get(hint)
    if plan is None:
        plan = _make_plan(hint)
        _PLANS[hint] = plan
    return plan


def _make_plan(hint: Any) -> Decoder:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return _union(hint)
    if origin is list:
        return _list(typing.get_args(hint)[0])
    if origin is tuple:
        return _tuple(hint)
    if origin is dict:
        return _dict(typing.get_args(hint)[1])
    if dataclasses.is_dataclass(hint):
        return _dataclass(hint)
    simple = {float: _float, int: _int, str: _expecting(str), bool: _expecting(bool), Any: _any}.get(hint)
    if simple is not None:
        return simple

    def unknown(data: Any) -> Any:
        raise TypeError(f"the schema has no rule for {hint!r}")  # a metamodel type this module must learn

    return unknown


def _any(data: Any) -> Any:
    return data


def _float(data: Any) -> float:
    if type(data) is not float and (isinstance(data, bool) or not isinstance(data, int | float)):
        raise _Misfit(f"must be a number, not {_kind(data)}")
    value = float(data) if abs(data) < 1e308 else math.inf
    if not math.isfinite(value):
        raise _Misfit("must be a finite number")
    return value


def _int(data: Any) -> int:
    if isinstance(data, bool) or not isinstance(data, int):
        raise _Misfit(f"must be a whole number, not {_kind(data)}")
    if abs(data) > 2**53:
        raise _Misfit("is too large")
    return data


def _expect(data: Any, cls: type) -> Any:
    if not isinstance(data, cls):
        raise _Misfit(f"must be {_kind(cls())}, not {_kind(data)}")
    return data


def _expecting(cls: type) -> Decoder:
    def expect(data: Any) -> Any:
        return _expect(data, cls)

    return expect


def _items(item: Decoder, values: list[Any]) -> list[Any]:
    """Each of ``values`` decoded; a misfit names its index."""
    try:
        return [item(v) for v in values]
    except _Misfit:
        for index, value in enumerate(values):
            try:
                item(value)
            except _Misfit as misfit:
                misfit.where.append(("index", index))
                raise misfit from None
        raise


def _list(item_hint: Any) -> Decoder:
    if item_hint is Any:
        return lambda data: list(_expect(data, list))
    item = _plan(item_hint)
    return lambda data: _items(item, _expect(data, list))


def _dict(item_hint: Any) -> Decoder:
    if item_hint is Any:
        return lambda data: dict(_expect(data, dict))
    item = _plan(item_hint)

    def decode_dict(data: Any) -> dict[str, Any]:
        values = {}
        for key, value in _expect(data, dict).items():
            try:
                values[key] = item(value)
            except _Misfit as misfit:
                misfit.where.append(("key", key))
                raise
        return values

    return decode_dict


def _union(hint: Any) -> Decoder:
    options = typing.get_args(hint)
    nullable = type(None) in options
    kept = [_plan(o) for o in options if o is not type(None)]
    first_options, last = kept[:-1], kept[-1]

    def decode_union(data: Any) -> Any:
        if data is None:
            if nullable:
                return None
            raise _Misfit("must not be null")
        for option in first_options:
            try:
                return option(data)
            except _Misfit:
                continue
        return last(data)

    return decode_union


def _tuple(hint: Any) -> Decoder:
    args = typing.get_args(hint)
    if len(args) == 2 and args[1] is Ellipsis:
        item = _plan(args[0])
        return lambda data: tuple(_items(item, _expect(data, list)))
    items = [_plan(a) for a in args]

    def decode_tuple(data: Any) -> tuple[Any, ...]:
        values = _expect(data, list)
        if len(values) != len(items):
            raise _Misfit(f"must be a list of {len(items)} values, not {len(values)}")
        return tuple(_items_each(items, values))

    return decode_tuple


def _items_each(decoders: list[Decoder], values: list[Any]) -> list[Any]:
    """``values[i]`` decoded by ``decoders[i]``; a misfit names its index."""
    out = []
    for index, (item, value) in enumerate(zip(decoders, values, strict=True)):
        try:
            out.append(item(value))
        except _Misfit as misfit:
            misfit.where.append(("index", index))
            raise
    return out


def _bounds(data: Any) -> tuple[float, float] | None:
    """A variable's range: two numbers, either of which may be infinite (an open bound, Vensim's ``?``)."""
    if data is None:
        return None
    items = _expect(data, list)
    if len(items) != 2:
        raise _Misfit(f"must be a list of 2 values, not {len(items)}")
    bounds = []
    for index, item in enumerate(items):
        if isinstance(item, bool) or not isinstance(item, int | float) or item != item:
            raise _Misfit(f"must be a number or an infinity, not {'NaN' if item != item else _kind(item)}",
                          [("index", index)])
        bounds.append(float(item) if abs(item) < 1e308 else math.inf if item > 0 else -math.inf)
    return bounds[0], bounds[1]


# (dataclass or a base of it, field) -> decoder of a field whose values the annotation cannot describe
DECODERS: dict[tuple[type, str], Decoder] = {(Variable, "range"): _bounds}


def _special(cls: type, name: str) -> Decoder | None:
    """The own decoder of field ``name`` of ``cls`` or of a base class, if it has one."""
    return next((DECODERS[base, name] for base in cls.__mro__ if (base, name) in DECODERS), None)


def _dataclass(cls: type) -> Decoder:
    hints, settable, required = _fields(cls)
    fields: dict[str, tuple[Decoder, Check | None]] = {}
    whole = WHOLE.get(cls)

    def decode_instance(data: Any) -> Any:
        if not fields:  # filled on first use: a dataclass may hold fields of its own type
            fields.update({name: (_special(cls, name) or _plan(hints[name]), RANGES.get((cls, name)))
                           for name in settable})
        _expect(data, dict)
        keys = data.keys()
        if not keys <= settable:
            unknown = sorted(set(keys) - settable)
            raise _Misfit(f"unknown field(s) {', '.join(map(repr, unknown))} for {cls.__name__}")
        if not required <= keys:
            missing = sorted(required - set(keys))
            raise _Misfit(f"missing field(s) {', '.join(map(repr, missing))} of {cls.__name__}")
        values = {}
        for name, raw in data.items():
            item, check = fields[name]
            try:
                value = item(raw)
            except _Misfit as misfit:
                misfit.where.append(("field", name))
                raise
            if check is not None:
                problem = check(value)
                if problem:
                    raise _Misfit(problem, [("field", name)])
            values[name] = value
        instance = cls(**values)
        problem = whole(instance) if whole is not None else None
        if problem:
            raise _Misfit(problem)
        return instance

    return decode_instance

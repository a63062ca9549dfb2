"""The schema of ``.salver`` documents: JSON data checked against the metamodel's dataclasses.

``decode(hint, data, path)`` builds the value of an annotated type (a dataclass, ``list[...]``,
``tuple[...]``, ``dict[str, ...]``, ``X | None``, ``str``, ``float``, ``int``, ``bool``) from JSON
data. Types come from the dataclasses' annotations; the ranges they cannot express (``dt > 0``, a
port direction, finite numbers) from ``RANGES``. A value that does not fit raises ``SchemaError``
naming its field path (``elements.tank.gf.ypts[2]``), so that nothing downstream meets a field of the
wrong type, NaN, an infinity or a negative count.
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
    GF_TYPES,
    INTEGRATION_METHODS,
    PORT_DIRECTIONS,
    RELATION_KINDS,
    FlowProperty,
    GraphicalFunction,
    NeuralPort,
    Part,
    Port,
    Relation,
    SimSpec,
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


def _dims(shape: list[int | None]) -> str | None:
    return None if all(d is None or d >= 0 for d in shape) else "axis sizes must not be negative"


# (dataclass, field) -> check of the decoded value
RANGES: dict[tuple[type, str], Check] = {
    (SimSpec, "dt"): _positive,
    (SimSpec, "save_per"): _positive,
    (SimSpec, "method"): _one_of(INTEGRATION_METHODS),
    (GraphicalFunction, "type"): _one_of(GF_TYPES),
    (Part, "lower"): _not_negative,
    (Part, "upper"): _not_negative,
    (Port, "lower"): _not_negative,
    (Port, "upper"): _not_negative,
    (Port, "direction"): _one_of(PORT_DIRECTIONS),
    (FlowProperty, "direction"): _one_of(PORT_DIRECTIONS),
    (Relation, "relation"): _one_of(RELATION_KINDS),
    (NeuralPort, "shape"): _dims,
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


def decode(hint: Any, data: Any, path: str = "") -> Any:
    """The value of type ``hint`` that JSON ``data`` describes; ``SchemaError`` naming ``path`` if none."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return _union(hint, data, path)
    if origin is list:
        (item,) = typing.get_args(hint)
        return [decode(item, v, f"{path}[{i}]") for i, v in enumerate(_expect(data, list, path))]
    if origin is tuple:
        return _tuple(hint, data, path)
    if origin is dict:
        _, item = typing.get_args(hint)
        return {k: decode(item, v, f"{path}.{k}") for k, v in _expect(data, dict, path).items()}
    if dataclasses.is_dataclass(hint):
        return _dataclass(hint, data, path)
    if hint is float:
        if isinstance(data, bool) or not isinstance(data, int | float):
            raise SchemaError(path, f"must be a number, not {_kind(data)}")
        value = float(data) if abs(data) < 1e308 else math.inf
        if not math.isfinite(value):
            raise SchemaError(path, "must be a finite number")
        return value
    if hint is int:
        if isinstance(data, bool) or not isinstance(data, int):
            raise SchemaError(path, f"must be a whole number, not {_kind(data)}")
        if abs(data) > 2**53:
            raise SchemaError(path, "is too large")
        return data
    if hint is str:
        return _expect(data, str, path)
    if hint is bool:
        return _expect(data, bool, path)
    if hint is Any:
        return data
    raise TypeError(f"the schema has no rule for {hint!r}")  # a metamodel type this module must learn


def _expect(data: Any, cls: type, path: str) -> Any:
    if not isinstance(data, cls):
        raise SchemaError(path, f"must be {_kind(cls())}, not {_kind(data)}")
    return data


def _union(hint: Any, data: Any, path: str) -> Any:
    options = typing.get_args(hint)
    if data is None:
        if type(None) in options:
            return None
        raise SchemaError(path, "must not be null")
    kept = [o for o in options if o is not type(None)]
    for option in kept[:-1]:
        try:
            return decode(option, data, path)
        except SchemaError:
            continue
    return decode(kept[-1], data, path)


def _tuple(hint: Any, data: Any, path: str) -> tuple[Any, ...]:
    args = typing.get_args(hint)
    items = _expect(data, list, path)
    if len(args) == 2 and args[1] is Ellipsis:
        args = (args[0],) * len(items)
    elif len(items) != len(args):
        raise SchemaError(path, f"must be a list of {len(args)} values, not {len(items)}")
    return tuple(decode(a, v, f"{path}[{i}]") for i, (a, v) in enumerate(zip(args, items, strict=True)))


def _dataclass(cls: type, data: Any, path: str) -> Any:
    hints, settable, required = _fields(cls)
    _expect(data, dict, path)
    unknown = sorted(set(data) - settable)
    if unknown:
        raise SchemaError(path, f"unknown field(s) {', '.join(map(repr, unknown))} for {cls.__name__}")
    missing = sorted(required - set(data))
    if missing:
        raise SchemaError(path, f"missing field(s) {', '.join(map(repr, missing))} of {cls.__name__}")
    values = {}
    for name, raw in data.items():
        value = decode(hints[name], raw, f"{path}.{name}" if path else name)
        check = RANGES.get((cls, name))
        problem = check(value) if check is not None else None
        if problem:
            raise SchemaError(f"{path}.{name}" if path else name, problem)
        values[name] = value
    instance = cls(**values)
    whole = WHOLE.get(cls)
    problem = whole(instance) if whole is not None else None
    if problem:
        raise SchemaError(path, problem)
    return instance

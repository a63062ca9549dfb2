"""The native ``.salver`` format: deterministic JSON (sorted keys, stable ids), atomic saves."""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import types
import typing
from typing import Any

from metamodel import atomic
from metamodel.elements import ELEMENT_TYPES, Dimension, Element, SimSpec
from metamodel.errors import ParseError
from metamodel.model import Model
from metamodel.schema import SchemaError, decode
from metamodel.views import View

FORMAT = "salver"
FORMAT_VERSION = 1
MAX_FILE_BYTES = 200 * 1024 * 1024
MAX_SUBMODEL_DEPTH = 50


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _unoptional(hint: Any) -> Any:
    """``X`` for ``X | None``; other hints unchanged."""
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(hint) if a is not type(None)]
        if len(options) == 1:
            return options[0]
    return hint


def _item_hint(hint: Any, position: int = 0) -> Any:
    args = typing.get_args(hint)
    return args[position] if len(args) > position else Any


def _encode(value: Any, hint: Any = Any) -> Any:
    """JSON data of ``value``; ``hint`` (the declared type) turns ints in float fields into floats, so that
    a model saved, loaded and saved again gives the same text."""
    hint = _unoptional(hint)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        hints = _hints(type(value))
        return {f.name: _encode(getattr(value, f.name), hints.get(f.name, Any)) for f in dataclasses.fields(value)
                if not f.name.startswith("_")}
    if isinstance(value, dict):
        item = _item_hint(hint, 1) if typing.get_origin(hint) is dict else Any
        return {str(k): _encode(v, item) for k, v in value.items()}
    if isinstance(value, list | tuple):
        item = _item_hint(hint) if typing.get_origin(hint) in (list, tuple) else Any
        return [_encode(v, item) for v in value]
    if isinstance(value, int) and not isinstance(value, bool) and float in (hint, *typing.get_args(hint)):
        return float(value)
    return value


def to_dict(model: Model) -> dict[str, Any]:
    """The JSON-ready document of a model."""
    return {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "name": model.name,
        "doc": model.doc,
        "sim_spec": _encode(model.sim_spec),
        "dimensions": _encode(model.dimensions),
        "units": dict(model.units_defs),
        "elements": {eid: {"kind": e.kind, **_encode(e)} for eid, e in model.elements.items()},
        "views": _encode(model.views),
        "submodels": {name: _model_body(sub) for name, sub in model.submodels.items()},
    }


def _model_body(model: Model) -> dict[str, Any]:
    body = to_dict(model)
    del body["format"], body["version"]
    return body


def from_dict(data: dict[str, Any], *, source: str | None = None) -> Model:
    """Build a model from its document; raises ``ParseError`` naming what is wrong."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ParseError("not a Salver model (missing \"format\": \"salver\")", file=source)
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ParseError(f"format version {version!r} is not a positive whole number", file=source)
    if version > FORMAT_VERSION:
        raise ParseError(f"format version {version!r} is newer than this Salver reads ({FORMAT_VERSION}); "
                         "update Salver", file=source)
    return _body_to_model(data, source)


def _body_to_model(data: dict[str, Any], source: str | None) -> Model:
    try:
        return _decode_body(data, "", 0, source)
    except SchemaError as exc:
        raise ParseError(f"damaged model file: {exc}", file=source) from None


def _decode_body(data: Any, path: str, depth: int, source: str | None) -> Model:
    """A model from the JSON object ``data`` (a document or a submodel's body at ``path``)."""
    if depth > MAX_SUBMODEL_DEPTH:
        raise SchemaError(path, f"submodels nested deeper than {MAX_SUBMODEL_DEPTH} levels")
    data = decode(dict[str, Any], data, path)
    at = f"{path}." if path else ""
    model = Model(name=decode(str, data.get("name", "model"), f"{at}name"),
                  doc=decode(str, data.get("doc", ""), f"{at}doc"), source_path=source)
    model.sim_spec = decode(SimSpec, data.get("sim_spec", {}), f"{at}sim_spec")
    model.dimensions = decode(list[Dimension], data.get("dimensions", []), f"{at}dimensions")
    model.units_defs = decode(dict[str, str], data.get("units", {}), f"{at}units")
    for element_id, raw in decode(dict[str, dict[str, Any]], data.get("elements", {}), f"{at}elements").items():
        where = f"{at}elements.{element_id}"
        fields = dict(raw)
        kind = fields.pop("kind", None)
        cls = ELEMENT_TYPES.get(kind) if isinstance(kind, str) else None
        if cls is None:
            raise SchemaError(f"{where}.kind", f"unknown element kind {kind!r}; kinds are {', '.join(ELEMENT_TYPES)}")
        element: Element = decode(cls, fields, where)
        if element.id != element_id:
            raise SchemaError(f"{where}.id", f"does not match the element's key {element_id!r}")
        model.elements[element_id] = element
    model.views = decode(list[View], data.get("views", []), f"{at}views")
    submodels = decode(dict[str, dict[str, Any]], data.get("submodels", {}), f"{at}submodels")
    model.submodels = {name: _decode_body(body, f"{at}submodels.{name}", depth + 1, source)
                       for name, body in submodels.items()}
    return model


def dumps(model: Model) -> str:
    """The ``.salver`` text of a model: sorted keys, two-space indent, trailing newline."""
    return json.dumps(to_dict(model), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def save(model: Model, path: str | os.PathLike[str]) -> None:
    """Write ``model`` to ``path`` atomically (``metamodel.atomic``: the old file or the new, never a part)."""
    atomic.write_text(path, dumps(model), newline="\n")
    model.source_path = str(path)


def load(path: str | os.PathLike[str]) -> Model:
    """Read a ``.salver`` file; a damaged or future-version file raises ``ParseError``."""
    source = str(path)
    try:
        size = os.path.getsize(source)
        if size > MAX_FILE_BYTES:
            raise ParseError(f"file is {size} bytes, larger than the {MAX_FILE_BYTES} allowed", file=source)
        with open(source, encoding="utf-8") as handle:
            data = json.load(handle)
    except json.JSONDecodeError as exc:
        raise ParseError(f"damaged model file: {exc.msg}", file=source, line=exc.lineno, column=exc.colno) from None
    except RecursionError:
        raise ParseError("damaged model file: JSON nested too deeply", file=source) from None
    except UnicodeDecodeError as exc:
        raise ParseError(f"not UTF-8 text: {exc.reason}", file=source) from None
    except OSError as exc:
        raise ParseError(f"cannot read file: {exc.strerror}", file=source) from None
    return from_dict(data, source=source)

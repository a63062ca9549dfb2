"""XMILE 1.0 export: the model, its submodels (one ``<model name>`` each) and stock-and-flow views.

The output reads back through ``importers.xmile.loads`` into an equal model, and follows the layout
Stella writes (``isee`` namespace declared, names with underscores in references).
"""

from __future__ import annotations

import os
import re

from lxml import etree

from metamodel import atomic
from metamodel.elements import Aux, Flow, GraphicalFunction, Module, Stock, Variable
from metamodel.equations.deps import replace_names
from metamodel.errors import ModelError
from metamodel.model import Model
from metamodel.views import View

XMILE_NS = "http://docs.oasis-open.org/xmile/ns/XMILE/v1.0"
ISEE_NS = "http://iseesystems.com/XMILE"
_METHOD_NAMES = {"euler": "Euler", "rk2": "RK2", "rk4": "RK4", "rk45": "RK45"}
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")  # not allowed in XML 1.0
_TAGS = ((Stock, "stock"), (Flow, "flow"), (Aux, "aux"), (Module, "module"))


def save(model: Model, path: str | os.PathLike[str]) -> None:
    """Write ``model`` as an XMILE file, atomically."""
    atomic.write_text(path, dumps(model))


def dumps(model: Model) -> str:
    """The XMILE 1.0 text of ``model``."""
    root = etree.Element(_q("xmile"), nsmap={None: XMILE_NS, "isee": ISEE_NS}, version="1.0")
    _header(root, model)
    _sim_specs(root, model)
    if model.units_defs:
        units = _sub(root, "model_units")
        for name, eqn in model.units_defs.items():
            _sub(_sub(units, "unit", name=name), "eqn", eqn)
    if model.dimensions:
        dims = _sub(root, "dimensions")
        for dim in model.dimensions:
            if dim.elements and dim.elements == [str(i) for i in range(1, len(dim.elements) + 1)]:
                _sub(dims, "dim", name=dim.name, size=str(len(dim.elements)))
                continue
            dim_el = _sub(dims, "dim", name=dim.name)
            for elem in dim.elements:
                _sub(dim_el, "elem", name=elem)
    counter = [0]
    _model(root, model, None, counter)
    for name, sub in _all_submodels(model).items():
        _model(root, sub, name, counter)
    etree.indent(root, space="\t")
    return etree.tostring(root, encoding="unicode", xml_declaration=False).join(
        ('<?xml version="1.0" encoding="utf-8"?>\n', "\n")
    )


def _q(tag: str) -> str:
    return f"{{{XMILE_NS}}}{tag}"


def _sub(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    try:
        el = etree.SubElement(parent, _q(tag), {k: v for k, v in attrs.items() if v is not None})
        if text is not None:
            el.text = text
    except ValueError:  # a control character or NUL, which XML 1.0 cannot hold
        owner = attrs.get("name") or parent.get("name") or etree.QName(parent).localname
        raise ModelError(f"'{owner}' cannot be written as XMILE: its <{tag}> holds a character XML cannot "
                         f"hold ({_first_control(text, attrs)})") from None
    return el


def _first_control(text: str | None, attrs: dict[str, str]) -> str:
    for value in (text or "", *(v for v in attrs.values() if v)):
        found = _NOT_XML.search(value)
        if found:
            return f"U+{ord(found.group()):04X}"
    return "an invalid character"


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() and abs(value) < 1e15 else repr(float(value))


def _ref(name: str) -> str:
    """A name as XMILE writes it in references (``inflow``, connector ends): underscores for spaces."""
    return re.sub(r"\s+", "_", name.strip())


def _equation(text: str, model: Model) -> str:
    """Equation text as XMILE tools read it: the model's names written with spaces get underscores."""
    return replace_names(text, lambda written: _ref(written) if " " in written.strip() and not written.startswith(
        '"') and model.find(written) is not None else None)


def _header(root: etree._Element, model: Model) -> None:
    header = _sub(root, "header")
    options = _sub(header, "options", namespace="std, isee")
    if model.submodels:
        _sub(options, "uses_submodels")
    if model.dimensions:
        _sub(options, "uses_arrays", maximum_dimensions=str(max(1, len(model.dimensions))))
    _sub(header, "name", model.name)
    _sub(header, "vendor", "Salver")
    _sub(header, "product", "Salver", version="0.1.0", lang="en")


def _sim_specs(root: etree._Element, model: Model) -> None:
    spec = model.sim_spec
    el = _sub(
        root,
        "sim_specs",
        method=_METHOD_NAMES.get(spec.method, spec.method),
        time_units=spec.time_units or None,
    )
    if spec.save_per is not None:
        el.set(f"{{{ISEE_NS}}}save_interval", _num(spec.save_per))
    _sub(el, "start", _num(spec.start))
    _sub(el, "stop", _num(spec.stop))
    _sub(el, "dt", _num(spec.dt))


def _all_submodels(model: Model) -> dict[str, Model]:
    """Every submodel, nested ones included: XMILE lists all models side by side."""
    found: dict[str, Model] = {}
    for name, sub in model.submodels.items():
        found.setdefault(name, sub)
        for inner, inner_model in _all_submodels(sub).items():
            found.setdefault(inner, inner_model)
    return found


def _model(root: etree._Element, model: Model, name: str | None, counter: list[int]) -> None:
    el = _sub(root, "model", name=name)
    variables = _sub(el, "variables")
    for element in model.elements.values():
        if isinstance(element, Module):
            _module(variables, element)
        elif isinstance(element, Variable):
            _variable(variables, element, model)
    views = [v for v in model.views if v.kind == "stock_flow"]
    if views:
        views_el = _sub(el, "views")
        for view in views:
            _view(views_el, view, model, counter)


def _module(parent: etree._Element, module: Module) -> None:
    el = _sub(parent, "module", name=module.name)
    if module.doc:
        _sub(el, "doc", module.doc)
    for conn in module.connections:
        source = conn.source if "." in conn.source else "." + conn.source
        to = conn.to if conn.to.startswith(".") else f"{_ref(module.name)}.{conn.to}"
        _sub(el, "connect", to=to, **{"from": source})


def _variable(parent: etree._Element, var: Variable, model: Model) -> None:
    tag = next(t for cls, t in _TAGS if isinstance(var, cls))
    el = _sub(parent, tag, name=var.name)
    if var.doc:
        _sub(el, "doc", var.doc)
    if var.dimensions:
        dims = _sub(el, "dimensions")
        for dim in var.dimensions:
            _sub(dims, "dim", name=dim)
    if var.equation or not var.element_equations:
        _sub(el, "eqn", _equation(var.equation, model))
    for key, eqn in var.element_equations.items():
        _sub(_sub(el, "element", subscript=", ".join(key.split(","))), "eqn", _equation(eqn, model))
    if isinstance(var, Stock):
        for tag_name, ids in (("inflow", var.inflows), ("outflow", var.outflows)):
            for flow_id in ids:
                flow = model.get(flow_id)
                if flow is not None:
                    _sub(el, tag_name, _ref(flow.name))
    if isinstance(var, Stock | Flow) and var.non_negative:
        _sub(el, "non_negative")
    if var.units:
        _sub(el, "units", var.units)
    gf = getattr(var, "gf", None)
    if gf is not None:
        _gf(el, gf)
    if var.range is not None:
        _sub(el, "range", min=_num(var.range[0]), max=_num(var.range[1]))


def _gf(parent: etree._Element, gf: GraphicalFunction) -> None:
    el = _sub(parent, "gf", type=gf.type if gf.type != "continuous" else None)
    for axis in ("xscale", "yscale"):
        scale = getattr(gf, axis)
        if scale is not None:
            _sub(el, axis, min=_num(scale[0]), max=_num(scale[1]))
    if gf.xpts:
        _sub(el, "xpts", ",".join(_num(v) for v in gf.xpts))
    _sub(el, "ypts", ",".join(_num(v) for v in gf.ypts))


def _view(parent: etree._Element, view: View, model: Model, counter: list[int]) -> None:
    el = _sub(parent, "view", type="stock_flow", name=view.name if view.name != "View" else None)
    for element_id, shape in view.shapes.items():
        element = model.get(element_id)
        tag = next((t for cls, t in _TAGS if isinstance(element, cls)), None)
        if element is None or tag is None:
            continue
        item = _sub(
            el,
            tag,
            x=_num(shape.x),
            y=_num(shape.y),
            name=element.name,
            width=_num(shape.width) if shape.width else None,
            height=_num(shape.height) if shape.height else None,
            label_side=shape.label_side or None,
        )
        if shape.points:
            pts = _sub(item, "pts")
            for x, y in shape.points:
                _sub(pts, "pt", x=_num(x), y=_num(y))
    for link in view.links.values():
        source, target = model.get(link.source), model.get(link.target)
        if source is None or target is None:
            continue
        counter[0] += 1
        conn = _sub(
            el, "connector", uid=str(counter[0]), angle=_num(link.angle) if link.angle is not None else None
        )
        _sub(conn, "from", _ref(source.name))
        _sub(conn, "to", _ref(target.name))

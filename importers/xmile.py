"""XMILE 1.0 import (Stella/iThink ``.stmx``/``.itmx``, OASIS ``.xmile``) and export.

``load(path)``/``loads(data)`` read a file into a ``Model`` and an ``ImportReport`` of everything not
mapped faithfully (with the source line). Element lookups ignore namespaces, so the OASIS namespace,
the older ``systemdynamics.org`` one and files without one all read the same; ``isee:`` extensions
are skipped silently. Equations stay text in XMILE syntax; each one is parsed to report errors early.
``save``/``dumps`` (from ``importers.xmile_writer``) write XMILE 1.0 back.
"""

from __future__ import annotations

import dataclasses
import itertools
import os
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from lxml import etree

from importers import xml_safe
from importers.files import read_limited
from importers.report import ImportReport
from importers.xmile_lookups import ElementTables, redirect_element_lookups
from importers.xmile_writer import ISEE_NS, dumps, save
from importers.xml_safe import MAX_XML_BYTES
from metamodel.elements import (
    GF_TYPES,
    Aux,
    Dimension,
    Flow,
    GraphicalFunction,
    Module,
    ModuleConnection,
    SimSpec,
    Stock,
    Variable,
)
from metamodel.equations.parser import parse
from metamodel.equations.printer import quote_name
from metamodel.errors import ParseError
from metamodel.model import Model
from metamodel.names import canonical, display
from metamodel.views import Link, Shape, View

__all__ = ["dumps", "load", "loads", "save"]

_METHODS = {"euler": "euler", "rk2": "rk2", "rk4": "rk4", "rk45": "rk45"}
_VARIABLE_TAGS = ("stock", "flow", "aux", "module")
_SILENT_TOP = {
    "header",
    "sim_specs",
    "model_units",
    "dimensions",
    "behavior",
    "model",
    "macro",
    "style",
    "data",
    "prefs",
    "equation_prefs",
}
_GF_PARTS = {"xscale", "yscale", "xpts", "ypts"}
_SILENT_MODEL = {"variables", "views", "display", "interface", "sim_specs", "behavior", "style", "parm", "eqn"}
_SILENT_VARIABLE = {
    "name",
    "doc",
    "eqn",
    "units",
    "dimensions",
    "element",
    "gf",
    "range",
    "non_negative",
    "inflow",
    "outflow",
    "display",
    "format",
    "scale",
    "event_poster",
    "connect",
    "conveyor",
    "queue",
    "oven",
    "leak",
    "leak_integers",
    "overflow",
    "cook_time",
}
_OVEN_OPTIONS = {"capacity", "fill_time", "cook_time", "in_limit", "clean_time", "arrest"}
_COMMENT = re.compile(r"\{[^}]*\}")
_ISEE_USE = re.compile(rb"<\s*/?\s*isee:|\sisee:[\w.-]+\s*=")


# --------------------------------------------------------------------------------------------------
# entry points
# --------------------------------------------------------------------------------------------------


def load(path: str | os.PathLike[str]) -> tuple[Model, ImportReport]:
    """Read an XMILE file; raises ``ParseError`` for unreadable or malformed files."""
    source = str(path)
    data = read_limited(source, MAX_XML_BYTES)
    model, report = loads(data, source=source)
    model.source_path = source
    return model, report


def loads(data: bytes | str, *, source: str = "<bytes>") -> tuple[Model, ImportReport]:
    """Read XMILE text or bytes; ``source`` names it in errors and the report."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    report = ImportReport(source=source, format="xmile")
    root = _parse(raw, source, report)
    fallback = Path(source).stem if not source.startswith("<") else "model"
    return _Reader(report, source).read(root, fallback), report


def _parse(data: bytes, source: str, report: ImportReport) -> etree._Element:
    """Parse through ``xml_safe``, repairing the two known defects of Stella files."""
    if _ISEE_USE.search(data) and b"xmlns:isee" not in data:
        patched = re.sub(rb"<xmile\b", b'<xmile xmlns:isee="' + ISEE_NS.encode() + b'"', data, count=1)
        if patched != data:
            data = patched
            report.add(
                "the isee: XML prefix is used without a namespace declaration; declared it",
                line=1,
                severity="warning",
            )
    try:
        root = xml_safe.parse_bytes(data, source=source).getroot()
    except ParseError as exc:
        if "tag mismatch" not in exc.message:
            raise
        root = xml_safe.parse_bytes(data, source=source, recover=True).getroot()
        report.add(f"repaired by XML recovery: {exc.message}", line=exc.line, severity="warning")
    if _local(root) != "xmile":
        raise ParseError(f"not an XMILE file: the root element is <{_local(root)}>", file=source, line=root.sourceline)
    return root


# --------------------------------------------------------------------------------------------------
# XML helpers (namespace-agnostic)
# --------------------------------------------------------------------------------------------------


def _local(el: etree._Element) -> str:
    tag = el.tag
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def _is_extension(el: etree._Element) -> bool:
    """Vendor extensions (``isee:`` elements, also ``xmlns="isee"``) are skipped silently."""
    tag = el.tag  # "{namespace}local" (lxml's Clark notation)
    return isinstance(tag, str) and tag.startswith("{") and "isee" in tag[1:tag.find("}")]


def _elements(el: etree._Element) -> Iterator[etree._Element]:
    """Child elements that are neither comments nor vendor extensions."""
    return (c for c in el if isinstance(c.tag, str) and not _is_extension(c))


def _children(el: etree._Element, name: str) -> list[etree._Element]:
    """Child elements of local name ``name`` in any namespace (lxml's ``{*}`` filter), less extensions."""
    return [c for c in el.iterchildren(f"{{*}}{name}") if not _is_extension(c)]


def _child(el: etree._Element, name: str) -> etree._Element | None:
    return next((c for c in el.iterchildren(f"{{*}}{name}") if not _is_extension(c)), None)


def _grouped(el: etree._Element) -> dict[str, list[etree._Element]]:
    """Child elements by local name, in document order (comments and vendor extensions left out)."""
    groups: dict[str, list[etree._Element]] = {}
    for child in _elements(el):
        groups.setdefault(_local(child), []).append(child)
    return groups


def _text(el: etree._Element | None) -> str:
    if el is None:
        return ""
    if not len(el):  # no child nodes: the text is all there is (itertext is much slower)
        return (el.text or "").strip()
    return "".join(el.itertext()).strip()


def _attr(el: etree._Element, name: str) -> str | None:
    """An attribute by local name, whatever its namespace (``save_interval`` or ``isee:save_interval``)."""
    value = el.get(name)
    if value is not None:
        return value
    return next((v for k, v in el.attrib.items() if k.rpartition("}")[2] == name), None)


def _option(el: etree._Element, name: str, default: str) -> str:
    """The expression of the child ``name`` of ``el`` in parentheses, or ``default`` when it is absent."""
    text = _text(_child(el, name))
    return f"({text})" if text else default


def _truth(value: str | None) -> str:
    """An XMILE boolean attribute as ``1`` or ``0`` (absent is false)."""
    return "1" if (value or "").strip().lower() == "true" else "0"


def _local_name(key: str) -> str:
    return key.rpartition("}")[2]


def _float(text: str | None, default: float = 0.0) -> float:
    try:
        return float(text) + 0.0 if text not in (None, "") else default  # + 0.0 turns -0.0 into 0.0
    except ValueError:
        return default


def _flag(el: etree._Element | None) -> bool | None:
    """``<non_negative/>`` or ``<non_negative>true</non_negative>``; ``None`` when absent."""
    if el is None:
        return None
    return _text(el).casefold() != "false"


# --------------------------------------------------------------------------------------------------
# the reader
# --------------------------------------------------------------------------------------------------


class _Reader:
    """Reads one XMILE document; report entries name the element and the source line."""

    def __init__(self, report: ImportReport, source: str) -> None:
        self.report = report
        self.source = source
        self.non_negative: dict[str, bool] = {}
        self.modules: list[tuple[Module, etree._Element]] = []
        self.dims: list[Dimension] = []
        self.conveyor_outflows: set[str] = set()  # ids of the flows a conveyor or an oven drives (model read)
        self.batch_outflows: set[str] = set()  # ids of the flows leaving a conveyor, an oven or a queue
        self.conveyor_arrests: dict[str, str] = {}  # id of a conveyor stock -> its arrest condition
        self.element_tables: ElementTables = {}  # per-element graphical functions of the model read

    def read(self, root: etree._Element, fallback_name: str) -> Model:
        models = _children(root, "model")
        if not models:
            raise ParseError("XMILE file has no <model>", file=self.source, line=root.sourceline)
        main = next((m for m in models if not m.get("name")), models[0])
        header = _child(root, "header")
        model = Model(name=_text(_child(header, "name")) if header is not None else "")
        model.name = model.name or fallback_name
        spec = _child(root, "sim_specs")
        if spec is not None:
            model.sim_spec = self.sim_spec(spec)
        model.units_defs = self.units(_child(root, "model_units"))
        model.dimensions = self.dimensions(_child(root, "dimensions"))
        self.dims = model.dimensions
        self.behavior(_child(root, "behavior"))
        for el in _elements(root):
            if _local(el) not in _SILENT_TOP:
                self.report.add(f"unknown element <{_local(el)}> skipped", line=el.sourceline, severity="info")
        self.read_model(main, model)
        for el in models:
            if el is main:
                continue
            name = el.get("name", "")
            if canonical(name) in {canonical(k) for k in model.submodels}:
                self.report.add(f"second model named '{name}' dropped", name, el.sourceline, "error")
                continue
            model.submodels[name] = self.read_model(el, Model(name=name))
        for el in _children(root, "macro"):
            self.macro(el, model)
        self.bind_modules(model)
        return model

    # -- header-level sections ---------------------------------------------------------------------
    def sim_spec(self, el: etree._Element) -> SimSpec:
        spec = SimSpec(time_units=el.get("time_units", ""))
        for field_name in ("start", "stop", "dt"):
            item = _child(el, field_name)
            if item is None:
                continue
            try:
                value = float(_text(item))
            except ValueError:
                self.report.add(
                    f"sim_specs <{field_name}> is not a number: {_text(item)!r}; default kept",
                    line=item.sourceline,
                    severity="error",
                )
                continue
            if field_name == "dt" and item.get("reciprocal", "").casefold() == "true":
                value = 1.0 / value if value else spec.dt
            setattr(spec, field_name, value)
        saved = _attr(el, "save_interval")
        saved_el = next((c for c in el if isinstance(c.tag, str) and _local(c) == "save_interval"), None)
        if saved is None and saved_el is not None:
            saved = _text(saved_el)
        if saved:
            spec.save_per = _float(saved, spec.dt)
        method = el.get("method", "euler")
        spec.method = _METHODS.get(method.casefold(), "euler")
        if method.casefold() not in _METHODS:
            self.report.add(f"integration method {method!r} not supported; Euler used", "sim_specs", el.sourceline)
        return spec

    def units(self, el: etree._Element | None) -> dict[str, str]:
        defs: dict[str, str] = {}
        for unit in _elements(el) if el is not None else ():
            name = unit.get("name")
            if _local(unit) != "unit" or not name:
                self.report.add(
                    f"unit definition <{_local(unit)}> without a name skipped",
                    line=unit.sourceline,
                    severity="info",
                )
                continue
            defs[name] = _text(_child(unit, "eqn"))
            for alias in _children(unit, "alias"):
                defs[_text(alias)] = name
        return defs

    def dimensions(self, el: etree._Element | None) -> list[Dimension]:
        dims = []
        for dim in _children(el, "dim") if el is not None else ():
            elems = [e.get("name", "") for e in _children(dim, "elem")]
            if not elems and dim.get("size"):
                try:
                    elems = [str(i) for i in range(1, int(dim.get("size", "")) + 1)]
                except ValueError:
                    self.report.add(
                        f"dimension size {dim.get('size')!r} is not an integer",
                        dim.get("name", ""),
                        dim.sourceline,
                        "error",
                    )
            dims.append(Dimension(dim.get("name", ""), elems))
        return dims

    def behavior(self, el: etree._Element | None) -> None:
        """Default ``non_negative`` for all stocks and flows, or per kind."""
        if el is None:
            return
        overall = _flag(_child(el, "non_negative"))
        for kind in ("stock", "flow"):
            section = _child(el, kind)
            specific = _flag(_child(section, "non_negative")) if section is not None else None
            value = specific if specific is not None else overall
            if value is not None:
                self.non_negative[kind] = value

    # -- models --------------------------------------------------------------------------------------
    def read_model(self, el: etree._Element, model: Model) -> Model:
        container = _child(el, "variables")
        container = container if container is not None else el
        var_els = list(self.variable_elements(container))
        pending: list[tuple[Stock, etree._Element]] = []
        for var in var_els:
            element = self.variable(var, model)
            if isinstance(element, Stock):
                pending.append((element, var))
        for stock, var in pending:
            stock.inflows = self.flow_refs(var, "inflow", model, stock.name)
            stock.outflows = self.flow_refs(var, "outflow", model, stock.name)
        conveyors = [(stock, _child(var, "conveyor")) for stock, var in pending if _child(var, "conveyor") is not None]
        self.conveyor_outflows = {flow for stock, var in pending for flow in stock.outflows
                                  if _child(var, "conveyor") is not None or _child(var, "oven") is not None}
        self.batch_outflows = self.conveyor_outflows | {flow for stock, var in pending for flow in stock.outflows
                                                        if _child(var, "queue") is not None}
        self.conveyor_arrests = {stock.id: f"({_text(_child(c, 'arrest'))})" for stock, c in conveyors
                                 if _text(_child(c, "arrest"))}
        for stock, var in pending:
            for kind in ("conveyor", "queue", "oven"):
                if _child(var, kind) is not None:
                    getattr(self, kind)(stock, var, _child(var, kind), model)
        for child in _elements(el):
            if _local(child) not in _SILENT_MODEL and container is not el:
                self.report.add(f"unknown element <{_local(child)}> skipped", line=child.sourceline, severity="info")
        redirect_element_lookups(model, self.element_tables, self.dims, self.report)
        self.element_tables = {}
        self.views(el, container, var_els, model)
        for var in var_els:
            self.check_equations(var, model)
        return model

    def variable_elements(self, container: etree._Element) -> Iterator[etree._Element]:
        """Variable elements, including ones that recovery nested inside an unclosed sibling."""
        for el in _elements(container):
            tag = _local(el)
            if tag in _VARIABLE_TAGS or (tag == "gf" and el.get("name")):
                yield el
                for nested in el.iter():
                    if nested is not el and isinstance(nested.tag, str) and _local(nested) in _VARIABLE_TAGS:
                        yield nested
            elif tag == "group":
                members = ", ".join(e.get("name", "") for e in _children(el, "entity"))
                self.report.add(f"group not kept (members: {members})", el.get("name", ""), el.sourceline, "info")
            elif tag not in ("display", "interface", "connector", "sim_specs", "behavior", "views", "macro"):
                self.report.add(f"unknown element <{tag}> skipped", line=el.sourceline, severity="info")

    def variable(self, el: etree._Element, model: Model) -> Variable | Module | None:
        tag = _local(el)
        raw_name = el.get("name")
        if not raw_name:
            self.report.add(f"<{tag}> without a name dropped", line=el.sourceline, severity="error")
            return None
        name = display(raw_name)
        if model.find(name) is not None:
            self.report.add(f"second definition of '{name}' dropped", name, el.sourceline, "error")
            return None
        if el.getparent() is not None and _local(el.getparent()) in _VARIABLE_TAGS:
            self.report.add(
                f"<{tag}> was nested inside <{_local(el.getparent())}> (unclosed element); read as a model variable",
                name,
                el.sourceline,
                "warning",
            )
        element_id = model.new_id(name)
        if tag == "module":
            module = Module(element_id, name, doc=_text(_child(el, "doc")), connections=self.connections(el, name))
            self.modules.append((module, el))
            return model.add(module)
        cls = {"stock": Stock, "flow": Flow}.get(tag, Aux)
        kids = _grouped(el)

        def first(child_tag: str) -> etree._Element | None:
            return kids[child_tag][0] if child_tag in kids else None

        var = cls(element_id, name, doc=_text(first("doc")), equation=_text(first("eqn")), units=_text(first("units")))
        dimensions = first("dimensions")
        var.dimensions = [d.get("name", "") for d in _children(dimensions, "dim")] if dimensions is not None else []
        if len(kids.get("eqn", ())) > 1 or (var.dimensions and len(_split_list(var.equation)) > 1):
            self.equations_in_order(el, var)
        for item in kids.get("element", ()):
            key = ",".join(part.strip() for part in item.get("subscript", "").split(","))
            var.element_equations[key] = _text(_child(item, "eqn")) or var.equation
            if _child(item, "gf") is not None:
                self.element_graphical_function(item, var, key, model)
        rng = first("range")
        if rng is not None:
            var.range = (_float(rng.get("min")), _float(rng.get("max")))
        if isinstance(var, Stock | Flow):
            flag = _flag(first("non_negative"))
            var.non_negative = flag if flag is not None else self.non_negative.get(tag, False)
        gf = el if tag == "gf" else first("gf")
        if gf is not None:
            if isinstance(var, Stock):
                self.report.add("graphical function on a stock not kept", name, gf.sourceline)
            else:
                var.gf = self.graphical_function(gf, name)
        table_parts = _GF_PARTS if tag == "gf" else set()  # a <gf> variable's own children are its table
        for child in _elements(el):
            local = _local(child)
            if local not in _SILENT_VARIABLE and local not in _VARIABLE_TAGS and local not in table_parts:
                self.report.add(f"<{local}> of a {tag} not mapped", name, child.sourceline)
        return model.add(var)

    def connections(self, el: etree._Element, module_name: str) -> list[ModuleConnection]:
        """``<connect to from>``: ``to`` loses its module prefix, ``from`` its leading dot (parent)."""
        result = []
        prefix = canonical(module_name) + "."
        for item in _children(el, "connect"):
            to, source = item.get("to", ""), item.get("from", "")
            if canonical(to).startswith(prefix):
                to = to[to.index(".") + 1 :]
            result.append(ModuleConnection(to=to, source=source[1:] if source.startswith(".") else source))
        return result

    def equations_in_order(self, el: etree._Element, var: Variable) -> None:
        """Several ``<eqn>`` (or one comma-separated list) in an arrayed variable, as Vensim's export
        writes them: one equation per element, in dimension order."""
        dims = {d.canonical: d.elements for d in self.dims}
        combos = list(itertools.product(*(dims.get(canonical(d), []) for d in var.dimensions)))
        eqns = [_text(e) for e in _children(el, "eqn")]
        if len(eqns) == 1:  # a list of constants, one per element ("0.1, 0.3, 0.8")
            eqns = _split_list(eqns[0])
        if not var.dimensions or len(combos) != len(eqns):
            self.report.add(
                f"{len(eqns)} <eqn> for {len(combos)} array elements; only the first kept",
                var.name,
                el.sourceline,
                "error",
            )
            return
        var.equation = ""
        var.element_equations = {",".join(combo): eqn for combo, eqn in zip(combos, eqns, strict=True)}
        self.report.add(
            "several <eqn> read as per-element equations in dimension order", var.name, el.sourceline, "info"
        )

    def conveyor(self, stock: Stock, el: etree._Element, conveyor: etree._Element, model: Model) -> None:
        """A conveyor (XMILE 1.0 §3.7.2): the stock's equation becomes ``CONVEYOR(...)`` with its options and
        leaks, the primary outflow ``CONVEYOR_OUTFLOW``, the leaks ``CONVEYOR_LEAK`` and each inflow driven by
        an equation ``CONVEYOR_INFLOW`` (the equation is its request; capacity and the inflow limit admit
        less), unless it leaves a queue (``queue`` sets it: the queue offers at most the conveyor's room).
        The primary outflow is the first outflow not marked as a leak; unmarked outflows after it are leaks.
        A conveyor fed by a queue is discrete. Spread inputs, discrete conveyors with leaks and queues
        upstream beside other inflows are reported as errors."""
        length = _text(_child(conveyor, "len"))
        where = conveyor.sourceline
        if not length:
            self.report.add("conveyor not supported (no transit time <len>); the stock would run as a plain stock",
                            stock.name, where, "error")
            return
        refused = [f"<{_local(c)}>" for c in _elements(conveyor)
                    if _local(c) not in ("len", "capacity", "in_limit", "sample", "arrest")]
        flows = [(model.elements[i], self._flow_element(el, model.elements[i].name)) for i in stock.outflows]
        inflows = [(model.elements[i], self._flow_element(el, model.elements[i].name)) for i in stock.inflows]
        marked = [f for f, f_el in flows if f_el is not None and _child(f_el, "leak") is not None]
        primary = next((f for f, _ in flows if f not in marked), None)
        leaks = [(f, f_el) for f, f_el in flows if f is not primary]
        for flow, flow_el in inflows:
            spread = (_attr(flow_el, "spreadflow") or "beginning") if flow_el is not None else "beginning"
            if spread != "beginning":
                refused.append(f"inflow '{flow.name}' spread over the belt ({spread})")
        queued = [flow.name for flow, _ in inflows if self._is_queue_outflow(el, flow.name)]
        discrete = _truth(_attr(conveyor, "discrete")) == "1" or bool(queued)
        if queued and len(inflows) > 1:
            refused.append(f"inflow '{queued[0]}' from a queue beside other inflows")
        if discrete and leaks:
            refused.append("a discrete conveyor with leak flows")
        if primary is None:
            refused.append("no outflow that is not a leak")
        if refused:
            self.report.add(f"conveyor not supported ({', '.join(refused)}); the stock would run as a plain stock",
                            stock.name, where, "error")
            return

        def option(name: str, default: str) -> str:
            return _option(conveyor, name, default)

        exponential = (_attr(conveyor, "exponential_leak") or "").lower() == "true"
        parts = [f"({stock.equation.strip() or '0'})", f"({length})", option("capacity", "INF"),
                 option("in_limit", "INF"), option("sample", "1"), option("arrest", "0"), "1" if exponential else "0",
                 "1" if discrete else "0"]
        for flow, flow_el in leaks:
            value = _text(_child(flow_el, "leak")) if flow_el is not None else ""
            fraction = value or flow.equation.strip() or "0"
            start = _attr(flow_el, "leak_start") if flow_el is not None else None
            end = _attr(flow_el, "leak_end") if flow_el is not None else None
            whole = flow_el is not None and _child(flow_el, "leak_integers") is not None
            parts += [f"({fraction})", start or "0", end or "1", "1" if whole else "0"]
        name = quote_name(stock.name)
        stock.equation = f"CONVEYOR({', '.join(parts)})"
        held = self._conveyor_arrest(primary, model)
        assert primary is not None
        primary.equation = f"CONVEYOR_OUTFLOW({name}{', ' + held if held else ''})"
        for number, (flow, _) in enumerate(leaks, start=1):
            flow.equation = f"CONVEYOR_LEAK({name}, {number})"
        position = 0
        for flow, _ in inflows:
            if flow.id not in self.batch_outflows:
                position += 1
                flow.equation = f"CONVEYOR_INFLOW({name}, {position}, ({flow.equation.strip() or '0'}))"
        self.report.add(f"{'discrete ' if discrete else ''}conveyor: transit time {length}, {len(leaks)} leak(s); "
                        f"'{primary.name}' leaves at its end", stock.name, where, "info")

    def _flow_element(self, stock_el: etree._Element, name: str) -> etree._Element | None:
        parent = stock_el.getparent()
        for el in _children(parent, "flow") if parent is not None else ():
            if canonical(el.get("name", "")) == canonical(name):
                return el
        return None

    def _stock_elements(self, stock_el: etree._Element, flow: str, role: str) -> list[etree._Element]:
        """The ``<stock>`` elements beside ``stock_el`` that list ``flow`` as their ``role`` (inflow/outflow)."""
        parent = stock_el.getparent()
        return [el for el in (_children(parent, "stock") if parent is not None else ())
                if any(canonical(_text(f)) == canonical(flow) for f in _children(el, role))]

    def _is_queue_outflow(self, stock_el: etree._Element, flow: str) -> bool:
        return any(_child(el, "queue") is not None for el in self._stock_elements(stock_el, flow, "outflow"))

    def _conveyor_arrest(self, flow: Flow | None, model: Model) -> str:
        """The arrest of the conveyor ``flow`` flows into, if any (its exit is held while that one is
        arrested)."""
        for element in model.elements.values():
            if isinstance(element, Stock) and flow is not None and flow.id in element.inflows:
                arrest = self.conveyor_arrests.get(element.id, "")
                if arrest:
                    return arrest
        return ""

    def queue(self, stock: Stock, el: etree._Element, queue: etree._Element, model: Model) -> None:
        """A queue (XMILE 1.0 §3.7.3, isee's "Queue Computation"): the stock's equation becomes
        ``QUEUE(initial)`` and its k-th outflow ``QUEUE_OUTFLOW(stock, k, most, whole batches, one at a time)``:
        into an oven or a conveyor it takes what that admits (``OVEN_ROOM``, ``CONVEYOR_ROOM``, with its batch
        options), elsewhere at most its own equation. Each nonzero inflow adds a batch; outflows take from
        the front in their order. Overflow outflows and queue options are reported as errors."""
        where = queue.sourceline
        refused = [f"<{_local(c)}>" for c in _elements(queue)]
        refused += [f"option {_local_name(k)}" for k in queue.attrib if "isee" not in k]
        outflows = [(model.elements[i], self._flow_element(el, model.elements[i].name)) for i in stock.outflows]
        limits = []
        for flow, flow_el in outflows:
            if flow_el is not None and _child(flow_el, "overflow") is not None:
                refused.append(f"overflow outflow '{flow.name}'")
            into = self._stock_elements(el, flow.name, "inflow")
            kind = next((k for k in ("conveyor", "oven") for s in into if _child(s, k) is not None), "")
            if kind:
                block = _child(into[0], kind)
                limits.append((f"{kind.upper()}_ROOM({quote_name(display(into[0].get('name', '')))})",
                               *(_truth(_attr(block, o)) for o in ("batch_integrity", "one_at_a_time"))))
            else:
                limits.append((f"({flow.equation.strip() or '0'})", "0", "0"))
        if refused:
            self.report.add(f"queue not supported ({', '.join(refused)}); the stock would run as a plain stock",
                            stock.name, where, "error")
            return
        name = quote_name(stock.name)
        stock.equation = f"QUEUE(({stock.equation.strip() or '0'}))"
        for k, ((flow, _), (most, whole, one)) in enumerate(zip(outflows, limits, strict=True)):
            flow.equation = f"QUEUE_OUTFLOW({name}, {k + 1}, {most}, {whole}, {one})"
        for flow in (model.elements[i] for i in stock.inflows):
            if flow.id not in self.batch_outflows:  # batches are never negative
                flow.equation = f"MAX(0, ({flow.equation.strip() or '0'}))"
        self.report.add(f"queue: {len(outflows)} outflow(s) taking from the front in their order", stock.name,
                        where, "info")

    def oven(self, stock: Stock, el: etree._Element, oven: etree._Element, model: Model) -> None:
        """An oven (isee Stella): the stock's equation becomes ``OVEN(initial, capacity, fill time, cook time,
        inflow limit, clean time, arrest)``, its one outflow ``OVEN_OUTFLOW`` and its one inflow
        ``OVEN_INFLOW(stock, request)`` (the equation is its request; the oven admits less), unless that
        comes from a queue (``queue`` sets it). The cook time is read from ``<oven>`` or from the outflow.
        Anything else is reported as an error naming it."""
        where = oven.sourceline
        flows = [(model.elements[i], self._flow_element(el, model.elements[i].name)) for i in stock.outflows]
        inflows = [model.elements[i] for i in stock.inflows]
        cook = _child(oven, "cook_time")
        if cook is None and len(flows) == 1 and flows[0][1] is not None:
            cook = _child(flows[0][1], "cook_time")
        refused = [f"<{_local(c)}>" for c in _elements(oven) if _local(c) not in _OVEN_OPTIONS]
        refused += [f"option {_local_name(k)}" for k in oven.attrib
                    if "isee" not in k and k not in ("batch_integrity", "one_at_a_time")]
        if not _text(cook):
            refused.append("no cook time <cook_time>")
        for name in ("capacity", "fill_time", "in_limit", "clean_time"):
            if _float(_text(_child(oven, name)), 0.0) < 0:
                refused.append(f"negative <{name}> {_text(_child(oven, name))}")
        if _float(_text(cook), 0.0) < 0:
            refused.append(f"negative <cook_time> {_text(cook)}")
        if not _text(_child(oven, "capacity")) and not _text(_child(oven, "fill_time")):
            refused.append("neither <capacity> nor <fill_time> (the door would never close)")
        if len(inflows) != 1 or len(flows) != 1:
            refused.append(f"{len(inflows)} inflow(s) and {len(flows)} outflow(s) where an oven takes one of each")
        refused += [f"inflow '{f.name}' from a conveyor or an oven" for f in inflows if f.id in self.conveyor_outflows]
        if refused:
            self.report.add(f"oven not supported ({', '.join(refused)}); the stock would run as a plain stock",
                            stock.name, where, "error")
            return
        parts = [f"({stock.equation.strip() or '0'})", _option(oven, "capacity", "INF"),
                 _option(oven, "fill_time", "INF"), f"({_text(cook)})", _option(oven, "in_limit", "INF"),
                 _option(oven, "clean_time", "0"), _option(oven, "arrest", "0")]
        name = quote_name(stock.name)
        stock.equation = f"OVEN({', '.join(parts)})"
        outflow, inflow = flows[0][0], inflows[0]
        outflow.equation = f"OVEN_OUTFLOW({name})"
        if inflow.id not in self.batch_outflows:
            inflow.equation = f"OVEN_INFLOW({name}, ({inflow.equation.strip() or '0'}))"
        self.report.add(f"oven: cook time {_text(cook)}; '{outflow.name}' releases each cooked batch",
                        stock.name, where, "info")

    def element_graphical_function(self, item: etree._Element, var: Variable, key: str, model: Model) -> None:
        """An arrayed graphical function: the element's table becomes a lookup-only aux that the element's
        equation (its input) is passed through."""
        table = f"{var.name} table {' '.join(key.split(','))}"
        while model.find(table) is not None:
            table += " 2"
        gf = self.graphical_function(_child(item, "gf"), var.name)
        model.add(Aux(model.new_id(table), table, gf=gf, doc=f"Graphical function of {var.name}[{key}]"))
        elements = ",".join(canonical(e) for e in key.split(","))
        self.element_tables.setdefault(canonical(var.name), {})[elements] = table
        source = var.element_equations.get(key) or var.equation
        if not source.strip():
            self.report.add(f"graphical function of element [{key}] without an input equation", var.name,
                            item.sourceline, "error")
            return
        var.element_equations[key] = f"{quote_name(table)}({source})"

    def flow_refs(self, el: etree._Element, tag: str, model: Model, stock: str) -> list[str]:
        ids = []
        for ref in _children(el, tag):
            flow = model.find(_text(ref))
            if isinstance(flow, Aux):
                fields = {f.name: getattr(flow, f.name) for f in dataclasses.fields(Flow) if hasattr(flow, f.name)}
                flow = model.elements[flow.id] = Flow(**fields)
                self.report.add(f"aux used as {tag} of '{stock}'; read as a flow", flow.name, ref.sourceline)
            if isinstance(flow, Flow):
                ids.append(flow.id)
            else:
                self.report.add(
                    f"{tag} '{_text(ref)}' is not a flow of this model; dropped",
                    stock,
                    ref.sourceline,
                    "error",
                )
        return ids

    def graphical_function(self, el: etree._Element, owner: str) -> GraphicalFunction:
        kind = el.get("type") or ("discrete" if el.get("discrete", "").casefold() == "true" else "continuous")
        if kind.casefold() not in GF_TYPES:
            self.report.add(f"graphical function type {kind!r} unknown; continuous used", owner, el.sourceline)
            kind = "continuous"
        gf = GraphicalFunction(type=kind.casefold())
        gf.ypts = self.points(_child(el, "ypts"), owner)
        gf.xpts = self.points(_child(el, "xpts"), owner)
        for axis in ("xscale", "yscale"):
            scale = _child(el, axis)
            if scale is not None:
                setattr(gf, axis, (_float(scale.get("min")), _float(scale.get("max"))))
        if gf.xpts and len(gf.xpts) != len(gf.ypts):
            self.report.add(
                f"graphical function has {len(gf.xpts)} x points but {len(gf.ypts)} y points",
                owner,
                el.sourceline,
                "error",
            )
        return gf

    def points(self, el: etree._Element | None, owner: str) -> list[float]:
        if el is None or not _text(el):
            return []
        try:
            return [float(p) for p in _text(el).split(el.get("sep", ","))]
        except ValueError:
            self.report.add(f"<{_local(el)}> holds something that is not a number list", owner, el.sourceline, "error")
            return []

    def macro(self, el: etree._Element, model: Model) -> None:
        """A macro becomes a submodel: its parameters (auxes documented ``macro parameter N``, in order), its
        variables, and an aux of its name holding its equation (the value of a call). The flattener
        instantiates it at each call, each call with its own stocks."""
        name = el.get("name", "")
        if canonical(name) in {canonical(k) for k in model.submodels}:
            self.report.add("macro has the name of a model; dropped", name, el.sourceline, "error")
            return
        sub = self.read_model(el, Model(name=name)) if _child(el, "variables") is not None else Model(name=name)
        for position, parm in enumerate(_children(el, "parm")):
            found = sub.find(_text(parm))
            if found is None:
                sub.add(Aux(sub.new_id(_text(parm)), display(_text(parm)), doc=f"macro parameter {position}"))
            else:
                found.doc = f"macro parameter {position}"
        if _child(el, "eqn") is not None and sub.find(name) is None:
            sub.add(Aux(sub.new_id(name), display(name), equation=_text(_child(el, "eqn"))))
        if sub.find(name) is None:
            self.report.add("macro without an equation or a variable of its name: calls to it have no value",
                            name, el.sourceline, "error")
            return
        model.submodels[name] = sub

    def bind_modules(self, model: Model) -> None:
        names = {canonical(k): k for k in model.submodels}
        for module, el in self.modules:
            key = names.get(canonical(module.name))
            if key is not None:
                module.model_name = key
            elif el.get("resource"):
                self.report.add(
                    f"module uses the external file {el.get('resource')!r}; not loaded",
                    module.name,
                    el.sourceline,
                    "error",
                )
            else:
                self.report.add("module has no model of its name in this file", module.name, el.sourceline, "error")

    # -- equations ----------------------------------------------------------------------------------
    def check_equations(self, el: etree._Element, model: Model) -> None:
        element = model.find(display(el.get("name", "")))
        if not isinstance(element, Variable):
            return
        eqns = _children(el, "eqn")
        for eqn in eqns:
            self.check(eqn, element)
        if not eqns and not element.element_equations and not getattr(element, "gf", None):
            self.report.add("no equation", element.name, el.sourceline)
        for item in _children(el, "element"):
            eqn = _child(item, "eqn")
            if eqn is not None:
                self.check(eqn, element)

    def check(self, eqn: etree._Element, element: Variable) -> None:
        raw = (eqn.text or "") if not len(eqn) else "".join(eqn.itertext())
        text = raw.strip()
        if not _COMMENT.sub("", text).strip():
            if not getattr(element, "gf", None):
                self.report.add(
                    "equation is only a comment (an input left to a module connection)",
                    element.name,
                    eqn.sourceline,
                    "info",
                )
            return
        try:
            parse(text)
        except ParseError as exc:
            offset = (exc.offset or 0) + len(raw) - len(raw.lstrip())
            line = (eqn.sourceline or 0) + raw[:offset].count("\n")
            self.report.add(f"equation does not parse: {exc.message}; kept as text", element.name, line)

    # -- views --------------------------------------------------------------------------------------
    def views(self, el: etree._Element, container: etree._Element, var_els: list[etree._Element], model: Model) -> None:
        views = _child(el, "views")
        for view_el in _children(views, "view") if views is not None else ():
            if view_el.get("type", "stock_flow") != "stock_flow" or view_el.get("name") == "interface":
                continue
            view = View(model.new_id("view"), view_el.get("name", "View"))
            model.views.append(view)
            self.view_items(view_el, view, model)
        legacy = _children(container, "display") + [d for var in var_els for d in _children(var, "display")]
        if legacy and not model.views:
            view = View(model.new_id("view"), "View")
            model.views.append(view)
            for var in var_els:
                display_el = _child(var, "display")
                if display_el is not None:
                    self.shape(display_el, display(var.get("name", "")), view, model)
            for display_el in _children(container, "display"):
                self.view_items(display_el, view, model)

    def view_items(self, view_el: etree._Element, view: View, model: Model) -> None:
        skipped: Counter[str] = Counter()
        for item in _elements(view_el):
            tag = _local(item)
            if tag in _VARIABLE_TAGS and item.get("name"):
                self.shape(item, display(item.get("name", "")), view, model)
            elif tag == "connector":
                self.link(item, view, model)
            elif tag == "alias":
                self.report.add(
                    f"alias of '{_text(_child(item, 'of'))}' not drawn", line=item.sourceline, severity="info"
                )
            elif tag != "style":
                skipped[tag] += 1
        if skipped:
            listed = ", ".join(f"{n} {tag}" for tag, n in sorted(skipped.items()))
            self.report.add(f"view items not kept: {listed}", view.name, view_el.sourceline, "info")

    def shape(self, el: etree._Element, name: str, view: View, model: Model) -> None:
        element = model.find(name)
        if element is None:
            self.report.add(f"view shows '{name}', which is not in the model", line=el.sourceline, severity="info")
            return
        if element.id in view.shapes:
            self.report.add("second shape of the element not kept", name, el.sourceline, "info")
            return
        pts = _child(el, "pts")
        points = [(_float(p.get("x")), _float(p.get("y"))) for p in _children(pts, "pt")] if pts is not None else []
        view.shapes[element.id] = Shape(
            x=_float(el.get("x")),
            y=_float(el.get("y")),
            width=_float(el.get("width")),
            height=_float(el.get("height")),
            points=points,
            label_side=el.get("label_side", ""),
        )

    def link(self, el: etree._Element, view: View, model: Model) -> None:
        ends = []
        for tag in ("from", "to"):
            end = _child(el, tag)
            target = model.find(_text(end)) if end is not None and _text(end) else None
            if target is None:
                what = "an alias" if end is not None and _child(end, "alias") is not None else repr(_text(end))
                self.report.add(
                    f"connector {tag} {what} (not a model element) not kept",
                    line=el.sourceline,
                    severity="info",
                )
                return
            ends.append(target.id)
        angle = el.get("angle")
        view.links[f"link_{len(view.links) + 1}"] = Link(ends[0], ends[1], _float(angle) if angle else None)


def _flow_has(stock_el: etree._Element, flow: str, tag: str, model: Model) -> bool:
    """Whether the ``<flow>`` element named ``flow`` (beside ``stock_el``) has a child ``tag``."""
    parent = stock_el.getparent()
    for el in _children(parent, "flow") if parent is not None else ():
        if canonical(el.get("name", "")) == canonical(flow):
            return _child(el, tag) is not None
    return False


def _split_list(text: str) -> list[str]:
    """Split ``text`` at commas and semicolons outside parentheses and brackets."""
    parts, depth, current = [], 0, []
    for char in text:
        if char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
        if char in ",;" and depth == 0:
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    parts.append("".join(current).strip())
    return [p for p in parts if p]

"""Vensim ``.mdl`` importer: ``load(path) -> (Model, ImportReport)``.

Reads the equations (translated into Salver's equation language), subscripts, lookups, macros
(expanded inline at each call), the control section (``SimSpec``, also kept as variables) and the
sketch (one stock-and-flow view per Vensim view). What cannot be mapped is reported with its line.
"""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass, field
from pathlib import Path

from importers.files import read_limited
from importers.report import ImportReport
from importers.vensim_arrays import (
    DimensionDef,
    Dimensions,
    Lhs,
    SubscriptError,
    binding,
    element_tuples,
    needs_expansion,
    rebuild,
    substitute,
)
from importers.vensim_data import ExternalData, is_lookup_source
from importers.vensim_defs import Definition, dimension_def, read_definition
from importers.vensim_expr import Unsupported
from importers.vensim_functions import FunctionTranslator
from importers.vensim_lex import Token
from importers.vensim_pieces import Piece, read_piece
from importers.vensim_records import Lines, MacroHeader, Record, parse_units, split_records, split_sections
from importers.vensim_simspec import sim_spec
from importers.vensim_sketch import read_views
from metamodel.elements import Aux, Dimension, Flow, GraphicalFunction, Stock, Variable
from metamodel.equations.ast import BinOp, Call, Name, Node, Num, Subscript, UnaryOp, walk
from metamodel.equations.printer import to_text
from metamodel.errors import ParseError
from metamodel.model import Model
from metamodel.names import canonical

MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_MACRO_DEPTH = 20


@dataclass
class _Group:
    """All definitions of one variable and what they translate to."""

    name: str
    defs: list[Definition]
    pieces: list[Piece] = field(default_factory=list)
    dims: list[str] = field(default_factory=list)
    equation: str = ""
    elements: dict[str, str] = field(default_factory=dict)
    rate: str = ""
    rate_elements: dict[str, str] = field(default_factory=dict)
    gf: GraphicalFunction | None = None
    kind: str = "aux"  # aux, stock, flow
    inflows: list[str] = field(default_factory=list)
    outflows: list[str] = field(default_factory=list)
    tables: dict[str, tuple[str, GraphicalFunction]] = field(default_factory=dict)  # element -> (table name, gf)
    table_only: bool = False  # a lookup array: only its per-element tables become elements


def load(path: str | os.PathLike[str]) -> tuple[Model, ImportReport]:
    """Import a Vensim model; ``ParseError`` (file, line) when the file cannot be read at all."""
    data = read_limited(path, MAX_FILE_BYTES)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    try:
        return _Reader(text, str(path)).read()
    except ParseError as exc:
        if exc.file:
            raise
        raise ParseError(exc.message, file=str(path), line=exc.line, column=exc.column,
                         element=exc.element) from None


class _Reader:
    def __init__(self, text: str, path: str) -> None:
        self.text = text.replace("\r\n", "\n")
        self.lines = Lines(self.text)
        self.report = ImportReport(source=path, format="vensim")
        self.model = Model(name=Path(path).stem, source_path=path)
        self.dims = Dimensions()
        self.groups: dict[str, _Group] = {}
        self.macros: dict[str, MacroHeader] = {}
        self.macro_stack: list[str] = []
        self.macro_calls = 0
        self.caller: Lhs = Lhs([])  # the left side of the equation being translated (macro calls take it)
        self.translator = FunctionTranslator(set(), {})
        self.external = ExternalData(path)
        self.lookup_arrays: set[str] = set()
        self.element_names: dict[str, str] = {}

    # -- top level ---------------------------------------------------------------------------------
    def read(self) -> tuple[Model, ImportReport]:
        equations, sketch = split_sections(self.text)
        self.external.read_aliases(sketch)
        records, macros = split_records(equations, self.lines)
        self.macros = {canonical(m.name): m for m in macros}
        defs = []
        for record in records:
            try:
                defs.append(read_definition(record, self.lines(record.offset)))
            except ParseError as exc:
                self.fail(record.definition.strip().split("\n")[0][:60], exc.offset or record.offset,
                          f"cannot read definition: {exc.message}", "error")
        self.read_dimensions(defs)
        lookups = {canonical(d.name) for d in defs if is_lookup_source(d)}
        self.lookup_arrays = {canonical(d.name) for d in defs if d.lhs.subscripts and is_lookup_source(d)}
        self.translator = FunctionTranslator(lookups, self.dims.sizes())
        for definition in defs:
            if definition.kind in ("eq", "data", "lookup"):
                self.add_definition(definition)
            elif definition.kind == "check":
                self.report.add("reality check not imported", definition.name, definition.line, "info")
        self.dims.variables = set(self.groups)
        done = 0
        while done < len(self.groups):  # macro expansion appends groups while this runs
            self.translate_group(list(self.groups.values())[done])
            done += 1
        self.find_flows()
        self.build_elements()
        self.model.sim_spec = sim_spec(self.model, self.report)
        self.model.views = read_views(sketch, self.model, self.report, self.lines(len(equations)) or 1)
        return self.model, self.report

    def fail(self, element: str, offset: int | None, reason: str, severity: str = "warning") -> None:
        self.report.add(reason, element, self.lines(offset), severity)

    def add_definition(self, definition: Definition) -> None:
        key = canonical(definition.name)
        if key not in self.groups:
            self.groups[key] = _Group(" ".join(definition.name.split()), [])
        self.groups[key].defs.append(definition)

    # -- dimensions --------------------------------------------------------------------------------
    def read_dimensions(self, defs: list[Definition]) -> None:
        for definition in defs:
            try:
                if definition.kind == "dim":
                    self.dims.define(self.dimension(definition))
                elif definition.kind == "equiv":
                    other = definition.rhs[0]
                    if other.kind != "name":
                        raise SubscriptError("expected a dimension name after '<->'")
                    self.dims.alias(definition.name, other.text)
            except SubscriptError as exc:
                self.fail(definition.name, definition.record.offset, str(exc), "error")
        for name, line, reason in self.dims.resolve():
            self.report.add(reason, name, line, "error")
        self.model.dimensions = [Dimension(self.dims.names[k], list(items))
                                 for k, items in self.dims.elements.items()]
        self.element_names = {canonical(e): e for items in self.dims.elements.values() for e in items}

    def dimension(self, definition: Definition) -> DimensionDef:
        """A dimension written out, or one whose elements ``GET XLS/DIRECT SUBSCRIPT`` reads from a file."""
        try:
            elements = self.external.subscript_elements(definition)
        except Unsupported as exc:
            raise SubscriptError(exc.message) from None
        if elements is None:
            return dimension_def(definition)
        return DimensionDef(definition.name, elements, [], definition.line)

    # -- right sides -------------------------------------------------------------------------------
    def translate(self, name: str, args: list[Node], span: tuple[int, int], outputs: list[str]) -> Node:
        key = canonical(name)
        if key in self.macros:
            return self.expand_macro(self.macros[key], args, span, outputs)
        if outputs:
            raise Unsupported(f"{name}: outputs after ':' belong to calls of macros with several outputs",
                              span[0])
        return self.translator(name, args, span)

    def translate_group(self, group: _Group) -> None:
        for definition in group.defs:
            self.macro_stack = list(definition.extra.get("macros", []))  # type: ignore[call-overload]
            self.caller = definition.lhs
            try:
                piece = (self.external.piece(definition, self.dims)
                         or read_piece(definition, self.translate, self.text))
            except (ParseError, Unsupported) as exc:
                offset = exc.offset if exc.offset is not None else definition.record.offset
                self.fail(group.name, offset, f"{exc.message}; equation replaced by the placeholder 0",
                          "error")
                piece = Piece(definition.lhs, "expr", node=Num(0.0, "0"))
                self.keep_source(group, definition)
            group.pieces.append(piece)
        try:
            self.arrange(group)
        except SubscriptError as exc:
            self.fail(group.name, group.defs[0].record.offset, f"{exc}; equation replaced by the placeholder 0",
                      "error")
            group.dims, group.elements, group.equation, group.kind = [], {}, "0", "aux"
            return
        self.fill_undefined(group)

    def fill_undefined(self, group: _Group) -> None:
        """Elements a partially defined variable leaves out get the placeholder 0 (reported)."""
        if not group.dims or group.equation or group.table_only:
            return
        keys = [",".join(c) for c in itertools.product(*(self.dims.members(d) for d in group.dims))]
        missing = [k for k in keys if k not in group.elements]
        if not missing:
            return
        for key in missing:
            group.elements[key] = "0"
            if group.kind == "stock":
                group.rate_elements[key] = "0"
        shown = "; ".join(f"[{k}]" for k in missing[:5]) + (" …" if len(missing) > 5 else "")
        self.fail(group.name, group.defs[0].record.offset, f"elements {shown} are not defined; they are set to 0",
                  "info")

    def keep_source(self, group: _Group, definition: Definition) -> None:
        source = " ".join(definition.record.definition.split())
        group.defs[0].extra.setdefault("source", []).append(source)  # type: ignore[union-attr]

    # -- arrays ------------------------------------------------------------------------------------
    def arrange(self, group: _Group) -> None:
        """Decide the variable's dimensions and its apply-to-all or per-element equations."""
        pieces = group.pieces
        arities = {len(p.lhs.subscripts) for p in pieces}
        if len(arities) > 1:
            raise SubscriptError("definitions with different numbers of subscripts")
        if canonical(group.name) in self.lookup_arrays or any(p.kind == "tables" for p in pieces):
            self.arrange_tables(group)
            return
        lookups = [p for p in pieces if p.gf is not None]
        if lookups:
            group.gf = lookups[0].gf
        if any(p.kind == "stock" for p in pieces):
            group.kind = "stock"
        if arities == {0}:
            if len(pieces) > 1:
                self.fail(group.name, group.defs[1].record.offset, "defined more than once (Vensim refuses "
                          "the model); the last definition is kept", "error")
            self.apply_to_all(group, pieces[-1])
            return
        group.dims = self.dimensions_of(pieces)
        single = pieces[0]
        if (len(pieces) == 1 and not single.lhs.excepts and single.kind != "numbers"
                and all(self.dims.is_dimension(s) for s in single.lhs.subscripts)
                and not any(needs_expansion(n, single.lhs, self.dims) or self.uses_lookup_array(n)
                            for n in (single.node, single.init) if n)):
            self.apply_to_all(group, single)
            return
        for piece in pieces:
            self.expand(group, piece)

    def dimensions_of(self, pieces: list[Piece]) -> list[str]:
        first = pieces[0].lhs
        if len(pieces) == 1 and not first.excepts and all(self.dims.is_dimension(s) for s in first.subscripts):
            return [self.dims.names[canonical(s)] for s in first.subscripts]
        positions: list[list[str]] = [[] for _ in first.subscripts]
        literal: list[set[str]] = [set() for _ in first.subscripts]
        for piece in pieces:
            for i, sub in enumerate(piece.lhs.subscripts):
                if self.dims.is_dimension(sub):
                    positions[i].extend(self.dims.members(sub))
                    literal[i].add(canonical(sub))
                elif self.dims.is_element(sub):
                    positions[i].append(sub)
                else:
                    raise SubscriptError(f"subscript {sub!r} is neither a dimension nor an element")
        return self.dims.family(positions, literal)

    def apply_to_all(self, group: _Group, piece: Piece) -> None:
        if piece.kind == "numbers":
            raise SubscriptError("a list of numbers for a variable without subscripts")
        if piece.kind == "stock":
            group.equation = self.equation_text(piece.init) if piece.init else ""
            group.rate = self.equation_text(piece.node) if piece.node else ""
        elif piece.node is not None:
            group.equation = self.equation_text(piece.node)

    def expand(self, group: _Group, piece: Piece) -> None:
        combos = element_tuples(piece.lhs, self.dims)
        twice = [",".join(c) for c in combos if ",".join(c) in group.elements]
        if twice:  # Vensim refuses a model whose equations overlap
            raise SubscriptError(f"element [{twice[0]}] is defined by more than one equation")
        if piece.kind == "numbers":
            values = piece.values or []
            if len(values) != len(combos):
                raise SubscriptError(f"{len(values)} numbers given for {len(combos)} elements")
            for combo, value in zip(combos, values, strict=True):
                group.elements[",".join(combo)] = to_text(Num(value))
            return
        for combo in combos:
            key = ",".join(combo)
            bound = binding(piece.lhs, combo, self.dims)
            if piece.kind == "stock":
                group.elements[key] = (self.equation_text(substitute(piece.init, bound, self.dims))
                                       if piece.init else "0")
                group.rate_elements[key] = (self.equation_text(substitute(piece.node, bound, self.dims))
                                            if piece.node else "0")
            elif piece.node is not None:
                group.elements[key] = self.equation_text(substitute(piece.node, bound, self.dims))

    # -- per-element lookup tables and data --------------------------------------------------------
    def arrange_tables(self, group: _Group) -> None:
        """Lookup arrays and data variables: one lookup-only aux per element holds that element's table;
        a data element reads its table at ``TIME`` with the Vensim data mode."""
        group.table_only = canonical(group.name) in self.lookup_arrays
        if group.pieces[0].lhs.subscripts:
            group.dims = self.dimensions_of(group.pieces)
        for piece in group.pieces:
            combos = element_tuples(piece.lhs, self.dims)
            if piece.kind == "tables":
                tables = piece.tables or []
            elif piece.kind == "lookup" and piece.gf is not None:
                tables = [piece.gf] * len(combos)
            elif group.table_only:
                raise SubscriptError("a lookup array with elements defined by equations")
            else:
                self.expand(group, piece)
                continue
            for combo, gf in zip(combos, tables, strict=True):
                name = self.table_name(group.name, combo)
                group.tables[",".join(combo)] = (name, gf)
                if piece.node is not None and piece.kind == "tables":
                    text = to_text(_read_data(name, piece.mode))
                    if combo:
                        group.elements[",".join(combo)] = text
                    else:
                        group.equation = text

    def table_name(self, name: str, combo: tuple[str, ...] | list[str]) -> str:
        """The name of the lookup-only aux holding one element's table (the same for every caller)."""
        elements = " ".join(self.element_names.get(canonical(e), e) for e in combo)
        table = f"{name} table {elements}".strip()
        while canonical(table) in self.groups:
            table += " 2"
        return table

    def uses_lookup_array(self, node: Node) -> bool:
        return any(_lookup_array_call(item, self.lookup_arrays) for item in walk(node))

    def equation_text(self, node: Node) -> str:
        """Equation text of a translated right side, lookup-array calls bound to the element's table."""

        def visit(item: Node) -> Node:
            if isinstance(item, Call) and _lookup_array_call(item, self.lookup_arrays):
                table = item.args[0]
                assert isinstance(table, Subscript)
                combo = []
                for index in table.indices:
                    if not isinstance(index, Name) or self.dims.is_dimension(index.name) \
                            or not self.dims.is_element(index.name):
                        raise SubscriptError(f"lookup array {table.name!r} is called with a subscript that is not "
                                             "a single element")
                    combo.append(index.name)
                return Call(self.table_name(table.name, combo), tuple(visit(a) for a in item.args[1:]),
                            span=item.span)
            return rebuild(item, visit)

        return to_text(visit(node))

    # -- macros ------------------------------------------------------------------------------------
    def expand_macro(self, macro: MacroHeader, args: list[Node], span: tuple[int, int],
                     outputs: list[str]) -> Node:
        """Copy the macro's variables into the model under fresh names; the call becomes its output, and
        the names after ``:`` in the call become variables equal to the macro's additional outputs. In a
        subscripted equation every variable of the macro takes the equation's subscripts (one instance per
        element, as Vensim's manual describes macros called with subscripts)."""
        if macro.name in self.macro_stack:
            raise Unsupported(f"macro {macro.name!r} calls itself (circular macro)", span[0])
        if len(self.macro_stack) >= MAX_MACRO_DEPTH:
            raise Unsupported("macros nested too deeply", span[0])
        if len(args) != len(macro.params):
            raise Unsupported(f"macro {macro.name!r} takes {len(macro.params)} arguments, got {len(args)}",
                              span[0])
        if outputs and len(outputs) != len(macro.outputs):
            raise Unsupported(f"macro {macro.name!r} has {len(macro.outputs)} additional outputs, the call names "
                              f"{len(outputs)}", span[0])
        subscripts = list(self.caller.subscripts)
        self.macro_calls += 1
        suffix = f" in {macro.name} call {self.macro_calls}"
        body = []
        for record in macro.records:
            try:
                body.append(read_definition(record, self.lines(record.offset)))
            except ParseError as exc:
                raise Unsupported(f"macro {macro.name!r}: {exc.message}", record.offset) from None
            if subscripts and body[-1].lhs.subscripts:
                raise Unsupported(f"macro {macro.name!r} defines the subscripted {body[-1].name!r} and is called "
                                  "with subscripts", span[0])
        local = {canonical(p) for p in macro.params} | {canonical(d.name) for d in body}
        chain = [*self.macro_stack, macro.name]

        def reference(name: str) -> Node:
            indices = tuple(Name(s, span=span) for s in subscripts)
            return Subscript(name, indices, span=span) if subscripts else Name(name, span=span)

        for param, arg in zip(macro.params, args, strict=True):
            self.add_definition(Definition(param + suffix, Lhs(subscripts), "eq", [], Record("", span[0]), None,
                                           node=arg, extra={"macros": chain}))
        for definition in body:
            definition.name += suffix
            definition.rhs = _localize(definition.rhs, local, suffix, set(self.macros), subscripts)
            if subscripts:
                definition.lhs = Lhs(subscripts)
            definition.extra["macros"] = chain
            self.add_definition(definition)
        for inner, outer in zip(macro.outputs, outputs, strict=False):
            self.add_definition(Definition(outer, Lhs(subscripts), "eq", [], Record("", span[0]), None,
                                           node=reference(inner + suffix), extra={"macros": chain}))
        return reference(macro.name + suffix)

    # -- stocks and flows --------------------------------------------------------------------------
    def find_flows(self) -> None:
        """Attach plain variables summed in a stock's rate as its flows; else add a net flow."""
        used_in: set[str] = set()
        used_out: set[str] = set()
        for key, group in list(self.groups.items()):
            if group.kind != "stock":
                continue
            terms = self.flow_terms(group)
            if terms is None or any(k in (used_in if s > 0 else used_out) for s, k in terms):
                self.add_net_flow(key, group)
                continue
            for sign, flow_key in terms:
                self.groups[flow_key].kind = "flow"
                (used_in if sign > 0 else used_out).add(flow_key)
                (group.inflows if sign > 0 else group.outflows).append(flow_key)

    def flow_terms(self, group: _Group) -> list[tuple[int, str]] | None:
        if group.rate_elements or len(group.pieces) != 1 or group.pieces[0].node is None:
            return None
        piece = group.pieces[0]
        if isinstance(piece.node, Num) and piece.node.value == 0:
            return []
        own = [canonical(s) for s in piece.lhs.subscripts]
        terms: list[tuple[int, str]] = []
        for sign, node in _signed_terms(piece.node, 1):
            plain = isinstance(node, Name) and not own
            aligned = isinstance(node, Subscript) and [canonical(getattr(i, "name", "*"))
                                                       for i in node.indices] == own
            if not (plain or aligned):
                return None
            key = node.canonical  # type: ignore[attr-defined]
            target = self.groups.get(key)
            if (target is None or target.kind == "stock" or target.gf is not None or key in (k for _, k in terms)
                    or [canonical(d) for d in target.dims] != [canonical(d) for d in group.dims]
                    or any(p.kind not in ("expr", "numbers") for p in target.pieces)):
                return None
            terms.append((sign, key))
        return terms

    def add_net_flow(self, key: str, group: _Group) -> None:
        name = f"{group.name} net flow"
        while canonical(name) in self.groups:
            name += " 2"
        flow = _Group(name, group.defs[:1], dims=list(group.dims), equation=group.rate,
                      elements=dict(group.rate_elements), kind="flow")
        self.groups[canonical(name)] = flow
        group.inflows.append(canonical(name))

    def build_elements(self) -> None:
        ids: dict[str, str] = {}
        for key, group in self.groups.items():
            for element_key, (name, gf) in group.tables.items():
                table_id = self.model.new_id(name)
                where = f"[{element_key}]" if element_key else ""
                self.model.elements[table_id] = Aux(id=table_id, name=name, gf=gf,
                                                    doc=f"Lookup table of {group.name}{where}")
            if group.table_only:
                continue
            ids[key] = self.model.new_id(group.name)
            self.model.elements[ids[key]] = self.element(group, ids[key])
        for key, group in self.groups.items():
            if group.table_only:
                continue
            element = self.model.elements[ids[key]]
            if isinstance(element, Stock):
                element.inflows = [ids[k] for k in group.inflows]
                element.outflows = [ids[k] for k in group.outflows]

    def element(self, group: _Group, element_id: str) -> Variable:
        units, value_range = parse_units(next((d.record.units for d in group.defs if d.record.units), ""))
        doc = next((d.record.doc for d in group.defs if d.record.doc), "")
        sources = group.defs[0].extra.get("source")
        if sources:
            doc = (doc + "\n" if doc else "") + "Vensim source: " + " | ".join(sources)  # type: ignore[arg-type]
        common = {"id": element_id, "name": group.name, "doc": doc, "units": units, "range": value_range,
                  "dimensions": list(group.dims), "equation": group.equation,
                  "element_equations": dict(group.elements)}
        if group.kind == "stock":
            return Stock(**common)  # type: ignore[arg-type]
        if group.kind == "flow":
            return Flow(**common, gf=group.gf)  # type: ignore[arg-type]
        return Aux(**common, gf=group.gf)  # type: ignore[arg-type]


def _lookup_array_call(node: Node, arrays: set[str]) -> bool:
    return (isinstance(node, Call) and node.func == "lookup" and isinstance(node.args[0], Subscript)
            and canonical(node.args[0].name) in arrays)


def _read_data(table: str, mode: str) -> Node:
    """A data element's value: its table at ``TIME``, held backward, looked forward or interpolated."""
    time = Name("TIME")
    if mode in ("HOLD BACKWARD", "RAW"):
        return Call("lookup_backward", (Name(table), time))
    if mode == "LOOK FORWARD":
        return Call("lookup_forward", (Name(table), time))
    return Call(table, (time,))


def _signed_terms(node: Node, sign: int) -> list[tuple[int, Node]]:
    if isinstance(node, BinOp) and node.op in "+-":
        return _signed_terms(node.left, sign) + _signed_terms(node.right, sign if node.op == "+" else -sign)
    if isinstance(node, UnaryOp) and node.op in "+-":
        return _signed_terms(node.operand, sign if node.op == "+" else -sign)
    return [(sign, node)]


def _localize(tokens: list[Token], local: set[str], suffix: str, macros: set[str],
              subscripts: list[str]) -> list[Token]:
    """A macro body's tokens with its own names (parameters, variables) renamed for one call, each
    followed by the caller's subscripts where it has none; the names of macros it calls are kept. A name
    written with a trailing ``$`` (``TIME STEP$``) is the calling model's variable of that name."""
    out: list[Token] = []
    for i, token in enumerate(tokens):
        following = tokens[i + 1] if i + 1 < len(tokens) else None
        if token.kind == "name" and token.text.endswith("$") and token.text.rstrip("$").strip():
            out.append(Token("name", token.text.rstrip("$").rstrip(), token.start, token.end, quoted=token.quoted))
            continue
        called = following is not None and following.text == "(" and canonical(token.text) in macros
        if token.kind != "name" or canonical(token.text) not in local or called:
            out.append(token)
            continue
        out.append(Token("name", token.text + suffix, token.start, token.end, quoted=True))
        if subscripts and not (following is not None and following.kind == "op" and following.text == "["):
            out.append(Token("op", "[", token.end, token.end))
            for n, name in enumerate(subscripts):
                if n:
                    out.append(Token("op", ",", token.end, token.end))
                out.append(Token("name", name, token.end, token.end))
            out.append(Token("op", "]", token.end, token.end))
    return out

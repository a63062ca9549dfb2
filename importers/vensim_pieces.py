"""Right sides of Vensim definitions: expressions, stocks, lookups, constant lists, WITH LOOKUP."""

from __future__ import annotations

from dataclasses import dataclass

from importers.vensim_arrays import Lhs
from importers.vensim_defs import Definition
from importers.vensim_expr import CallTranslator, ExprParser, Unsupported, is_number_list
from metamodel.elements import GraphicalFunction
from metamodel.equations.ast import Call, Node
from metamodel.errors import ParseError
from metamodel.names import canonical


@dataclass
class Piece:
    """One definition's translated right side.

    ``kind``: ``expr`` (``node``), ``stock`` (rate ``node`` and ``init``), ``lookup`` (``gf``),
    ``with_lookup`` (input ``node`` and ``gf``), ``numbers`` (``values`` in row-major order) or
    ``tables`` (one lookup table per element in ``tables``; data read at ``node`` = ``TIME`` with the
    Vensim data ``mode`` when ``node`` is set, lookups used as functions otherwise).
    """

    lhs: Lhs
    kind: str
    node: Node | None = None
    init: Node | None = None
    gf: GraphicalFunction | None = None
    values: list[float] | None = None
    tables: list[GraphicalFunction] | None = None
    mode: str = ""


def read_piece(definition: Definition, translate: CallTranslator, source: str) -> Piece:
    """Translate a definition's right side; raises ``ParseError`` or ``Unsupported``."""
    lhs = definition.lhs
    if definition.node is not None:
        return Piece(lhs, "expr", node=definition.node)
    tokens = definition.rhs
    parser = ExprParser(tokens, translate, source)
    if tokens[0].kind == "end":
        raise Unsupported("a data variable without equation (its values come from an external data "
                          "file)", definition.record.offset)
    if definition.kind == "lookup":
        if tokens[1].kind == "name":
            parser.index = 1
            parser.expression()  # an external lookup: the translator reports the function
            raise Unsupported("a lookup read from an external source", tokens[1].start)
        gf = parser.lookup_table()
        _expect_end(parser)
        return Piece(lhs, "lookup", gf=gf)
    head = canonical(tokens[0].text) if tokens[0].kind == "name" and tokens[1].text == "(" else ""
    if head == "with_lookup":
        parser.index = 2
        node = parser.expression()
        parser.expect_op(",")
        gf = parser.lookup_table()
        parser.expect_op(")")
        _expect_end(parser)
        return Piece(lhs, "with_lookup", node=node, gf=gf)
    if head == "tabbed_array":
        parser.index = 2
        rows = parser.number_rows(tabbed=True)
        parser.expect_op(")")
        _expect_end(parser)
        return Piece(lhs, "numbers", values=[v for row in rows for v in row])
    if is_number_list(tokens):
        rows = parser.number_rows(tabbed=False)
        return Piece(lhs, "numbers", values=[v for row in rows for v in row])
    node = parser.parse_all()
    if isinstance(node, Call) and node.func == "integ":
        return Piece(lhs, "stock", node=node.args[0], init=node.args[1])
    return Piece(lhs, "expr", node=node)


def _expect_end(parser: ExprParser) -> None:
    if not parser.at("end"):
        raise ParseError("unexpected text after the end of the definition", offset=parser.current.start)

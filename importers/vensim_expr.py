"""Precedence parser of Vensim expressions into Salver's equation AST.

Precedence, loosest first: ``:OR:``, ``:AND:``, ``:NOT:``, comparisons, ``+ -``, ``* /``, unary
``- +``, ``^`` (right-associative, tighter than unary minus: ``-2^2`` is ``-4``). Function calls are
handed to a translator (``vensim_functions``) that maps Vensim builtins onto Salver's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from importers.vensim_lex import Token
from metamodel.elements import GraphicalFunction
from metamodel.equations.ast import BinOp, Call, Name, Node, Num, Star, Subscript, UnaryOp
from metamodel.equations.parser import check_height
from metamodel.errors import ParseError

MAX_DEPTH = 50  # each level costs about ten Python frames
VENSIM_NA = -1.298074214633707e33
_COMPARE = {"=": "=", "<>": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}

CallTranslator = Callable[[str, list[Node], tuple[int, int], list[str]], Node]


class Unsupported(Exception):
    """A construct Salver cannot represent (external data, unknown function); ``offset`` locates it."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset


class ExprParser:
    """Parses a token list; ``translate`` turns ``NAME(args)`` into an AST node."""

    def __init__(self, tokens: list[Token], translate: CallTranslator, source: str = "") -> None:
        self.tokens = tokens
        self.source = source
        self.index = 0
        self.depth = 0
        self.translate = translate

    # -- token helpers -----------------------------------------------------------------------------
    @property
    def current(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.tokens[self.index]
        if token.kind != "end":
            self.index += 1
        return token

    def at(self, kind: str, text: str | None = None) -> bool:
        token = self.current
        return token.kind == kind and (text is None or token.text.upper() == text)

    def at_op(self, *texts: str) -> bool:
        return self.current.kind == "op" and self.current.text in texts

    def error(self, expected: str) -> ParseError:
        token = self.current
        found = "end of equation" if token.kind == "end" else repr(token.text)
        return ParseError(f"expected {expected}, found {found}", offset=token.start)

    def expect_op(self, text: str) -> Token:
        if not self.at_op(text):
            raise self.error(repr(text))
        return self.advance()

    def number(self) -> float:
        """A signed number literal (in lookups and constant lists)."""
        sign = 1.0
        while self.at_op("-", "+"):
            sign = -sign if self.advance().text == "-" else sign
        if not self.at("num"):
            raise self.error("a number")
        return sign * float(self.advance().text)

    # -- expressions -------------------------------------------------------------------------------
    def parse_all(self) -> Node:
        node = self.expression()
        if not self.at("end"):
            raise self.error("an operator or the end of the equation")
        return check_height(node)

    def expression(self) -> Node:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ParseError("expression nested too deeply", offset=self.current.start)
        try:
            return self.logical(0)
        finally:
            self.depth -= 1

    def logical(self, level: int) -> Node:
        keyword = ("OR", "AND")[level] if level < 2 else ""
        if not keyword:
            return self.negation()
        left = self.logical(level + 1)
        while self.at("ckw", keyword):
            self.advance()
            right = self.logical(level + 1)
            left = BinOp(keyword.lower(), left, right, span=(left.span[0], right.span[1]))
        return left

    def negation(self) -> Node:
        if self.at("ckw", "NOT"):
            start = self.advance().start
            operand = self.negation()
            return UnaryOp("not", operand, span=(start, operand.span[1]))
        return self.comparison()

    def comparison(self) -> Node:
        left = self.additive()
        while self.current.kind == "op" and self.current.text in _COMPARE:
            op = _COMPARE[self.advance().text]
            right = self.additive()
            left = BinOp(op, left, right, span=(left.span[0], right.span[1]))
        return left

    def additive(self) -> Node:
        left = self.multiplicative()
        while self.at_op("+", "-"):
            op = self.advance().text
            right = self.multiplicative()
            left = BinOp(op, left, right, span=(left.span[0], right.span[1]))
        return left

    def multiplicative(self) -> Node:
        left = self.unary()
        while self.at_op("*", "/"):
            op = self.advance().text
            right = self.unary()
            left = BinOp(op, left, right, span=(left.span[0], right.span[1]))
        return left

    def unary(self) -> Node:
        if self.at_op("-", "+"):
            token = self.advance()
            operand = self.unary()
            return UnaryOp(token.text, operand, span=(token.start, operand.span[1]))
        if self.at("ckw", "NOT"):
            return self.negation()
        return self.power()

    def power(self) -> Node:
        base = self.primary()
        if self.at_op("^"):
            self.advance()
            exponent = self.unary()  # right-associative, allows 2^-1
            return BinOp("^", base, exponent, span=(base.span[0], exponent.span[1]))
        return base

    def primary(self) -> Node:
        token = self.current
        if token.kind == "num":
            self.advance()
            return Num(float(token.text), token.text, span=(token.start, token.end))
        if token.kind == "ckw" and token.text == "NA":
            self.advance()
            return Num(VENSIM_NA, span=(token.start, token.end))
        if token.kind == "str":
            self.advance()
            return Name(token.text, span=(token.start, token.end))
        if self.at_op("("):
            self.advance()
            inner = self.expression()
            close = self.expect_op(")")
            return replace(inner, span=(token.start, close.end))
        if token.kind == "name":
            self.advance()
            node: Node = Name(token.text, span=(token.start, token.end))
            if self.at_op("["):
                node = self.subscript(token)
            if self.at_op("("):
                return self.call(token, node)
            if isinstance(node, Name) and node.name.casefold() == "time":
                return Name("TIME", span=node.span)
            return node
        raise self.error("a number, a name, '(' or a function call")

    def subscript(self, name: Token) -> Subscript:
        self.advance()
        indices: list[Node] = []
        while True:
            if not self.at("name"):
                raise self.error("a subscript name")
            token = self.advance()
            if self.at_op("!"):
                self.advance()
                indices.append(Star(token.text, span=(token.start, token.end + 1)))
            else:
                indices.append(Name(token.text, span=(token.start, token.end)))
            if not self.at_op(","):
                break
            self.advance()
        close = self.expect_op("]")
        return Subscript(name.text, tuple(indices), span=(name.start, close.end))

    def call(self, name: Token, callee: Node) -> Node:
        self.advance()
        args: list[Node] = []
        if not self.at_op(")"):
            args.append(self.expression())
            while self.at_op(","):
                self.advance()
                args.append(self.expression())
        outputs = self.call_outputs()
        close = self.expect_op(")")
        span = (name.start, close.end)
        if isinstance(callee, Subscript):  # a subscripted lookup table called with an input
            if len(args) != 1 or outputs:
                raise ParseError(f"lookup {name.text!r} takes one input", offset=name.start)
            return Call("lookup", (callee, args[0]), span=span)
        return self.translate(name.text, args, span, outputs)

    def call_outputs(self) -> list[str]:
        """The names after ``:`` in a call of a macro with several outputs (``ADD3(a, b, c : low, high)``):
        the variables the call defines as the macro's additional outputs."""
        if not self.at_op(":"):
            return []
        self.advance()
        names = []
        while True:
            if not self.at("name"):
                raise self.error("the name of a macro output")
            names.append(self.advance().text)
            if not self.at_op(","):
                return names
            self.advance()

    # -- lookups and constant lists ----------------------------------------------------------------
    def lookup_table(self) -> GraphicalFunction:
        """``( [(x0,y0)-(x1,y1), ...], (x,y), ... )`` or ``((x,y), ...)``; the range is optional."""
        self.expect_op("(")
        xscale = yscale = None
        if self.at_op("["):
            self.advance()
            x0, y0 = self.point()
            self.expect_op("-")
            x1, y1 = self.point()
            xscale, yscale = (x0, x1), (y0, y1)
            while self.at_op(","):  # reference lines drawn in Vensim's editor
                self.advance()
                self.point()
            self.expect_op("]")
            if self.at_op(","):
                self.advance()
        xs: list[float] = []
        ys: list[float] = []
        if self.at("num") or self.at_op("-", "+"):  # the old format: all xs, then all ys
            values = [self.number()]
            while self.at_op(","):
                self.advance()
                values.append(self.number())
            half = len(values) // 2
            xs, ys = values[:half], values[half:]
        else:
            while self.at_op("("):
                x, y = self.point()
                xs.append(x)
                ys.append(y)
                if not self.at_op(","):
                    break
                self.advance()
        self.expect_op(")")
        if not xs or len(xs) != len(ys):
            raise self.error("lookup points")
        return GraphicalFunction(ypts=ys, xpts=xs, xscale=xscale or (min(xs), max(xs)),
                                 yscale=yscale or (min(ys), max(ys)))

    def point(self) -> tuple[float, float]:
        self.expect_op("(")
        x = self.number()
        self.expect_op(",")
        y = self.number()
        self.expect_op(")")
        return x, y

    def number_rows(self, tabbed: bool) -> list[list[float]]:
        """A constant list ``1, 2; 3, 4;`` (or a TABBED ARRAY body, rows split by ``newlines``)."""
        rows: list[list[float]] = [[]]
        last_line_end = None
        while not self.at("end") and not (tabbed and self.at_op(")")):
            if tabbed and last_line_end is not None and self.newline_between(last_line_end):
                rows.append([])
            if self.at_op(";"):
                self.advance()
                rows.append([])
                continue
            if self.at_op(","):
                self.advance()
                continue
            rows[-1].append(self.number())
            last_line_end = self.tokens[self.index - 1].end
        return [row for row in rows if row]

    def newline_between(self, offset: int) -> bool:
        return "\n" in self.source[offset:self.current.start]


def is_number_list(tokens: list[Token]) -> bool:
    """True when the tokens are only numbers, signs, commas and semicolons (a constant array)."""
    body = [t for t in tokens if t.kind != "end"]
    return any(t.kind == "num" for t in body) and any(t.text in ",;" for t in body) and all(
        t.kind == "num" or (t.kind == "op" and t.text in "-+,;") for t in body)

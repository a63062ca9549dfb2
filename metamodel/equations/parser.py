"""Parser of the equation language: XMILE expression syntax into the AST of ``ast.py``.

A hand-written tokenizer and precedence-climbing parser. Precedence, loosest first:
``OR``, ``AND``, ``= <>``, ``< <= > >=``, ``+ -``, ``* / MOD``, unary ``- + NOT``, ``^``
(right-associative, binding tighter than unary minus: ``-2^2`` is ``-4``).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, replace

from metamodel.equations.ast import MAX_HEIGHT, BinOp, Call, If, Name, Node, Num, Star, Subscript, UnaryOp, height
from metamodel.errors import ParseError

MAX_EQUATION_LENGTH = 1_000_000
MAX_DEPTH = 400

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+|\{[^}]*\})
  | (?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)
  | (?P<qname>"(?:[^"\\]|\\.)*")
  | (?P<name>[^\W\d][\w$'.]*(?:[ \t]+[^\W\d][\w$'.]*)*|[^\W\d]\w*)
  | (?P<op><=|>=|<>|!=|==|[-+*/^(),\[\]<>=:!])
    """,
    re.VERBOSE | re.UNICODE,
)

_KEYWORDS = {"if", "then", "else", "and", "or", "not", "mod"}
_COMPARE_EQ = {"=": "=", "==": "=", "<>": "<>", "!=": "<>"}
_COMPARE_ORD = {"<", "<=", ">", ">="}


@dataclass(frozen=True)
class Token:
    kind: str  # num, name, op, kw, end
    text: str
    start: int
    end: int


def _split_name(text: str, start: int) -> list[Token]:
    """Split a multi-word name run at keywords (``a and b`` is three tokens, ``sales rate`` one)."""
    words = list(re.finditer(r"\S+", text))
    tokens: list[Token] = []
    run: list[re.Match[str]] = []

    def flush() -> None:
        if run:
            tokens.append(Token("name", text[run[0].start() : run[-1].end()], start + run[0].start(),
                                start + run[-1].end()))
            run.clear()

    for word in words:
        if word.group().casefold() in _KEYWORDS:
            flush()
            tokens.append(Token("kw", word.group().casefold(), start + word.start(), start + word.end()))
        else:
            run.append(word)
    flush()
    return tokens


def tokenize(text: str) -> list[Token]:
    """Split equation text into tokens; raises ``ParseError`` at the first character it cannot read."""
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            raise ParseError(f"unexpected character {text[pos]!r}", offset=pos, column=pos + 1)
        kind = match.lastgroup
        value = match.group()
        if kind == "name":
            tokens.extend(_split_name(value, pos))
        elif kind == "qname":
            tokens.append(Token("name", value, pos, match.end()))
        elif kind != "ws":
            tokens.append(Token(kind or "op", value, pos, match.end()))
        pos = match.end()
    tokens.append(Token("end", "", len(text), len(text)))
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.index = 0
        self.depth = 0

    # -- token helpers ---------------------------------------------------------------------------
    @property
    def current(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def at(self, kind: str, text: str | None = None) -> bool:
        token = self.current
        return token.kind == kind and (text is None or token.text == text)

    def error(self, expected: str) -> ParseError:
        token = self.current
        found = "end of equation" if token.kind == "end" else repr(token.text)
        return ParseError(f"expected {expected}, found {found}", offset=token.start, column=token.start + 1)

    def expect(self, kind: str, text: str, expected: str) -> Token:
        if not self.at(kind, text):
            raise self.error(expected)
        return self.advance()

    # -- grammar ---------------------------------------------------------------------------------
    def parse(self) -> Node:
        if self.at("end"):
            raise self.error("an expression")
        node = self.expression()
        if not self.at("end"):
            raise self.error("an operator or end of equation")
        return node

    def expression(self) -> Node:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ParseError("expression nested too deeply", offset=self.current.start,
                             column=self.current.start + 1)
        try:
            if self.at("kw", "if"):
                return self.conditional()
            return self.binary(0)
        finally:
            self.depth -= 1

    def conditional(self) -> Node:
        start = self.advance().start
        cond = self.expression()
        self.expect("kw", "then", "THEN")
        then = self.expression()
        self.expect("kw", "else", "ELSE")
        orelse = self.expression()
        return If(cond, then, orelse, span=(start, orelse.span[1]))

    _LEVELS: tuple[tuple[str, ...], ...] = (
        ("or",),
        ("and",),
        ("=", "<>"),
        ("<", "<=", ">", ">="),
        ("+", "-"),
        ("*", "/", "mod"),
    )

    def binary_op(self, level: int) -> str | None:
        token = self.current
        if token.kind == "kw" and token.text in self._LEVELS[level]:
            return token.text
        if token.kind == "op":
            op = _COMPARE_EQ.get(token.text, token.text)
            if op in self._LEVELS[level]:
                return op
        return None

    def binary(self, level: int) -> Node:
        if level == len(self._LEVELS):
            return self.unary()
        left = self.binary(level + 1)
        chain: list[tuple[str, Node]] = []
        while (op := self.binary_op(level)) is not None:
            self.advance()
            right = self.if_or(lambda lv=level: self.binary(lv + 1))
            chain.append((op, right))
        if len(chain) >= _BALANCED_CHAIN and all(op in _INVERSE for op, _ in chain):
            return _balanced([("+" if op in ("+", "-") else "*", left), *chain])
        for op, right in chain:
            left = BinOp(op, left, right, span=(left.span[0], right.span[1]))
        return left

    def if_or(self, parse_operand: Callable[[], Node]) -> Node:
        """An operand may itself be an ``IF`` expression (``1 + IF a THEN b ELSE c``)."""
        if self.at("kw", "if"):
            return self.expression()
        return parse_operand()

    def unary(self) -> Node:
        token = self.current
        if (token.kind == "op" and token.text in ("+", "-")) or (token.kind == "kw" and token.text == "not"):
            self.advance()
            op = "not" if token.kind == "kw" else token.text
            operand = self.if_or(self.unary)
            return UnaryOp(op, operand, span=(token.start, operand.span[1]))
        if token.kind == "op" and token.text == "!":
            self.advance()
            operand = self.unary()
            return UnaryOp("not", operand, span=(token.start, operand.span[1]))
        return self.power()

    def power(self) -> Node:
        base = self.primary()
        if self.at("op", "^"):
            self.advance()
            exponent = self.if_or(self.unary)  # right-associative, allows 2^-1
            return BinOp("^", base, exponent, span=(base.span[0], exponent.span[1]))
        return base

    def primary(self) -> Node:
        token = self.current
        if token.kind == "num":
            self.advance()
            return Num(float(token.text), token.text, span=(token.start, token.end))
        if token.kind == "op" and token.text == "(":
            self.advance()
            inner = self.expression()
            close = self.expect("op", ")", "')'")
            return _respan(inner, (token.start, close.end))
        if token.kind == "name":
            self.advance()
            if self.at("op", "("):
                return self.call(token)
            if self.at("op", "["):
                return self.subscript(token)
            return Name(_unquote(token.text), span=(token.start, token.end))
        raise self.error("a number, a name, '(' or a function call")

    def call(self, name: Token) -> Node:
        self.advance()
        args: list[Node] = []
        if not self.at("op", ")"):
            args.append(self.argument())
            while self.at("op", ","):
                self.advance()
                args.append(self.argument())
        close = self.expect("op", ")", "',' or ')'")
        return Call(_unquote(name.text), tuple(args), span=(name.start, close.end))

    def argument(self) -> Node:
        """A call argument; an empty argument (``f(a,,b)``) is not allowed."""
        if self.at("op", ",") or self.at("op", ")"):
            raise self.error("an argument")
        return self.expression()

    def subscript(self, name: Token) -> Node:
        self.advance()
        indices = [self.index_expr()]
        while self.at("op", ","):
            self.advance()
            indices.append(self.index_expr())
        close = self.expect("op", "]", "',' or ']'")
        return Subscript(_unquote(name.text), tuple(indices), span=(name.start, close.end))

    def index_expr(self) -> Node:
        token = self.current
        if token.kind == "op" and token.text == "*":
            self.advance()
            if self.at("op", ":"):
                self.advance()
                dim = self.expect_name("a dimension name after '*:'")
                return Star(_unquote(dim.text), span=(token.start, dim.end))
            return Star(span=(token.start, token.end))
        return self.expression()

    def expect_name(self, expected: str) -> Token:
        if not self.at("name"):
            raise self.error(expected)
        return self.advance()


# A chain of at least this many ``+ -`` (or ``* /``) operations is built as a balanced tree, so a sum of
# thousands of terms is a tree of a few dozen levels that every walker can recurse over; shorter chains
# keep the left-to-right order in which they are written.
_BALANCED_CHAIN = 32
_INVERSE = {"+": "-", "-": "+", "*": "/", "/": "*"}


def _balanced(terms: list[tuple[str, Node]]) -> Node:
    """``t0 op1 t1 op2 t2 …`` (``terms[0]`` carries the identity operator) as a tree of logarithmic height.

    The right half of a split joins the left half by its first operator; when that operator is ``-`` or ``/``
    the right half's operators are inverted (``a - b - c`` is ``a - (b + c)``), so the value is the same.
    """
    if len(terms) == 1:
        return terms[0][1]
    middle = len(terms) // 2
    left = _balanced(terms[:middle])
    joint, first = terms[middle]
    rest = terms[middle + 1:]
    if joint in ("-", "/"):
        rest = [(_INVERSE[op], term) for op, term in rest]
    identity = "+" if joint in ("+", "-") else "*"
    right = _balanced([(identity, first), *rest])
    return BinOp(joint, left, right, span=(left.span[0], right.span[1]))


def _unquote(text: str) -> str:
    if len(text) >= 2 and text[0] == text[-1] == '"':
        return text[1:-1].replace('\\"', '"')
    return text


def _respan(node: Node, span: tuple[int, int]) -> Node:
    """Widen a node's span to include the parentheses around it."""
    return replace(node, span=span)


def check_height(node: Node) -> Node:
    """``node`` when its tree has at most ``MAX_HEIGHT`` levels, else a ``ParseError`` that says how to fix it."""
    levels = height(node)
    if levels > MAX_HEIGHT:
        raise ParseError(f"expression nested too deeply ({levels} levels of operators, at most {MAX_HEIGHT}): "
                         "split it into several variables", offset=node.span[0])
    return node


_CACHED_LENGTH = 2000  # longer texts are rare and parsed each time, so the cache stays small


@functools.lru_cache(maxsize=32768)
def _parse_short(text: str) -> Node:
    return check_height(_Parser(text).parse())


def parse(text: str, *, element: str | None = None) -> Node:
    """Parse one equation into an AST; raises ``ParseError`` naming the position and what was expected.

    Trees are immutable and shared: the importer, the checks and the compiler parse a text once.
    """
    if len(text) > MAX_EQUATION_LENGTH:
        raise ParseError(f"equation longer than {MAX_EQUATION_LENGTH} characters", element=element)
    try:
        return _parse_short(text) if len(text) <= _CACHED_LENGTH else check_height(_Parser(text).parse())
    except RecursionError:
        raise ParseError("expression nested too deeply", element=element) from None
    except ParseError as exc:
        if element is None:
            raise
        raise ParseError(exc.message, element=element, column=exc.column, offset=exc.offset) from None

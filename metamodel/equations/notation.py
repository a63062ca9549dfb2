"""Parser of constraint bodies as SysML tools store them: Python-, MATLAB-, OCL- and SysML v2-like math.

Constraint blocks keep their equations as opaque text in whatever notation the modeller typed. This
module reads the common ones into Salver's equation AST (never ``eval``), one :class:`Statement` per
equation or condition:

- operators ``+ - * / ^ ** %`` (``.* ./ .^`` too), comparisons ``= == != ~= <> < <= > >=`` (Python's
  chains such as ``0 <= x <= 1``), ``and or not`` / ``&& || !`` / ``& | ~``, ``:=`` for equations;
- conditionals ``a if c else b``, ``c ? a : b``, ``if c then a else b [endif]`` and SysML v2's
  ``if c ? a else b``;
- numbers with SysML v2 unit annotations (``1500 [kg]``, kept as ``Statement.units``), ``True``/``False``,
  ``pi``/``π``, ``inf``, text literals (``"OFF"``), literal arrays (``[1, 2, 3]``, ``[1 2; 3 4]``,
  ``{1, 2}``, ``(a, b)``) as :class:`ArrayLiteral`;
- names with spaces (``specific heat``), feature paths (``engine.power``), qualified names
  (``Mode::TRACK``), OCL's ``self.`` and method calls (``x.abs()``), library prefixes (``math.sqrt``);
- functions of :data:`FUNCTIONS` (``min max abs sqrt exp ln log sin cos tan …``), the table lookups
  ``interp1 interpn interp2 interp``, and ``previous``/``pre``/``der`` for discrete and continuous states;
- several statements separated by ``;`` or line breaks; a surrounding ``{ … }`` and an OCL ``inv:`` head
  are dropped.

Anything else raises :class:`ParseError` with the offset of the problem.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from metamodel.equations.ast import BinOp, Call, If, Name, Node, Num, UnaryOp
from metamodel.errors import ParseError

MAX_BODY_LENGTH = 200_000
MAX_DEPTH = 200

# notation spelling -> canonical builtin (see ``metamodel.equations.builtins``) or special form
FUNCTIONS = {
    "min": "min", "max": "max", "abs": "abs", "fabs": "abs", "sqrt": "sqrt", "exp": "exp", "ln": "ln",
    "log": "log", "log10": "log10", "log2": "log2", "sin": "sin", "cos": "cos", "tan": "tan",
    "asin": "arcsin", "arcsin": "arcsin", "acos": "arccos", "arccos": "arccos", "atan": "arctan",
    "arctan": "arctan", "sinh": "sinh", "cosh": "cosh", "tanh": "tanh", "floor": "floor", "ceil": "ceil",
    "ceiling": "ceil", "round": "round", "sign": "sign", "signum": "sign", "pow": "pow", "power": "pow",
    "mod": "mod", "rem": "rem", "fmod": "rem", "hypot": "hypot", "sum": "sum",
    "interp": "interp", "interp1": "interp1", "interp2": "interpn", "interp3": "interpn", "interpn": "interpn",
    "previous": "previous", "pre": "previous", "der": "der", "passif": "passif", "PassIf": "passif",
}
_LIBRARY_PREFIXES = ("math.", "Math.", "np.", "numpy.", "scipy.interpolate.", "ScalarFunctions::",
                     "VerificationCases::", "RealFunctions::", "NumericalFunctions::", "TrigFunctions::",
                     "BaseFunctions::")
_CONSTANTS = {"true": 1.0, "false": 0.0}
_KEYWORDS = {"if", "then", "else", "elseif", "endif", "end", "and", "or", "not", "xor", "implies", "mod",
             "true", "false", "inv"}
_UNICODE = {"×": "*", "·": "*", "⋅": "*", "÷": "/", "−": "-", "≤": "<=", "≥": ">=", "≠": "!=", "π": "pi",
            "√": "sqrt", "²": "^2", "³": "^3", "∧": "&&", "∨": "||", "¬": "!"}
_COMPARE = {"=": "=", "==": "=", "!=": "<>", "~=": "<>", "<>": "<>", "<": "<", "<=": "<=", ">": ">",
            ">=": ">="}
_TOKEN = re.compile(
    r"""
    (?P<cont>\.\.\.[^\n]*\n)
  | (?P<newline>\n)
  | (?P<ws>[ \t\r\f\v]+)
  | (?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)
  | (?P<text>"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
  | (?P<name>[^\W\d][\w$]*(?:::[^\W\d][\w$]*)*)
  | (?P<op>\*\*|\.\*|\./|\.\^|:=|==|!=|~=|<>|<=|>=|&&|\|\||[-+*/^%(),\[\]{}<>=!~&|?:;.])
    """,
    re.VERBOSE | re.UNICODE,
)


@dataclass(frozen=True)
class Text(Node):
    """A text literal (``"OFF"``): only compared with text values."""

    value: str


@dataclass(frozen=True)
class ArrayLiteral(Node):
    """A literal array or tuple; rows of a matrix are nested ``ArrayLiteral`` items."""

    items: tuple[Node, ...]

    def children(self) -> tuple[Node, ...]:
        return self.items


@dataclass(frozen=True)
class Statement:
    """One equation (``op`` ``=``), comparison (``< <= > >= <>``) or bare condition (``op`` empty, ``right``
    None) of a constraint body; ``units`` holds unit annotations met in it (``[kg]``)."""

    op: str
    left: Node
    right: Node | None
    text: str
    span: tuple[int, int]
    units: tuple[str, ...] = ()

    @property
    def is_equation(self) -> bool:
        return self.op == "="


@dataclass(frozen=True)
class _Tok:
    kind: str  # num, name, text, op, kw, newline, end
    text: str
    start: int
    end: int
    spaced: bool  # whitespace before the token


def _normalise(text: str) -> str:
    """Unicode math symbols as ASCII (offsets may shift by a character or two for ``²``/``³``)."""
    for symbol, ascii_text in _UNICODE.items():
        if symbol in text:
            text = text.replace(symbol, ascii_text)
    return text


def _tokens(text: str, quoted_names: bool = False) -> list[_Tok]:
    """Tokens of ``text``; ``quoted_names``: ``'a b'`` is a name, as in SysML v2 (else a text literal)."""
    tokens: list[_Tok] = []
    pos, spaced = 0, False
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            raise ParseError(f"unexpected character {text[pos]!r}", offset=pos, column=pos + 1)
        kind, value = match.lastgroup or "", match.group()
        if kind in ("ws", "cont"):
            spaced = True
        else:
            if kind == "name":
                lowered = value.casefold()
                if lowered in _KEYWORDS:
                    kind, value = "kw", lowered
            elif kind == "text" and quoted_names and value.startswith("'"):
                kind, value = "name", re.sub(r"\\(.)", r"\1", value[1:-1])
            tokens.append(_Tok(kind, value, pos, match.end(), spaced))
            spaced = kind == "newline"
        pos = match.end()
    tokens.append(_Tok("end", "", len(text), len(text), spaced))
    return tokens


def _strip_wrapping(text: str) -> str:
    """Drop an OCL ``inv [name]:`` head and braces around the whole body."""
    body = text.strip()
    body = re.sub(r"^(?:context\s+[\w:]+\s+)?inv(?:\s+\w+)?\s*:\s*", "", body)
    while body.startswith("{") and body.endswith("}") and _balanced(body[1:-1]):
        body = body[1:-1].strip()
    return body


def _balanced(text: str) -> bool:
    level = 0
    for char in text:
        level += {"{": 1, "}": -1}.get(char, 0)
        if level < 0:
            return False
    return level == 0


def parse_body(text: str, language: str = "", functions: frozenset[str] = frozenset()) -> list[Statement]:
    """The statements of a constraint body; raises ``ParseError`` (with ``offset``) when the text is not
    math in a notation this module reads. ``language`` is the tool's label (informative only);
    ``functions`` are canonical names of the model's own calculations, called as ``Call("calc:name")``."""
    if len(text) > MAX_BODY_LENGTH:
        raise ParseError(f"constraint body longer than {MAX_BODY_LENGTH} characters")
    body = _normalise(_strip_wrapping(text))
    if not body:
        raise ParseError("empty constraint body")
    return _Parser(body, functions, language.casefold().startswith("sysml v2")).statements()


def parse_expression(text: str, functions: frozenset[str] = frozenset(), quoted_names: bool = False) -> Node:
    """One expression (a default value, an attribute's value expression); ``quoted_names`` as SysML v2."""
    body = _normalise(text.strip())
    if not body:
        raise ParseError("empty expression")
    statements = _Parser(body, functions, quoted_names).statements()
    if len(statements) != 1 or statements[0].right is not None:
        raise ParseError("expected one expression")
    return statements[0].left


class _Parser:
    def __init__(self, text: str, functions: frozenset[str] = frozenset(), quoted_names: bool = False) -> None:
        self.text = text
        self.functions = functions
        self.tokens = _tokens(text, quoted_names)
        self.pos = 0
        self.depth = 0
        self.brackets = 0  # open (, [, { : newlines inside them are spaces
        self.units: list[str] = []
        self.in_array = False  # inside [ ... ] a space separates elements (MATLAB): names do not run on
        self.statement_level = False  # a single '=' here splits the statement (Python: x = a if c else b)

    # -- tokens -----------------------------------------------------------------------------------
    def peek(self, ahead: int = 0) -> _Tok:
        index, seen = self.pos, 0
        while True:
            token = self.tokens[min(index, len(self.tokens) - 1)]
            if token.kind == "newline" and self.brackets:
                index += 1
                continue
            if seen == ahead or token.kind == "end":
                return token
            seen += 1
            index += 1

    def take(self) -> _Tok:
        while self.tokens[self.pos].kind == "newline" and self.brackets:
            self.pos += 1
        token = self.tokens[self.pos]
        if token.kind != "end":
            self.pos += 1
        return token

    def at(self, *texts: str) -> bool:
        token = self.peek()
        return token.kind in ("op", "kw") and token.text in texts

    def expect(self, text: str, what: str) -> _Tok:
        if not self.at(text):
            raise self.error(f"expected {text!r} {what}")
        return self.take()

    def error(self, message: str, token: _Tok | None = None) -> ParseError:
        token = token or self.peek()
        found = "end of text" if token.kind == "end" else "line break" if token.kind == "newline" else \
            repr(token.text)
        return ParseError(f"{message}, found {found}", offset=token.start, column=token.start + 1)

    # -- statements -------------------------------------------------------------------------------
    def statements(self) -> list[Statement]:
        found: list[Statement] = []
        while True:
            while self.peek().kind == "newline" or self.at(";", ","):
                self.take()
            if self.peek().kind == "end":
                break
            start = self.peek().start
            self.units = []
            self.statement_level = True
            node = self.expression()
            if self.at("=", ":="):
                self.take()
                right = self.expression()
                node = BinOp("=", node, right, span=(node.span[0], right.span[1]))
            self.statement_level = False
            end = self.tokens[self.pos - 1].end
            found.extend(self._split(node, self.text[start:end].strip(), (start, end)))
            token = self.peek()
            if token.kind not in ("newline", "end") and not self.at(";", ","):
                raise self.error("expected the end of the statement (a line break or ';')")
        if not found:
            raise ParseError("empty constraint body")
        return found

    def _split(self, node: Node, text: str, span: tuple[int, int]) -> list[Statement]:
        units = tuple(self.units)
        if isinstance(node, Name) and " " in node.name:
            raise ParseError(f"'{node.name}' reads as prose, not as an equation or a condition", offset=span[0],
                             column=span[0] + 1)
        if isinstance(node, BinOp) and node.op == "and" and _is_equation(node.left) and _is_equation(node.right):
            return self._split(node.left, text, span) + self._split(node.right, text, span)
        if isinstance(node, BinOp) and node.op in ("=", "<>", "<", "<=", ">", ">="):
            return [Statement(node.op, node.left, node.right, text, span, units)]
        return [Statement("", node, None, text, span, units)]

    # -- expressions (loosest first) --------------------------------------------------------------
    def expression(self) -> Node:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(f"expression nested deeper than {MAX_DEPTH} levels")
        try:
            return self._ternary()
        finally:
            self.depth -= 1

    def _ternary(self) -> Node:
        node = self._implies()
        if self.at("if"):  # Python: a if c else b
            start = self.take()
            cond = self._implies()
            if not self.at("else"):
                raise self.error("expected 'else' in 'a if c else b'", start)
            self.take()
            return If(cond, node, self._ternary(), span=(node.span[0], self.tokens[self.pos - 1].end))
        if self.at("?"):  # C: c ? a : b
            self.take()
            then = self._ternary()
            self.expect(":", "in 'c ? a : b'")
            return If(node, then, self._ternary(), span=node.span)
        return node

    def _implies(self) -> Node:
        node = self._or()
        while self.at("implies"):
            self.take()
            node = BinOp("or", UnaryOp("not", node, span=node.span), self._or(), span=node.span)
        return node

    def _or(self) -> Node:
        node = self._xor()
        while self.at("or", "||", "|"):
            self.take()
            node = BinOp("or", node, self._xor(), span=node.span)
        return node

    def _xor(self) -> Node:
        node = self._and()
        while self.at("xor"):
            self.take()
            right = self._and()
            node = BinOp("<>", BinOp("<>", node, Num(0.0)), BinOp("<>", right, Num(0.0)), span=node.span)
        return node

    def _and(self) -> Node:
        node = self._not()
        while self.at("and", "&&", "&"):
            self.take()
            node = BinOp("and", node, self._not(), span=node.span)
        return node

    def _not(self) -> Node:
        if self.at("not"):
            token = self.take()
            return UnaryOp("not", self._not(), span=(token.start, token.end))
        return self._comparison()

    def _comparison(self) -> Node:
        node = self._sum()
        previous, chained = node, None
        while self.peek().kind == "op" and self.peek().text in _COMPARE:
            if self.statement_level and self.peek().text == "=":
                break
            op = _COMPARE[self.take().text]
            right = self._sum()
            relation = BinOp(op, previous, right, span=(previous.span[0], right.span[1]))
            chained = relation if chained is None else BinOp("and", chained, relation, span=chained.span)
            previous = right
        return chained if chained is not None else node

    def _sum(self) -> Node:
        node = self._product()
        while self.at("+", "-"):
            op = self.take().text
            right = self._product()
            node = BinOp(op, node, right, span=(node.span[0], right.span[1]))
        return node

    def _product(self) -> Node:
        node = self._unary()
        while self.at("*", "/", "%", ".*", "./", "mod"):
            written = self.take().text
            op = {"%": "mod", ".*": "*", "./": "/"}.get(written, written)
            right = self._unary()
            node = BinOp(op, node, right, span=(node.span[0], right.span[1]))
        return node

    def _unary(self) -> Node:
        if self.at("-", "+", "!", "~"):
            token = self.take()
            operand = self._unary()
            op = "not" if token.text in "!~" else token.text
            if op == "-" and isinstance(operand, Num):
                return Num(-operand.value, span=(token.start, operand.span[1]))
            return UnaryOp(op, operand, span=(token.start, operand.span[1]))
        return self._power()

    def _power(self) -> Node:
        base = self._postfix()
        if self.at("^", "**", ".^"):
            self.take()
            exponent = self._unary()  # right-associative; 2^-1 allowed
            return BinOp("^", base, exponent, span=(base.span[0], exponent.span[1]))
        return base

    def _postfix(self) -> Node:
        node = self._atom()
        while True:
            if self.at("[") and isinstance(node, Num | Call | BinOp | UnaryOp) and self._is_unit():
                self._unit()
            elif self.at(".") and self.peek(1).kind == "name" and self.peek(2).kind == "op" and \
                    self.peek(2).text == "(" and not self.peek(1).spaced:
                self.take()
                method = self.take()
                args = self._arguments()
                node = self._call(method, (node, *args))
            else:
                return node

    def _is_unit(self) -> bool:
        """``[kg]``, ``[m/s^2]`` after a number: a SysML v2 unit annotation."""
        index = 1
        while True:
            token = self.peek(index)
            if token.kind == "end" or token.kind == "newline":
                return False
            if token.kind == "op" and token.text == "]":
                return index > 1
            if not (token.kind in ("name", "num") or token.text in ("*", "/", "^", "**", "(", ")", "-", ".")):
                return False
            index += 1

    def _unit(self) -> None:
        start = self.take()
        parts = []
        while not self.at("]"):
            parts.append(self.take().text)
        end = self.take()
        self.units.append(self.text[start.end:end.start].strip() or "".join(parts))

    def _arguments(self) -> tuple[Node, ...]:
        self.expect("(", "to open the arguments")
        self.brackets += 1
        args: list[Node] = []
        outer, self.in_array = self.in_array, False
        level, self.statement_level = self.statement_level, False
        try:
            if not self.at(")"):
                args.append(self.expression())
                while self.at(","):
                    self.take()
                    args.append(self.expression())
            self.expect(")", "to close the arguments")
        finally:
            self.brackets -= 1
            self.in_array, self.statement_level = outer, level
        return tuple(args)

    def _atom(self) -> Node:
        token = self.peek()
        if token.kind == "num":
            self.take()
            return Num(float(token.text), token.text, span=(token.start, token.end))
        if token.kind == "text":
            self.take()
            return Text(re.sub(r"\\(.)", r"\1", token.text[1:-1]), span=(token.start, token.end))
        if token.kind == "kw" and token.text in _CONSTANTS:
            self.take()
            return Num(_CONSTANTS[token.text], token.text, span=(token.start, token.end))
        if token.kind == "kw" and token.text == "if":
            return self._if_then_else()
        if token.kind == "name":
            return self._name_or_call()
        if self.at("("):
            return self._parenthesised()
        if self.at("[", "{"):
            return self._array()
        raise self.error("expected a number, a name or '('")

    def _if_then_else(self) -> Node:
        start = self.take()
        level, self.statement_level = self.statement_level, False
        try:
            cond = self._implies()
            if self.at("?"):  # SysML v2: if c ? a else b
                self.take()
                then = self.expression()
                self.expect("else", "in 'if c ? a else b'")
                return If(cond, then, self.expression(), span=(start.start, self.tokens[self.pos - 1].end))
            self.expect("then", "after the condition of 'if'")
            then = self.expression()
            if self.at("elseif"):
                orelse = self._if_then_else()
            else:
                self.expect("else", "in 'if c then a else b'")
                orelse = self.expression()
                if self.at("endif", "end"):
                    self.take()
        finally:
            self.statement_level = level
        return If(cond, then, orelse, span=(start.start, self.tokens[self.pos - 1].end))

    def _parenthesised(self) -> Node:
        self.take()
        self.brackets += 1
        outer, self.in_array = self.in_array, False
        level, self.statement_level = self.statement_level, False
        try:
            items = [self.expression()]
            while self.at(","):
                self.take()
                if self.at(")"):
                    break
                items.append(self.expression())
            self.expect(")", "to close '('")
        finally:
            self.brackets -= 1
            self.in_array, self.statement_level = outer, level
        return items[0] if len(items) == 1 else ArrayLiteral(tuple(items), span=items[0].span)

    def _array(self) -> Node:
        opener = self.take()
        closer = "]" if opener.text == "[" else "}"
        self.brackets += 1
        rows: list[list[Node]] = [[]]
        outer, self.in_array = self.in_array, True
        level, self.statement_level = self.statement_level, False
        try:
            while not self.at(closer):
                if self.peek().kind == "end":
                    raise self.error(f"'{opener.text}' is not closed", opener)
                if self.at(";"):
                    self.take()
                    rows.append([])
                    continue
                if self.at(","):
                    self.take()
                    continue
                rows[-1].append(self.expression())
            self.take()
        finally:
            self.brackets -= 1
            self.in_array, self.statement_level = outer, level
        rows = [r for r in rows if r]
        span = (opener.start, self.tokens[self.pos - 1].end)
        if len(rows) == 1:
            return ArrayLiteral(tuple(rows[0]), span=span)
        return ArrayLiteral(tuple(ArrayLiteral(tuple(r)) for r in rows), span=span)

    def _name_or_call(self) -> Node:
        first = self.take()
        words = [first.text]
        end = first.end
        # feature paths a.b.c and names of several words ("specific heat"), as XMILE reads them
        while True:
            token = self.peek()
            if token.kind == "op" and token.text == "." and self.peek(1).kind == "name" and \
                    not self.peek(1).spaced and not self._method_call(words[-1]):
                self.take()
                words[-1] += "." + self.take().text
                end = self.tokens[self.pos - 1].end
            elif token.kind == "name" and token.spaced and not self.in_array:
                words.append(self.take().text)
                end = token.end
            else:
                break
        name = " ".join(words)
        if name.startswith("self."):
            name = name[5:]
        if self.at("(") and not self.peek().spaced or self.at("(") and _function(name) is not None:
            return self._call(_Tok("name", name, first.start, end, False), self._arguments())
        return Name(name, span=(first.start, end))

    def _method_call(self, name: str) -> bool:
        """``x.abs()`` (OCL) is a call on ``x``; ``math.sqrt(…)`` is one function name."""
        after, following = self.peek(1), self.peek(2)
        if not (following.kind == "op" and following.text == "(" and _function(after.text) is not None):
            return False
        return _function(f"{name}.{after.text}") is None

    def _call(self, token: _Tok, args: tuple[Node, ...]) -> Node:
        function = _function(token.text)
        own = _own_function(token.text, self.functions)
        if function is None and own is not None:
            function = f"calc:{own}"
        if function is None:
            raise ParseError(f"unknown function '{token.text}'", offset=token.start, column=token.start + 1)
        span = (token.start, self.tokens[self.pos - 1].end)
        return Call(function, args, span=span)


def _function(name: str) -> str | None:
    """The canonical function a notation's name stands for, or None."""
    for prefix in _LIBRARY_PREFIXES:
        if name.startswith(prefix):
            name = name[len(prefix):]
            break
    return FUNCTIONS.get(name) or FUNCTIONS.get(name.casefold())


def _own_function(name: str, functions: frozenset[str]) -> str | None:
    """A calculation of the model called by its name, also qualified (``DynamicsModel::Acceleration``)."""
    from metamodel.names import canonical

    key = canonical(name.rpartition("::")[2])
    return key if key in functions else None


def _is_equation(node: Node) -> bool:
    return isinstance(node, BinOp) and node.op == "="

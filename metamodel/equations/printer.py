"""Print an AST back to equation text that parses to the same tree."""

from __future__ import annotations

import re

from metamodel.equations.ast import BinOp, Call, If, Name, Node, Num, Star, Subscript, UnaryOp

_PRECEDENCE = {
    "or": 1, "and": 2, "=": 3, "<>": 3, "<": 4, "<=": 4, ">": 4, ">=": 4,
    "+": 5, "-": 5, "*": 6, "/": 6, "mod": 6, "unary": 7, "^": 8,
}
_ATOM = 9
_PLAIN_NAME = re.compile(r"^[^\W\d][\w$'.]*(?: +[^\W\d][\w$'.]*)*$", re.UNICODE)
_KEYWORDS = {"if", "then", "else", "and", "or", "not", "mod"}


def quote_name(text: str) -> str:
    """A name as equation text, in quotes when it would not read back as one name."""
    words = text.split()
    if _PLAIN_NAME.match(text) and not any(w.casefold() in _KEYWORDS for w in words) and text == text.strip():
        return text
    return '"' + text.replace('"', '\\"') + '"'


def _number(node: Num) -> str:
    if node.text:
        return node.text
    value = node.value
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)


def _precedence(node: Node) -> int:
    if isinstance(node, BinOp):
        return _PRECEDENCE[node.op]
    if isinstance(node, UnaryOp):
        return _PRECEDENCE["unary"]
    if isinstance(node, If):
        return 0
    return _ATOM


def _wrap(node: Node, minimum: int) -> str:
    text = to_text(node)
    return f"({text})" if _precedence(node) < minimum else text


def to_text(node: Node) -> str:
    """Return equation text for ``node``; ``parse(to_text(n)) == n`` for every parsed tree."""
    if isinstance(node, Num):
        return _number(node)
    if isinstance(node, Name):
        return quote_name(node.name)
    if isinstance(node, Star):
        return f"*:{quote_name(node.dim)}" if node.dim else "*"
    if isinstance(node, Subscript):
        return f"{quote_name(node.name)}[{', '.join(to_text(i) for i in node.indices)}]"
    if isinstance(node, Call):
        return f"{quote_name(node.func)}({', '.join(to_text(a) for a in node.args)})"
    if isinstance(node, If):
        return f"IF {to_text(node.cond)} THEN {to_text(node.then)} ELSE {to_text(node.orelse)}"
    if isinstance(node, UnaryOp):
        op = "NOT " if node.op == "not" else node.op
        return op + _wrap(node.operand, _PRECEDENCE["unary"])
    if isinstance(node, BinOp):
        level = _PRECEDENCE[node.op]
        op = node.op.upper() if node.op in ("and", "or", "mod") else node.op
        if node.op == "^":  # right-associative
            return f"{_wrap(node.left, _ATOM)}^{_wrap(node.right, level)}"
        return f"{_wrap(node.left, level)} {op} {_wrap(node.right, level + 1)}"
    raise TypeError(f"not an equation node: {node!r}")

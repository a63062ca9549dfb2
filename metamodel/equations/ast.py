"""Abstract syntax tree of Salver's equation language (XMILE expression syntax).

Every node carries a source span ``(start, end)`` as character offsets into the equation text.
Nodes are immutable; tree rewrites build new nodes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from metamodel.names import canonical

Span = tuple[int, int]


@dataclass(frozen=True)
class Node:
    """Base of all expression nodes."""

    span: Span = field(default=(0, 0), compare=False, kw_only=True)

    def children(self) -> tuple[Node, ...]:
        return ()


@dataclass(frozen=True)
class Num(Node):
    """A numeric literal; ``text`` keeps the spelling for round-trips."""

    value: float
    text: str = ""


@dataclass(frozen=True)
class Name(Node):
    """A reference to a variable, dimension element or constant, as written."""

    name: str

    @property
    def canonical(self) -> str:
        return canonical(self.name)


@dataclass(frozen=True)
class Subscript(Node):
    """An arrayed reference ``name[i, j]``; indices are names, numbers, ``*`` or expressions."""

    name: str
    indices: tuple[Node, ...]

    @property
    def canonical(self) -> str:
        return canonical(self.name)

    def children(self) -> tuple[Node, ...]:
        return self.indices


@dataclass(frozen=True)
class Star(Node):
    """The ``*`` wildcard inside a subscript (``SUM(a[*])``); ``dim`` names a dimension if given."""

    dim: str = ""


@dataclass(frozen=True)
class UnaryOp(Node):
    """``-x``, ``+x`` or ``NOT x``; ``op`` is one of ``- + not``."""

    op: str
    operand: Node

    def children(self) -> tuple[Node, ...]:
        return (self.operand,)


@dataclass(frozen=True)
class BinOp(Node):
    """A binary operation; ``op`` is one of ``+ - * / ^ mod = <> < <= > >= and or``."""

    op: str
    left: Node
    right: Node

    def children(self) -> tuple[Node, ...]:
        return (self.left, self.right)


@dataclass(frozen=True)
class If(Node):
    """``IF cond THEN a ELSE b``."""

    cond: Node
    then: Node
    orelse: Node

    def children(self) -> tuple[Node, ...]:
        return (self.cond, self.then, self.orelse)


@dataclass(frozen=True)
class Call(Node):
    """A builtin call, or a graphical-function lookup ``gf(x)``; ``func`` is kept as written."""

    func: str
    args: tuple[Node, ...]

    @property
    def canonical(self) -> str:
        return canonical(self.func)

    def children(self) -> tuple[Node, ...]:
        return self.args


def walk(node: Node) -> Iterator[Node]:
    """Yield ``node`` and every node below it, depth first, parents before children."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(current.children()))


MAX_HEIGHT = 200  # levels of an equation tree; the walkers over trees recurse once or twice a level


def height(node: Node) -> int:
    """The number of levels of the tree under ``node`` (a number alone is 1), counted without recursion."""
    best = 0
    stack = [(node, 1)]
    while stack:
        current, level = stack.pop()
        best = max(best, level)
        stack.extend((child, level + 1) for child in current.children())
    return best

"""Vensim subscripts: dimensions with subranges, numeric ranges, mappings and equivalences, and the
expansion of subscripted definitions into per-element equations where the engine needs them.

A definition stays apply-to-all when it covers whole dimensions and its right side uses no
dimension as a number and no mapped dimension; otherwise each element gets its own equation with the
left side's dimensions replaced by that element (and mapped dimensions by their partner element).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from metamodel.equations.ast import BinOp, Call, If, Name, Node, Num, Subscript, UnaryOp, walk
from metamodel.names import canonical

MAX_ELEMENTS = 1_000_000


class SubscriptError(Exception):
    """A subscript that names no dimension or element, or a dimension defined in a cycle."""


@dataclass
class DimensionDef:
    name: str
    items: list[str]  # element names or names of other dimensions, numeric ranges already expanded
    maps_to: list[str] = field(default_factory=list)
    line: int | None = None
    map_lists: dict[str, list[str]] = field(default_factory=dict)  # ``-> (target: b3, b2, b1)``, by target


def numeric_range(first: str, last: str) -> list[str]:
    """``A1``..``A5`` (Vensim's ``(A1-A5)``); the common prefix is kept, digits count up."""
    a, b = re.match(r"^(.*?)(\d+)$", first), re.match(r"^(.*?)(\d+)$", last)
    if not a or not b or a.group(1) != b.group(1) or int(a.group(2)) > int(b.group(2)):
        raise SubscriptError(f"bad numeric range ({first}-{last})")
    low, high = int(a.group(2)), int(b.group(2))
    if high - low > MAX_ELEMENTS:
        raise SubscriptError(f"numeric range ({first}-{last}) too large")
    return [f"{a.group(1)}{n}" for n in range(low, high + 1)]


class Dimensions:
    """All dimensions of a model, resolved to flat element lists (keys are canonical names)."""

    def __init__(self) -> None:
        self.defs: dict[str, DimensionDef] = {}
        self.equivalent: dict[str, str] = {}
        self.elements: dict[str, list[str]] = {}
        self.names: dict[str, str] = {}
        self.maps: dict[str, set[str]] = {}
        # element correspondences of mappings, both ways: (from, to) -> canonical element -> element
        self.correspond: dict[tuple[str, str], dict[str, str]] = {}
        self.variables: set[str] = set()  # canonical variable names: they shadow element names

    def define(self, definition: DimensionDef) -> None:
        self.defs[canonical(definition.name)] = definition

    def alias(self, name: str, other: str) -> None:
        self.equivalent[canonical(name)] = canonical(other)
        self.names[canonical(name)] = name

    def resolve(self) -> list[tuple[str, int | None, str]]:
        """Flatten every definition; returns problems as ``(dimension, line, reason)``."""
        problems: list[tuple[str, int | None, str]] = []
        for key, definition in self.defs.items():
            self.names[key] = definition.name
            try:
                self.elements[key] = self._flatten(key, set())
            except SubscriptError as exc:
                problems.append((definition.name, definition.line, str(exc)))
                self.elements[key] = []
        for key, other in self.equivalent.items():
            if other in self.elements:
                self.elements[key] = list(self.elements[other])
            else:
                problems.append((self.names[key], None, f"equivalent dimension {other!r} is not defined"))
        for key, definition in self.defs.items():
            for target in definition.maps_to:
                self.maps.setdefault(key, set()).add(canonical(target))
                self.maps.setdefault(canonical(target), set()).add(key)
                try:
                    self._correspond(key, canonical(target), definition.map_lists.get(canonical(target)))
                except SubscriptError as exc:
                    problems.append((definition.name, definition.line, str(exc)))
        return problems

    def _correspond(self, source: str, target: str, listed: list[str] | None) -> None:
        """The elements a mapping pairs: the source's elements in order with the listed target elements or
        subranges (every element of a listed subrange maps from that source element), else by position."""
        elements = self.elements.get(source, [])
        if target not in self.elements:
            raise SubscriptError(f"mapped dimension {target!r} is not defined")
        if listed is None:
            pairs = list(zip(elements, self.elements[target], strict=False))
        elif len(listed) != len(elements):
            raise SubscriptError(f"the mapping to {self.names.get(target, target)!r} lists {len(listed)} "
                                 f"elements for {len(elements)}")
        else:
            pairs = [(e, t) for e, item in zip(elements, listed, strict=True)
                     for t in (self.members(item) if self.is_dimension(item) else [item])]
        forward = self.correspond.setdefault((source, target), {})
        backward = self.correspond.setdefault((target, source), {})
        for element, mapped in pairs:
            forward.setdefault(canonical(element), mapped)
            backward.setdefault(canonical(mapped), element)

    def _flatten(self, key: str, seen: set[str]) -> list[str]:
        if key in seen:
            raise SubscriptError(f"dimension {self.defs[key].name!r} is defined in terms of itself")
        result: list[str] = []
        for item in self.defs[key].items:
            sub = canonical(item)
            if sub in self.defs and sub != key:
                result.extend(self._flatten(sub, seen | {key}))
            elif sub in self.equivalent and self.equivalent[sub] in self.defs:
                result.extend(self._flatten(self.equivalent[sub], seen | {key}))
            else:
                result.append(item)
        return result

    # -- questions ---------------------------------------------------------------------------------
    def is_dimension(self, name: str) -> bool:
        return canonical(name) in self.elements

    def members(self, name: str) -> list[str]:
        return self.elements.get(canonical(name), [])

    def sizes(self) -> dict[str, int]:
        return {key: len(items) for key, items in self.elements.items()}

    def owners(self, element: str) -> list[str]:
        """Dimensions (canonical) holding ``element``, in definition order."""
        key = canonical(element)
        return [d for d, items in self.elements.items() if any(canonical(i) == key for i in items)]

    def is_element(self, name: str) -> bool:
        return bool(self.owners(name))

    def index_in(self, element: str, dimension: str) -> int:
        key = canonical(element)
        return next(i for i, e in enumerate(self.members(dimension)) if canonical(e) == key)

    def value(self, element: str, dimension: str) -> int:
        """A dimension used as a number: the element's 1-based position in the widest dimension
        holding all of ``dimension``'s elements (a subrange counts in its parent; of equally wide ones,
        the first defined)."""
        own = {canonical(e) for e in self.members(dimension)}
        holders = [key for key, items in self.elements.items() if own <= {canonical(e) for e in items}]
        # the widest holder; of equal ones the first defined (a reordering of an earlier dimension is
        # its subrange and counts in its order)
        widest = max(holders, key=lambda k: len(self.elements[k]), default=canonical(dimension))
        return self.index_in(element, widest) + 1

    def element_value(self, name: str) -> int | None:
        """An element name used as a number (``dimA = B``): its position in its dimension, unless a
        variable or dimension has that name."""
        key = canonical(name)
        if key in self.variables or key in self.elements:
            return None
        owners = self.owners(name)
        return self.value(name, owners[0]) if owners else None

    def family(self, positions: list[list[str]], literal: list[set[str]]) -> list[str]:
        """The dimension of each position of a piecewise-defined variable: the smallest dimension
        holding every element used there (a literally named one wins a tie)."""
        result = []
        for used, named in zip(positions, literal, strict=True):
            need = {canonical(e) for e in used}
            candidates = [k for k, items in self.elements.items() if need <= {canonical(i) for i in items}]
            if not candidates:
                raise SubscriptError(f"no dimension holds all of {', '.join(used)}")
            candidates.sort(key=lambda k: (len(self.elements[k]), k not in named))
            result.append(self.names[candidates[0]])
        return result


@dataclass
class Lhs:
    """A left side: subscripts as written and the ``:EXCEPT:`` lists."""

    subscripts: list[str]
    excepts: list[list[str]] = field(default_factory=list)


def element_tuples(lhs: Lhs, dims: Dimensions) -> list[tuple[str, ...]]:
    """Every element combination a left side defines, minus its exceptions."""
    choices = [dims.members(s) if dims.is_dimension(s) else [s] for s in lhs.subscripts]
    total = 1
    for c in choices:
        total *= max(len(c), 1)
    if total > MAX_ELEMENTS:
        raise SubscriptError(f"{total} elements are too many")
    excluded: set[tuple[str, ...]] = set()
    for exception in lhs.excepts:
        excluded.update(tuple(canonical(e) for e in combo) for combo in element_tuples(Lhs(exception), dims))
    return [combo for combo in itertools.product(*choices)
            if tuple(canonical(e) for e in combo) not in excluded]


def binding(lhs: Lhs, combo: tuple[str, ...], dims: Dimensions) -> dict[str, str]:
    """Dimension (canonical) -> element for one element combination of a left side, including the
    dimensions mapped to or equivalent with the left side's dimensions."""
    bound: dict[str, str] = {}
    for written, element in zip(lhs.subscripts, combo, strict=True):
        if not dims.is_dimension(written):
            continue
        key = canonical(written)
        bound[key] = element
        position = dims.index_in(element, written)
        partners = set(dims.maps.get(key, ())) | {a for a, b in dims.equivalent.items() if b == key}
        if key in dims.equivalent:
            partners.add(dims.equivalent[key])
        for partner in partners - set(bound):
            mapped = dims.correspond.get((key, partner))
            if mapped is not None:
                if canonical(element) in mapped:
                    bound[partner] = mapped[canonical(element)]
                continue
            items = dims.members(partner)
            if position < len(items):
                bound[partner] = items[position]
    return bound


def needs_expansion(node: Node, lhs: Lhs, dims: Dimensions) -> bool:
    """True when ``node`` uses a dimension as a number, or a dimension the left side lacks."""
    own = {canonical(s) for s in lhs.subscripts if dims.is_dimension(s)}
    indices = {id(i) for item in walk(node) if isinstance(item, Subscript) for i in item.indices}
    for item in walk(node):
        if isinstance(item, Name) and dims.is_dimension(item.name) and (
                id(item) not in indices or canonical(item.name) not in own):
            return True
        if isinstance(item, Name) and id(item) not in indices and dims.element_value(item.name) is not None:
            return True
    return False


def substitute(node: Node, bound: dict[str, str], dims: Dimensions) -> Node:
    """Replace bound dimensions by their element: inside subscripts by name, elsewhere by number."""
    def index(item: Node) -> Node:
        if isinstance(item, Name) and canonical(item.name) in bound:
            return Name(bound[canonical(item.name)], span=item.span)
        return item

    def visit(item: Node) -> Node:
        if isinstance(item, Subscript):
            return replace(item, indices=tuple(index(i) for i in item.indices))
        if isinstance(item, Name) and canonical(item.name) in bound and dims.is_dimension(item.name):
            element = bound[canonical(item.name)]
            return Num(float(dims.value(element, item.name)), span=item.span)
        if isinstance(item, Name) and (position := dims.element_value(item.name)) is not None:
            return Num(float(position), span=item.span)
        return rebuild(item, visit)

    return visit(node)


def rebuild(node: Node, visit: Callable[[Node], Node]) -> Node:
    """``node`` with ``visit`` applied to each child (a shallow tree map)."""
    if isinstance(node, UnaryOp):
        return replace(node, operand=visit(node.operand))
    if isinstance(node, BinOp):
        return replace(node, left=visit(node.left), right=visit(node.right))
    if isinstance(node, If):
        return replace(node, cond=visit(node.cond), then=visit(node.then), orelse=visit(node.orelse))
    if isinstance(node, Call):
        return replace(node, args=tuple(visit(a) for a in node.args))
    if isinstance(node, Subscript):
        return replace(node, indices=tuple(visit(i) for i in node.indices))
    return node


def unbound_dimensions(node: Node, dims: Dimensions) -> list[str]:
    """Dimensions still used as numbers after substitution (the engine cannot resolve them)."""
    indices = {id(i) for item in walk(node) if isinstance(item, Subscript) for i in item.indices}
    return [item.name for item in walk(node)
            if isinstance(item, Name) and id(item) not in indices and dims.is_dimension(item.name)]

"""The instance tree of an architecture: each root block, its parts, their parts, at any depth.

A block defines; a part uses. Running an architecture needs the uses: the tree starts at each *root*
(a block that no part is typed by, that holds something executable) and has one instance per part
property, constraint property and full port typed by a block, named by the path of part names from
the root. A constraint block nested in a block and typed by no property anywhere is used once by
each instance of that block (as Papyrus users often draw parametrics).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

from metamodel.elements import Block, Constraint, Element, Interface, Module, Part, Port
from metamodel.model import Model
from metamodel.names import canonical

MAX_DEPTH = 32


@dataclass
class ModelIndex:
    """What each element owns and which elements are used as part types, built in one pass."""

    model: Model
    owned: dict[str, list[Element]] = field(default_factory=lambda: defaultdict(list))
    typed_by: dict[str, list[Part | Port]] = field(default_factory=lambda: defaultdict(list))

    @classmethod
    def of(cls, model: Model) -> ModelIndex:
        index = cls(model)
        for element in model.elements.values():
            if element.owner is not None:
                index.owned[element.owner].append(element)
            if isinstance(element, Part | Port) and element.type:
                index.typed_by[element.type].append(element)
        return index

    def children(self, owner_id: str, kind: type) -> list:
        return [e for e in self.owned.get(owner_id, ()) if isinstance(e, kind)]

    def block(self, element_id: str | None) -> Block | None:
        element = self.model.get(element_id)
        return element if isinstance(element, Block) else None

    def interface(self, element_id: str | None) -> Interface | None:
        element = self.model.get(element_id)
        return element if isinstance(element, Interface) else None

    def behaviour(self, block: Block) -> Module | None:
        element = self.model.get(block.behavior)
        return element if isinstance(element, Module) else None

    def constraints(self, block: Block) -> list[Constraint]:
        return self.children(block.id, Constraint)


def is_constraint_block(block: Block | None) -> bool:
    return block is not None and block.stereotype in ("ConstraintBlock", "constraint def")


def is_value(index: ModelIndex, part: Part) -> bool:
    """A part that holds a value: a value property, or a property typed by no block."""
    return part.aggregation == "value" or index.block(part.type) is None and index.interface(part.type) is None


@dataclass
class Instance:
    """One use of a block: ``path`` holds the part names from the root (empty for the root)."""

    block: Block
    path: tuple[str, ...]
    part: Part | Port | None = None
    parent: Instance | None = None
    children: dict[str, Instance] = field(default_factory=dict)  # part id -> instance
    implicit: bool = False  # a nested constraint block used without a property

    def display(self, feature: str) -> str:
        """The display name of a feature of this instance: ``tank.level``."""
        return ".".join((*self.path, feature))

    @property
    def label(self) -> str:
        return ".".join(self.path) or self.block.name

    def walk(self) -> Iterator[Instance]:
        yield self
        for child in self.children.values():
            yield from child.walk()

    def child_named(self, name: str) -> Instance | None:
        key = canonical(name)
        return next((c for c in self.children.values() if canonical(c.path[-1]) == key), None)


class TreeBuilder:
    """Builds instance trees; ``problems`` collects (element id, message) for recursive compositions."""

    def __init__(self, index: ModelIndex) -> None:
        self.index = index
        self.problems: list[tuple[str | None, str]] = []
        used = set(index.typed_by)
        self.implicit_constraints: dict[str, list[Block]] = defaultdict(list)
        for block in index.model.of_kind(Block):
            owner = index.block(block.owner)
            if is_constraint_block(block) and block.id not in used and owner is not None:
                self.implicit_constraints[owner.id].append(block)

    def roots(self) -> list[Block]:
        """Blocks no part is typed by that hold, through their parts, something executable."""
        used = set(self.index.typed_by)
        candidates = [b for b in self.index.model.of_kind(Block) if b.id not in used and not b.is_abstract
                      and not is_constraint_block(b) and b.stereotype not in ("interface def", "connection def")]
        return [b for b in candidates if self._executable(b, set())]

    def _executable(self, block: Block, seen: set[str]) -> bool:
        if block.id in seen:
            return False
        seen.add(block.id)
        if self.index.behaviour(block) is not None or self.index.constraints(block):
            return True
        if any(self.index.constraints(b) for b in self.implicit_constraints.get(block.id, ())):
            return True
        for part in self.index.children(block.id, Part):
            child = self.index.block(part.type)
            if child is not None and part.aggregation != "reference" and self._executable(child, seen):
                return True
        return False

    def tree(self, root: Block, prefix: tuple[str, ...] = ()) -> Instance:
        instance = Instance(root, prefix)
        self._expand(instance, {root.id})
        return instance

    def _expand(self, instance: Instance, ancestors: set[str]) -> None:
        if len(instance.path) > MAX_DEPTH:
            self.problems.append((instance.block.id, f"parts nested deeper than {MAX_DEPTH} levels at "
                                                     f"'{instance.label}'"))
            return
        uses: list[tuple[Part | Port, Block]] = []
        for part in self.index.children(instance.block.id, Part):
            block = self.index.block(part.type)
            if block is not None and (part.aggregation != "reference" or is_constraint_block(block)):
                uses.append((part, block))
        for port in self.index.children(instance.block.id, Port):
            block = self.index.block(port.type)
            if block is not None:  # a full port typed by a block is a part on the boundary
                uses.append((port, block))
        for part, block in uses:
            if block.id in ancestors:
                self.problems.append((part.id, f"'{part.name}' of {instance.block.name} is typed by {block.name}, "
                                               "which contains it: the composition never ends"))
                continue
            child = Instance(block, (*instance.path, part.name), part, instance)
            instance.children[part.id] = child
            self._expand(child, ancestors | {block.id})
        for block in self.implicit_constraints.get(instance.block.id, ()):
            child = Instance(block, (*instance.path, block.name), None, instance, implicit=True)
            instance.children[block.id] = child
            self._expand(child, ancestors | {block.id})

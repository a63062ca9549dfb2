"""The instance tree of an architecture: each root, its parts, their parts, at any depth.

A block defines; a part uses. Running an architecture needs the uses: the tree starts at each *root*
(a block that no part is typed by, or a part usage in a package, that holds something executable) and
has one instance per part property, constraint property and full port typed by a block, named by the
path of part names from the root. An instance's features come from its *sources*: the usage itself
(SysML v2 usages own features and redefine those of their type), the usages it subsets and its
definition; the first source that names a feature wins. A constraint block nested in a block and
typed by no property anywhere is used once by each instance of that block (as Papyrus users often
draw parametrics).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

from metamodel.constraints import CONSTRAINT_BLOCKS, is_invariant
from metamodel.elements import (
    Block,
    Constraint,
    Element,
    Interface,
    Module,
    Package,
    Part,
    Port,
    Relation,
    Requirement,
)
from metamodel.model import Model
from metamodel.names import canonical

MAX_DEPTH = 32


@dataclass
class ModelIndex:
    """What each element owns and which elements are used as part types, built in one pass."""

    model: Model
    owned: dict[str, list[Element]] = field(default_factory=lambda: defaultdict(list))
    typed_by: dict[str, list[Part | Port]] = field(default_factory=lambda: defaultdict(list))
    supertypes: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    @classmethod
    def of(cls, model: Model) -> ModelIndex:
        index = cls(model)
        for element in model.elements.values():
            if isinstance(element, Constraint) and is_invariant(element, model.get(element.owner)):
                continue  # a rule on the model's instances, not an equation to solve
            if element.owner is not None:
                index.owned[element.owner].append(element)
            if isinstance(element, Part | Port) and element.type:
                index.typed_by[element.type].append(element)
            if isinstance(element, Relation) and element.relation == "specialization":
                for source in element.sources:
                    index.supertypes[source].extend(element.targets)
        return index

    def children(self, owner_id: str, kind: type) -> list:
        return [e for e in self.owned.get(owner_id, ()) if isinstance(e, kind)]

    def block(self, element_id: str | None) -> Block | None:
        element = self.model.get(element_id)
        return element if isinstance(element, Block) else None

    def interface(self, element_id: str | None) -> Interface | None:
        element = self.model.get(element_id)
        return element if isinstance(element, Interface) else None

    def behaviour(self, block: Block | None) -> Module | None:
        element = self.model.get(block.behavior) if block is not None else None
        return element if isinstance(element, Module) else None

    def constraints(self, block: Block) -> list[Constraint]:
        return self.children(block.id, Constraint)

    def sources(self, part: Element) -> tuple[str, ...]:
        """Ids whose features a use of ``part`` has: the part, the usages it subsets, its definition (for a
        requirement: the requirements it is a usage of)."""
        chain: list[str] = [part.id]
        current: Element | None = self.model.get(getattr(part, "type", None))
        while current is not None and current.id not in chain:
            chain.append(current.id)
            current = self.model.get(current.type) if isinstance(current, Part | Requirement) else None
        for source in list(chain):  # what definitions specialize, at any depth
            for supertype in self.supertypes.get(source, ()):
                if supertype not in chain and supertype in self.model.elements:
                    chain.append(supertype)
        return tuple(chain)

    def features(self, sources: tuple[str, ...], kind: type) -> list:
        """Features of ``kind`` owned by ``sources``; a name the earlier source has hides the later one."""
        found: dict[str, Element] = {}
        for source in sources:
            for element in self.children(source, kind):
                found.setdefault(canonical(element.name) or element.id, element)
        return list(found.values())

    def block_sources(self, block: Block) -> tuple[str, ...]:
        """A block and what it specializes."""
        chain = [block.id]
        for source in chain:
            chain.extend(s for s in self.supertypes.get(source, ()) if s not in chain and s in self.model.elements)
        return tuple(chain)

    def definition(self, sources: tuple[str, ...]) -> Block | None:
        return next((b for b in (self.block(s) for s in sources) if b is not None), None)


def is_constraint_block(block: Block | None) -> bool:
    return block is not None and block.stereotype in CONSTRAINT_BLOCKS


TEMPLATES = ("interface def", "connection def", "calc def", "analysis def", "verification def")  # used, not roots
USAGE_KEYWORDS = ("part", "item", "end", "connection", "interface", "subject", "constraint", "calc", "analysis",
                  "verification")
V2_KEYWORDS = (*USAGE_KEYWORDS, "attribute", "return", "feature")


def is_value(index: ModelIndex, part: Part) -> bool:
    """A part that holds a value: a value property, or a property typed by no block or usage (a SysML v2
    ``part`` usage is a part even without a type)."""
    if part.aggregation == "value":
        return True
    typed = index.block(part.type) is not None or index.interface(part.type) is not None or \
        isinstance(index.model.get(part.type), Part)
    return not typed and part.stereotype not in USAGE_KEYWORDS


@dataclass
class Instance:
    """One use of a block: ``path`` holds the part names from the root (empty for the root);
    ``sources`` the ids whose features it has (see the module docstring)."""

    block: Block | None
    path: tuple[str, ...]
    sources: tuple[str, ...] = ()
    part: Part | Port | None = None
    parent: Instance | None = None
    children: dict[str, Instance] = field(default_factory=dict)  # part id -> instance
    implicit: bool = False  # a nested constraint block used without a property, or a requirement
    requirement: Requirement | None = None  # a requirement checked on its parent (which satisfies it)
    _named: dict[str, Instance] = field(default_factory=dict, repr=False)

    @property
    def lexical(self) -> bool:
        """SysML v2 usages see the names of the usages around them; SysML 1 blocks see only their own."""
        if self.implicit:
            return True
        stereotype = self.part.stereotype if self.part is not None else ""
        return stereotype in V2_KEYWORDS or (self.block is not None and self.block.stereotype.endswith(" def"))

    @property
    def name(self) -> str:
        """The definition's name, or the usage's when it has no definition."""
        if self.block is not None:
            return self.block.name
        if self.requirement is not None:
            return self.requirement.name
        return self.part.name if self.part is not None else ".".join(self.path)

    def display(self, feature: str) -> str:
        """The display name of a feature of this instance: ``tank.level``."""
        return ".".join((*self.path, feature))

    @property
    def label(self) -> str:
        return ".".join(self.path) or self.name

    def walk(self) -> Iterator[Instance]:
        yield self
        for child in self.children.values():
            yield from child.walk()

    def child_named(self, name: str) -> Instance | None:
        if len(self._named) != len(self.children):
            self._named = {}
            for child in self.children.values():
                self._named.setdefault(canonical(child.path[-1]), child)
        return self._named.get(canonical(name))


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
        self.satisfying: set[str] = set()  # what satisfies a requirement that has conditions of its own
        for relation in index.model.of_kind(Relation):
            checked = any(isinstance(index.model.get(t), Requirement) and any(
                index.children(s, Constraint) for s in index.sources(index.model[t])) for t in relation.targets)
            if relation.relation == "satisfy" and checked:
                self.satisfying.update(relation.sources)

    def roots(self) -> list[tuple[str, tuple[str, ...]]]:
        """``(name, sources)`` of each root: blocks no part is typed by and part usages in packages that
        hold, through their parts, something executable."""
        used = {t for t, users in self.index.typed_by.items()
                if any(getattr(u, "stereotype", "") != "subject" for u in users)}
        model = self.index.model
        specialized = {t for targets in self.index.supertypes.values() for t in targets}  # general definitions
        found: list[tuple[str, tuple[str, ...]]] = []
        for block in model.of_kind(Block):
            if block.id not in used and not block.is_abstract and not is_constraint_block(block) and \
                    block.stereotype not in TEMPLATES and block.id not in specialized:
                found.append((block.name, self.index.block_sources(block)))
        for part in model.of_kind(Part):
            holder = model.get(part.owner)
            if part.id not in used and (holder is None or isinstance(holder, Package)) and \
                    not is_value(self.index, part) and part.stereotype not in ("subject", "constraint", "calc"):
                found.append((part.name, self.index.sources(part)))
        referenced = {canonical(p.default.split(".")[0]) for p in model.of_kind(Part)
                      if p.stereotype == "subject" and p.default.strip()}
        return [(name, sources) for name, sources in found
                if self._executable(sources, set()) or canonical(name) in referenced]

    def _executable(self, sources: tuple[str, ...], seen: set[str]) -> bool:
        if any(s in seen for s in sources):
            return False
        seen.update(sources)
        block = self.index.definition(sources)
        if self.index.behaviour(block) is not None or any(self.index.children(s, Constraint) for s in sources):
            return True
        if self.satisfying & set(sources):
            return True
        if block is not None and any(self.index.constraints(b) for b in self.implicit_constraints.get(block.id, ())):
            return True
        return any(self._executable(self.index.sources(part), seen) for part, _ in self._uses(sources))

    def _uses(self, sources: tuple[str, ...]) -> list[tuple[Part | Port, Block | None]]:
        """The features of ``sources`` that are instances of their own: parts, constraint properties and
        full ports."""
        uses: list[tuple[Part | Port, Block | None]] = []
        for part in self.index.features(sources, Part):
            block = self.index.definition(self.index.sources(part)[1:])
            if is_value(self.index, part) or part.stereotype == "subject":
                continue  # a value, or the subject (a reference to what a requirement or analysis is about)
            if part.aggregation == "reference" and not is_constraint_block(block) and \
                    part.stereotype not in USAGE_KEYWORDS:
                continue
            uses.append((part, block))
        for port in self.index.features(sources, Port):
            block = self.index.block(port.type)
            if block is not None:  # a full port typed by a block is a part on the boundary
                uses.append((port, block))
        return uses

    def tree(self, name: str, sources: tuple[str, ...], prefix: tuple[str, ...] = ()) -> Instance:
        model = self.index.model
        part = model.get(sources[0]) if isinstance(model.get(sources[0]), Part) else None
        instance = Instance(self.index.definition(sources), prefix, sources, part)  # type: ignore[arg-type]
        self._expand(instance, set())
        self._requirements(instance)
        return instance

    def _requirements(self, tree: Instance) -> None:
        """Each requirement an instance satisfies becomes a child of it, where its conditions are checked."""
        satisfied: dict[str, list[Requirement]] = defaultdict(list)
        for relation in self.index.model.of_kind(Relation):
            if relation.relation == "satisfy":
                for target in relation.targets:
                    requirement = self.index.model.get(target)
                    if isinstance(requirement, Requirement):
                        for source in relation.sources:
                            satisfied[source].append(requirement)
        for instance in list(tree.walk()):
            for source in instance.sources:
                for requirement in satisfied.get(source, ()):
                    child = Instance(None, (*instance.path, requirement.name), self.index.sources(requirement),
                                     None, instance, implicit=True, requirement=requirement)
                    instance.children[f"{requirement.id}@{source}"] = child

    def _expand(self, instance: Instance, ancestors: set[str]) -> None:
        """Instantiate the uses of ``instance``'s features; ``ancestors`` are the features used on the way
        down: a feature used again below itself is a composition without end."""
        if len(instance.path) > MAX_DEPTH:
            self.problems.append((instance.sources[0], f"parts nested deeper than {MAX_DEPTH} levels at "
                                                       f"'{instance.label}'"))
            return
        for part, block in self._uses(instance.sources):
            if part.id in ancestors:
                self.problems.append((part.id, f"'{part.name}' of {instance.name} is typed by "
                                               f"{block.name if block else part.name}, which contains it: the "
                                               "composition never ends"))
                continue
            child = Instance(block, (*instance.path, part.name), self.index.sources(part), part, instance)
            instance.children[part.id] = child
            self._expand(child, ancestors | {part.id})
        implicit = self.implicit_constraints.get(instance.block.id, ()) if instance.block is not None else ()
        for block in implicit:
            if block.id not in ancestors:
                child = Instance(block, (*instance.path, block.name), (block.id,), None, instance, implicit=True)
                instance.children[block.id] = child
                self._expand(child, ancestors | {block.id})

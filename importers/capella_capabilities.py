"""Capella capabilities and missions as ``Behavior`` elements, with the links between capabilities and
the generalizations of components and classes.

Capabilities of every layer (operational capabilities, system capabilities, capability realizations of
the logical and physical architectures): ``behavior_kind`` ``capability``, the metaclass as ``detail``,
``members`` the components (entities, actors, the system), functions and functional chains their
involvements name, in the file's order; the scenarios and functional chains a capability holds are owned
by it. Missions of the system analysis: ``behavior_kind`` ``mission``, ``members`` the components their
involvements name and the capabilities they exploit. A capability's include, extend and generalization
links are relations from it (``include``, ``extend``, ``specialization``) to the capability they name;
a component's or class's generalization is a ``specialization`` relation from it to its super type.
"""

from __future__ import annotations

from collections.abc import Callable

from lxml import etree

from metamodel.elements import Behavior, Relation

CAPABILITIES = {"OperationalCapability", "Capability", "CapabilityRealization"}
MISSIONS = {"Mission"}
# the links a capability or mission holds, read with their owner: metaclass -> attribute naming the member
MEMBER_LINKS = {**dict.fromkeys(("CapabilityInvolvement", "EntityOperationalCapabilityInvolvement",
                                  "CapabilityRealizationInvolvement", "AbstractFunctionAbstractCapabilityInvolvement",
                                  "FunctionalChainAbstractCapabilityInvolvement", "MissionInvolvement"), "involved"),
                "CapabilityExploitation": "capability"}
# links from their owner to another element: metaclass -> (Salver relation, attribute naming the target)
OWNER_LINKS = {"AbstractCapabilityInclude": ("include", "included"),
               "AbstractCapabilityExtend": ("extend", "extended"),
               "AbstractCapabilityGeneralization": ("specialization", "super"),
               "Generalization": ("specialization", "super")}


def capability_handlers(mapper) -> dict[str, Callable[[etree._Element, str | None], None]]:  # noqa: ANN001
    """Handlers of the Capella mapper for capabilities, missions and their links (``mapper`` is a
    CapellaMapper)."""
    reader = _CapabilityReader(mapper)
    handlers: dict[str, Callable[[etree._Element, str | None], None]] = {}
    for kinds, handler in ((CAPABILITIES, reader.capability), (MISSIONS, reader.mission),
                           (MEMBER_LINKS, reader.member_link), (OWNER_LINKS, reader.owner_link)):
        handlers.update(dict.fromkeys(kinds, handler))
    return handlers


class _CapabilityReader:
    def __init__(self, mapper) -> None:  # noqa: ANN001
        self.mapper = mapper

    def _kind(self, element: etree._Element) -> str:
        return (element.get("{http://www.w3.org/2001/XMLSchema-instance}type") or "").rpartition(":")[2]

    def _members(self, element: etree._Element) -> list[str]:
        """What the involvement and exploitation links held by ``element`` name, in the file's order."""
        return [ref for child in element if isinstance(child.tag, str) and self._kind(child) in MEMBER_LINKS
                for ref in self.mapper._refs(child, MEMBER_LINKS[self._kind(child)])]

    def _behaviour(self, element: etree._Element, owner: str | None, kind: str) -> None:
        behaviour = Behavior(element.get("id"), element.get("name") or "", owner=owner, behavior_kind=kind,
                             detail=self._kind(element), members=self._members(element))
        self.mapper._add(behaviour, element)

    def capability(self, element: etree._Element, owner: str | None) -> None:
        self._behaviour(element, owner, "capability")

    def mission(self, element: etree._Element, owner: str | None) -> None:
        self._behaviour(element, owner, "mission")

    def member_link(self, element: etree._Element, owner: str | None) -> None:
        """Read with the capability or mission that holds it."""

    def owner_link(self, element: etree._Element, owner: str | None) -> None:
        """A link from the element holding it to the one it names (a relation owned by the holder); one
        held by an element that is not imported is counted as not imported."""
        kind = self._kind(element)
        holder = element.getparent()
        if owner is None or holder is None or holder.get("id") != owner:
            self.mapper.unmapped.count(kind, element.sourceline, element.get("name") or "")
            return
        relation, attribute = OWNER_LINKS[kind]
        self.mapper._add(Relation(element.get("id"), element.get("name") or "", owner=owner, relation=relation,
                                  sources=[owner], targets=self.mapper._refs(element, attribute),
                                  properties={"metaclass": kind}), element)

"""SysML state machines, activities and interactions of an XMI file as ``Behavior`` elements.

State machines with their regions, states and pseudo-states (``detail``: ``State``, ``FinalState``,
``Pseudostate initial``…) and transitions (``source``/``target``); activities with their nodes
(actions, object and control nodes; a call behaviour action's ``members`` names the behaviour it calls)
and edges (control and object flows, ``source``/``target``); interactions with their lifelines'
represented properties (``members``) and messages.
"""

from __future__ import annotations

from collections.abc import Callable

from importers.xmi_document import Node
from metamodel.elements import Behavior

NODE_SLOTS = ("node", "ownedNode", "subvertex", "region", "transition", "edge", "group", "lifeline", "message",
              "fragment", "ownedBehavior", "nestedClassifier", "connectionPoint", "doActivity", "entry", "exit")


def dynamics_handlers(mapper) -> dict[str, Callable[[Node, str | None], None]]:  # noqa: ANN001
    """Handlers of the XMI mapper for behaviour metaclasses (``mapper`` is an ``xmi_mapping.Mapper``)."""
    reader = _DynamicsReader(mapper)
    handlers: dict[str, Callable[[Node, str | None], None]] = {
        "StateMachine": reader.container("state_machine"), "Activity": reader.container("activity"),
        "Interaction": reader.interaction, "Region": reader.container("region"),
        "State": reader.state, "FinalState": reader.state, "Pseudostate": reader.state,
        "Transition": reader.edge("transition"), "ControlFlow": reader.edge("activity_edge"),
        "ObjectFlow": reader.edge("activity_edge"), "Message": reader.message, "Lifeline": _skip,
    }
    for node in ("CallBehaviorAction", "OpaqueAction", "CallOperationAction", "SendSignalAction", "AcceptEventAction",
                 "InitialNode", "ActivityFinalNode", "FlowFinalNode", "DecisionNode", "MergeNode", "ForkNode",
                 "JoinNode", "ActivityParameterNode", "CentralBufferNode", "DataStoreNode", "InputPin", "OutputPin"):
        handlers[node] = reader.action
    return handlers


def _skip(element: Node, owner: str | None) -> None:
    """Read with the element that owns it."""


class _DynamicsReader:
    def __init__(self, mapper) -> None:  # noqa: ANN001
        self.mapper = mapper
        self.doc = mapper.doc

    def _add(self, element: Node, owner: str | None, kind: str, **fields: object) -> str | None:
        element_id = element.id
        if not element_id:
            return None
        detail = element.kind or ""
        if detail == "Pseudostate":
            detail = f"Pseudostate {element.get('kind') or 'initial'}"
        behaviour = Behavior(element_id, element.get("name") or "", owner=owner, behavior_kind=kind, detail=detail,
                             **fields)  # type: ignore[arg-type]
        return element_id if self.mapper._add(behaviour, element) else None

    def _contents(self, element: Node, owner: str) -> None:
        for child in element.children:
            if child.tag in NODE_SLOTS and child.id:
                self.mapper._element(child, owner)

    def _not_executed(self, element: Node) -> None:
        """State machines, activities and interactions are elements for the checks, not run."""
        entry = self.mapper.not_executed.setdefault(element.kind or "",
                                                    [0, element.line, element.get("name") or ""])
        entry[0] += 1

    def container(self, kind: str) -> Callable[[Node, str | None], None]:
        def read(element: Node, owner: str | None) -> None:
            if kind in ("state_machine", "activity"):
                self._not_executed(element)
            created = self._add(element, owner, kind)
            if created:
                self._contents(element, created)
        return read

    def state(self, element: Node, owner: str | None) -> None:
        initial = element.kind == "Pseudostate" and (element.get("kind") or "initial") == "initial"
        created = self._add(element, owner, "state", initial=initial,
                            members=self.doc.refs(element, "submachine"))
        if created:
            self._contents(element, created)

    def edge(self, kind: str) -> Callable[[Node, str | None], None]:
        def read(element: Node, owner: str | None) -> None:
            self._add(element, owner, kind, source=self.doc.ref(element, "source"),
                      target=self.doc.ref(element, "target"))
        return read

    def action(self, element: Node, owner: str | None) -> None:
        called = self.doc.refs(element, "behavior") or self.doc.refs(element, "operation")
        created = self._add(element, owner, "action", members=called)
        if created:
            self._contents(element, created)

    def interaction(self, element: Node, owner: str | None) -> None:
        represents = [ref for child in element.children if child.tag == "lifeline"
                      for ref in self.doc.refs(child, "represents")]
        self._not_executed(element)
        created = self._add(element, owner, "scenario", members=represents)
        if created:
            self._contents(element, created)

    def message(self, element: Node, owner: str | None) -> None:
        self._add(element, owner, "message", members=self.doc.refs(element, "signature"))

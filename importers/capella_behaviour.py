"""The functional and dynamic side of a Capella model as ``Behavior`` elements.

Functions of every layer (operational activities, system, logical and physical functions) with their
sub-functions and, for control functions, their kind; function ports (``Port``, kind ``function``, owned
by their function); functional exchanges (source and target: the function ports or functions they
join); functional chains and operational processes (``members``: the functions, exchanges and
referenced chains involved, in the file's order); their involvements of functions and exchanges
(``involvement``, the Capella type as detail, ``members`` the element involved; an exchange's involvement
joins, as ``source``/``target``, the function involvements it goes between), control nodes (``control_node``,
``kind`` AND, OR or ITERATE in its properties) and sequence links (``sequence_link``: ``source``/``target``
the function involvement or control node it joins, ``members`` the involvement links it goes with, its
condition's text in its property ``condition`` when it has one);
state machines, regions, states, modes and pseudo-states, state transitions (``source``/``target``);
scenarios (``members``: the instances their lifelines represent; their ``kind`` in their properties) and
their messages; physical paths (``members``: the parts, physical links and paths their involvements name,
in the file's order; the order of the involvements, their next links, is not read).
"""

from __future__ import annotations

from collections.abc import Callable

from lxml import etree

from metamodel.elements import NO_VALUES, Behavior, Port

FUNCTIONS = {"OperationalActivity", "SystemFunction", "LogicalFunction", "PhysicalFunction"}
FUNCTION_PORTS = {"FunctionInputPort": "in", "FunctionOutputPort": "out"}
EXCHANGES = {"FunctionalExchange"}
CHAINS = {"FunctionalChain", "OperationalProcess"}
CHAIN_INVOLVEMENTS = {"FunctionalChainInvolvementFunction", "FunctionalChainInvolvementLink"}
CONTROL_NODES = {"ControlNode"}
SEQUENCE_LINKS = {"SequenceLink"}
STATE_MACHINES = {"StateMachine"}
STATES = {"Region", "State", "Mode", "FinalState", "InitialPseudoState", "ChoicePseudoState", "DeepHistoryPseudoState",
          "ShallowHistoryPseudoState", "ForkPseudoState", "JoinPseudoState", "TerminatePseudoState",
          "EntryPointPseudoState", "ExitPointPseudoState"}
TRANSITIONS = {"StateTransition"}
SCENARIOS = {"Scenario"}
MESSAGES = {"SequenceMessage"}
PHYSICAL_PATHS = {"PhysicalPath"}
PATH_INVOLVEMENTS = ("PhysicalPathInvolvement", "PhysicalPathReference")
# the parts of chains and scenarios read with their owner
INVOLVEMENTS = {"FunctionalChainReference", "InstanceRole", "MessageEnd", "ExecutionEnd", "Execution",
                "EventReceiptOperation", "EventSentOperation", "ExecutionEvent", "InteractionState", "FragmentEnd",
                "CombinedFragment", "InteractionOperand", "StateFragment", "InteractionUse", "ArmTimerEvent",
                "CancelTimerEvent", *PATH_INVOLVEMENTS}


def behaviour_handlers(mapper) -> dict[str, Callable[[etree._Element, str | None], None]]:  # noqa: ANN001
    """Handlers of the Capella mapper for the behavioural metaclasses (``mapper`` is a CapellaMapper)."""
    reader = _BehaviourReader(mapper)
    handlers: dict[str, Callable[[etree._Element, str | None], None]] = {}
    for kinds, handler in ((FUNCTIONS, reader.function), (FUNCTION_PORTS, reader.function_port),
                           (EXCHANGES, reader.exchange), (CHAINS, reader.chain),
                           (CHAIN_INVOLVEMENTS, reader.chain_involvement), (CONTROL_NODES, reader.control_node),
                           (SEQUENCE_LINKS, reader.sequence_link), (STATE_MACHINES, reader.state_machine),
                           (STATES, reader.state), (TRANSITIONS, reader.transition), (SCENARIOS, reader.scenario),
                           (MESSAGES, reader.message), (PHYSICAL_PATHS, reader.physical_path),
                           (INVOLVEMENTS, reader.involvement)):
        handlers.update(dict.fromkeys(kinds, handler))
    return handlers


class _BehaviourReader:
    def __init__(self, mapper) -> None:  # noqa: ANN001
        self.mapper = mapper

    def _kind(self, element: etree._Element) -> str:
        return (element.get("{http://www.w3.org/2001/XMLSchema-instance}type") or "").rpartition(":")[2]

    def _behaviour(self, element: etree._Element, owner: str | None, kind: str, **fields: object) -> None:
        behaviour = Behavior(element.get("id"), element.get("name") or "", owner=owner, behavior_kind=kind,
                             detail=self._kind(element), **fields)  # type: ignore[arg-type]
        self.mapper._add(behaviour, element)

    def function(self, element: etree._Element, owner: str | None) -> None:
        """A function; a control function's kind (DUPLICATE, GATHER, SPLIT…) is its property ``kind``."""
        kind = element.get("kind")
        self._behaviour(element, owner, "function", properties={"kind": kind} if kind else NO_VALUES)

    def function_port(self, element: etree._Element, owner: str | None) -> None:
        port = Port(element.get("id"), element.get("name") or "", owner=owner,
                    direction=FUNCTION_PORTS[self._kind(element)], port_kind="function",
                    type=(self.mapper._refs(element, "incomingExchangeItems")
                          or self.mapper._refs(element, "outgoingExchangeItems") or [None])[0],
                    stereotype=self._kind(element))
        self.mapper._add(port, element)

    def exchange(self, element: etree._Element, owner: str | None) -> None:
        self._behaviour(element, owner, "functional_exchange", source=self.mapper._ref(element, "source"),
                        target=self.mapper._ref(element, "target"),
                        members=self.mapper._refs(element, "exchangedItems"))

    def _involved(self, element: etree._Element, kinds: tuple[str, ...]) -> list[str]:
        """What the involvements of ``kinds`` held by ``element`` name, in the file's order."""
        return [ref for child in element if isinstance(child.tag, str) and self._kind(child) in kinds
                for ref in self.mapper._refs(child, "involved")]

    def chain(self, element: etree._Element, owner: str | None) -> None:
        members = self._involved(element, ("FunctionalChainInvolvementFunction", "FunctionalChainInvolvementLink",
                                           "FunctionalChainReference"))
        self._behaviour(element, owner, "functional_chain", members=members)

    def physical_path(self, element: etree._Element, owner: str | None) -> None:
        self._behaviour(element, owner, "physical_path", members=self._involved(element, PATH_INVOLVEMENTS))

    def chain_involvement(self, element: etree._Element, owner: str | None) -> None:
        """A chain's involvement of a function (``members``: the function) or of an exchange (``members``: the
        exchange; ``source``/``target``: the function involvements it joins)."""
        self._behaviour(element, owner, "involvement", members=self.mapper._refs(element, "involved"),
                        source=self.mapper._ref(element, "source"), target=self.mapper._ref(element, "target"))

    def control_node(self, element: etree._Element, owner: str | None) -> None:
        """A control node of a chain; its ``kind`` (AND, OR, ITERATE) in its properties when written."""
        kind = element.get("kind")
        self._behaviour(element, owner, "control_node", properties={"kind": kind} if kind else NO_VALUES)

    def sequence_link(self, element: etree._Element, owner: str | None) -> None:
        """A sequence link of a chain, from and to a function involvement or control node; ``members``: the
        involvement links it goes with."""
        condition = self.mapper._ref(element, "condition")
        properties = {"condition": self._condition_text(condition)} if condition else NO_VALUES
        self._behaviour(element, owner, "sequence_link", source=self.mapper._ref(element, "source"),
                        target=self.mapper._ref(element, "target"), members=self.mapper._refs(element, "links"),
                        properties=properties)

    def _condition_text(self, ref: str) -> str:
        """A condition's text: its expression's first body, else the constraint's name; a reference that does
        not resolve is kept as written (its text is unknown, not empty)."""
        constraint = self.mapper.by_id.get(ref)
        if constraint is None:
            return ref
        bodies = [child.findtext("bodies") or "" for child in constraint
                  if isinstance(child.tag, str) and etree.QName(child).localname == "ownedSpecification"]
        return next((body for body in bodies if body), constraint.get("name") or "")

    def state_machine(self, element: etree._Element, owner: str | None) -> None:
        self._behaviour(element, owner, "state_machine")

    def state(self, element: etree._Element, owner: str | None) -> None:
        kind = self._kind(element)
        self._behaviour(element, owner, "region" if kind == "Region" else "state",
                        initial=kind == "InitialPseudoState")

    def transition(self, element: etree._Element, owner: str | None) -> None:
        self._behaviour(element, owner, "transition", source=self.mapper._ref(element, "source"),
                        target=self.mapper._ref(element, "target"))

    def scenario(self, element: etree._Element, owner: str | None) -> None:
        """A scenario; its ``kind`` (INTERACTION, DATA_FLOW…; UNSET, Capella's default, when unwritten) in its
        properties."""
        members = [ref for child in element if isinstance(child.tag, str) and self._kind(child) == "InstanceRole"
                   for ref in self.mapper._refs(child, "representedInstance")]
        self._behaviour(element, owner, "scenario", members=members,
                        properties={"kind": element.get("kind") or "UNSET"})

    def message(self, element: etree._Element, owner: str | None) -> None:
        self._behaviour(element, owner, "message", members=self.mapper._refs(element, "invokedOperation"))

    def involvement(self, element: etree._Element, owner: str | None) -> None:
        """Read with the chain or scenario that owns it."""

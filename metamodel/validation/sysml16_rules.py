"""Constraints of SysML 1.6 stereotypes (the "Constraints" paragraphs of the specification) on what the
SysML v1 XMI importer reads, as Papyrus' SysML 1.6 validation implements them (AR220–AR249).

- «allocate», «refine», «trace» and trace's specializations have one client and one supplier;
- «satisfy», «verify», «deriveReqt» and «copy» have requirements at the ends the specification names,
  and a «copy» keeps the supplier's text;
- requirements have an id and a text (Papyrus' own checks), own no attributes, operations or classifiers
  other than requirements, type nothing and take part in no generalization;
- interface blocks own no behaviours, no composite properties other than ports, and their ports are
  typed by interface blocks.

The rules look only at elements read from SysML stereotypes (``stereotype`` set by the importer), so
relations and requirements of other languages (Capella replicas, ArchiMate) are left to their own rules.
"""

from __future__ import annotations

from collections.abc import Iterator

from metamodel.elements import (
    Behavior,
    Block,
    Element,
    Interface,
    Part,
    Port,
    Relation,
    Requirement,
    Unmapped,
    ValueType,
)
from metamodel.model import Model
from metamodel.validation.registry import Diagnostic, of_kind, rule

# Allocate [2], Refine [2], Trace [2] (which holds for its specializations Copy, DeriveReqt, Satisfy, Verify)
_ONE_TO_ONE = ("Allocate", "Refine", "Trace", "Copy", "DeriveReqt", "Satisfy", "Verify")
# the ends that must be requirements: Satisfy [1], Verify [1] (supplier), DeriveReqt [1] [2], Copy [1]
_REQUIREMENT_ENDS = {"Satisfy": ("supplier",), "Verify": ("supplier",), "DeriveReqt": ("client", "supplier"),
                     "Copy": ("client", "supplier")}
_BEHAVIOURS = ("OpaqueBehavior", "FunctionBehavior", "Activity", "StateMachine", "ProtocolStateMachine",
               "Interaction")


def _label(element: Element) -> str:
    return repr(element.name) if element.name else repr(element.id)


def _relation_label(relation: Relation) -> str:
    return f"«{relation.stereotype}» {_label(relation)}"


def _sysml_relations(model: Model) -> Iterator[Relation]:
    return (r for r in of_kind(model, Relation) if r.stereotype and not r.library)


def _sysml_requirements(model: Model) -> Iterator[Requirement]:
    return (r for r in of_kind(model, Requirement) if r.stereotype and not r.library)


def _interface_blocks(model: Model) -> Iterator[Interface]:
    return (i for i in of_kind(model, Interface) if i.stereotype == "InterfaceBlock" and not i.library)


@rule("AR220", "error", "allocate, refine or trace relation without exactly one client and one supplier",
      domain="architecture")
def one_client_one_supplier(model: Model) -> Iterator[Diagnostic]:
    """SysML Allocate [2], Refine [2], Trace [2]: the dependency has exactly one client and one supplier."""
    for relation in _sysml_relations(model):
        if relation.stereotype in _ONE_TO_ONE and (len(relation.sources) != 1 or len(relation.targets) != 1):
            yield Diagnostic("AR220", "error", f"{_relation_label(relation)} has {len(relation.sources)} clients "
                             f"and {len(relation.targets)} suppliers, not one of each", relation.id, relation.name,
                             related=(*relation.sources, *relation.targets))


def _not_a_requirement(model: Model, element_id: str) -> Element | None:
    """The element when the model knows it is not a requirement (another file's element is not known)."""
    element = model.get(element_id)
    if element is None or isinstance(element, Requirement) or (isinstance(element, ValueType) and element.href):
        return None
    if isinstance(element, Unmapped) and "Requirement" in element.stereotype:
        return None
    return element


def _ends_not_requirements(model: Model, code: str, end: str) -> Iterator[Diagnostic]:
    """Findings of ``code``: the ``end`` ("client" or "supplier") of a relation that must be a requirement."""
    for relation in _sysml_relations(model):
        if end not in _REQUIREMENT_ENDS.get(relation.stereotype, ()):
            continue
        for element_id in relation.targets if end == "supplier" else relation.sources:
            other = _not_a_requirement(model, element_id)
            if other is not None:
                kind = other.source_type if isinstance(other, Unmapped) else other.kind
                yield Diagnostic(code, "error", f"the {end} of {_relation_label(relation)} is {kind} "
                                 f"{_label(other)}, not a requirement", relation.id, relation.name,
                                 related=(other.id,))


@rule("AR221", "error", "satisfy, verify, deriveReqt or copy relation whose supplier is not a requirement",
      domain="architecture")
def supplier_not_requirement(model: Model) -> Iterator[Diagnostic]:
    """Satisfy [1], Verify [1], DeriveReqt [1], Copy [1]: the supplier is a requirement."""
    return _ends_not_requirements(model, "AR221", "supplier")


@rule("AR222", "error", "deriveReqt or copy relation whose client is not a requirement", domain="architecture")
def client_not_requirement(model: Model) -> Iterator[Diagnostic]:
    """DeriveReqt [2], Copy [1]: the client is a requirement."""
    return _ends_not_requirements(model, "AR222", "client")


@rule("AR223", "error", "copy of a requirement whose text differs from the original", domain="architecture")
def copy_keeps_text(model: Model) -> Iterator[Diagnostic]:
    """Copy [2]: the client requirement's text is a read-only copy of the supplier requirement's text."""
    for relation in _sysml_relations(model):
        if relation.stereotype != "Copy" or len(relation.sources) != 1 or len(relation.targets) != 1:
            continue
        client, supplier = model.get(relation.sources[0]), model.get(relation.targets[0])
        if isinstance(client, Requirement) and isinstance(supplier, Requirement) and client.text != supplier.text:
            yield Diagnostic("AR223", "error", f"{_relation_label(relation)}: the text of {_label(client)} is not "
                             f"that of {_label(supplier)}, which it copies", relation.id, relation.name,
                             related=(client.id, supplier.id))


@rule("AR224", "warning", "requirement without an id", domain="architecture")
def requirement_without_id(model: Model) -> Iterator[Diagnostic]:
    """Papyrus' check of the Requirement stereotype: its id is set."""
    for requirement in _sysml_requirements(model):
        if not requirement.req_id.strip():
            yield Diagnostic("AR224", "warning", f"requirement {_label(requirement)} has no id", requirement.id,
                             requirement.name)


@rule("AR225", "warning", "requirement without a text", domain="architecture")
def requirement_without_text(model: Model) -> Iterator[Diagnostic]:
    """Papyrus' check of the Requirement stereotype: its text is set."""
    for requirement in _sysml_requirements(model):
        if not requirement.text.strip():
            yield Diagnostic("AR225", "warning", f"requirement {_label(requirement)} has no text", requirement.id,
                             requirement.name)


def _owned_by(model: Model, owners: set[str]) -> dict[str, list[Element]]:
    """The elements each of ``owners`` owns, found in one pass over the model."""
    owned: dict[str, list[Element]] = {}
    if owners:
        for element in model.elements.values():
            if element.owner in owners:
                owned.setdefault(element.owner, []).append(element)
    return owned


@rule("AR226", "error", "port of an interface block not typed by an interface block", domain="architecture")
def interface_block_port_type(model: Model) -> Iterator[Diagnostic]:
    """InterfaceBlock [3]: ports owned by interface blocks are typed by interface blocks (a type in
    another file is not judged)."""
    blocks = {i.id: i for i in _interface_blocks(model)}
    for owner, members in _owned_by(model, set(blocks)).items():
        for port in members:
            if not isinstance(port, Port) or not port.type:
                continue
            found = model.get(port.type)
            if found is None or (isinstance(found, Interface) and found.stereotype == "InterfaceBlock") or \
                    (isinstance(found, ValueType) and found.href) or \
                    (isinstance(found, Unmapped) and "InterfaceBlock" in found.stereotype):
                continue
            kind = found.source_type if isinstance(found, Unmapped) else found.kind
            yield Diagnostic("AR226", "error", f"port {_label(port)} of interface block {_label(blocks[owner])} is "
                             f"typed by {kind} {_label(found)}, not by an interface block", owner,
                             blocks[owner].name, related=(port.id, found.id))


@rule("AR227", "error", "interface block with a composite property that is not a port", domain="architecture")
def interface_block_composite(model: Model) -> Iterator[Diagnostic]:
    """InterfaceBlock [2]: interface blocks cannot have composite properties that are not ports (the
    composite part properties are checked: the aggregation of a value property is not kept)."""
    blocks = {i.id: i for i in _interface_blocks(model)}
    for owner, members in _owned_by(model, set(blocks)).items():
        parts = [m for m in members if isinstance(m, Part) and m.aggregation == "part"]
        if parts:
            names = ", ".join(_label(p) for p in parts)
            yield Diagnostic("AR227", "error", f"interface block {_label(blocks[owner])} has composite properties "
                             f"that are not ports: {names}", owner, blocks[owner].name,
                             related=tuple(p.id for p in parts))


@rule("AR228", "error", "interface block that owns a behaviour", domain="architecture")
def interface_block_behaviour(model: Model) -> Iterator[Diagnostic]:
    """InterfaceBlock [1]: interface blocks cannot own behaviours nor have a classifier behaviour."""
    blocks = {i.id: i for i in _interface_blocks(model)}
    for owner, members in _owned_by(model, set(blocks)).items():
        behaviours = [m for m in members if isinstance(m, Behavior) and m.behavior_kind in
                      ("activity", "state_machine", "interaction")
                      or isinstance(m, Unmapped) and m.source_type in _BEHAVIOURS]
        if behaviours:
            names = ", ".join(_label(b) for b in behaviours)
            yield Diagnostic("AR228", "error", f"interface block {_label(blocks[owner])} owns behaviours: {names}",
                             owner, blocks[owner].name, related=tuple(b.id for b in behaviours))


def _requirement_members(model: Model) -> Iterator[tuple[Requirement, list[Element]]]:
    requirements = {r.id: r for r in _sysml_requirements(model)}
    for owner, members in _owned_by(model, set(requirements)).items():
        yield requirements[owner], members


def _member_finding(code: str, requirement: Requirement, what: str, members: list[Element]) -> Diagnostic:
    names = ", ".join(_label(m) for m in members)
    return Diagnostic(code, "error", f"requirement {_label(requirement)} owns {what}: {names}", requirement.id,
                      requirement.name, related=tuple(m.id for m in members))


@rule("AR229", "error", "requirement that owns attributes", domain="architecture")
def requirement_attributes(model: Model) -> Iterator[Diagnostic]:
    """Requirement [2]: the ownedAttribute of a requirement is empty."""
    for requirement, members in _requirement_members(model):
        attributes = [m for m in members if isinstance(m, Part | Port)]
        if attributes:
            yield _member_finding("AR229", requirement, "attributes", attributes)


@rule("AR230", "error", "requirement that owns operations", domain="architecture")
def requirement_operations(model: Model) -> Iterator[Diagnostic]:
    """Requirement [1]: the ownedOperation of a requirement is empty."""
    for requirement, members in _requirement_members(model):
        operations = [m for m in members if isinstance(m, Unmapped) and m.source_type == "Operation"]
        if operations:
            yield _member_finding("AR230", requirement, "operations", operations)


@rule("AR231", "error", "requirement that nests a classifier other than a requirement", domain="architecture")
def requirement_nested_classifiers(model: Model) -> Iterator[Diagnostic]:
    """Requirement [5]: a classifier nested in a requirement is a requirement too."""
    for requirement, members in _requirement_members(model):
        nested = [m for m in members if isinstance(m, Block | Interface | ValueType)
                  or isinstance(m, Unmapped) and m.source_type == "Class"]
        if nested:
            yield _member_finding("AR231", requirement, "classifiers that are not requirements", nested)


@rule("AR232", "error", "requirement used as the type of an element", domain="architecture")
def requirement_as_type(model: Model) -> Iterator[Diagnostic]:
    """Requirement [6]: requirements type no other model element (one finding per requirement)."""
    requirements = {r.id: r for r in _sysml_requirements(model)}
    if not requirements:
        return
    typed: dict[str, list[Element]] = {}
    for element in of_kind(model, Part | Port):
        if element.type in requirements:
            typed.setdefault(element.type, []).append(element)
    for requirement_id, elements in typed.items():
        requirement = requirements[requirement_id]
        names = ", ".join(_label(e) for e in elements)
        yield Diagnostic("AR232", "error", f"requirement {_label(requirement)} is the type of {names}",
                         requirement.id, requirement.name, related=tuple(e.id for e in elements))


@rule("AR233", "error", "requirement that takes part in a generalization", domain="architecture")
def requirement_generalization(model: Model) -> Iterator[Diagnostic]:
    """Requirement [4]: requirements take part in no generalization, as the specific or the general end."""
    requirements = {r.id: r for r in _sysml_requirements(model)}
    for relation in of_kind(model, Relation):
        if relation.relation != "specialization":
            continue
        for element_id in dict.fromkeys((*relation.sources, *relation.targets)):
            if element_id in requirements:
                other = [e for e in (*relation.sources, *relation.targets) if e != element_id]
                general = model.get(relation.targets[0]) if relation.targets else None
                yield Diagnostic("AR233", "error", f"requirement {_label(requirements[element_id])} takes part in "
                                 f"a generalization (to {_label(general) if general else 'nothing'})", element_id,
                                 requirements[element_id].name, related=tuple(other) or (relation.id,))



@rule("AR234", "error", "property typed by a value type without composite aggregation", domain="architecture")
def value_property_composite(model: Model) -> Iterator[Diagnostic]:
    """Block [6]: a property owned by a block or value type and typed by a value type («ValueType»
    applied in this file) has composite aggregation. One finding per owner."""
    value_types = {v.id for v in of_kind(model, ValueType) if v.stereotype == "ValueType"}
    owners: dict[str, list[Part]] = {}
    for part in of_kind(model, Part):
        if part.composite is False and part.type in value_types and not part.library:
            owners.setdefault(part.owner or "", []).append(part)
    for owner_id, parts in owners.items():
        owner = model.get(owner_id)
        if isinstance(owner, Block) and owner.stereotype or owner_id in value_types:
            names = ", ".join(_label(p) for p in parts)
            yield Diagnostic("AR234", "error", f"{owner.kind} {_label(owner)} has value properties that are not "
                             f"composite: {names}", owner_id, owner.name, related=tuple(p.id for p in parts))


def _stereotypes(element: Element) -> set[str]:
    """The SysML stereotypes of a port read whole, or of a stub of a feature of a class that is not a block."""
    if isinstance(element, Unmapped):
        return set(element.stereotype.split(","))
    if isinstance(element, Port):
        return {s.strip() for s in element.invalid.get("stereotype", element.stereotype).split(",")}
    return set()


@rule("AR235", "error", "port that is both a full port and a proxy port", domain="architecture")
def full_and_proxy_port(model: Model) -> Iterator[Diagnostic]:
    """FullPort [1], ProxyPort [1]: full ports cannot also be proxy ports, nor proxy ports full ports."""
    for element in model.elements.values():
        if isinstance(element, Port | Unmapped) and not element.library and \
                {"FullPort", "ProxyPort"} <= _stereotypes(element):
            yield Diagnostic("AR235", "error", f"port {_label(element)} is both a full port and a proxy port",
                             element.id, element.name)


# ConnectorProperty [1] and DistributedProperty [1]: properties of blocks (or value types); ParticipantProperty
# [1]: of association blocks, which are not imported either
_OF_BLOCKS = ("ConnectorProperty", "DistributedProperty", "ParticipantProperty")


@rule("AR236", "error", "block property stereotype on a property of a class that is not a block",
      domain="architecture")
def block_property_outside_blocks(model: Model) -> Iterator[Diagnostic]:
    """ConnectorProperty [1], DistributedProperty [1], ParticipantProperty [1]: these stereotypes apply only
    to properties of blocks (the import keeps such properties of other classes as stubs)."""
    for element in of_kind(model, Unmapped):
        owner = model.get(element.owner)
        applied = [s for s in _OF_BLOCKS if s in _stereotypes(element)]
        if applied and isinstance(owner, Unmapped) and not element.library:
            yield Diagnostic("AR236", "error", f"property {_label(element)} of {owner.source_type} {_label(owner)}, "
                             f"which is not a block, is a {' and '.join(applied)}", element.id, element.name,
                             related=(owner.id,))


@rule("AR237", "error", "class that specializes a block without being a block", domain="architecture")
def specialization_of_block(model: Model) -> Iterator[Diagnostic]:
    """Block [8]: any classifier that specializes a block is a block too."""
    for relation in of_kind(model, Relation):
        if relation.relation != "specialization" or not relation.sources or not relation.targets:
            continue
        specific, general = model.get(relation.sources[0]), model.get(relation.targets[0])
        if isinstance(specific, Unmapped) and isinstance(general, Block) and general.stereotype:
            yield Diagnostic("AR237", "error", f"{specific.source_type} {_label(specific)} specializes block "
                             f"{_label(general)} but is not a block", specific.id, specific.name,
                             related=(general.id, relation.id))

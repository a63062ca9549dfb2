"""Validation rules that mirror Capella's own validator on the data model (unions, associations, the
types of properties) and on exchange items and communication links (AR185-AR199).

Capella writes an enumeration attribute only when it differs from its first literal, so a value that is
absent reads as that literal: a union's kind UNION, an aggregation kind UNSET, an exchange mechanism
UNSET, an exchange item element's kind TYPE and direction IN, a communication link's kind and protocol
UNSET.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from metamodel.elements import Block, Element, Interface, Part, Relation, Unmapped
from metamodel.model import Model
from metamodel.validation.behaviour_rules import _layer
from metamodel.validation.registry import Diagnostic, of_kind, rule, shared

_DATA_CLASSES = ("Class", "Union")
_WHOLE = re.compile(r"[+-]?[0-9]+")  # what Java's Integer.parseInt reads
# Capella's LinkCompatibilityDefinition: the exchange mechanism each communication link kind is for
# (TRANSMIT and ACQUIRE, the default kinds, go with any) and the link kind each protocol is for
_MECHANISM_OF_KIND = {"PRODUCE": "FLOW", "CONSUME": "FLOW", "SEND": "EVENT", "RECEIVE": "EVENT",
                      "CALL": "OPERATION", "EXECUTE": "OPERATION", "WRITE": "SHARED_DATA",
                      "ACCESS": "SHARED_DATA", "UNSET": "UNSET"}
_KIND_OF_PROTOCOL = {"UNICAST": "SEND", "MULTICAST": "SEND", "BROADCAST": "SEND", "SYNCHRONOUS": "CALL",
                     "ASYNCHRONOUS": "CALL", "READ": "ACCESS", "ACCEPT": "ACCESS"}


def _label(element: Element) -> str:
    return repr(element.name or element.id)


def _names(elements: list[Element]) -> str:
    return ", ".join(_label(e) for e in elements)


def _data_class(element: Element | None) -> bool:
    """A Capella class or union, or a collection (not imported: a stub where a property is typed by one)."""
    return isinstance(element, Block) and element.stereotype in _DATA_CLASSES or \
        isinstance(element, Unmapped) and element.source_type == "Collection"


def _primitive(element: Element | None) -> bool:
    return _data_class(element) and element.properties.get("isPrimitive") == "true"  # type: ignore[union-attr]


def _kind_of(element: Element) -> str:
    return element.source_type if isinstance(element, Unmapped) else getattr(element, "stereotype", element.kind)


def _union_properties(model: Model) -> dict[str, list[Part]]:
    """Union id -> its union properties, in model order."""
    def collect() -> dict[str, list[Part]]:
        found: dict[str, list[Part]] = {}
        for part in of_kind(model, Part):
            if part.stereotype == "UnionProperty" and part.owner:
                found.setdefault(part.owner, []).append(part)
        return found
    return shared(("union properties", id(model)), collect)


def _unions(model: Model) -> Iterator[Block]:
    return (b for b in of_kind(model, Block) if b.stereotype == "Union" and not b.library)


def _qualifiers(part: Part) -> list[str]:
    return part.properties.get("qualifier", "").split()


def _qualified_members(model: Model, union: Block) -> list[Part]:
    """The union properties of a union of kind UNION other than its discriminant and default property
    (the ones Capella's qualifier rules look at); none for a VARIANT."""
    if union.properties.get("kind", "UNION") != "UNION":
        return []
    skipped = {union.properties.get("discriminant"), union.properties.get("defaultProperty")}
    return [p for p in _union_properties(model).get(union.id, []) if p.id not in skipped]


@rule("AR185", "error", "union property without a qualifier", domain="architecture")
def union_property_without_qualifier(model: Model) -> Iterator[Diagnostic]:
    """Every union property of a Capella union of kind UNION that has a discriminant, other than the
    discriminant and the default property, has a qualifier (DWF_D_01, MDCHK_Union_qualifierIntegrity).
    One finding per union, naming its properties without one."""
    for union in _unions(model):
        if not union.properties.get("discriminant"):
            continue
        bare = [p for p in _qualified_members(model, union) if not _qualifiers(p)]
        if bare:
            yield Diagnostic("AR185", "error", f"union {_label(union)}{_layer(model, union)}: union properties "
                             f"{_names(bare)} have no qualifier", union.id, union.name,
                             related=tuple(p.id for p in bare))


@rule("AR186", "error", "data value qualifies more than one property of a union", domain="architecture")
def union_qualifier_used_twice(model: Model) -> Iterator[Diagnostic]:
    """A data value qualifies at most one union property of a Capella union of kind UNION, the
    discriminant and the default property aside (DWF_D_02, MDCHK_Union_QualifierCardinality). One finding
    per union, naming the values used again and the properties that use them again."""
    for union in _unions(model):
        seen: set[str] = set()
        repeated: dict[str, list[Part]] = {}
        for part in _qualified_members(model, union):
            for value in _qualifiers(part):
                if value in seen:
                    repeated.setdefault(value, []).append(part)
                seen.add(value)
        if repeated:
            values = ", ".join(f"{_label(model[v]) if v in model.elements else repr(v)} (again on "
                               f"{_names(parts)})" for v, parts in repeated.items())
            yield Diagnostic("AR186", "error", f"union {_label(union)}{_layer(model, union)}: qualifier values "
                             f"used by more than one union property: {values}", union.id, union.name,
                             related=tuple(dict.fromkeys(p.id for parts in repeated.values() for p in parts)))


@rule("AR187", "warning", "union discriminant with a qualifier", domain="architecture")
def union_discriminant_qualified(model: Model) -> Iterator[Diagnostic]:
    """The discriminant of a Capella union has no qualifier (DWF_D_03,
    MDCHK_Union_DiscriminantUnionPropertyQualifier)."""
    for union in _unions(model):
        discriminant = model.get(union.properties.get("discriminant", ""))
        if isinstance(discriminant, Part) and _qualifiers(discriminant):
            yield Diagnostic("AR187", "warning", f"union {_label(union)}{_layer(model, union)}: its discriminant "
                             f"{_label(discriminant)} has qualifiers", union.id, union.name,
                             related=(discriminant.id,))


@rule("AR188", "error", "union without a discriminant", domain="architecture")
def union_without_discriminant(model: Model) -> Iterator[Diagnostic]:
    """A Capella union (of either kind) has a discriminant (DWF_D_08, UnionDiscriminant)."""
    for union in _unions(model):
        if not union.properties.get("discriminant"):
            yield Diagnostic("AR188", "error", f"union {_label(union)}{_layer(model, union)} has no discriminant",
                             union.id, union.name)


def _associations(model: Model) -> Iterator[Relation]:
    """Capella's associations between classes (not ArchiMate's association relationships)."""
    return (r for r in of_kind(model, Relation) if r.relation == "association"
            and r.properties.get("metaclass") == "Association" and not r.library)


def _ends(model: Model, association: Relation) -> list[Part]:
    """The ends of an association: its navigable members and the members it owns, each once."""
    ends = (model.get(ref) for ref in dict.fromkeys((*association.targets, *association.sources)))
    return [end for end in ends if isinstance(end, Part)]


def _aggregation(end: Part) -> str:
    return end.properties.get("aggregationKind", "UNSET")


def _cardinality(end: Part) -> str:
    return f"{end.lower}..{'*' if end.upper is None else end.upper}"


@rule("AR189", "error", "composition whose other end is not of cardinality 0..1 or 1..1", domain="architecture")
def composition_end_cardinality(model: Model) -> Iterator[Diagnostic]:
    """In a Capella association with a composition end, every end that is not a composition has the
    cardinality 0..1 or 1..1: a part has one whole (DWF_D_04, AssociationCompositionProperty). One
    finding per association, at its first such end; bounds that are not numbers are AR113's."""
    for association in _associations(model):
        ends = _ends(model, association)
        if not any(_aggregation(e) == "COMPOSITION" for e in ends):
            continue
        for end in ends:
            if _aggregation(end) != "COMPOSITION" and not end.invalid and \
                    (end.lower not in (0, 1) or end.upper != 1):
                yield Diagnostic("AR189", "error", f"composition {_label(association)}{_layer(model, association)}: "
                                 f"its end {_label(end)} has cardinality {_cardinality(end)}, not 0..1 or 1..1",
                                 association.id, association.name, related=(end.id,))
                break


@rule("AR190", "warning", "association end typed by a primitive class", domain="architecture")
def association_end_primitive(model: Model) -> Iterator[Diagnostic]:
    """The ends of a Capella association are not typed by primitive classes or collections (DWF_D_05,
    AssociationEndsPrimitive): a primitive type is used by value, through a plain property."""
    for association in _associations(model):
        primitive = [e for e in _ends(model, association) if _primitive(model.get(e.type))]
        if primitive:
            types = _names(list({model[e.type].id: model[e.type] for e in primitive}.values()))
            yield Diagnostic("AR190", "warning", f"association {_label(association)}{_layer(model, association)} "
                             f"links primitive classes: {types}", association.id, association.name,
                             related=tuple(dict.fromkeys(e.type for e in primitive if e.type)))


@rule("AR191", "warning", "aggregation or composition end that is not navigable", domain="architecture")
def aggregation_not_navigable(model: Model) -> Iterator[Diagnostic]:
    """An end a Capella association owns whose kind is AGGREGATION or COMPOSITION is one of its navigable
    members (DWF_D_10, MDCHK_Association_NavigableAgggregationComposition). One finding per association."""
    for association in _associations(model):
        navigable = set(association.targets)
        ends = [model[ref] for ref in association.sources if isinstance(model.get(ref), Part)]
        wrong = [e for e in ends if _aggregation(e) in ("AGGREGATION", "COMPOSITION") and e.id not in navigable]
        if wrong:
            yield Diagnostic("AR191", "warning", f"association {_label(association)}{_layer(model, association)}: "
                             f"its ends {_names(wrong)} are aggregations or compositions but not navigable",
                             association.id, association.name, related=tuple(e.id for e in wrong))


@rule("AR192", "warning", "association without an end of kind ASSOCIATION", domain="architecture")
def association_without_plain_end(model: Model) -> Iterator[Diagnostic]:
    """A Capella association has at least one end of aggregation kind ASSOCIATION, the end on the whole's
    side of an aggregation or composition (DWF_D_11, MDCHK_Association_PropertyAggregationKind)."""
    for association in _associations(model):
        ends = _ends(model, association)
        if not any(_aggregation(e) == "ASSOCIATION" for e in ends):
            kinds = ", ".join(f"{_label(e)} {_aggregation(e)}" for e in ends)
            yield Diagnostic("AR192", "warning", f"association {_label(association)}{_layer(model, association)} "
                             f"has no end of kind ASSOCIATION ({kinds or 'no ends'})", association.id,
                             association.name, related=tuple(e.id for e in ends))


@rule("AR199", "warning", "association with fewer than two ends or an end of unset aggregation kind",
      domain="architecture")
def association_ends_incomplete(model: Model) -> Iterator[Diagnostic]:
    """A Capella association has at least two members, owned and navigable ones counted together
    (DWF_D_14, MDCHK_Association_OwnedMembers), and none of aggregation kind UNSET (DWF_D_29,
    AssociationPropertyAggregationKindUnSet). One finding per association, naming what is missing."""
    for association in _associations(model):
        problems = []
        count = len(association.sources) + len(association.targets)
        if count < 2:
            problems.append(f"{count} end{'s' if count != 1 else ''}")
        ends = _ends(model, association)
        unset = [e for e in ends if _aggregation(e) == "UNSET"]
        if unset:
            problems.append(f"ends of aggregation kind UNSET: {_names(unset)}")
        if problems:
            yield Diagnostic("AR199", "warning", f"association {_label(association)}{_layer(model, association)} "
                             f"has {'; '.join(problems)}", association.id, association.name,
                             related=tuple(e.id for e in unset))


@rule("AR193", "warning", "property typed by a non-primitive class without an association", domain="architecture")
def property_typed_by_class(model: Model) -> Iterator[Diagnostic]:
    """A Capella property (of a class, a union or a component) that is no association's end is typed by a
    primitive class or collection, unless it belongs to a primitive class (DWF_D_06, PropertyTypeRule): a
    structure that is not primitive is reached through an association."""
    ends = {ref for a in _associations(model) for ref in (*a.sources, *a.targets)}
    for part in of_kind(model, Part):
        if part.library or part.id in ends or _primitive(model.get(part.owner)):
            continue
        type_ = model.get(part.type)
        if _data_class(type_) and not _primitive(type_):
            owner = model.get(part.owner)
            where = f" of {_label(owner)}" if owner is not None else ""
            yield Diagnostic("AR193", "warning", f"property {_label(part)}{where}{_layer(model, part)} is typed by "
                             f"the non-primitive {_kind_of(type_).lower()} {_label(type_)} but is the end of no "
                             "association", part.id, part.name, related=(type_.id,))


def _exchange_items(model: Model) -> Iterator[Interface]:
    return (i for i in of_kind(model, Interface)
            if i.properties.get("metaclass") == "ExchangeItem" and not i.library)


def _mechanism(item: Interface) -> str:
    return item.properties.get("exchangeMechanism", "UNSET")


@rule("AR194", "error", "exchange item element of the wrong kind for its exchange mechanism", domain="architecture")
def exchange_item_element_kind(model: Model) -> Iterator[Diagnostic]:
    """The elements of a Capella exchange item of mechanism OPERATION are of kind MEMBER (parameters), those
    of any other mechanism of kind TYPE (DWF_I_01, ExchangeItemKind). One finding per exchange item."""
    for item in _exchange_items(model):
        expected = "MEMBER" if _mechanism(item) == "OPERATION" else "TYPE"
        wrong = [fp for fp in item.flow_properties if fp.properties.get("kind", "TYPE") != expected]
        if wrong:
            names = ", ".join(repr(fp.name or fp.id) for fp in wrong)
            yield Diagnostic("AR194", "error", f"exchange item {_label(item)}{_layer(model, item)} of mechanism "
                             f"{_mechanism(item)} has elements {names} of another kind than {expected}", item.id,
                             item.name, related=tuple(fp.id for fp in wrong if fp.id))


@rule("AR195", "warning", "exchange item element direction against its exchange mechanism", domain="architecture")
def exchange_item_element_direction(model: Model) -> Iterator[Diagnostic]:
    """The elements of a Capella exchange item of mechanism OPERATION have a direction (parameters), the
    others' direction is UNSET (DWF_I_03, ExchangeItemDirection, on the exchange item; DWF_D_43,
    CheckExchangeItemElementDirection, on its elements; an element written without one is IN). One finding
    per exchange item."""
    for item in _exchange_items(model):
        operation = _mechanism(item) == "OPERATION"
        wrong = [fp for fp in item.flow_properties if (fp.properties.get("direction", "IN") == "UNSET") == operation]
        if not wrong:
            continue
        if operation:
            problem = "elements without a direction: " + ", ".join(repr(fp.name or fp.id) for fp in wrong)
        else:
            problem = "elements with a direction: " + ", ".join(
                f"{fp.name or fp.id!r} ({fp.properties.get('direction', 'IN')})" for fp in wrong)
        yield Diagnostic("AR195", "warning", f"exchange item {_label(item)}{_layer(model, item)} of mechanism "
                         f"{_mechanism(item)} has {problem}", item.id, item.name,
                         related=tuple(fp.id for fp in wrong if fp.id))


def _links(model: Model) -> Iterator[Relation]:
    return (r for r in of_kind(model, Relation) if r.relation == "communication" and not r.library)


def _link_kind(link: Relation) -> str:
    return link.properties.get("kind", "UNSET")


def _link_label(model: Model, link: Relation) -> str:
    """A communication link as Capella's explorer shows it (links have no names of their own): its kind, the
    component that owns it and its exchange item, and the layer."""
    named = f"{link.name!r} " if link.name else ""
    owner, item = model.get(link.owner), model.get(link.targets[0]) if link.targets else None
    of = f" of {_label(owner)}" if owner is not None else ""
    to = f" to {_label(item)}" if item is not None else ""
    return f"communication link {named}{_link_kind(link)}{of}{to}{_layer(model, link)}"


def _protocol(link: Relation) -> str:
    return link.properties.get("protocol", "UNSET")


@rule("AR196", "warning", "component with two communication links of one kind to one exchange item",
      domain="architecture")
def repeated_communication_link(model: Model) -> Iterator[Diagnostic]:
    """A Capella component has at most one communication link of a kind and protocol to an exchange item
    (DWF_I_05, ComponentCommunicationLinkRule). One finding per component, item, kind and protocol."""
    groups: dict[tuple[str, str, str, str], list[Relation]] = {}
    for link in _links(model):
        if link.owner:
            item = link.targets[0] if link.targets else ""
            groups.setdefault((link.owner, item, _link_kind(link), _protocol(link)), []).append(link)
    for (owner_id, item_id, kind, protocol), links in groups.items():
        if len(links) > 1:
            owner, item = model[owner_id], model.get(item_id)
            target = _label(item) if item is not None else "no exchange item"
            yield Diagnostic("AR196", "warning", f"component {_label(owner)}{_layer(model, owner)} has "
                             f"{len(links)} communication links {kind} (protocol {protocol}) to {target}",
                             owner_id, owner.name, related=tuple(link.id for link in links))


@rule("AR197", "warning", "communication link of a kind another exchange mechanism takes", domain="architecture")
def communication_link_kind(model: Model) -> Iterator[Diagnostic]:
    """A Capella communication link's kind fits the mechanism of its exchange item: PRODUCE and CONSUME a
    FLOW, SEND and RECEIVE an EVENT, CALL and EXECUTE an OPERATION, WRITE and ACCESS a SHARED_DATA, UNSET
    an UNSET one; TRANSMIT and ACQUIRE any (DWF_I_09, CommunicationLinkkindRule)."""
    for link in _links(model):
        item = model.get(link.targets[0]) if link.targets else None
        kind = _link_kind(link)
        if not isinstance(item, Interface) or item.properties.get("metaclass") != "ExchangeItem" or \
                kind in ("TRANSMIT", "ACQUIRE"):
            continue
        expected = _MECHANISM_OF_KIND.get(kind, "UNSET")
        if _mechanism(item) != expected:
            yield Diagnostic("AR197", "warning", f"{_link_label(model, link)}: kind {kind} is for exchange items of "
                             f"mechanism {expected}, but {_label(item)} is {_mechanism(item)}", link.id, link.name,
                             related=(item.id,))


@rule("AR198", "warning", "communication link protocol of another link kind", domain="architecture")
def communication_link_protocol(model: Model) -> Iterator[Diagnostic]:
    """A Capella communication link's protocol fits its kind: UNICAST, MULTICAST and BROADCAST a SEND,
    SYNCHRONOUS and ASYNCHRONOUS a CALL, READ and ACCEPT an ACCESS (DWF_I_10, CommunicationLinkProtocolRule)."""
    for link in _links(model):
        protocol, kind = _protocol(link), _link_kind(link)
        expected = _KIND_OF_PROTOCOL.get(protocol, "UNSET")
        if protocol != "UNSET" and kind != expected:
            yield Diagnostic("AR198", "warning", f"{_link_label(model, link)}: protocol {protocol} is for {expected} "
                             "links", link.id, link.name)


def _card_holders(model: Model) -> Iterator[tuple[Element, str, str, dict[str, str]]]:
    """Capella's elements whose cardinalities DWF_D_50 and DWF_D_51 check, as (element its finding is on,
    id of the bounded element, its description, its written values): the properties that are not abstract
    of classes, unions and associations, and the elements of exchange items."""
    for part in of_kind(model, Part):
        holder = model.get(part.owner)
        data_class = isinstance(holder, Block) and holder.stereotype in _DATA_CLASSES
        association = isinstance(holder, Relation) and holder.properties.get("metaclass") == "Association"
        if (data_class or association) and not part.library and part.properties.get("isAbstract") != "true":
            kind = "association end" if association else "property"
            yield part, part.id, f"{kind} {_label(part)} of {_label(holder)}{_layer(model, part)}", part.properties
    for item in _exchange_items(model):
        for element in item.flow_properties:
            if element.id:
                yield item, element.id, (f"element {element.name or element.id!r} of exchange item "
                                         f"{_label(item)}{_layer(model, item)}"), element.properties


def _card_problem(values: dict[str, str], slot: str, least: int) -> str | None:
    """What is wrong with the cardinality in ``slot``: none written, or a literal that is no whole number
    of at least ``least`` (for a maximum, ``*``, unbounded, is right too); None when it is right, or is
    written as something other than a plain literal (not judged)."""
    if slot not in values:
        return "none"
    written = values[slot]
    if written == "" or slot == "ownedMaxCard" and written == "*":
        return None
    return None if _WHOLE.fullmatch(written) and int(written) >= least else repr(written)


def _card_findings(model: Model, code: str, slot: str, least: int, bound: str) -> Iterator[Diagnostic]:
    allowed = f"a whole number of at least {least}" + (" or '*'" if slot == "ownedMaxCard" else "")
    for element, bounded, description, values in _card_holders(model):
        problem = _card_problem(values, slot, least)
        if problem == "none":
            text = f"{description} has no {bound} cardinality"
        elif problem is not None:
            text = f"{description} has {bound} cardinality {problem}, not {allowed}"
        else:
            continue
        related = () if bounded == element.id else (bounded,)
        yield Diagnostic(code, "warning", text, element.id, element.name, related=related)


@rule("AR241", "warning", "Capella property or exchange item element without a maximum cardinality of at least 1 or *",
      domain="architecture")
def maximum_cardinality_natural(model: Model) -> Iterator[Diagnostic]:
    """A property of a Capella class or association that is not abstract, and an exchange item element,
    have a maximum cardinality written as a whole number of at least 1 or as ``*``, unbounded (DWF_D_50,
    PropertyMaximumCardinalityIsNatural, whose description allows [1, *]; its Java parses ``*`` as no
    number and Capella's test model plants a ``*`` as a fault, but Capella ships the rule disabled and writes
    every unbounded maximum so: that plant is left uncaught on purpose). One finding per element."""
    yield from _card_findings(model, "AR241", "ownedMaxCard", 1, "maximum")


@rule("AR242", "warning", "Capella property or exchange item element without a minimum cardinality of at least 0",
      domain="architecture")
def minimum_cardinality_natural(model: Model) -> Iterator[Diagnostic]:
    """A property of a Capella class or association that is not abstract, and an exchange item element,
    have a minimum cardinality written as a whole number of at least 0 (DWF_D_51,
    PropertyMinimumCardinalityIsNaturalOrZero). One finding per element."""
    yield from _card_findings(model, "AR242", "ownedMinCard", 0, "minimum")

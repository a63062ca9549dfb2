"""Capella semantic model import (``.capella``, Capella 5 to 7).

The ``.capella`` file holds the model; the ``.afm`` beside it is viewpoint metadata and the ``.aird`` the
diagrams, neither is read. Elements carry ``xsi:type`` and an ``id`` (a UUID); references are ``#id``
lists in attributes. Fragmented parts of a model (``.capellafragment`` files, the model holding an ``href`` in
the element's place) are read from the files beside the model; references into them resolve.

Mapped: the project's architectures (Package, the layer's Capella type as property ``layer``) and their
component, data and interface packages (Package; every package, connector and relation keeps its Capella
type as property ``metaclass``); operational entities, system/logical/physical components
and configuration items (Block, the Capella type as stereotype, ``actor`` and ``nature`` in its properties
when Capella writes them) with their parts (Part, cardinality kept); component ports (Port, orientation as
direction, first provided or required interface as type, all of them in its properties
``providedInterfaces``/``requiredInterfaces``; a component's interface uses and implementations in its
properties ``usedInterfaces``/``implementedInterfaces``) and physical ports (Port, kind ``physical``);
component exchanges, communication means and physical links (Connector, the ends through the parts typed by
the ports' components; a component exchange's kind and conveyed exchange items in its properties ``kind``
and ``convoyedInformations``); data classes and unions (Block ``Class`` or ``Union`` with their properties as
parts; primitive data types are ValueTypes); associations (Relation ``association`` from the ends they own to
their navigable ends); a component's communication links (Relation ``communication`` to the exchange item);
exchange items and interfaces (Interface: their elements or allocated exchange items as flow properties);
operational roles (Block, stereotype ``Role``); allocations, role allocations and deployments (Relation
``allocate``, from the allocated element to where it is allocated) and component, port and information
realizations (Relation ``realization``); requirements of the requirements viewpoint (Requirement) and their
allocations to the elements that address them (Relation ``satisfy`` from the element to the requirement, or
``verify``/``refine``/``derive`` when the link's type names one).
Functions, their ports and exchanges, functional chains (with their control nodes and sequence links), state
machines, scenarios and physical paths are read by ``importers.capella_behaviour``; capabilities, missions,
their links and generalizations by ``importers.capella_capabilities``. Function, capability and role packages
(their content is owned by the layer) and realization traces between levels are counted in the report, and
kept as ``Unmapped`` stubs where a mapped relation refers to them.
"""

from __future__ import annotations

import html
import os
import re
from collections.abc import Callable
from urllib.parse import unquote

from lxml import etree

from importers.capella_behaviour import behaviour_handlers
from importers.capella_capabilities import capability_handlers
from importers.multiplicity import read_bound
from importers.report import ImportReport
from importers.unmapped import UnmappedCounter
from importers.xml_safe import parse_file
from metamodel.access import AccessError, confined
from metamodel.elements import (
    NO_VALUES,
    Behavior,
    Block,
    Connector,
    ConnectorEnd,
    Element,
    FlowProperty,
    Interface,
    Package,
    Part,
    Port,
    Relation,
    Requirement,
    Unmapped,
    ValueType,
)
from metamodel.errors import ParseError
from metamodel.model import Model

XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"
CAPELLA_NS = "http://www.polarsys.org/capella/"

LAYER_TYPES = {"OperationalAnalysis", "SystemAnalysis", "LogicalArchitecture", "PhysicalArchitecture",
               "EPBSArchitecture"}
PACKAGE_TYPES = {"SystemEngineering", *LAYER_TYPES, "EntityPkg", "SystemComponentPkg",
                 "LogicalComponentPkg", "PhysicalComponentPkg", "ConfigurationItemPkg", "DataPkg", "InterfacePkg"}
BLOCK_TYPES = {"Entity", "SystemComponent", "LogicalComponent", "PhysicalComponent", "ConfigurationItem"}
VALUE_TYPES = {"NumericType", "StringType", "BooleanType", "Enumeration", "PhysicalQuantity"}
CONNECTOR_TYPES = {"ComponentExchange", "CommunicationMean", "PhysicalLink"}
# Capella relation type -> (Salver relation, attribute of the source, attribute of the target)
RELATIONS = {
    "ComponentFunctionalAllocation": ("allocate", "targetElement", "sourceElement"),
    "PortAllocation": ("allocate", "targetElement", "sourceElement"),
    "ComponentPortAllocation": ("allocate", "targetElement", "sourceElement"),
    "ComponentExchangeAllocation": ("allocate", "targetElement", "sourceElement"),
    "ComponentExchangeFunctionalExchangeAllocation": ("allocate", "targetElement", "sourceElement"),
    "PartDeploymentLink": ("allocate", "deployedElement", "location"),
    "RoleAllocation": ("allocate", "targetElement", "sourceElement"),
    "ComponentRealization": ("realization", "sourceElement", "targetElement"),
    "PortRealization": ("realization", "sourceElement", "targetElement"),
    "InformationRealization": ("realization", "sourceElement", "targetElement"),
}
# the requirements viewpoint's links between a requirement and the element it is allocated to: (slot of
# the element, slot of the requirement)
REQUIREMENT_LINKS = {"CapellaIncomingRelation": ("target", "source"), "CapellaOutgoingRelation": ("source", "target")}
# a requirement link whose type names one of these is that SysML relation; any other allocation of a
# requirement to the element that addresses it is read as satisfy
LINK_KINDS = (("verif", "verify"), ("refin", "refine"), ("deriv", "derive"))
# a component's links to interfaces: (property of the component, attribute naming the interface)
INTERFACE_LINKS = {"InterfaceUse": ("usedInterfaces", "usedInterface"),
                   "InterfaceImplementation": ("implementedInterfaces", "implementedInterface")}
CARDINALITY_SLOTS = {"ownedMinCard", "ownedMaxCard"}
UNION_REFS = ("discriminant", "defaultProperty")  # a union's references to its union properties
LIBRARY_PACKAGES = {"Predefined Types"}  # the data types Capella creates in every project
_FUNCTION_PKG = "the package is not kept; its functions, exchanges and chains are imported, owned by the layer"
_CAPABILITY_PKG = "the package is not kept; its capabilities or missions are imported, owned by the layer"
_ROLE_PKG = "the package is not kept; its roles are imported, owned by the layer"
_TRACE = "realization traces between architecture levels are not imported"
_CATALOG = "replicable element catalogs (REC/RPL) are not imported (each replica is linked to its original)"
# Capella kinds not imported, by reason; the kinds that are imported (behaviour_handlers among them) have none
_GROUPS = {
    _FUNCTION_PKG: ("OperationalActivityPkg", "SystemFunctionPkg", "LogicalFunctionPkg", "PhysicalFunctionPkg"),
    _CAPABILITY_PKG: ("OperationalCapabilityPkg", "CapabilityPkg", "CapabilityRealizationPkg", "MissionPkg"),
    _ROLE_PKG: ("RolePkg",),
    _TRACE: ("FunctionRealization", "FunctionalExchangeRealization", "FunctionalChainRealization",
             "AbstractCapabilityRealization", "ScenarioRealization", "AbstractStateRealization",
             "StateTransitionRealization", "OperationalAnalysisRealization", "SystemAnalysisRealization",
             "LogicalArchitectureRealization", "PhysicalArchitectureRealization", "PhysicalArtifactRealization"),
    _CATALOG: ("RecCatalog", "CatalogElementPkg", "CatalogElement", "CatalogElementLink", "CompliancyDefinitionPkg",
               "CompliancyDefinition"),
}
REASONS = {
    **{kind: reason for reason, kinds in _GROUPS.items() for kind in kinds},
    "TransfoLink": "transition traces between architecture levels are tool bookkeeping",
    "ActivityAllocation": "allocations of operational activities to roles are not imported",
    "ChangeEvent": "change events (triggers of state transitions) are not imported",
    "KeyValue": "key/value annotations are not imported",
    "Unit": "units are read into the physical quantities that use them",
    "EnumerationLiteral": "enumeration literals are not imported",
    "LiteralNumericValue": "numeric values (data type bounds, association end cardinalities) are not imported",
    "Constraint": "constraint expressions are not imported",
    "OpaqueExpression": "constraint expressions are not imported",
    "Generalization": "generalizations of elements that are not imported are not imported",
    "AbstractCapabilityInclude": "capability links of elements that are not imported are not imported",
    "AbstractCapabilityExtend": "capability links of elements that are not imported are not imported",
    "AbstractCapabilityGeneralization": "capability links of elements that are not imported are not imported",
    "Property": "properties outside classes, unions and associations are not imported",
    "ExchangeCategory": "exchange categories are not imported",
    "ModelInformation": "tool metadata",
    "EnumerationPropertyType": "property value types of the tool are not imported",
    "EnumerationPropertyLiteral": "property values of the tool are not imported",
}


def load(path: str | os.PathLike[str]) -> tuple[Model, ImportReport]:
    """Import a Capella ``.capella`` model."""
    report = ImportReport(source=str(path), format="capella")
    tree = parse_file(path)
    model = CapellaMapper(tree.getroot(), str(path), report).run()
    model.source_path = str(path)
    return model, report


def written_cards(element: etree._Element) -> dict[str, str]:
    """The min and max cardinalities of a property or exchange item element as written, by slot
    (``ownedMinCard``, ``ownedMaxCard``; absent when the element has none): the ``value`` of an untyped
    literal number, or the empty string for any other value (a reference, an expression, a typed or
    valueless literal), which is written but not read here."""
    cards: dict[str, str] = {}
    for child in element:
        slot = etree.QName(child).localname if isinstance(child.tag, str) else ""
        if slot in CARDINALITY_SLOTS:
            literal = capella_type(child) == "LiteralNumericValue" and child.get("abstractType") is None
            cards[slot] = child.get("value", "") if literal else ""
    return cards


def capella_type(element: etree._Element) -> str | None:
    """The metaclass of a Capella element (``LogicalComponent``…) from its ``xsi:type``."""
    written = element.get(XSI_TYPE)
    return written.rpartition(":")[2] if written else None


def _is_association(relation: Relation) -> bool:
    """Whether a relation is a Capella association (ArchiMate's association relationships are others)."""
    return relation.relation == "association" and relation.properties.get("metaclass") == "Association"


def _plain(text: str | None) -> str:
    """Capella descriptions are HTML: tags dropped, entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", " ", text or "")).strip()


class CapellaMapper:
    """Builds a ``Model`` from a parsed ``.capella`` root; use once: ``CapellaMapper(...).run()``."""

    def __init__(self, root: etree._Element, source: str, report: ImportReport) -> None:
        tag = etree.QName(root)
        if tag.localname != "Project" or not (tag.namespace or "").startswith(CAPELLA_NS):
            raise ParseError(f"not a Capella model: root element <{tag.localname}> in namespace "
                             f"{tag.namespace or '(none)'}", file=source, line=root.sourceline)
        self.root = root
        self.source = source
        self.report = report
        self.model = Model(name=root.get("name") or "model")
        self.unmapped = UnmappedCounter(dict(REASONS))
        self.by_id = {e.get("id"): e for e in root.iter() if isinstance(e.tag, str) and e.get("id")}
        self.pending_ends: list[tuple[str, list[str], etree._Element]] = []
        self.unit_refs: dict[str, str] = {}
        self.two_interfaces = 0
        self.catalog_links: dict[str, tuple[str | None, str | None]] = {}  # link id -> (target, origin link)
        self.fragments: dict[str, dict[str, etree._Element]] = {}  # fragment file -> its elements by id
        self.handlers: dict[str, Callable[[etree._Element, str | None], None]] = {
            **{kind: self._package for kind in PACKAGE_TYPES},
            **{kind: self._block for kind in BLOCK_TYPES},
            **{kind: self._value_type for kind in VALUE_TYPES},
            **{kind: self._connector for kind in CONNECTOR_TYPES},
            **{kind: self._relation for kind in RELATIONS},
            **{kind: self._requirement_link for kind in REQUIREMENT_LINKS},
            "Class": self._class, "Union": self._class, "Part": self._part, "Property": self._property,
            "UnionProperty": self._property, "Association": self._association,
            "CommunicationLink": self._communication_link, "Role": self._block,
            "ComponentPort": self._port, "PhysicalPort": self._port,
            "ExchangeItem": self._exchange_item, "Interface": self._interface, "Requirement": self._requirement,
            "CatalogElementLink": self._catalog_link,
            **{kind: self._interface_link for kind in INTERFACE_LINKS},
            **behaviour_handlers(self),
            **capability_handlers(self),
        }

    # -- driver -------------------------------------------------------------------------------------
    def run(self) -> Model:
        self.model.doc = _plain(self.root.get("description"))
        self._read_fragments(self.root)
        self._children(self.root, None)
        self._resolve()
        self.unmapped.report_to(self.report)
        return self.model

    def _children(self, element: etree._Element, owner: str | None, skip: frozenset[str] = frozenset()) -> None:
        """Map the typed children of ``element``; unmapped ones are counted and searched further, so
        mapped elements inside them keep the nearest mapped ancestor as owner."""
        for child in element:
            if not isinstance(child.tag, str) or etree.QName(child).localname in skip:
                continue
            kind = capella_type(child)
            if kind is None:
                continue  # untyped slots (expression bodies, languages): content of their typed parent
            if child.get("href") and not child.get("id"):
                child = self._held_elsewhere(child)
                if child is None:
                    continue
            handler = self.handlers.get(kind) or (self._requirement if kind.endswith("Requirement") else None)
            if handler is not None:
                if not child.get("id"):
                    self._give_id(child, kind)
                handler(child, owner)
            else:
                self.unmapped.count(kind, child.sourceline, child.get("name") or "")
                self._children(child, owner)

    def _held_elsewhere(self, proxy: etree._Element) -> etree._Element | None:
        """An element whose content another file holds (a Capella fragment: ``href="fragments/x.capellafragment#id"``,
        written where the element sits in the model): that element, read from the file beside the model;
        ``None``, and reported, when the file or the element in it cannot be read."""
        href = proxy.get("href") or ""
        file_part, _, target = href.rpartition("#")
        held = self._fragment(self._fragment_path(file_part)).get(target) if file_part else None
        if held is not None and not held.get(XSI_TYPE):
            held.set(XSI_TYPE, proxy.get(XSI_TYPE) or "")  # a fragment's root names its type in its tag
        if held is None:
            self.report.add(f"element held in {file_part or href!r} not imported: that file or the element "
                            "in it was not found beside the model", capella_type(proxy) or "", proxy.sourceline,
                            "warning")
        return held

    def _read_fragments(self, root: etree._Element) -> None:
        """Read, before mapping, the fragment files that elements of ``root`` are held in (and theirs), so
        that references into them resolve wherever they come in the file."""
        for proxy in root.iter():
            if isinstance(proxy.tag, str) and proxy.get("href") and not proxy.get("id"):
                file_part = proxy.get("href").rpartition("#")[0]
                path = self._fragment_path(file_part)
                if file_part and path not in self.fragments:
                    held = self._fragment(path)
                    if held:
                        self._read_fragments(next(iter(held.values())).getroottree().getroot())

    def _fragment_path(self, file_part: str) -> str:
        """The path, as the model's folder gives it, of the fragment file an ``href`` names."""
        return os.path.normpath(os.path.join(os.path.dirname(self.source), unquote(file_part)))

    def _fragment(self, path: str) -> dict[str, etree._Element]:
        """The elements by id of a fragment file beside the model (read once; empty when unreadable)."""
        if path not in self.fragments:
            self.fragments[path] = {}
            try:
                allowed = confined(os.path.abspath(path), os.path.dirname(self.source) or ".", "fragment file")
                root = parse_file(allowed).getroot()
            except AccessError as exc:  # a model reads only files in its own folder tree (or allowed ones)
                self.report.add(str(exc), os.path.basename(path), severity="warning")
                return self.fragments[path]
            except (OSError, ParseError):
                return self.fragments[path]
            held = {e.get("id"): e for e in root.iter() if isinstance(e.tag, str) and e.get("id")}
            self.fragments[path] = held
            for key, element in held.items():
                self.by_id.setdefault(key, element)
        return self.fragments[path]

    def _local(self, file_part: str) -> bool:
        """Whether a reference's file is the model itself or a fragment that was read, from the model's
        folder or a fragment's."""
        name = unquote(file_part)
        folders = {os.path.dirname(self.source), *(os.path.dirname(f) for f in self.fragments)}
        read = {os.path.normpath(self.source), *(f for f, held in self.fragments.items() if held)}
        return any(os.path.normpath(os.path.join(folder, name)) in read for folder in folders)

    def _give_id(self, element: etree._Element, kind: str) -> None:
        """A mapped element without an id (a damaged file) gets a fresh one: nothing in the file refers to it."""
        fresh = f"_no_id_{len(self.by_id)}"
        while fresh in self.by_id:
            fresh += "_"
        element.set("id", fresh)
        self.by_id[fresh] = element
        self.report.add(f"{kind} without an id: given the id {fresh!r}", element.get("name") or kind,
                        element.sourceline, "warning")

    def _add(self, created: Element, element: etree._Element, skip: frozenset[str] = frozenset()) -> None:
        if created.id in self.model.elements:
            self.report.add(f"duplicate id {created.id!r}; second element skipped", created.name,
                            element.sourceline, "error")
            return
        created.doc = created.doc or _plain(element.get("description") or element.get("summary"))
        holder = self.model.elements.get(created.owner or "")
        created.library = created.library or (holder is not None and holder.library)
        self.model.add(created)
        self.report.lines[created.id] = element.sourceline
        self._children(element, created.id, skip)

    def _refs(self, element: etree._Element, attribute: str) -> list[str]:
        """Ids referenced by ``attribute`` (``#id`` list); references into other files are reported."""
        found = []
        for ref in (element.get(attribute) or "").split():
            file_part, _, fragment = ref.rpartition("#")
            if file_part and fragment and self._local(file_part):
                file_part = ""
            elif file_part:
                self.report.add(f"reference {ref!r} into another file is not followed",
                                element.get("name") or element.get("id") or "", element.sourceline)
            found.append(ref if file_part and fragment else fragment or ref)
        return found

    def _ref(self, element: etree._Element, attribute: str) -> str | None:
        found = self._refs(element, attribute)
        return found[0] if found else None

    # -- structure ----------------------------------------------------------------------------------
    def _package(self, element: etree._Element, owner: str | None) -> None:
        library = element.get("name") in LIBRARY_PACKAGES
        kind = capella_type(element) or ""
        properties = {"metaclass": kind, "layer": kind} if kind in LAYER_TYPES else {"metaclass": kind}
        self._add(Package(element.get("id"), element.get("name") or "", owner=owner, library=library,
                          properties=properties), element)

    def _catalog_link(self, element: etree._Element, owner: str | None) -> None:
        """A REC/RPL link: a replica's link names, as origin, the link of the element it replicates."""
        self.unmapped.count("CatalogElementLink", element.sourceline)
        self.catalog_links[element.get("id")] = (self._ref(element, "target"), self._ref(element, "origin"))

    def _block(self, element: etree._Element, owner: str | None) -> None:
        stereotype = capella_type(element) or ""
        properties = {key: element.get(key) for key in ("actor", "nature") if element.get(key)} or NO_VALUES
        self._add(Block(element.get("id"), element.get("name") or "", owner=owner, properties=properties,
                        is_abstract=element.get("abstract") == "true", stereotype=stereotype), element)

    def _class(self, element: etree._Element, owner: str | None) -> None:
        """A data class or union (Block, stereotype ``Class`` or ``Union``); ``isPrimitive`` and a union's
        ``kind``, ``discriminant`` and ``defaultProperty`` (the ids of its union properties) in its properties,
        as written."""
        kind = capella_type(element) or "Class"
        values = {slot: element.get(slot) for slot in ("isPrimitive", "kind") if element.get(slot)}
        if kind == "Union":
            values.update({slot: ref for slot in UNION_REFS if (ref := self._ref(element, slot))})
        self._add(Block(element.get("id"), element.get("name") or "", owner=owner, stereotype=kind,
                        properties=values or NO_VALUES), element)

    def _value_type(self, element: etree._Element, owner: str | None) -> None:
        unit = self._ref(element, "unit")
        if unit:
            self.unit_refs[element.get("id")] = unit
        self._add(ValueType(element.get("id"), element.get("name") or "", owner=owner), element)

    def _part(self, element: etree._Element, owner: str | None) -> None:
        lower, upper, invalid = self._cardinality(element)
        part = Part(element.get("id"), element.get("name") or "", owner=owner, type=self._ref(element, "abstractType"),
                    lower=lower, upper=upper, stereotype="Part", invalid=invalid)
        self._add(part, element, frozenset(CARDINALITY_SLOTS))

    def _property(self, element: etree._Element, owner: str | None) -> None:
        """A property of a class or union, or an end an association owns (Part, stereotype ``Property`` or
        ``UnionProperty``); its ``aggregationKind`` and a union property's ``qualifier`` ids in its properties."""
        holder = self.model.get(owner)
        if not (isinstance(holder, Block) or isinstance(holder, Relation) and _is_association(holder)):
            self.unmapped.count("Property", element.sourceline, element.get("name") or "")
            self._children(element, owner)
            return
        lower, upper, invalid = self._cardinality(element)
        kind = element.get("aggregationKind")
        values = {"aggregationKind": kind} if kind else {}
        qualifiers = self._refs(element, "qualifier")
        if qualifiers:
            values["qualifier"] = " ".join(qualifiers)
        if element.get("isAbstract") == "true":
            values["isAbstract"] = "true"
        values.update(written_cards(element))
        part = Part(element.get("id"), element.get("name") or "", owner=owner, type=self._ref(element, "abstractType"),
                    aggregation="part" if kind == "COMPOSITION" else "reference", lower=lower, upper=upper,
                    stereotype=capella_type(element) or "Property", invalid=invalid, properties=values or NO_VALUES)
        self._add(part, element, frozenset(CARDINALITY_SLOTS))

    def _association(self, element: etree._Element, owner: str | None) -> None:
        """An association between classes: a relation ``association`` from the ends it owns (``ownedMembers``,
        mapped as its parts) to its navigable ends (``navigableMembers``, most often properties of classes)."""
        members = [child.get("id") for child in element if isinstance(child.tag, str) and child.get("id")
                   and etree.QName(child).localname == "ownedMembers"]
        relation = Relation(element.get("id"), element.get("name") or "", owner=owner, relation="association",
                            sources=members, targets=self._refs(element, "navigableMembers"),
                            properties={"metaclass": "Association"})
        self._add(relation, element)

    def _communication_link(self, element: etree._Element, owner: str | None) -> None:
        """A component's communication link to an exchange item: a relation ``communication`` from the
        component to the item, its ``kind`` and ``protocol`` in its properties (absent: Capella's UNSET)."""
        values = {slot: element.get(slot) for slot in ("kind", "protocol") if element.get(slot)}
        relation = Relation(element.get("id"), element.get("name") or "", owner=owner, relation="communication",
                            sources=[owner] if owner else [], targets=self._refs(element, "exchangeItem"),
                            properties=values or NO_VALUES)
        self._add(relation, element)

    def _cardinality(self, element: etree._Element) -> tuple[int, int | None, dict[str, str]]:
        """Min and max cardinality (1 when absent; a value without ``value`` is 0, as in Capella) and the
        ones that are not numbers, kept as written for the checks."""
        bounds: dict[str, int | None] = {"lower": 1, "upper": 1}
        invalid: dict[str, str] = {}
        for child in element:
            slot = etree.QName(child).localname if isinstance(child.tag, str) else ""
            key = {"ownedMinCard": "lower", "ownedMaxCard": "upper"}.get(slot)
            if key is None:
                continue
            bounds[key], bad = read_bound(child.get("value", "0"), 1, upper=key == "upper")
            if bad is not None:
                invalid[key] = bad
        return bounds["lower"] or 0, bounds["upper"], invalid or NO_VALUES

    def _port(self, element: etree._Element, owner: str | None) -> None:
        physical = capella_type(element) == "PhysicalPort"
        provided = self._refs(element, "providedInterfaces")
        required = self._refs(element, "requiredInterfaces")
        if provided and required:
            self.two_interfaces += 1
        interfaces = {slot: " ".join(refs) for slot, refs in (("providedInterfaces", provided),
                                                              ("requiredInterfaces", required)) if refs}
        port = Port(element.get("id"), element.get("name") or "", owner=owner,
                    direction=(element.get("orientation") or "INOUT").lower() if not physical else "inout",
                    port_kind="physical" if physical else (element.get("kind") or "FLOW").lower(),
                    type=(provided or required or [None])[0], stereotype=capella_type(element) or "",
                    properties=interfaces or NO_VALUES)
        if port.direction not in ("in", "out", "inout"):
            self.report.add(f"port orientation {element.get('orientation')!r} unknown; inout used", port.name,
                            element.sourceline)
            port.direction = "inout"
        self._add(port, element)

    def _connector(self, element: etree._Element, owner: str | None) -> None:
        ends = self._refs(element, "linkEnds") or [r for a in ("source", "target") for r in self._refs(element, a)]
        kind = capella_type(element) or ""
        properties = {"metaclass": kind}
        if kind == "ComponentExchange" and element.get("kind"):
            properties["kind"] = element.get("kind")
        conveyed = self._refs(element, "convoyedInformations")
        if conveyed:
            properties["convoyedInformations"] = " ".join(conveyed)
        connector = Connector(element.get("id"), element.get("name") or "", owner=owner,
                              properties=properties)
        self._add(connector, element)
        self.pending_ends.append((connector.id, ends, element))

    def _exchange_item(self, element: etree._Element, owner: str | None) -> None:
        """An exchange item (Interface, its ``exchangeMechanism`` in its properties when written) with its
        elements as flow properties (their ``kind`` and ``direction`` as written in their properties)."""
        values = {"metaclass": "ExchangeItem"}
        if element.get("exchangeMechanism"):
            values["exchangeMechanism"] = element.get("exchangeMechanism")
        interface = Interface(element.get("id"), element.get("name") or "", owner=owner, properties=values)
        for child in element:
            if isinstance(child.tag, str) and capella_type(child) == "ExchangeItemElement":
                direction = (child.get("direction") or "").lower()
                written = {slot: child.get(slot) for slot in ("kind", "direction") if child.get(slot)}
                written.update(written_cards(child))
                interface.flow_properties.append(FlowProperty(
                    child.get("name") or "", direction if direction in ("in", "out", "inout") else "inout",
                    self._ref(child, "abstractType"), id=child.get("id"), properties=written or NO_VALUES))
                self.report.lines[child.get("id")] = child.sourceline
        self._add(interface, element, frozenset({"ownedElements"}))

    def _interface(self, element: etree._Element, owner: str | None) -> None:
        interface = Interface(element.get("id"), element.get("name") or "", owner=owner,
                              properties={"metaclass": "Interface"})
        for child in element:
            if isinstance(child.tag, str) and capella_type(child) == "ExchangeItemAllocation":
                interface.flow_properties.append(FlowProperty(
                    child.get("name") or "", "inout", self._ref(child, "allocatedItem"), id=child.get("id")))
                self.report.lines[child.get("id")] = child.sourceline
        self._add(interface, element, frozenset({"ownedExchangeItemAllocations"}))

    def _interface_link(self, element: etree._Element, owner: str | None) -> None:
        """A component's use or implementation of an interface: the interface's id joins the component's
        ``usedInterfaces`` or ``implementedInterfaces`` property (space-separated, as Capella writes lists)."""
        kind = capella_type(element) or ""
        slot, attribute = INTERFACE_LINKS[kind]
        component = self.model.get(owner)
        interface = self._ref(element, attribute)
        if not isinstance(component, Block) or not interface:
            self.unmapped.count(kind, element.sourceline, element.get("name") or "")
            return
        listed = component.properties.get(slot, "")
        component.add_properties({slot: f"{listed} {interface}".strip()})

    def _requirement(self, element: etree._Element, owner: str | None) -> None:
        name = element.get("ReqIFLongName") or element.get("ReqIFName") or element.get("name") or ""
        requirement = Requirement(element.get("id"), name, owner=owner, req_id=element.get("ReqIFIdentifier") or "",
                                  text=_plain(element.get("ReqIFText") or element.get("description")))
        self._add(requirement, element)

    def _relation(self, element: etree._Element, owner: str | None) -> None:
        metaclass = capella_type(element) or ""
        kind, source, target = RELATIONS[metaclass]
        relation = Relation(element.get("id"), element.get("name") or "", owner=owner, relation=kind,
                            sources=self._refs(element, source), targets=self._refs(element, target),
                            properties={"metaclass": metaclass})
        self._add(relation, element)

    def _requirement_link(self, element: etree._Element, owner: str | None) -> None:
        """A requirement allocated to a model element (Capella's requirements viewpoint): a relation from
        the element to the requirement, named by the link's type."""
        addressed_by, requirement = REQUIREMENT_LINKS[capella_type(element) or ""]
        link_type = self.by_id.get(self._ref(element, "relationType") or "")
        name = (link_type.get("ReqIFLongName") or link_type.get("ReqIFName") or "") if link_type is not None else ""
        kind = next((k for stem, k in LINK_KINDS if stem in name.casefold()), "satisfy")
        relation = Relation(element.get("id"), name, owner=owner, relation=kind,
                            sources=self._refs(element, addressed_by), targets=self._refs(element, requirement))
        self._add(relation, element)

    # -- resolution ---------------------------------------------------------------------------------
    def _resolve(self) -> None:
        self._replicas()
        parts_by_type: dict[str, list[Part]] = {}
        for part in self.model.of_kind(Part):
            parts_by_type.setdefault(part.type or "", []).append(part)
        for connector_id, refs, element in self.pending_ends:
            connector = self.model.elements[connector_id]
            connector.ends = [self._end(ref, [r for r in refs if r != ref], connector, parts_by_type, element)
                              for ref in refs]
            if len(refs) != 2:
                self.report.add(f"{capella_type(element)} with {len(refs)} ends", connector.name, element.sourceline)
        for element in list(self.model.elements.values()):
            for key in self._references(element):
                self._stub(key)
        for value_type_id, unit in self.unit_refs.items():
            unit_element = self.by_id.get(unit)
            name = unit_element.get("name") if unit_element is not None else None
            self.model.elements[value_type_id].units = name or unit
        for element in self.model.elements.values():
            type_element = self.model.get(getattr(element, "type", None))
            if isinstance(element, Port) and type_element is not None:
                element.flow_type = type_element.name
            elif isinstance(element, Part) and isinstance(type_element, ValueType):
                element.aggregation = "value"
        if self.two_interfaces:
            self.report.add(f"{self.two_interfaces} x component port with provided and required interfaces: the "
                            "provided one is the port's type", severity="info")

    def _replicas(self) -> None:
        """Each replicated element gets a ``copy`` relation to its original (the REC's element)."""
        for link_id, (replica, origin) in self.catalog_links.items():
            original = self.catalog_links.get(origin or "", (None, None))[0]
            if replica in self.model.elements and original in self.model.elements:
                self.model.add(Relation(link_id, owner=None, relation="copy", sources=[replica], targets=[original]))

    def _end(self, ref: str, others: list[str], connector: Connector, parts_by_type: dict[str, list[Part]],
             element: etree._Element) -> ConnectorEnd:
        """A connector end at a port (reached through the part typed by the port's component) or, for
        exchanges between components without ports, at the part typed by the component. A port of the
        exchange's own holder is that holder's boundary only for a delegation: an exchange of kind DELEGATION,
        or one whose other end is a component inside the holder."""
        target = self.model.get(ref)
        if isinstance(target, Port):
            if target.owner == connector.owner and self._delegates(others, connector, parts_by_type):
                return ConnectorEnd(ref)  # the owner's own boundary port
            return ConnectorEnd(ref, self._part_typed(target.owner, connector, parts_by_type, element))
        if isinstance(target, Block):
            part = self._part_typed(target.id, connector, parts_by_type, element)
            return ConnectorEnd(part or ref)
        self.report.add(f"end {ref!r} of {capella_type(element)} is not a mapped port or component",
                        connector.name, element.sourceline)
        return ConnectorEnd(ref)

    def _delegates(self, others: list[str], connector: Connector, parts_by_type: dict[str, list[Part]]) -> bool:
        """Whether an exchange held by the component of one of its ends delegates from that component to a
        component inside it (through the parts the component holds, directly or in its component packages)."""
        if connector.properties.get("kind") == "DELEGATION":
            return True
        for ref in others:
            other = self.model.get(ref)
            component = other.owner if isinstance(other, Port) else ref
            for part in parts_by_type.get(component or "", []):
                holder = self.model.get(part.owner)
                while isinstance(holder, Package):
                    holder = self.model.get(holder.owner)
                if holder is not None and holder.id == connector.owner:
                    return True
        return False

    def _part_typed(self, block_id: str | None, connector: Connector, parts_by_type: dict[str, list[Part]],
                    element: etree._Element) -> str | None:
        parts = parts_by_type.get(block_id or "", [])
        if len(parts) > 1:
            parts = [p for p in parts if p.owner == connector.owner] or parts
        if len(parts) == 1:
            return parts[0].id
        block = self.model.get(block_id)
        self.report.add(f"{len(parts)} parts typed by {block.name if block else block_id!r}: the end of "
                        f"{capella_type(element)} is not bound to a part", connector.name, element.sourceline)
        return None

    @staticmethod
    def _references(element: Element) -> list[str]:
        if isinstance(element, Part):  # a union property's qualifiers: data values, named in the checks
            return [ref for ref in (element.type, *element.properties.get("qualifier", "").split()) if ref]
        if isinstance(element, Port):
            return [element.type] if element.type else []
        if isinstance(element, Interface):
            return [fp.type for fp in element.flow_properties if fp.type]
        if isinstance(element, Relation):
            return [*element.sources, *element.targets]
        if isinstance(element, Behavior):
            return [ref for ref in (element.source, element.target, *element.members) if ref]
        return []

    def _stub(self, key: str) -> None:
        """Referenced elements of kinds Salver does not model become ``Unmapped`` stubs (a collection keeps its
        ``isPrimitive``, which the checks of property types read)."""
        if key in self.model.elements:
            return
        source = self.by_id.get(key)
        if source is not None:
            primitive = source.get("isPrimitive")
            self.model.add(Unmapped(key, source.get("name") or "", source_type=capella_type(source) or "",
                                    properties={"isPrimitive": primitive} if primitive else NO_VALUES))
            self.report.lines[key] = source.sourceline

"""Capella's rules on architecture levels, allocation and ownership (AR170-AR178): functions allocated
to components (leaves only, of the component's level), functional exchanges allocated to component
exchanges of their level, port allocations of component ports, the element owning a component exchange
or physical link, the levels of the interfaces components use and of the exchange items interfaces
allocate, and the interfaces and exchange items a component can see.

Levels are Capella's architectures in their order (operational analysis, system analysis, logical,
physical, EPBS); an element's level is the architecture it sits in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from metamodel.elements import Behavior, Block, Connector, Element, Interface, Package, Part, Port, Relation, Unmapped
from metamodel.model import Model
from metamodel.validation.behaviour_rules import _layer
from metamodel.validation.capella_rules import _listed, _parents
from metamodel.validation.registry import Diagnostic, of_kind, rule, shared

LEVELS = ("OperationalAnalysis", "SystemAnalysis", "LogicalArchitecture", "PhysicalArchitecture", "EPBSArchitecture")
EPBS = LEVELS.index("EPBSArchitecture")
# the function metaclass each component metaclass allocates (Capella's MDCHK_Component_AllocatedFunctions_1)
FUNCTION_OF = {"Entity": "OperationalActivity", "SystemComponent": "SystemFunction",
               "LogicalComponent": "LogicalFunction", "PhysicalComponent": "PhysicalFunction"}
COMPONENT_OF = {function: component for component, function in FUNCTION_OF.items()}
COMPONENT_KINDS = (*FUNCTION_OF, "ConfigurationItem")


def _architectures(model: Model) -> dict[str, str | None]:
    """Element id -> the id of the Capella architecture (layer package) holding it, filled as asked."""
    return shared(("capella architectures", id(model)), dict)


_GO_ON = object()  # what an ``answer`` of ``_nearest`` gives for an owner to pass by


def _nearest(model: Model, element: Element, known: dict, answer: Callable[[Element], object]) -> object:
    """What ``answer`` gives for the nearest owner of ``element`` it does not pass by (``_GO_ON``), None when it
    passes them all; every owner visited is remembered in ``known`` with that result, so each is looked at once."""
    path: list[str] = []
    current = model.get(element.owner)
    found: object = None
    while current is not None and current.id not in path:
        if current.id in known:
            found = known[current.id]
            break
        path.append(current.id)
        result = answer(current)
        if result is not _GO_ON:
            found = result
            break
        current = model.get(current.owner)
    for visited in path:
        known[visited] = found
    return found


def architecture(model: Model, element: Element) -> str | None:
    """The id of the architecture an element sits in (None outside any); each owner is looked up once."""
    def layer_package(owner: Element) -> object:
        return owner.id if isinstance(owner, Package) and owner.properties.get("layer") in LEVELS else _GO_ON
    return _nearest(model, element, _architectures(model), layer_package)  # type: ignore[return-value]


def level(model: Model, element: Element) -> int | None:
    """The index in ``LEVELS`` of the architecture an element sits in, None outside any."""
    held_by = architecture(model, element)
    return LEVELS.index(model[held_by].properties["layer"]) if held_by else None


def _kind(element: Element) -> str:
    """The Capella metaclass of a function (its ``detail``) or a component (its stereotype)."""
    return element.detail if isinstance(element, Behavior) else getattr(element, "stereotype", "")


def _named(element: Element) -> str:
    return repr(element.name or element.id)


def _is_function(element: Element | None) -> bool:
    return isinstance(element, Behavior) and element.behavior_kind == "function"


def _function_allocations(model: Model) -> list[tuple[Relation, Behavior, Block]]:
    """Each component functional allocation as (relation, function, component)."""
    def gather() -> list[tuple[Relation, Behavior, Block]]:
        found = []
        for relation in of_kind(model, Relation):
            if relation.properties.get("metaclass") != "ComponentFunctionalAllocation":
                continue
            for source in relation.sources:
                function = model.get(source)
                if _is_function(function):
                    found.extend((relation, function, model[t]) for t in relation.targets  # type: ignore[misc]
                                 if isinstance(model.get(t), Block))
        return found
    return shared(("capella function allocations", id(model)), gather)


@rule("AR170", "error", "function with sub-functions allocated to a component", domain="architecture")
def allocated_function_not_leaf(model: Model) -> Iterator[Diagnostic]:
    """Only leaf functions are allocated to components (Capella's DWF_DC_15,
    MDCHK_Function_FunctionAllocationConstency, and the leaf half of DWF_DC_09). One finding per function,
    naming the components it is allocated to."""
    parents = _parents(model)
    by_function: dict[str, list[tuple[Relation, Block]]] = {}
    for relation, function, component in _function_allocations(model):
        if function.id in parents:
            by_function.setdefault(function.id, []).append((relation, component))
    for function_id, allocations in by_function.items():
        function = model[function_id]
        components = ", ".join(f"{c.stereotype} {_named(c)}" for _, c in allocations)
        yield Diagnostic("AR170", "error", f"function {_named(function)}{_layer(model, function)} has sub-functions "
                         f"and is allocated to {components}; only leaf functions are allocated", function_id,
                         function.name, related=tuple(i for r, c in allocations for i in (c.id, r.id)))


@rule("AR171", "error", "function allocated to a component of another level", domain="architecture")
def function_of_another_level(model: Model) -> Iterator[Diagnostic]:
    """A component allocates functions of its own level: an entity operational activities, a system
    component system functions, a logical component logical functions, a physical component physical
    functions (Capella's DWF_DC_11, MDCHK_Function_ComponentFunctionAllocation, and the level half of
    DWF_DC_09). One finding per allocation."""
    for relation, function, component in _function_allocations(model):
        function_kind, component_kind = _kind(function), component.stereotype
        expected = FUNCTION_OF.get(component_kind)
        allocator = COMPONENT_OF.get(function_kind)
        if (expected is None or expected == function_kind) and (allocator is None or allocator == component_kind):
            continue
        yield Diagnostic("AR171", "error", f"{function_kind} {_named(function)}{_layer(model, function)} is allocated "
                         f"to {component_kind} {_named(component)}{_layer(model, component)}, a component of another "
                         "level", function.id, function.name, related=(component.id, relation.id))


def _is_functional_exchange(element: Element | None) -> bool:
    return isinstance(element, Behavior) and element.behavior_kind == "functional_exchange"


@rule("AR172", "error", "component exchange allocates a functional exchange of another level", domain="architecture")
def exchange_of_another_level(model: Model) -> Iterator[Diagnostic]:
    """The functional exchanges allocated to a component exchange come from its architecture (Capella's
    DWF_DC_13, MDCHK_Connection_FunctionalExchangeAllocation). One finding per component exchange."""
    wrong: dict[str, list[str]] = {}
    for relation in of_kind(model, Relation):
        if relation.properties.get("metaclass") != "ComponentExchangeFunctionalExchangeAllocation":
            continue
        exchanges = [model[s] for s in relation.sources if _is_functional_exchange(model.get(s))]
        for target in relation.targets:
            connector = model.get(target)
            if not isinstance(connector, Connector) or connector.properties.get("metaclass") == "PhysicalLink":
                continue
            held_by = architecture(model, connector)
            wrong.setdefault(connector.id, []).extend(
                e.id for e in exchanges if held_by and architecture(model, e) not in (None, held_by))
    for connector_id, exchanges in wrong.items():
        if exchanges:
            connector = model[connector_id]
            names = ", ".join(f"{_named(model[e])}{_layer(model, model[e])}" for e in exchanges)
            yield Diagnostic("AR172", "error", f"component exchange {_named(connector)}{_layer(model, connector)} "
                             f"allocates functional exchanges of another level: {names}", connector_id,
                             connector.name, related=tuple(exchanges))


def _parts_by_type(model: Model) -> dict[str, list[Part]]:
    """Component id -> the parts typed by it (Capella's representing parts)."""
    def gather() -> dict[str, list[Part]]:
        found: dict[str, list[Part]] = {}
        for part in of_kind(model, Part):
            if part.type:
                found.setdefault(part.type, []).append(part)
        return found
    return shared(("capella parts by type", id(model)), gather)


def _deployments(model: Model) -> dict[str, list[str]]:
    """Part id -> the parts it is deployed on (Capella's part deployment links)."""
    def gather() -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for relation in of_kind(model, Relation):
            if relation.properties.get("metaclass") == "PartDeploymentLink":
                for deployed in relation.sources:
                    found.setdefault(deployed, []).extend(relation.targets)
        return found
    return shared(("capella deployments", id(model)), gather)


def _within(model: Model, component: Block, container: Block) -> bool:
    """Whether ``component`` is ``container`` or one of the components its parts, their parts and the
    parts deployed on them are typed by (Capella's ComponentExt.getAllSubUsedAndDeployedComponents)."""
    parts, deployed_on = _parts_by_type(model), _deployments(model)
    seen, todo = {component.id}, [component.id]
    while todo:
        current = todo.pop()
        if current == container.id:
            return True
        for part in parts.get(current, []):
            holders = [_holding_component(model, part),
                       *(getattr(model.get(p), "type", None) for p in deployed_on.get(part.id, []))]
            for holder in holders:
                if holder and holder not in seen and isinstance(model.get(holder), Block):
                    seen.add(holder)
                    todo.append(holder)
    return False


def _holding_component(model: Model, part: Part) -> str | None:
    """The component holding a part, directly or through component packages inside it."""
    holder = model.get(part.owner)
    while isinstance(holder, Package) and _structural(holder):
        holder = model.get(holder.owner)
    return holder.id if isinstance(holder, Block) else None


def _allocating_components(model: Model) -> dict[str, list[Block]]:
    """Function id -> the components it is allocated to."""
    def gather() -> dict[str, list[Block]]:
        found: dict[str, list[Block]] = {}
        for _, function, component in _function_allocations(model):
            found.setdefault(function.id, []).append(component)
        return found
    return shared(("capella allocating components", id(model)), gather)


@rule("AR173", "error", "component port allocates a function port its component does not hold", domain="architecture")
def port_allocation_outside_component(model: Model) -> Iterator[Diagnostic]:
    """A component port allocates function ports of functions that its component, one of its
    sub-components or a component deployed on it allocates (Capella's DWF_DC_14,
    MDCHK_ComponentPort_PortAllocation); a port allocation to anything but a function port is wrong too.
    One finding per port allocation."""
    allocating = _allocating_components(model)
    for relation in of_kind(model, Relation):
        port = model.get(relation.owner)
        if relation.properties.get("metaclass") != "PortAllocation" or not isinstance(port, Port) or \
                port.stereotype != "ComponentPort" or port.id not in relation.targets:
            continue
        component = model.get(port.owner)
        for allocated_id in relation.sources:
            allocated = model.get(allocated_id)
            if allocated is None or isinstance(allocated, Unmapped) or not isinstance(component, Block):
                continue  # a reference to nothing is AR101's; a kind Salver does not import cannot be judged
            if isinstance(allocated, Port) and allocated.port_kind == "function" or _is_function(allocated):
                function = allocated if _is_function(allocated) else model.get(allocated.owner)
                if not _is_function(function) or any(_within(model, c, component)
                                                      for c in allocating.get(function.id, [])):
                    continue
                problem = (f"allocates {allocated.kind} {_named(allocated)} of function {_named(function)}, which "
                           f"neither {_named(component)} nor a component within it allocates")
                related: tuple[str, ...] = (relation.id, allocated.id)
            else:
                problem = f"allocates {allocated.kind} {_named(allocated)}, which is not a function port"
                related = (relation.id,)  # the element allocated by mistake is not at fault
            yield Diagnostic("AR173", "error", f"component port {_named(port)} of {_named(component)}"
                             f"{_layer(model, port)} {problem}", port.id, port.name, related=related)


def _ancestors(model: Model, start: Element) -> list[str]:
    """The elements above a part or component, nearest first, as Capella's
    ComponentExt.getFirstCommonComponentOrPkgAncestor goes up: a part to the component or component package
    holding it, a component to the parts typed by it, a package to the component or package holding it."""
    parts = _parts_by_type(model)
    order, seen = [start.id], {start.id}
    index = 0
    while index < len(order):
        current = model[order[index]]
        index += 1
        if isinstance(current, Block):
            above = [p.id for p in parts.get(current.id, [])]
        else:
            holder = model.get(current.owner)
            above = [holder.id] if isinstance(holder, Block | Package) and _structural(holder) else []
        for up in above:
            if up not in seen:
                seen.add(up)
                order.append(up)
    return order


def _structural(element: Element) -> bool:
    """A component or a component package (where Capella keeps components, parts and their exchanges)."""
    kind = element.properties.get("metaclass", "") if isinstance(element, Package) else _kind(element)
    return kind in COMPONENT_KINDS or kind.endswith("ComponentPkg") or kind in ("EntityPkg", "ConfigurationItemPkg")


def _end_element(model: Model, connector: Connector, index: int) -> Element | None:
    """The part (or, for a component no part represents, the component) at one end of a connector; None
    when the end's component has several parts, as the end does not say which."""
    end = connector.ends[index]
    if end.part_with_port:
        return model.get(end.part_with_port)
    element = model.get(end.role)
    component = model.get(element.owner) if isinstance(element, Port) else element
    if isinstance(component, Part):
        return component
    if not isinstance(component, Block):
        return None
    parts = _parts_by_type(model).get(component.id, [])
    return parts[0] if len(parts) == 1 else component if not parts else None


def _default_container(model: Model, connector: Connector) -> Element | None:
    """Where Capella puts a connector between two parts: their first common component or component
    package (a part standing for its type); the architecture's top component package when they have none."""
    ends = [_end_element(model, connector, i) for i in (0, 1)]
    if ends[0] is None or ends[1] is None:
        return None
    above_target = set(_ancestors(model, ends[1]))
    common = next((model[a] for a in _ancestors(model, ends[0]) if a in above_target), None)
    if isinstance(common, Part):
        common = model.get(common.type)
    if common is None:
        return _top_packages(model).get(architecture(model, connector) or "")
    return common


def _top_packages(model: Model) -> dict[str, Package]:
    """Architecture id -> its component package (the first one, as Capella's BlockArchitectureExt.getComponentPkg)."""
    def gather() -> dict[str, Package]:
        found: dict[str, Package] = {}
        for package in of_kind(model, Package):
            holder = model.get(package.owner)
            if holder is not None and holder.properties.get("layer") in LEVELS and _structural(package):
                found.setdefault(holder.id, package)
        return found
    return shared(("capella top component packages", id(model)), gather)


@rule("AR174", "warning", "component exchange or physical link not held by the common ancestor of its ends",
      domain="architecture")
def connector_out_of_place(model: Model) -> Iterator[Diagnostic]:
    """A component exchange or physical link is held by the first component or component package above
    both its ends (Capella's DWF_DC_18, ComponentExchange_Location, and DWF_DC_19, PhysicalLink_Location;
    both off by default in Capella)."""
    for connector in of_kind(model, Connector):
        metaclass = connector.properties.get("metaclass")
        if metaclass not in ("ComponentExchange", "CommunicationMean", "PhysicalLink") or len(connector.ends) != 2:
            continue
        container = _default_container(model, connector)
        if container is None or container.id == connector.owner:
            continue
        owner = model.get(connector.owner)
        noun = "physical link" if metaclass == "PhysicalLink" else "component exchange"
        yield Diagnostic("AR174", "warning", f"{noun} {_named(connector)}{_layer(model, connector)} is held by "
                         f"{_named(owner) if owner else 'nothing'}, not by {_named(container)}, the first "
                         "component or component package above both its ends", connector.id, connector.name,
                         related=(container.id,))


def _interfaces_of(model: Model, component: Block, ports: dict[str, list[Port]]) -> list[str]:
    """The interfaces a component implements, uses, and provides or requires through its ports."""
    found = [*_listed(component, "implementedInterfaces"), *_listed(component, "usedInterfaces")]
    for port in ports.get(component.id, []):
        found += [*_listed(port, "requiredInterfaces"), *_listed(port, "providedInterfaces")]
    return list(dict.fromkeys(found))


@rule("AR175", "error", "component uses, implements, provides or requires an interface of a lower level",
      domain="architecture")
def interface_of_lower_level(model: Model) -> Iterator[Diagnostic]:
    """A component's interfaces (used, implemented, provided or required by its ports) are of its level or
    an upper one (Capella's DWF_I_07, MDCHK_Component_InterfaceLevel, and DWF_I_04,
    MDCHK_Component_Interfaces_Level, which checks uses and implementations from the interface). One
    finding per component, listing those interfaces."""
    ports: dict[str, list[Port]] = {}
    for port in of_kind(model, Port):
        if port.stereotype == "ComponentPort" and port.owner:
            ports.setdefault(port.owner, []).append(port)
    for component in of_kind(model, Block):
        if component.stereotype not in COMPONENT_KINDS:
            continue
        own = level(model, component)
        lower = [i for i in _interfaces_of(model, component, ports) if isinstance(model.get(i), Interface)
                 and own is not None and (level(model, model[i]) or 0) > own]
        if lower:
            names = ", ".join(f"{_named(model[i])}{_layer(model, model[i])}" for i in lower)
            yield Diagnostic("AR175", "error", f"{component.stereotype} {_named(component)}{_layer(model, component)} "
                             f"has interfaces of a lower level: {names}", component.id, component.name,
                             related=tuple(lower))


@rule("AR176", "error", "interface package in the EPBS architecture", domain="architecture")
def interface_package_in_epbs(model: Model) -> Iterator[Diagnostic]:
    """The EPBS architecture holds no interface package (Capella's DWF_I_06, MDCHK_InterfacePkg_Location_1)."""
    for package in of_kind(model, Package):
        holder = model.get(package.owner)
        if package.properties.get("metaclass") == "InterfacePkg" and holder is not None and \
                holder.properties.get("layer") == "EPBSArchitecture":
            yield Diagnostic("AR176", "error", f"interface package {_named(package)} is held by the EPBS "
                             f"architecture {_named(holder)}, which has no interfaces", package.id, package.name)


def _current_or_upper(item: int, current: int) -> bool:
    """Whether an element of level ``item`` may be used at level ``current`` (Capella's
    CapellaLayerCheckingExt.isElementFromCurrentOrUpperLayer): the EPBS uses its own elements only."""
    return item == EPBS if current == EPBS else item <= current


@rule("AR177", "warning", "interface allocates an exchange item of a lower level", domain="architecture")
def exchange_item_of_lower_level(model: Model) -> Iterator[Diagnostic]:
    """An interface's exchange item allocations allocate exchange items of its level or an upper one
    (Capella's DWF_I_12, EIAAllocatedItemLayerConsistency). One finding per exchange item allocation."""
    for interface in of_kind(model, Interface):
        if interface.properties.get("metaclass") != "Interface":
            continue
        current = level(model, interface)
        for allocation in interface.flow_properties:
            item = model.get(allocation.type)
            if current is None or not isinstance(item, Interface) or \
                    item.properties.get("metaclass") != "ExchangeItem":
                continue
            item_level = level(model, item)
            if item_level is not None and not _current_or_upper(item_level, current):
                yield Diagnostic("AR177", "warning", f"interface {_named(interface)}{_layer(model, interface)} "
                                 f"allocates exchange item {_named(item)}{_layer(model, item)}, of a lower level",
                                 interface.id, interface.name,
                                 related=tuple(i for i in (allocation.id, item.id) if i))



def _holding_block(model: Model, element: Element) -> Block | None:
    """The component whose packages hold ``element`` (an interface, an exchange item), None when the
    architecture's own packages hold it; worked out once per package."""
    def component_or_layer(owner: Element) -> object:
        if isinstance(owner, Block):
            return owner
        return None if owner.properties.get("layer") in LEVELS else _GO_ON
    known = shared(("capella holding components", id(model)), dict)
    return _nearest(model, element, known, component_or_layer)  # type: ignore[return-value]


def _above(model: Model, component: Block) -> set[str]:
    """The component and the components holding it, through component packages (Capella's
    CapellaElementExt.getComponentHierarchy, the component itself added)."""
    found, current = set(), model.get(component.id)
    while current is not None and current.id not in found and not current.properties.get("layer"):
        if isinstance(current, Block):
            found.add(current.id)
        current = model.get(current.owner)
    return found


def _communication_items(model: Model) -> dict[str, list[str]]:
    """Component id -> the exchange items its communication links name."""
    def gather() -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for relation in of_kind(model, Relation):
            if relation.relation == "communication" and relation.owner:
                found.setdefault(relation.owner, []).extend(relation.targets)
        return found
    return shared(("capella communication items", id(model)), gather)


@rule("AR178", "warning", "component uses an interface or exchange item outside what it can see", domain="architecture")
def interface_out_of_sight(model: Model) -> Iterator[Diagnostic]:
    """A component uses, implements, provides or requires (through its ports) only interfaces that its
    level's interface packages hold, or those of the components above it, or its own, or an upper level's;
    its communication links name exchange items of its level or an upper one (Capella's DWF_I_13,
    InterfaceAndExchangeItemsLocationConsistency with the business queries listing what each may name;
    interfaces of a lower level are AR175's). One finding per component."""
    ports: dict[str, list[Port]] = {}
    for port in of_kind(model, Port):
        if port.stereotype == "ComponentPort" and port.owner:
            ports.setdefault(port.owner, []).append(port)
    items = _communication_items(model)
    for component in of_kind(model, Block):
        own = level(model, component) if component.stereotype in COMPONENT_KINDS else None
        if own is None:
            continue
        causes: list[tuple[str, str]] = []
        above: set[str] | None = None
        for interface_id in _interfaces_of(model, component, ports):
            interface = model.get(interface_id)
            holder = _holding_block(model, interface) if isinstance(interface, Interface) else None
            if holder is None or level(model, interface) != own:
                continue
            above = _above(model, component) if above is None else above
            if holder.id not in above:
                causes.append((interface_id, f"{_named(interface)}, held by {_named(holder)}, which is not above it"))
        for item_id in dict.fromkeys(items.get(component.id, [])):
            item = model.get(item_id)
            if isinstance(item, Interface) and (level(model, item) or 0) > own:
                causes.append((item_id, f"exchange item {_named(item)}{_layer(model, item)}, of a lower level"))
        if causes:
            yield Diagnostic("AR178", "warning", f"{component.stereotype} {_named(component)}"
                             f"{_layer(model, component)} uses what it cannot see: "
                             f"{'; '.join(text for _, text in causes)}", component.id, component.name,
                             related=tuple(i for i, _ in causes))

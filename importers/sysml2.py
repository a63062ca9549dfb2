"""SysML v2 textual notation import (``.sysml``), for the subset :mod:`importers.sysml2_parse` reads.

Mapping: ``package`` -> Package; ``part def``/``item def`` -> Block; ``port def`` -> Interface whose
directed features are its flow properties; ``interface def``/``connection def`` -> Block (stereotype
``interface def``) whose ``end`` features are reference parts; ``attribute def`` -> ValueType; part,
item and attribute usages -> Part (attributes as values with their default); port usages -> Port;
``connect a.p to b.q`` (alone or in an interface or connection usage) -> Connector with the ends
resolved through the parts; ``flow``/``stream`` ``from a.p.x to b.q.y`` -> ItemFlow between the ports
(or parts) the ends reach, conveying its ``of`` item or the named flow property's type;
``requirement def``/``requirement`` -> Requirement (short name as id, doc as text); ``satisfy R by X`` -> Relation
``satisfy``; ``doc`` -> the owner's documentation.

Names resolve through the enclosing namespaces and their imports. A package imported from another
``.sysml`` file in the same folder is read from there; names of library packages that are not found
(``ISQ::torque``) become external value types. Everything else is counted in the report per keyword.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from importers.files import read_limited
from importers.report import ImportReport
from importers.sysml2_exec import Execution
from importers.sysml2_lex import tokenize
from importers.sysml2_parse import Node, parse
from importers.unmapped import UnmappedCounter
from metamodel.elements import (
    Block,
    Connector,
    ConnectorEnd,
    Element,
    FlowProperty,
    Interface,
    ItemFlow,
    Package,
    Part,
    Port,
    Relation,
    Requirement,
    ValueType,
)
from metamodel.errors import ParseError
from metamodel.model import Model

MAX_FILE_BYTES = 16 * 1024 * 1024
MAX_SIBLING_FILES = 200
LIBRARY_PREFIX = "library:"
REASONS = {
    "flow": "flows written without their ends are not imported",
    "flow between features that are not imported": "flows between action parameters are not imported",
    "import": "imports are used to resolve names; the import itself is not an element",
    "redefinition": "redefinitions (:>>, part redefines x) are not imported",
    "feature without direction in port def": "only directed features of a port def are flow properties",
    "feature": "features without a type are not imported",
    "name from a library package": "library packages are not read; kept as external value types",
    "connection without connect": "connection and interface usages without 'connect' have no ends",
    "end of a connection without connect": "the ends of such a connection are not imported",
    "binding of parts": "bindings between parts, ports or items (their identity, not a value) are not imported",
}


def load(path: str | os.PathLike[str]) -> tuple[Model, ImportReport]:
    """Import a SysML v2 textual model (``.sysml``)."""
    report = ImportReport(source=str(path), format="sysml2")
    nodes = read_nodes(Path(path))
    model = Sysml2Mapper(Path(path), report).run(nodes)
    model.source_path = str(path)
    return model, report


def read_nodes(path: Path) -> list[Node]:
    """Read, tokenize and parse one file; unreadable or malformed text raises ``ParseError``."""
    try:
        text = read_limited(path, MAX_FILE_BYTES).decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ParseError(f"not UTF-8 text (byte {exc.start})", file=str(path)) from None
    return parse(tokenize(text, str(path)), str(path))


@dataclass
class _Scope:
    """A namespace: its members by name, its imports and what it specializes (a definition) or subsets
    (a usage)."""

    members: dict[str, str] = field(default_factory=dict)
    imports: list[str] = field(default_factory=list)
    supertypes: list[str] = field(default_factory=list)


class Sysml2Mapper:
    """Maps parsed statements onto a ``Model``; use once: ``Sysml2Mapper(path, report).run(nodes)``."""

    def __init__(self, path: Path, report: ImportReport) -> None:
        self.path = path
        self.report = report
        self.model = Model(name=path.stem)
        self.unmapped = UnmappedCounter(dict(REASONS))
        self.scopes: dict[str | None, _Scope] = {None: _Scope()}
        self.parents: dict[str, str | None] = {}
        self.pending: list[tuple[Element, Node, str | None, Path]] = []  # references resolved at the end
        self.flows: list[tuple[Node, str | None, Path]] = []  # made item flows once their ends resolve
        self.skipped: dict[str | None, set[str]] = {}  # per owner: names of usages not imported (actions, …)
        self.binds: list[tuple[Node, str | None, Path]] = []  # equations unless their ends are items
        self.external_lines: dict[str, int] = {}
        self.current_file = path
        self.read_files: set[Path] = {path.resolve()}
        self.execution = Execution(self)

    def run(self, nodes: list[Node]) -> Model:
        self._members(nodes, None)
        self._read_imported_packages()
        typed_first = sorted(self.pending, key=lambda item: not isinstance(item[0], Part | Port | Requirement))
        for element, node, scope, source in typed_first:  # features' types first: chains go through them
            self.current_file = source
            self._resolve(element, node, scope)
        for node, scope, source in self.flows:
            self.current_file = source
            self._flow(node, scope)
        for node, scope, source in self.binds:
            self.current_file = source
            self.execution.bind(node, scope)
        self.current_file = self.path
        for element in self.model.elements.values():
            if isinstance(element, Port):
                self._derive_port(element)
        self.unmapped.report_to(self.report)
        return self.model

    # -- creation -----------------------------------------------------------------------------------
    def _members(self, nodes: list[Node], owner: str | None) -> None:
        for node in nodes:
            self._node(node, owner)

    def _node(self, node: Node, owner: str | None) -> None:
        keyword = node.keyword
        holder = self.model.get(owner)
        if self.execution.handles(node):
            self.execution.node(node, owner)
        elif keyword == "doc":
            if holder is None:
                self.model.doc = f"{self.model.doc}\n{node.text}".strip()
            else:
                holder.doc = f"{holder.doc}\n{node.text}".strip()
        elif keyword == "import":
            self.scopes[owner].imports.append(node.target)
            self._count("import", node, node.target)
        elif keyword == "skipped":
            self._count(node.name, node, "")
            if node.text:
                self.skipped.setdefault(owner, set()).add(node.text)
            if node.flows:
                what = f"{node.name} {node.text!r}" if node.text else node.name
                self.report.add(f"{node.flows} flow{'s' if node.flows > 1 else ''} inside {what} not imported: "
                                "flows between the parameters of actions are behaviour, which is not imported",
                                node.text or node.name, self._file_line(node))
        elif keyword == "package":
            self._create(Package(self._id(node, owner), node.name, owner=owner), node, owner)
        elif keyword in ("part def", "item def"):
            self._create(Block(self._id(node, owner), node.name, owner=owner, is_abstract="abstract" in node.prefixes,
                               stereotype=keyword), node, owner)
        elif keyword in ("interface def", "connection def"):
            self._create(Block(self._id(node, owner), node.name, owner=owner, stereotype=keyword), node, owner)
        elif keyword == "attribute def":
            self._create(ValueType(self._id(node, owner), node.name, owner=owner), node, owner)
        elif keyword == "port def":
            self._create(Interface(self._id(node, owner), node.name, owner=owner), node, owner)
        elif keyword in ("requirement def", "requirement"):
            properties = {"keyword": keyword}
            if keyword == "requirement" and (node.direction or node.redefines and not node.name):
                properties["parameter"] = "true"  # 'in requirement r : R;', ':>> r = s': names a requirement
            self._create(Requirement(self._id(node, owner), node.name or node.short_name, owner=owner,
                                     req_id=node.short_name, properties=properties), node, owner)
        elif keyword == "satisfy":
            relation = Relation(self._id(node, owner), "", owner=owner, relation="satisfy")
            self._create(relation, node, owner, scope_member=False)
        elif isinstance(holder, Interface) and keyword in ("feature", "attribute", "item"):
            self._flow_property(node, holder, owner)
        elif keyword in ("part", "item", "port") and node.redefines and not node.name:
            self._count("redefinition", node, node.redefines[0])  # 'part redefines eng { … }'
        elif keyword in ("part", "item", "attribute", "feature"):
            self._part(node, owner)
        elif keyword == "port":
            port = Port(self._id(node, owner), node.name, owner=owner, direction=node.direction or "inout",
                        port_kind="proxy", conjugated=node.conjugated, stereotype="port")
            self._bounds(port, node)
            self._create(port, node, owner)
        elif keyword == "flow":
            self.flows.append((node, owner, self.current_file))
        elif keyword == "connect" or (keyword in ("interface", "connection") and node.ends):
            self._create(Connector(self._id(node, owner), node.name, owner=owner), node, owner,
                         scope_member=bool(node.name))
        else:
            self._count("connection without connect", node, node.name)
            for child in node.children:
                if "end" in child.prefixes:
                    self._count("end of a connection without connect", child, child.name)
                else:
                    self._node(child, owner)

    def _part(self, node: Node, owner: str | None) -> None:
        keyword = node.keyword
        if keyword == "feature" and "end" not in node.prefixes and not node.types and not node.subsets:
            self._count("redefinition" if node.redefines else "feature", node, node.name)
            return
        aggregation = "value" if keyword == "attribute" else \
            "reference" if {"ref", "end"} & node.prefixes else "part"
        stereotype = "end" if "end" in node.prefixes else keyword
        part = Part(self._id(node, owner), node.name, owner=owner, aggregation=aggregation, default=node.default,
                    stereotype=stereotype)
        self._bounds(part, node)
        self._create(part, node, owner)

    def _flow_property(self, node: Node, interface: Interface, owner: str | None) -> None:
        if not node.direction:
            self._count("feature without direction in port def", node, node.name)
            return
        member_id = self._id(node, owner)
        interface.flow_properties.append(FlowProperty(node.name, node.direction, id=member_id))
        self.scopes[owner].members[node.name] = member_id
        self.pending.append((interface, node, owner, self.current_file))
        self._line(member_id, node)

    def _create(self, element: Element, node: Node, owner: str | None, scope_member: bool = True) -> None:
        if element.id in self.model.elements:
            self.report.add(f"{node.keyword} {node.name!r} is declared twice in one namespace; the second one "
                            "is imported under another id", node.name, self._file_line(node))
            element.id = f"{element.id}@{self.current_file.name}:{node.line}"
        self.model.add(element)
        self._line(element.id, node)
        self.scopes[element.id] = _Scope(supertypes=list(node.subsets))
        self.parents[element.id] = owner
        if scope_member and node.name:
            self.scopes[owner].members.setdefault(node.name, element.id)
        if node.keyword.endswith(" def"):
            for number, supertype in enumerate(node.subsets):  # 'part def A :> B': A has B's features too
                relation = Relation(f"{element.id}::specializes@{number}", "", owner=element.id,
                                    relation="specialization")
                self._create(relation, Node("specialization", node.line, target=supertype), element.id,
                             scope_member=False)
        self.pending.append((element, node, owner, self.current_file))
        self._members(node.children, element.id)

    def _id(self, node: Node, owner: str | None) -> str:
        name = node.name or f"{node.keyword}@{node.line}"
        return f"{owner}::{name}" if owner else name

    def _bounds(self, element: Part | Port, node: Node) -> None:
        if node.multiplicity is not None:
            element.lower, element.upper = node.multiplicity

    def _count(self, label: str, node: Node, name: str) -> None:
        self.unmapped.count(label, self._file_line(node), name)

    def _file_line(self, node: Node) -> int | None:
        return node.line if self.current_file == self.path else None

    def _line(self, element_id: str, node: Node) -> None:
        if self.current_file == self.path:
            self.report.lines[element_id] = node.line

    # -- other files --------------------------------------------------------------------------------
    def _read_imported_packages(self) -> None:
        """Read packages imported but not defined here from ``.sysml`` files beside this one."""
        wanted = self._missing_imports()
        if not wanted:
            return
        siblings = sorted(p for p in self.path.parent.glob("*.sysml") if p.resolve() not in self.read_files)
        for sibling in siblings[:MAX_SIBLING_FILES]:
            if not wanted:
                return
            try:
                nodes = read_nodes(sibling)
            except ParseError as exc:
                self.report.add(f"neighbouring file not read: {exc}", sibling.name)
                continue
            provides = {n.name for n in nodes if n.keyword == "package"} & wanted
            if not provides:
                continue
            self.read_files.add(sibling.resolve())
            self.current_file = sibling
            self._members(nodes, None)
            self.current_file = self.path
            self.report.add(f"imported package {', '.join(sorted(repr(p) for p in provides))} read from "
                            f"{sibling.name}", severity="info")
            wanted = self._missing_imports()

    def _missing_imports(self) -> set[str]:
        first_segments = {i.split("::")[0] for scope in self.scopes.values() for i in scope.imports}
        return {name for name in first_segments if name not in self.scopes[None].members}

    # -- resolution ---------------------------------------------------------------------------------
    def _resolve(self, element: Element, node: Node, scope: str | None) -> None:
        if isinstance(element, Part | Port | Requirement):
            name = (node.types or node.subsets or [""])[0]
            element.type = self._type(name, scope, node) if name else None
        elif isinstance(element, Interface):
            for flow_property in element.flow_properties:
                if flow_property.id == self._id(node, scope):
                    name = (node.types or node.subsets or [""])[0]
                    flow_property.type = self._type(name, scope, node) if name else None
        elif isinstance(element, Connector):
            type_name = (node.types or [""])[0]
            element.type = self._type(type_name, scope, node) if type_name else None
            element.ends = [self._end(chain, scope, node) for chain in node.ends]
        elif isinstance(element, Relation):
            target = self._chain(node.target, scope)
            source = self._chain(node.by, scope) if node.by else [scope] if scope else []
            element.targets = [target[-1]] if target else [self._external(node.target, node)]
            element.sources = [source[-1]] if source else [self._external(node.by, node)]

    def _flow(self, node: Node, scope: str | None) -> None:
        """An item flow between the ports (or parts) its ends reach; what it conveys: its ``of`` item, else
        the type of the flow property an end names. An end that is not found is an error; ends that reach
        neither a port nor a part are counted, not imported."""
        ends = [self._chain(chain, scope) for chain in node.ends]
        for chain, found in zip(node.ends, ends, strict=True):
            if not found and self._through_skipped(chain, scope):
                self._count("flow through a usage that is not imported", node, chain)
                return
            if not found:
                self.report.add(f"flow end {chain!r} not found", node.name or node.keyword, self._file_line(node),
                                "error")
                return
        reached = [next((self.model.get(i) for i in reversed(found) if isinstance(self.model.get(i), Port)), None)
                   or next((self.model.get(i) for i in reversed(found) if isinstance(self.model.get(i), Part)), None)
                   for found in ends]
        if None in reached:
            self._count("flow between features that are not imported", node, node.name)
            return
        conveyed = [self._type(name, scope, node) for name in node.types]
        if not conveyed:
            conveyed = [fp.type for found, end in zip(ends, reached, strict=True)
                        for fp in self._flow_properties(end) if fp.id == found[-1] and fp.type][:1]
        flow = ItemFlow(self._id(node, scope), node.name, owner=scope, conveyed=conveyed,
                        source=reached[0].id, target=reached[1].id, properties={"keyword": "flow"})
        self.model.add(flow)
        self._line(flow.id, node)

    def _through_skipped(self, chain: str, scope: str | None) -> bool:
        """Whether a feature chain that is not found goes through a usage Salver does not import (an
        action, a state…): ``pusher.behavior.output`` where ``behavior`` is an action of ``pusher``."""
        steps = chain.split(".")
        found = self._lookup(steps[0], scope)
        if found is None:  # a usage not imported in the scope or a namespace around it
            owner, seen = scope, set()
            while owner is not None and owner not in seen:
                seen.add(owner)
                if steps[0] in self.skipped.get(owner, ()):
                    return True
                element = self.model.get(owner)
                owner = element.owner if element is not None else None
            return steps[0] in self.skipped.get(None, ())
        for step in steps[1:]:
            member = self._feature(found, step)
            if member is None:
                element = self.model.get(found)
                owners = (found, getattr(element, "type", None))
                return any(step in self.skipped.get(owner, ()) for owner in owners if owner)
            found = member
        return False

    def is_item(self, chain: str, scope: str | None) -> bool:
        """Whether a feature chain ends at a part, item or port, or at a flow property of a port that
        carries an item (not a value)."""
        found = self._chain(chain, scope)
        last = self.model.get(found[-1]) if found else None
        if isinstance(last, Port) or (isinstance(last, Part) and last.aggregation != "value"):
            return True
        holder = self.model.get(found[-2]) if len(found) > 1 else None
        if not isinstance(holder, Part | Port):
            return False
        return any(fp.id == found[-1] and not isinstance(self.model.get(fp.type), ValueType)
                   for fp in self._flow_properties(holder))

    def _flow_properties(self, end: Part | Port) -> list[FlowProperty]:
        interface = self.model.get(end.type)
        return interface.flow_properties if isinstance(interface, Interface) else []

    def _type(self, name: str, scope: str | None, node: Node) -> str:
        found = self._chain(name, scope)
        return found[-1] if found else self._external(name, node)

    def _end(self, chain: str, scope: str | None, node: Node) -> ConnectorEnd:
        found = self._chain(chain, scope)
        if not found:
            self.report.add(f"connector end {chain!r} not found", node.name or node.keyword, self._file_line(node),
                            "error")
            return ConnectorEnd(chain)
        parts = found[:-1]
        return ConnectorEnd(found[-1], parts[-1] if parts else None, parts if len(parts) > 1 else [])

    def _chain(self, chain: str, scope: str | None) -> list[str]:
        """The ids along ``a::b.c.d``: the qualified name, then each feature through the owner's type."""
        steps = chain.split(".")
        first = self._lookup(steps[0], scope)
        if first is None:
            return []
        found = [first]
        for step in steps[1:]:
            member = self._feature(found[-1], step)
            if member is None:
                return []
            found.append(member)
        return found

    def _feature(self, element_id: str, name: str) -> str | None:
        """A feature named ``name`` of a usage (its own body first, then its type) or definition."""
        element = self.model.get(element_id)
        candidates = [element_id]
        type_id = getattr(element, "type", None)
        if type_id:
            candidates.append(type_id)
        for candidate in candidates:
            found = self._member(candidate, name, set())
            if found is not None:
                return found
        return None

    def _member(self, namespace: str, name: str, seen: set[str]) -> str | None:
        """A member of ``namespace`` or one it inherits: from what a definition specializes, and from the
        type and the subsetted features of a usage (``part b : B { connect f.a to a.g; }`` sees B's)."""
        if namespace in seen or namespace not in self.scopes:
            return None
        seen.add(namespace)
        scope = self.scopes[namespace]
        if name in scope.members:
            return scope.members[name]
        type_id = getattr(self.model.get(namespace), "type", None)
        if type_id:
            found = self._member(type_id, name, seen)
            if found is not None:
                return found
        for supertype in scope.supertypes:
            found = self._chain(supertype, self.parents.get(namespace))
            if found:
                member = self._member(found[-1], name, seen)
                if member is not None:
                    return member
        return None

    def _lookup(self, qualified: str, scope: str | None) -> str | None:
        """A qualified name seen from ``scope``: its first segment through the enclosing namespaces and
        their imports, the rest as members."""
        segments = qualified.split("::")
        current = self._visible(segments[0], scope)
        for segment in segments[1:]:
            if current is None:
                return None
            current = self._member(current, segment, set())
        return current

    def _visible(self, name: str, scope: str | None) -> str | None:
        for namespace in self._enclosing(scope):
            found = self._member(namespace, name, set()) if namespace else self.scopes[None].members.get(name)
            if found is not None:
                return found
            for imported in self.scopes[namespace].imports:
                found = self._imported(imported, name, namespace)
                if found is not None:
                    return found
        return None

    def _imported(self, imported: str, name: str, namespace: str | None = None) -> str | None:
        """``name`` through an import: ``P::*`` (members of P), ``P::**`` (recursively), ``P::name``; ``P`` is
        looked up from the root, then from the namespaces around the import."""
        head, _, tail = imported.rpartition("::")
        if tail == name and head:
            return self._lookup(imported, None) or self._relative(imported, namespace)
        if tail not in ("*", "**") or not head:
            return None
        package = self._lookup(head, None) or self._relative(head, namespace)
        if package is None:
            return None
        found = self._member(package, name, set())
        if found is None and tail == "**":
            nested = [m for m in self.scopes[package].members.values() if isinstance(self.model.get(m), Package)]
            found = next((f for f in (self._imported(f"{self._qualified(m)}::**", name) for m in nested) if f), None)
        return found

    def _relative(self, qualified: str, namespace: str | None) -> str | None:
        """A qualified name as members of the namespaces around ``namespace`` (imports not followed)."""
        first, *rest = qualified.split("::")
        for outer in self._enclosing(namespace):
            current = self._member(outer, first, set()) if outer else self.scopes[None].members.get(first)
            for segment in rest:
                current = self._member(current, segment, set()) if current is not None else None
            if current is not None:
                return current
        return None

    def _qualified(self, element_id: str) -> str:
        names = []
        current: str | None = element_id
        while current is not None:
            names.append(self.model.elements[current].name)
            current = self.parents.get(current)
        return "::".join(reversed(names))

    def _enclosing(self, scope: str | None) -> Iterator[str | None]:
        while scope is not None:
            yield scope
            scope = self.parents.get(scope)
        yield None

    def _external(self, name: str, node: Node) -> str:
        """A name not defined in the files read: an external value type (library or unknown)."""
        key = LIBRARY_PREFIX + name
        if key not in self.model.elements:
            self.model.add(ValueType(key, name.split("::")[-1].split(".")[-1], href=name))
            if "::" in name:
                self._count("name from a library package", node, name)
            else:
                self.report.add(f"name {name!r} is not defined in this file or the .sysml files beside it; kept "
                                "as an external value type", node.name or node.keyword, self._file_line(node))
        return key

    def _derive_port(self, port: Port) -> None:
        """Flow type and direction from the port def the port is typed by."""
        type_element = self.model.get(port.type)
        if type_element is None:
            return
        port.flow_type = type_element.name
        if isinstance(type_element, Interface) and port.direction == "inout":
            directions = {fp.direction for fp in type_element.flow_properties}
            port.direction = directions.pop() if len(directions) == 1 else "inout"

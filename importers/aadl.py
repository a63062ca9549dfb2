"""AADL v2 textual models (``.aadl``), parsed with the lark grammar ``aadl.lark`` beside this module.

Packages imported with ``with`` are read from the other ``.aadl`` files of the model's folder (an OSATE
project); OSATE's predeclared packages (Base_Types, Data_Model, …) are a library. Mapping:

- package → Package; component type → Block (its category as stereotype, ``thread``); component
  implementation → Block (``thread implementation``) with a ``realization`` relation to its type;
- features → Port of the type (direction; ``flow_type`` the data classifier; ``port_kind`` data port,
  event port, event data port, parameter, requires/provides … access, feature group, feature);
- subcomponents → Part typed by their classifier; connections → directed Connector (source first);
- flows → FlowSpec: specifications (source, sink, path) on the type, end-to-end flows on the
  implementation with their steps; modes and mode transitions → Behavior;
- property associations → ``properties`` of the element they apply to, as written (names lowercased,
  property set prefix dropped: ``latency``, ``period``, ``compute_execution_time``).

Call sequences, prototypes, annexes and connections to subprogram calls are counted in the report.
"""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass
from pathlib import Path

from lark import Lark, Token, Tree
from lark.exceptions import LarkError, UnexpectedInput

from importers.report import ImportReport
from importers.unmapped import UnmappedCounter
from metamodel.elements import (
    Behavior,
    Block,
    Connector,
    ConnectorEnd,
    Element,
    FlowSpec,
    FlowStep,
    Package,
    Part,
    Port,
    Relation,
    ValueType,
)
from metamodel.errors import ParseError
from metamodel.model import Model
from metamodel.validation.aadl_rules import MISSING_PACKAGE

GRAMMAR = Path(__file__).with_name("aadl.lark")
MAX_FILE_BYTES = 50 * 1024 * 1024
# packages and property sets OSATE predeclares: their classifiers are a library
PREDECLARED = {"base_types", "data_model", "aadl_project", "deployment_properties", "thread_properties",
               "timing_properties", "communication_properties", "memory_properties", "programming_properties",
               "modeling_properties", "arinc653", "arinc429", "physical", "sei"}
_PACKAGE = re.compile(r"^\s*(?:package\s+([\w:]+)|property\s+set\s+(\w+)\s+is\b)", re.I | re.M)
REASONS = {"call sequence": "subprogram call sequences are not imported",
           "connection to a subprogram call": "connections to subprogram calls (call sequences) are not imported",
           "annex": "annex subclauses (behaviour, error model, …) are not imported",
           "prototype": "prototypes are not imported",
           "refinement": "refinements (refined to) only change properties; kept on the refined element's name"}


@functools.cache
def parser() -> Lark:
    """The LALR parser of ``aadl.lark`` (built once per process)."""
    return Lark(GRAMMAR.read_text(encoding="utf-8"), parser="lalr", propagate_positions=True,
                maybe_placeholders=False)


@dataclass
class _Source:
    path: Path
    text: str
    tree: Tree


@dataclass
class _Classifier:
    package: str
    name: str  # Name or Type.Impl
    category: str
    tree: Tree
    source: Path

    @property
    def id(self) -> str:
        return f"{self.package}::{self.name}"

    @property
    def is_impl(self) -> bool:
        return "." in self.name


def load(path: str | os.PathLike[str]) -> tuple[Model, ImportReport]:
    """Import an AADL model: the file and the packages it uses from the files beside it."""
    report = ImportReport(source=str(path), format="aadl")
    missing: dict[str, list[str]] = {}
    sources = _read_with_imports(Path(path), report, missing)
    model = _Mapper(sources, report, missing).run(Path(path).stem)
    model.source_path = str(path)
    return model, report


def _parse(path: Path) -> _Source:
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise ParseError(f"file larger than {MAX_FILE_BYTES // 2**20} MiB", file=str(path))
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise ParseError(f"cannot read file: {exc.strerror}", file=str(path)) from None
    try:
        return _Source(path, text, parser().parse(text))
    except UnexpectedInput as exc:
        raise ParseError(f"AADL syntax: {str(exc).splitlines()[0]}", file=str(path), line=exc.line,
                         column=exc.column) from None
    except LarkError as exc:
        raise ParseError(f"AADL syntax: {exc}", file=str(path)) from None


def _read_with_imports(path: Path, report: ImportReport, missing: dict[str, list[str]]) -> list[_Source]:
    """The file, then each sibling file that defines a package named in a ``with`` clause; ``missing``
    gets each package no file defines, with the files whose ``with`` names it."""
    first = _parse(path)
    sources, defined = [first], set(_packages_of(first.tree))
    wanted = [(name, first.path.name) for name in _withs(first.tree)]
    siblings: dict[str, Path] | None = None
    while wanted:
        name, user = wanted.pop()
        if name in missing:
            missing[name].append(user)
        if name.lower() in defined or name.lower() in PREDECLARED:
            continue
        if siblings is None:
            siblings = _sibling_packages(path)
        sibling = siblings.get(name.lower())
        defined.add(name.lower())
        if sibling is None:
            report.add(f"package {name!r} is used but no .aadl file beside the model defines it", name,
                       severity="warning")
            missing[name] = [user]
            continue
        try:
            source = _parse(sibling)
        except ParseError as exc:
            report.add(f"package {name!r}: {exc}", name, severity="error")
            continue
        sources.append(source)
        defined.update(_packages_of(source.tree))
        wanted.extend((used, sibling.name) for used in _withs(source.tree))
    return sources


def _sibling_packages(path: Path) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for candidate in sorted(path.parent.glob("*.aadl")):
        try:
            head = candidate.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        for match in _PACKAGE.finditer(head):  # packages and property sets: both are named in 'with'
            found.setdefault((match.group(1) or match.group(2)).lower(), candidate)
    return found


def _packages_of(tree: Tree) -> list[str]:
    """The packages and property sets a file defines (lowercased)."""
    return [_qname(p.children[0]).lower() for p in tree.find_data("package")] + [
        str(p.children[0]).lower() for p in tree.find_data("property_set")]


def _withs(tree: Tree) -> list[str]:
    return [_qname(q) for w in tree.find_data("with_clause") for q in w.children if isinstance(q, Tree)]


def _with_line(tree: Tree, package: str) -> int | None:
    """The line of the ``with`` clause of ``tree`` that names ``package``, if one does."""
    for clause in tree.find_data("with_clause"):
        if any(isinstance(q, Tree) and _qname(q).lower() == package.lower() for q in clause.children):
            return getattr(clause.meta, "line", None)
    return None


def _qname(tree: Tree | Token) -> str:
    if isinstance(tree, Token):
        return str(tree)
    return "::".join(str(t) for t in tree.scan_values(lambda v: isinstance(v, Token) and v.type == "NAME"))


def _classifier_name(reference: Tree | None) -> str:
    """``Pkg::Type`` or ``Pkg::Type.Impl`` of a ``classifier_ref`` or ``qname_or_impl``."""
    if reference is None:
        return ""
    node = _sub(reference, "qname_or_impl") or reference
    qname = _qname(node.children[0])
    impl = [str(t) for t in node.children[1:] if isinstance(t, Token)]
    return f"{qname}.{impl[0]}" if impl else qname


def _names(tree: Tree) -> list[str]:
    return [str(t) for t in tree.children if isinstance(t, Token) and t.type == "NAME"]


def _sub(tree: Tree, data: str) -> Tree | None:
    return next((c for c in tree.children if isinstance(c, Tree) and c.data == data), None)


def _category(tree: Tree) -> str:
    node = _sub(tree, "category")
    return " ".join(str(node.children[0]).lower().split()) if node is not None else "abstract"


def _end_ref(tree: Tree) -> list[str]:
    return [str(t) for t in tree.children if isinstance(t, Token)]


class _Mapper:
    def __init__(self, sources: list[_Source], report: ImportReport, missing: dict[str, list[str]]) -> None:
        self.sources = sources
        self.missing = {name.lower(): name for name in missing}
        self.missing_users = missing
        self.report = report
        self.model = Model()
        self.unmapped = UnmappedCounter(dict(REASONS))
        self.classifiers: dict[str, _Classifier] = {}  # lowercased id -> classifier
        self.text: dict[Path, str] = {s.path: s.text for s in sources}
        self.packages = {name for s in sources for name in _packages_of(s.tree)}
        self.ids: dict[str, str] = {}  # lowercased id -> id: AADL names are case-insensitive
        # per package (lowercased): the packages 'renames P::all' makes visible, and alias -> what it names
        self.renamed: dict[str, list[str]] = {}
        self.aliases: dict[str, dict[str, str]] = {}

    # -- driver -------------------------------------------------------------------------------------
    def run(self, name: str) -> Model:
        self.model.name = name
        for package, users in self.missing_users.items():  # AR126 reports each, AR101 not again
            placeholder = Package(f"package:{package}", package)
            placeholder.add_properties({MISSING_PACKAGE: ", ".join(dict.fromkeys(users))})
            self.model.add(placeholder)
            line = _with_line(self.sources[0].tree, package)
            if line:
                self.report.lines[placeholder.id] = line  # the model file's 'with' that names it
        for source in self.sources:
            for package in source.tree.find_data("package"):
                self._declare(package, source.path)
        for classifier in self.classifiers.values():
            self._extension(classifier)
            self._features_and_flow_specs(classifier)
        for classifier in self.classifiers.values():
            if classifier.is_impl:
                self._implementation(classifier)
        for classifier in self.classifiers.values():
            self._properties(classifier)
        self.unmapped.report_to(self.report)
        return self.model

    def _declare(self, package: Tree, source: Path) -> None:
        package_name = _qname(package.children[0])
        self._renames(package, package_name.lower())
        self._add(Package(package_name, package_name, library=package_name.lower() in PREDECLARED), package)
        for section in package.find_data("package_section"):
            for item in section.children:
                if not isinstance(item, Tree) or item.data not in ("component_type", "component_implementation",
                                                                  "feature_group_type"):
                    continue
                if item.data == "component_implementation":
                    dotted = _sub(item, "dotted")
                    name, category = ".".join(_names(dotted)), _category(item)
                else:
                    name = _names(item)[0]
                    category = "feature group" if item.data == "feature_group_type" else _category(item)
                classifier = _Classifier(package_name, name, category, item, source)
                if classifier.id.lower() in self.classifiers:
                    self.report.add(f"classifier {classifier.id!r} declared twice; second ignored", name,
                                    item.meta.line, "error")
                    continue
                self.classifiers[classifier.id.lower()] = classifier
                stereotype = f"{category} implementation" if classifier.is_impl else category
                self._add(Block(classifier.id, name, owner=package_name, stereotype=stereotype,
                                library=package_name.lower() in PREDECLARED), item)

    def _extension(self, classifier: _Classifier) -> None:
        """``extends``: a specialization relation to the classifier extended, when it was read."""
        chain = self._ancestors(classifier)
        if len(chain) > 1:
            self.model.add(Relation(f"{classifier.id}:extends", relation="specialization", owner=classifier.id,
                                    sources=[classifier.id], targets=[chain[1].id]))

    def _add(self, element: Element, tree: Tree) -> None:
        if element.id in self.model.elements:
            self.report.add(f"{element.kind} {element.id!r} declared twice; second ignored", element.name,
                            getattr(tree.meta, "line", None), "error")
            return
        self.model.add(element)
        self.ids.setdefault(element.id.lower(), element.id)
        line = getattr(tree.meta, "line", None)
        if line:
            self.report.lines[element.id] = line

    def _renames(self, package: Tree, key: str) -> None:
        """``renames P::all;`` (P's classifiers usable unqualified), ``x renames package P;`` and
        ``x renames system P::C;`` (aliases)."""
        for renames in package.find_data("renames"):
            alias = next((str(t) for t in renames.children if isinstance(t, Token) and t.type == "NAME"), None)
            target = str(renames.children[-1]).split()[-1]
            if alias is None and target.lower().endswith("::all"):
                self.renamed.setdefault(key, []).append(target[:-len("::all")])
            elif alias is not None:
                self.aliases.setdefault(key, {})[alias.lower()] = target

    # -- resolution ---------------------------------------------------------------------------------
    def _visible(self, reference: str, package: str) -> str:
        """A reference as its package's renames declarations spell it out: an alias replaced, an
        unqualified name found in a package renamed with ``::all``."""
        aliases = self.aliases.get(package.lower(), {})
        head, _, tail = reference.rpartition("::")
        if head:
            return f"{aliases[head.lower()]}::{tail}" if head.lower() in aliases else reference
        if reference.lower() in aliases:
            return aliases[reference.lower()]
        renamed = self.renamed.get(package.lower(), ())
        for other in renamed:
            if f"{other}::{reference}".lower() in self.classifiers:
                return f"{other}::{reference}"
        unread = [other for other in renamed if other.lower() in self.missing]
        if unread and f"{package}::{reference}".lower() not in self.classifiers:
            return f"{unread[0]}::{reference}"  # from a package renamed with '::all' that no file defines
        return reference

    def _resolve(self, reference: str, context: _Classifier) -> str:
        """The id of a classifier named in ``context``'s package (or made visible there by renames); a
        predeclared one becomes a library value type; an unknown one stays as written under ``package:``
        (the checks report it)."""
        candidate = reference if "::" in reference else f"{context.package}::{reference}"
        if candidate.lower() not in self.classifiers:
            reference = self._visible(reference, context.package)
            candidate = reference if "::" in reference else candidate
        found = self.classifiers.get(candidate.lower())
        if found is not None:
            return found.id
        package = candidate.rpartition("::")[0]
        if package.lower() in self.packages:
            return candidate  # a classifier missing from a package that was read
        if package.lower() in PREDECLARED:
            if candidate not in self.model.elements:
                self.model.add(ValueType(candidate, candidate.rpartition("::")[2], library=True,
                                         href=f"aadl:{package}"))
            return candidate
        package = self.missing.get(package.lower(), package)
        return f"package:{package}#{candidate.rpartition('::')[2]}"

    def _find(self, element_id: str) -> Element | None:
        """The element of an id written in any case."""
        return self.model.elements.get(self.ids.get(element_id.lower(), ""))

    def _type_of(self, classifier_id: str | None) -> _Classifier | None:
        """The component type of a classifier (an implementation's ``Type`` part)."""
        found = self.classifiers.get((classifier_id or "").lower())
        if found is None:
            return None
        if found.is_impl:
            return self.classifiers.get(f"{found.package}::{found.name.split('.')[0]}".lower())
        return found

    def _ancestors(self, classifier: _Classifier | None) -> list[_Classifier]:
        """The classifier and those it extends, nearest first."""
        chain: list[_Classifier] = []
        while classifier is not None and classifier not in chain:
            chain.append(classifier)
            extends = _sub(classifier.tree, "extends")
            parent = self._resolve(_classifier_name(_sub(extends, "classifier_ref")), classifier) \
                if extends is not None else None
            classifier = self.classifiers.get((parent or "").lower())
        return chain

    def _feature(self, classifier_id: str | None, name: str) -> str | None:
        """The port id of feature ``name`` of a classifier's type, through ``extends``."""
        for ancestor in self._ancestors(self._type_of(classifier_id)):
            port = self._find(f"{ancestor.id}.{name}")
            if isinstance(port, Port):
                return port.id
        return None

    def _flow_spec(self, classifier_id: str | None, name: str) -> str | None:
        for ancestor in self._ancestors(self._type_of(classifier_id)):
            flow = self._find(f"{ancestor.id}.{name}")
            if isinstance(flow, FlowSpec):
                return flow.id
        return None

    # -- types --------------------------------------------------------------------------------------
    def _features_and_flow_specs(self, classifier: _Classifier) -> None:
        if classifier.is_impl:
            return
        for feature in classifier.tree.find_data("feature"):
            self._port(classifier, feature)
        for flow in classifier.tree.find_pred(lambda t: t.data == "flow_spec"):
            name, kind = str(flow.children[0]), str(flow.children[1]).lower()
            ends = [_end_ref(e)[-1] for e in _sub(flow, "flow_ends").children]
            # a feature the classifier does not have stays as written: the checks report it
            entry = (self._feature(classifier.id, ends[0]) or f"{classifier.id}.{ends[0]}") \
                if kind in ("sink", "path") else None
            exit_ = (self._feature(classifier.id, ends[-1]) or f"{classifier.id}.{ends[-1]}") \
                if kind in ("source", "path") else None
            spec = FlowSpec(f"{classifier.id}.{name}", name, owner=classifier.id, flow_kind=kind, entry=entry,
                            exit=exit_)
            spec.add_properties(self._block_properties(flow, classifier))
            self._add(spec, flow)
        self._modes(classifier)

    def _port(self, classifier: _Classifier, feature: Tree) -> None:
        name = str(feature.children[0])
        kind_tree = next(c for c in feature.children if isinstance(c, Tree) and c.data != "refined")
        if _sub(feature, "refined") is not None:
            self.unmapped.count("refinement", feature.meta.line, name)
        direction_node = _sub(kind_tree, "direction")
        direction = " ".join(str(direction_node.children[0]).lower().split()) if direction_node else "inout"
        direction = {"in out": "inout"}.get(direction, direction)
        if kind_tree.data == "port_feature":
            port_kind = _sub(kind_tree, "data_port") or _sub(kind_tree, "event_port") \
                or _sub(kind_tree, "event_data_port")
            kind = port_kind.data.replace("_", " ") if port_kind is not None else "port"
        elif kind_tree.data == "access_feature":
            access = str(kind_tree.children[0]).lower()
            kind = f"{access} {' '.join(str(_sub(kind_tree, 'access_kind').children[0]).lower().split())} access"
            direction = "in" if access == "requires" else "out"
        else:
            kind = {"parameter_feature": "parameter", "group_feature": "feature group",
                    "abstract_feature": "feature"}[kind_tree.data]
        reference = _sub(kind_tree, "classifier_ref")
        type_id = self._resolve(_classifier_name(reference), classifier) if reference else ""
        data_type = self._type_of(type_id)  # ports typed by Type.Impl and by Type carry the same data
        port = Port(f"{classifier.id}.{name}", name, owner=classifier.id, direction=direction, port_kind=kind,
                    type=type_id or None, flow_type=data_type.id if data_type else type_id,
                    stereotype=f"AADL {kind}")
        port.add_properties(self._block_properties(kind_tree, classifier))
        self._add(port, feature)

    def _modes(self, classifier: _Classifier) -> None:
        for mode in classifier.tree.find_data("mode_decl"):
            name = str(mode.children[0])
            initial = any(isinstance(t, Token) and t.type == "INITIAL" for t in mode.children)
            self._add(Behavior(f"{classifier.id}.{name}", name, owner=classifier.id, behavior_kind="mode",
                               initial=initial), mode)
        for n, transition in enumerate(classifier.tree.find_data("mode_transition")):
            names = _names(transition)
            label = names[0] if len(names) == 3 else f"transition {n + 1}"
            source, target = names[-2], names[-1]
            self._add(Behavior(f"{classifier.id}.{label}", label if len(names) == 3 else "", owner=classifier.id,
                               behavior_kind="transition", source=self._mode(classifier, source),
                               target=self._mode(classifier, target)), transition)

    def _mode(self, classifier: _Classifier, name: str) -> str:
        for ancestor in [*self._ancestors(classifier), *self._ancestors(self._type_of(classifier.id))]:
            mode = self._find(f"{ancestor.id}.{name}")
            if isinstance(mode, Behavior):
                return mode.id
        return f"{classifier.id}.{name}"

    # -- implementations ----------------------------------------------------------------------------
    def _implementation(self, impl: _Classifier) -> None:
        component_type = self._type_of(impl.id)
        if component_type is not None:
            self.model.add(Relation(f"{impl.id}:realizes", relation="realization", owner=impl.id,
                                    sources=[impl.id], targets=[component_type.id]))
        else:
            self.report.add(f"implementation {impl.id!r} without its component type", impl.name,
                            impl.tree.meta.line)
        for sub in impl.tree.find_data("subcomponent"):
            name = str(sub.children[0])
            reference = _sub(sub, "classifier_ref")
            type_id = self._resolve(_classifier_name(reference), impl) if reference else None
            part = Part(f"{impl.id}.{name}", name, owner=impl.id, type=type_id, stereotype=_category(sub))
            part.add_properties(self._block_properties(sub, impl))
            self._add(part, sub)
        for _ in impl.tree.find_data("call_sequence"):
            self.unmapped.count("call sequence", impl.tree.meta.line, impl.name)
        for connection in impl.tree.find_data("connection"):
            self._connection(impl, connection)
        for flow in impl.tree.find_data("end_to_end"):
            self._end_to_end(impl, flow)
        self._modes(impl)

    def _connection(self, impl: _Classifier, connection: Tree) -> None:
        name = str(connection.children[0])
        refs = [c for c in connection.children if isinstance(c, Tree) and c.data == "end_ref"]
        ends = [self._connection_end(impl, _end_ref(r)) for r in refs]
        if any(end is None for end in ends):
            self.unmapped.count("connection to a subprogram call", connection.meta.line, name)
            return
        directed = _sub(connection, "directed") is not None
        connector = Connector(f"{impl.id}.{name}", name, owner=impl.id, ends=ends, directed=directed)
        connector.add_properties(self._block_properties(connection, impl))
        self._add(connector, connection)

    def _connection_end(self, impl: _Classifier, path: list[str]) -> ConnectorEnd | None:
        """``feature`` of the implementation itself, or ``sub.feature`` of one of its parts; an end that
        names neither (a subprogram call's parameter) is ``None``. Unknown features stay as written."""
        if len(path) == 1:
            port = self._feature(impl.id, path[0])
            return ConnectorEnd(port or f"{impl.id}.{path[0]}")
        part = self._find(f"{impl.id}.{path[0]}")
        if not isinstance(part, Part):
            return None
        port = self._feature(part.type, path[-1])
        return ConnectorEnd(port or f"{part.type}.{path[-1]}", part.id)

    def _end_to_end(self, impl: _Classifier, flow: Tree) -> None:
        name = str(flow.children[0])
        steps: list[FlowStep] = []
        for ref in _sub(flow, "flow_ends").children:
            path = _end_ref(ref)
            if len(path) == 1:
                connection = self._find(f"{impl.id}.{path[0]}")
                steps.append(FlowStep(connection.id if connection is not None else f"{impl.id}.{path[0]}"))
                continue
            part = self._find(f"{impl.id}.{path[0]}")
            type_id = part.type if isinstance(part, Part) else None
            steps.append(FlowStep(self._flow_spec(type_id, path[-1]) or f"{type_id}.{path[-1]}",
                                  part.id if part is not None else f"{impl.id}.{path[0]}"))
        spec = FlowSpec(f"{impl.id}.{name}", name, owner=impl.id, flow_kind="end_to_end", steps=steps)
        spec.add_properties(self._block_properties(flow, impl))
        self._add(spec, flow)

    # -- properties ---------------------------------------------------------------------------------
    def _written(self, tree: Tree, source: Path) -> str:
        return self.text[source][tree.meta.start_pos:tree.meta.end_pos] if tree.meta.end_pos else ""

    def _association(self, association: Tree, classifier: _Classifier) -> tuple[str, str, list[list[str]]]:
        name = _qname(association.children[0]).rpartition("::")[2].lower()
        value = association.children[2]
        text = self._written(value, classifier.source) if isinstance(value, Tree) else str(value)
        applies = _sub(association, "applies_to")
        targets = [_end_ref(r) for r in applies.children] if applies is not None else []
        return name, " ".join(text.split()), targets

    def _block_properties(self, tree: Tree, classifier: _Classifier) -> dict[str, str]:
        block = _sub(tree, "property_block")
        if block is None:
            return {}
        return {name: text for name, text, _ in (self._association(a, classifier) for a in block.children
                                                 if isinstance(a, Tree))}

    def _properties(self, classifier: _Classifier) -> None:
        section = _sub(classifier.tree, "properties_section")
        if section is None:
            return
        for association in section.find_data("property_association"):
            name, text, targets = self._association(association, classifier)
            for target in targets or [[]]:
                element = self._find(".".join([classifier.id, *target]) if target else classifier.id)
                if element is None and len(target) == 1:
                    element = self.model.elements.get(self._feature(classifier.id, target[0]) or "") or \
                        self.model.elements.get(self._flow_spec(classifier.id, target[0]) or "")
                if element is None:
                    self.report.add(f"property {name} applies to {'.'.join(target)!r}, which is not imported",
                                    classifier.name, association.meta.line, "info")
                    continue
                element.add_properties({name: text})


"""The executable part of SysML v2 textual models: constraints, calculations, analyses, verifications.

Mapping (the solver reads the result as it reads SysML 1 parametrics):

- ``constraint def``, ``calc def``, ``analysis def``, ``verification def`` -> ``Block`` (stereotype the
  keyword); parameters ``(m : MassValue)``, ``in``/``out`` features and ``return`` features -> value
  parts; the body's expression -> a ``Constraint``: as written for a constraint, ``result == expr`` for a
  calculation or analysis (``result`` is its return feature), the condition of ``PassIf(…)`` for a
  verification;
- a typed usage (``assert constraint c : C (m = mass);``, ``calc``, ``analysis``) -> a ``Part`` typed by its
  definition; each argument and each redefinition with a value in its body -> a ``Constraint`` of the
  owner, ``c.m == (mass)``; an anonymous ``assert constraint { … }`` or ``require constraint { … }`` -> a
  ``Constraint`` of its owner;
- ``bind a = b`` -> ``Constraint`` ``a == b``; ``subject`` -> a reference part; an ``objective``'s members
  belong to its owner; ``verify r`` -> a ``verify`` relation;
- ``:>> x = value`` in a usage -> a value part ``x`` of that usage (it hides the definition's ``x``).

``assume constraint`` and negated assertions are counted as not executed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from importers.sysml2_parse import Node
from metamodel.elements import Block, Connector, Constraint, Part, Port, Relation, Requirement

if TYPE_CHECKING:
    from importers.sysml2 import Sysml2Mapper

DEFINITIONS = ("constraint def", "calc def", "analysis def", "verification def")
USAGES = ("constraint", "calc", "analysis", "verification")
HANDLED = (*DEFINITIONS, *USAGES, "bind", "expression", "subject", "objective", "return", "verify")
LANGUAGE = "SysML v2"


class Execution:
    """Maps the executable statements for one :class:`Sysml2Mapper`."""

    def __init__(self, mapper: Sysml2Mapper) -> None:
        self.mapper = mapper

    def handles(self, node: Node) -> bool:
        return node.keyword in HANDLED or (node.keyword in ("feature", "attribute") and bool(node.redefines)
                                           and not node.name)

    def node(self, node: Node, owner: str | None) -> None:
        keyword = node.keyword
        if keyword in DEFINITIONS:
            self._definition(node, owner)
        elif keyword in USAGES:
            self._usage(node, owner)
        elif keyword == "bind":
            self.mapper.binds.append((node, owner, self.mapper.current_file))
        elif keyword == "expression":
            self._expression(node, owner)
        elif keyword == "subject":
            part = Part(self.mapper._id(node, owner), node.name, owner=owner, aggregation="reference",
                        default=node.default, stereotype="subject")
            self.mapper._create(part, node, owner)
        elif keyword == "objective":
            self.mapper._members(node.children, owner)
        elif keyword == "return":
            self._value(node.name, node, owner, node.default)
        elif keyword == "verify":
            target = (node.types or [node.name])[0]
            relation = Relation(self.mapper._id(node, owner), "", owner=owner, relation="verify")
            node.target, node.by = target, ""
            self.mapper._create(relation, node, owner, scope_member=False)
        else:  # ':>> x = value' redefines a feature for this usage
            self._value(node.redefines[0].split(".")[-1], node, owner, node.default)

    # -- definitions ------------------------------------------------------------------------------
    def _definition(self, node: Node, owner: str | None) -> None:
        block = Block(self.mapper._id(node, owner), node.name, owner=owner, stereotype=node.keyword,
                      is_abstract="abstract" in node.prefixes)
        body, node.children = node.children, []
        self.mapper._create(block, node, owner)
        for parameter in node.parameters:  # parameters first: calls pass arguments in their order
            self._value(parameter.name, parameter, block.id, parameter.default)
        if node.returns is not None:
            self._value(node.returns.name, node.returns, block.id, "")
        self.mapper._members(body, block.id)
        if node.default:  # calc def F(…) : T = expr;
            self._result(block.id, node.default, node)

    def _result(self, owner: str, expression: str, node: Node) -> None:
        result = self._result_name(owner)
        if result is None:
            result = "result"
            self._value(result, Node("return", node.line, name=result), owner, "")
        self._constraint(owner, f"{result} == ({expression})", node)

    def _result_name(self, owner: str) -> str | None:
        """The return feature of a calculation or analysis (its last ``return``, else ``result``)."""
        features = [e for e in self.mapper.model.elements.values() if isinstance(e, Part) and e.owner == owner
                    and e.stereotype == "return"]
        return features[-1].name if features else None

    def _expression(self, node: Node, owner: str | None) -> None:
        holder = self.mapper.model.get(owner)
        kind = getattr(holder, "stereotype", "").removesuffix(" def")
        text = node.text
        if kind in ("calc", "analysis"):
            self._result(owner, text, node)  # type: ignore[arg-type]
            return
        if kind == "verification" and "PassIf" in text:
            text = text[text.index("(", text.index("PassIf")) + 1:text.rindex(")")]
        self._constraint(owner, text, node)

    # -- usages -----------------------------------------------------------------------------------
    def _usage(self, node: Node, owner: str | None) -> None:
        if "assume" in node.prefixes:
            self.mapper._count("assume constraint (assumptions are not checked)", node, node.name)
            return
        named = bool(node.name or node.types or node.parameters)
        if not named:  # 'assert constraint { … }': its expressions constrain the owner
            for child in node.children:
                if child.keyword == "expression":
                    self._constraint(owner, child.text, child)
                else:
                    self.mapper._node(child, owner)
            return
        name = node.name or f"{node.keyword}@{node.line}"
        node.name = name
        part = Part(self.mapper._id(node, owner), name, owner=owner, aggregation="part", stereotype=node.keyword)
        arguments = [p for p in node.parameters if p.default]
        bindings = [c for c in node.children if c.keyword in ("feature", "attribute") and c.default and
                    (c.redefines or c.name)]
        node.children = [c for c in node.children if c not in bindings]
        self.mapper._create(part, node, owner)
        for parameter in node.parameters:
            if not parameter.default:
                self._value(parameter.name, parameter, part.id, "")
        target = _quoted(name)
        for argument in arguments:
            self._constraint(owner, f"{target}.{_quoted(argument.name)} == ({argument.default})", argument)
        if node.returns is not None and node.default:  # calc c : F (…) return r = value;
            self._constraint(owner, f"{target}.{_quoted(node.returns.name)} == ({node.default})", node)
        for binding in bindings:
            feature = (binding.redefines or [binding.name])[0].split(".")[-1]
            self._constraint(owner, f"{target}.{_quoted(feature)} == ({binding.default})", binding)

    # -- pieces -----------------------------------------------------------------------------------
    def _value(self, name: str, node: Node, owner: str | None, default: str) -> None:
        part = Part(self.mapper._id(Node(node.keyword, node.line, name=name), owner), name, owner=owner,
                    aggregation="value", default=default,
                    stereotype="return" if node.keyword == "return" else "attribute")
        self.mapper._create(part, node, owner)

    def bind(self, node: Node, owner: str | None) -> None:
        """``bind a = b`` once names resolve: an equation of two values; between ports or their items
        (``bind p.fuel = tank.p.fuel``, a port delegated to an inner one) a binding connector of the
        ports; between parts or other items their identity, counted and not imported."""
        if any(self.mapper.is_item(end, owner) for end in node.ends):
            ports = [self._bound_port(end, owner) for end in node.ends]
            if None in ports:
                self.mapper._count("binding of parts", node, " = ".join(node.ends))
                return
            connector = Connector(f"{owner}::bind@{node.line}" if owner else f"bind@{node.line}", "", owner=owner,
                                  binding=True, ends=[self.mapper._end(port, owner, node) for port in ports if port])
            if connector.id not in self.mapper.model.elements:
                self.mapper.model.add(connector)  # binds a port's item to another's: the ports are wired
                self.mapper._line(connector.id, node)
        else:
            self._constraint(owner, f"{_quoted(node.ends[0])} == {_quoted(node.ends[1])}", node)

    def _bound_port(self, chain: str, owner: str | None) -> str | None:
        """The chain to the port whose feature (or which) ``chain`` names: ``p.fuel`` -> ``p``; else None."""
        found = self.mapper._chain(chain, owner)
        steps = chain.split(".")
        if found and isinstance(self.mapper.model.get(found[-1]), Port):
            return chain
        if len(found) > 1 and len(steps) > 1 and isinstance(self.mapper.model.get(found[-2]), Port):
            return ".".join(steps[:-1])
        return None

    def _constraint(self, owner: str | None, body: str, node: Node) -> None:
        if owner is None or not isinstance(self.mapper.model.get(owner), Block | Part | Requirement):
            self.mapper._count("constraint outside a definition or usage", node, body[:40])
            return
        element_id = f"{owner}::constraint@{node.line}"
        number = 1
        while element_id in self.mapper.model.elements:
            number += 1
            element_id = f"{owner}::constraint@{node.line}.{number}"
        self.mapper.model.add(Constraint(element_id, "", owner=owner, body=body, language=LANGUAGE))
        self.mapper._line(element_id, node)


def _quoted(chain: str) -> str:
    """A feature chain as expression text: names that are not plain identifiers in quotes."""
    return ".".join(part if part.isidentifier() else "'" + part.replace("'", "\\'") + "'"
                    for part in chain.split("."))

"""Causes and uses of a model's variables: the model-level graph of which variable is computed from which.

A link ``x -> y`` says that ``y`` is computed from ``x``: ``x`` appears in ``y``'s equation (``equation``), is an
inflow or outflow of the stock ``y`` (``inflow``, ``outflow``), appears in the stock ``y``'s initial value
(``initial``: read once at the start, so feedback loops leave these links out), or is bound to an input of the
module instance ``y`` (``input``; an equation reading ``module.output`` uses the module). Arrayed variables are
one node each, as Vensim's Causes and Uses Trees show them; ``solvers.analysis.loops`` works element by element.

``causes(model, "Infected", depth=2)`` is the tree of what drives a variable, ``uses`` the tree of what it
drives; a variable met again on the way up (or down) its own branch closes a cycle and is not expanded again.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from metamodel.elements import Module, Stock, Variable
from metamodel.equations.deps import referenced_names
from metamodel.equations.parser import parse
from metamodel.errors import ModelError, ParseError
from metamodel.model import Model
from metamodel.names import canonical

MAX_TREE_NODES = 5000  # nodes of one causes or uses tree; deeper branches are cut and marked


@dataclass(frozen=True)
class Link:
    """``target`` is computed from ``source`` (element ids); ``kind`` says how (see the module docstring)."""

    source: str
    target: str
    kind: str


class VariableGraph:
    """Every variable and module instance of a model (its root level) with the links between them."""

    def __init__(self, model: Model) -> None:
        self.model = model
        self.names: dict[str, str] = {}
        self.kinds: dict[str, str] = {}
        self.unparsed: set[str] = set()  # ids of variables with an equation that does not parse
        self._causes: dict[str, list[Link]] = {}
        self._uses: dict[str, list[Link]] = {}
        nodes: list[Variable | Module] = [*model.variables(), *model.of_kind(Module)]
        for element in nodes:
            self.names[element.id] = element.name
            self.kinds[element.id] = element.kind
            self._causes[element.id], self._uses[element.id] = [], []
        for element in nodes:
            seen: set[Link] = set()
            for link in self._links_into(element):
                if link.source in self.names and link not in seen:
                    seen.add(link)
                    self._causes[link.target].append(link)
                    self._uses[link.source].append(link)

    def _links_into(self, element: Variable | Module) -> Iterator[Link]:
        if isinstance(element, Module):
            for connection in element.connections:
                source = self._resolve(connection.source.lstrip("."))
                if source is not None:
                    yield Link(source, element.id, "input")
            return
        if isinstance(element, Stock):
            yield from (Link(flow, element.id, "inflow") for flow in element.inflows)
            yield from (Link(flow, element.id, "outflow") for flow in element.outflows)
        kind = "initial" if isinstance(element, Stock) else "equation"
        for text in element.equations():
            try:
                names = referenced_names(parse(text, element=element.name))
            except ParseError:
                self.unparsed.add(element.id)
                continue
            for name in sorted(names):
                source = self._resolve(name)
                if source is not None:
                    yield Link(source, element.id, kind)

    def _resolve(self, name: str) -> str | None:
        """The id of the variable or module a written name means (``module.output`` means the module)."""
        found = self.model.find(name)
        if found is None and "." in name:
            found = self.model.find(name.split(".", 1)[0])
        return found.id if isinstance(found, Variable | Module) else None

    def node(self, name: str) -> str:
        """The id of the variable or module called ``name`` (or with that id); ModelError with close names."""
        if name in self.names:
            return name
        found = self.model.find(name)
        if isinstance(found, Variable | Module):
            return found.id
        close = difflib.get_close_matches(canonical(name), [canonical(n) for n in self.names.values()], n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise ModelError(f"no variable '{name}' in model '{self.model.name}'{hint}")

    def causes_of(self, node: str) -> list[Link]:
        """The links into ``node``: what it is computed from."""
        return self._causes[node]

    def uses_of(self, node: str) -> list[Link]:
        """The links out of ``node``: what is computed from it."""
        return self._uses[node]


@dataclass
class TreeNode:
    """One variable of a causes or uses tree; ``link`` is how it joins its parent (None at the root).

    ``cycle``: the variable is already on the path from the root (a feedback loop closes here), so it is
    not expanded again; ``more``: it has further causes (uses) below the depth asked for, or beyond the
    size limit of a tree.
    """

    id: str
    name: str
    kind: str
    link: str | None = None
    children: list[TreeNode] = field(default_factory=list)
    cycle: bool = False
    more: bool = False
    unparsed: bool = False

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"variable": self.name, "id": self.id, "kind": self.kind}
        if self.link is not None:
            data["link"] = self.link
        if self.cycle:
            data["cycle"] = True
        if self.more:
            data["more"] = True
        if self.unparsed:
            data["unparsed"] = True
        data["children"] = [child.to_json() for child in self.children]
        return data

    def lines(self, indent: str = "") -> Iterator[str]:
        """The tree as indented text lines (a link's kind in brackets, ``…`` where it goes on)."""
        marks = "".join([" (cycle)" if self.cycle else "", " …" if self.more else "",
                         " (equation does not parse)" if self.unparsed else ""])
        link = f"[{self.link}] " if self.link else ""
        yield f"{indent}{link}{self.name} ({self.kind}){marks}"
        for child in self.children:
            yield from child.lines(indent + "  ")


def _tree(graph: VariableGraph, name: str, depth: int, upward: bool) -> TreeNode:
    if depth < 0:
        raise ModelError(f"the depth of a tree must be 0 or more, not {depth}")
    start = graph.node(name)
    root = TreeNode(start, graph.names[start], graph.kinds[start], unparsed=start in graph.unparsed)
    budget = MAX_TREE_NODES - 1
    stack: list[tuple[TreeNode, int, frozenset[str]]] = [(root, 0, frozenset({start}))]
    while stack:
        node, level, path = stack.pop()
        links = graph.causes_of(node.id) if upward else graph.uses_of(node.id)
        if not links:
            continue
        if level >= depth or budget < len(links):
            node.more = True
            continue
        budget -= len(links)
        for link in links:
            other = link.source if upward else link.target
            child = TreeNode(other, graph.names[other], graph.kinds[other], link.kind, cycle=other in path,
                             unparsed=other in graph.unparsed)
            node.children.append(child)
            if not child.cycle:
                stack.append((child, level + 1, path | {other}))
    return root


def causes(model: Model | VariableGraph, name: str, depth: int = 2) -> TreeNode:
    """The causes tree of variable ``name``: what it is computed from, ``depth`` levels up."""
    return _tree(model if isinstance(model, VariableGraph) else VariableGraph(model), name, depth, upward=True)


def uses(model: Model | VariableGraph, name: str, depth: int = 2) -> TreeNode:
    """The uses tree of variable ``name``: what is computed from it, ``depth`` levels down."""
    return _tree(model if isinstance(model, VariableGraph) else VariableGraph(model), name, depth, upward=False)


# -- the causal graph of the flat model: what feedback loops and their scores are computed on -----------------
MAX_PATHS = 256  # hidden pathways kept per link between two of the user's variables


@dataclass
class Node:
    """One quantity of the flat model (an element of an array, a variable of a module instance, or a hidden
    quantity of an expanded builtin).

    ``kind`` is ``stock``, ``flow``, ``aux``, ``rate`` (the rate of a hidden stock, as if it were its one
    inflow), ``memory`` (PREVIOUS, INIT, SAMPLE IF TRUE: ``expr`` is the value it takes next) or ``pipeline``
    (DELAY, DELAY FIXED: ``expr`` is what goes in). ``visible``: one of the user's variables.
    """

    key: str
    name: str
    kind: str
    visible: bool
    expr: Any = None  # metamodel.equations.ast.Node, or None for stocks
    table: str | None = None  # graphical function the value goes through
    clip: bool = False  # a uniflow: cut at zero
    non_negative: bool = False
    element_id: str | None = None


@dataclass(frozen=True)
class FlatLink:
    """``target`` is computed from ``source`` (flat keys): ``equation``, ``inflow``, ``outflow`` or ``delay``
    (the delay time of a pipeline)."""

    source: str
    target: str
    kind: str


def equation_inputs(expr: Any) -> list[str]:  # noqa: ANN401 - an equation AST
    """The flat keys whose values an expanded equation reads, in order (a graphical function called as a
    function is not read, nor the initial argument of ACTIVE INITIAL while running)."""
    from metamodel.equations.ast import Call, Name
    from solvers.flatten import ArrayRef

    found: dict[str, None] = {}
    stack = [expr] if expr is not None else []
    while stack:
        node = stack.pop()
        if isinstance(node, Name):
            found[node.name] = None
        elif isinstance(node, ArrayRef):
            found.update(dict.fromkeys(node.keys))
        elif isinstance(node, Call) and node.func.startswith("lookup") and node.args:
            stack.extend(reversed(node.args[1:]))
        elif isinstance(node, Call) and node.func == "active_initial" and node.args:
            stack.append(node.args[0])
        else:
            stack.extend(reversed(node.children()))
    return list(found)


class CausalGraph:
    """The flat model's quantities and links, and the graph of the user's variables drawn over it.

    Hidden quantities (the stocks and flows of SMTH, DELAY N, TREND, …) are collapsed: a link ``x -> y``
    between two of the user's variables stands for every pathway from ``x`` to ``y`` through hidden
    quantities only (``paths``), so loops are told in the user's own variables, and loops entirely inside
    an expanded builtin (the drain of each stage of a delay) are left out, as Stella does.
    """

    def __init__(self, nodes: dict[str, Node], links: list[FlatLink]) -> None:
        self.nodes = nodes
        self.links = {(link.source, link.target): link for link in links}
        self.inputs: dict[str, list[str]] = {key: [] for key in nodes}
        for source, target in self.links:
            self.inputs[target].append(source)
        self.paths: dict[tuple[str, str], list[tuple[str, ...]]] = {}
        self.truncated: list[str] = []  # user variables with more hidden pathways than MAX_PATHS
        for key, node in nodes.items():
            if node.visible:
                self._collapse(key)

    @classmethod
    def of(cls, flat: Any, expanded: Any) -> CausalGraph:  # noqa: ANN401 - FlatModel, Expanded
        """The graph of a flattened and expanded model (``solvers.compiler.Compiler`` keeps both)."""
        nodes: dict[str, Node] = {}
        for key, var in flat.variables.items():
            if var.kind in ("stock", "flow", "aux"):
                nodes[key] = Node(key, var.display, var.kind, not var.hidden,
                                  None if var.kind == "stock" else var.expr,
                                  key if var.gf is not None and var.kind != "stock" else None,
                                  var.kind == "flow" and var.non_negative, var.non_negative, var.element_id)
        for var in expanded.hidden_auxes:
            nodes[var.key] = Node(var.key, var.key, "aux", False, var.expr)
        for stock in expanded.hidden_stocks:
            nodes[stock.key] = Node(stock.key, stock.key, "stock", False)
            nodes[stock.key + "~rate"] = Node(stock.key + "~rate", stock.key + "~rate", "rate", False, stock.rate)
        for memory in expanded.memories:
            nodes[memory.key] = Node(memory.key, memory.key, "memory", False, memory.update)
        pipelines = {pipe.key: pipe for pipe in expanded.pipelines}
        for key, pipe in pipelines.items():
            nodes[key] = Node(key, key, "pipeline", False, pipe.source)
        links: list[FlatLink] = []
        for key, node in nodes.items():
            sources = equation_inputs(node.expr)
            links.extend(FlatLink(source, key, "equation") for source in sources if source in nodes)
            if key in pipelines:
                links.extend(FlatLink(source, key, "delay") for source in equation_inputs(pipelines[key].delay)
                             if source in nodes and source not in sources)
        for key, var in flat.variables.items():
            if var.kind == "stock":
                links.extend(FlatLink(flow, key, "inflow") for flow in var.inflows if flow in nodes)
                links.extend(FlatLink(flow, key, "outflow") for flow in var.outflows if flow in nodes)
        links.extend(FlatLink(stock.key + "~rate", stock.key, "inflow") for stock in expanded.hidden_stocks)
        return cls(nodes, links)

    def _collapse(self, target: str) -> None:
        """Record every pathway into the user's variable ``target`` from another one through hidden nodes."""
        count = 0
        stack: list[tuple[str, ...]] = [(target,)]
        while stack:
            path = stack.pop()
            for source in self.inputs[path[0]]:
                node = self.nodes[source]
                if node.visible:
                    if count >= MAX_PATHS:
                        self.truncated.append(self.nodes[target].name)
                        return
                    self.paths.setdefault((source, target), []).append((source, *path))
                    count += 1
                elif source not in path:
                    stack.append((source, *path))

    def name(self, key: str) -> str:
        return self.nodes[key].name

    @property
    def variable_links(self) -> list[tuple[str, str]]:
        """The links between the user's variables (each standing for one or more flat pathways)."""
        return list(self.paths)

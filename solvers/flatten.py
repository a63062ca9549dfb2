"""Flatten a model into scalar variables: module instances inlined, arrays expanded per element.

Every name in every equation is resolved to the flat key of the variable it means, so that the
later stages (expansion of stateful builtins, ordering, code generation) see one namespace.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field, replace

from metamodel.elements import (
    Aux,
    Flow,
    FmuComponent,
    FmuVariable,
    GraphicalFunction,
    Module,
    NeuralComponent,
    Stock,
    Variable,
)
from metamodel.equations.ast import BinOp, Call, If, Name, Node, Num, Star, Subscript, UnaryOp, walk
from metamodel.equations.builtins import CONSTANT_NAMES, is_builtin
from metamodel.equations.parser import parse
from metamodel.errors import ModelError, ParseError
from metamodel.model import Model
from metamodel.names import canonical
from metamodel.validation.registry import Diagnostic
from solvers.vector_calls import VECTOR_CALLS, VectorCallError, resolve_vector_call

ARRAY_FUNCTIONS = frozenset({"sum", "prod", "mean", "stddev", "size", "vmax", "vmin", "max", "min"})


@dataclass
class FlatVar:
    """One scalar variable of the flattened model."""

    key: str
    display: str
    kind: str  # "stock", "flow", "aux"
    expr: Node | None
    element_id: str | None = None
    inflows: list[str] = field(default_factory=list)
    outflows: list[str] = field(default_factory=list)
    non_negative: bool = False
    gf: GraphicalFunction | None = None
    hidden: bool = False
    units: str = ""


@dataclass
class NeuralUse:
    """A neural component in the flat model: its input expressions per port (resolved)."""

    component: NeuralComponent
    prefix: str
    inputs: dict[str, list[Node]]


@dataclass
class FmuUse:
    """An FMU component in the flat model: the flat key it is known by (``hvac.plant``), the resolved
    expression feeding each input, and the flat key of each parameter's value."""

    component: FmuComponent
    key: str
    inputs: dict[str, Node]
    parameters: dict[str, str]

    def port(self, variable: FmuVariable) -> str:
        """The flat key of one of the FMU's variables (an output, a parameter)."""
        return f"{self.key}.{variable.key}"


@dataclass
class FlatModel:
    variables: dict[str, FlatVar] = field(default_factory=dict)
    neural: list[NeuralUse] = field(default_factory=list)
    fmus: list[FmuUse] = field(default_factory=list)
    problems: list[Diagnostic] = field(default_factory=list)
    inputs: list[tuple[str, str, str | None]] = field(default_factory=list)  # module inputs: display, source, id

    def unconnected_inputs(self) -> list[Diagnostic]:
        """Module inputs wired to a variable that does not exist (a port may name one that does not); asked
        once every variable is in, the architecture's parametric ones included."""
        defined = {key.split("[", 1)[0] for key in self.variables}
        return [Diagnostic("SD002", "error", f"module input '{display}' is connected to '{source}', which is not "
                           "defined", element_id, display, None, "equation")
                for display, source, element_id in self.inputs if source.split("[", 1)[0] not in defined]


class _Scope:
    """Names visible inside one model instance (the root model or a module instance)."""

    def __init__(self, model: Model, prefix: str, parent: _Scope | None) -> None:
        self.model = model
        self.prefix = prefix
        self.parent = parent
        self.variables: dict[str, Variable] = {v.canonical: v for v in model.variables()}
        self.modules: dict[str, Module] = {m.canonical: m for m in model.of_kind(Module)}
        self.neural: dict[str, NeuralComponent] = {n.canonical: n for n in model.of_kind(NeuralComponent)}
        self.fmus: dict[str, FmuComponent] = {f.canonical: f for f in model.of_kind(FmuComponent)}
        self.bindings: dict[str, str] = {}  # inner canonical name -> flat key in the parent
        inherited = parent.dimension_list if parent is not None else []
        self.dimension_list = [*model.dimensions, *inherited]
        self.dimensions = {d.canonical: [canonical(e) for e in d.elements] for d in reversed(self.dimension_list)}
        self.element_display = {canonical(e): e for d in self.dimension_list for e in d.elements}


class Flattener:
    """Turns a Model into a FlatModel; collects problems instead of stopping at the first."""

    def __init__(self, model: Model) -> None:
        self.root = model
        self.flat = FlatModel()
        self.macro_calls = 0
        self.macros = {canonical(name): sub for name, sub in model.submodels.items() if macro_parameters(sub)
                       or sub.find(name) is not None}

    def macro(self, name: str) -> Model | None:
        """The macro called ``name``: a submodel with an aux of its own name (its value)."""
        sub = self.macros.get(canonical(name))
        return sub if sub is not None and sub.find(sub.name) is not None else None

    # -- public ------------------------------------------------------------------------------------
    def run(self) -> FlatModel:
        self._instantiate(_Scope(self.root, "", None), depth=0)
        return self.flat

    # -- instances ---------------------------------------------------------------------------------
    def _instantiate(self, scope: _Scope, depth: int) -> None:
        if depth > 32:
            self._problem("SD020", f"modules nested deeper than 32 levels at '{scope.prefix}'")
            return
        for module in scope.modules.values():
            sub = self.root.submodels.get(module.model_name) or self.root.submodels.get(canonical(module.model_name))
            if sub is None:
                sub = next((m for n, m in self.root.submodels.items() if canonical(n) == canonical(
                    module.model_name or module.name)), None)
            if sub is None:
                self._problem("SD021", f"module '{module.name}' uses unknown model '{module.model_name}'",
                              module.id, module.name)
                continue
            child = _Scope(sub, f"{scope.prefix}{module.canonical}.", scope)
            for connection in module.connections:
                source = self._resolve_connection_source(scope, connection.source)
                if source is not None:
                    child.bindings[canonical(connection.to)] = source
            self._instantiate(child, depth + 1)
        for variable in scope.variables.values():
            self._add_variable(scope, variable)
        for component in scope.neural.values():
            self._add_neural(scope, component)
        for fmu in scope.fmus.values():
            self._add_fmu(scope, fmu)

    def _resolve_connection_source(self, scope: _Scope, text: str) -> str | None:
        name = text.strip()
        if name.startswith("."):
            name = name[1:]
        key = canonical(name)
        if "." in key:
            return scope.prefix + key
        if key in scope.bindings:
            return scope.bindings[key]
        return scope.prefix + key

    # -- variables ---------------------------------------------------------------------------------
    def _add_variable(self, scope: _Scope, variable: Variable) -> None:
        key = scope.prefix + variable.canonical
        display = scope.prefix + variable.name if scope.prefix else variable.name
        binding = scope.bindings.get(variable.canonical)
        if binding is not None:  # a module input: its value comes from outside
            self.flat.inputs.append((display, binding, variable.id))
            self._store(FlatVar(key, display, "aux", Name(binding), variable.id, units=variable.units))
            return
        if isinstance(variable, Aux) and variable.gf is not None and not variable.equation.strip():
            # a lookup table used only as a function: kept for calls, never computed on its own
            self._store(FlatVar(key, display, "lookup", None, variable.id, gf=variable.gf, units=variable.units))
            return
        combos = self._combos(scope, variable)
        per_element = self._element_equations(variable)
        for combo in combos:
            text = per_element.get(",".join(combo), variable.equation)
            suffix = f"[{','.join(c for c in combo)}]" if combo else ""
            shown = f"[{','.join(scope.element_display.get(c, c) for c in combo)}]" if combo else ""
            expr = self._parse(scope, variable, text, combo)
            flat = FlatVar(key + suffix, display + shown, variable.kind if variable.kind != "aux" else "aux",
                           expr, variable.id, units=variable.units)
            if isinstance(variable, Stock):
                flat.inflows = [self._flow_key(scope, f, suffix) for f in variable.inflows]
                flat.outflows = [self._flow_key(scope, f, suffix) for f in variable.outflows]
                flat.non_negative = variable.non_negative
            elif isinstance(variable, Flow):
                flat.non_negative = variable.non_negative
                flat.gf = variable.gf
            elif isinstance(variable, Aux):
                flat.gf = variable.gf
            self._store(flat)

    def _flow_key(self, scope: _Scope, flow_id: str, suffix: str) -> str:
        flow = scope.model.elements.get(flow_id)
        name = flow.canonical if flow is not None else canonical(flow_id)
        return scope.prefix + name + suffix

    def _combos(self, scope: _Scope, variable: Variable) -> list[tuple[str, ...]]:
        if not variable.dimensions:
            return [()]
        lists = []
        for dim in variable.dimensions:
            elements = scope.dimensions.get(canonical(dim))
            if elements is None:
                self._problem("SD022", f"unknown dimension '{dim}'", variable.id, variable.name)
                return []
            lists.append(elements)
        return list(itertools.product(*lists))

    @staticmethod
    def _element_equations(variable: Variable) -> dict[str, str]:
        """Per-element equations keyed by canonical comma-joined elements."""
        return {",".join(canonical(e) for e in elements.split(",")): text
                for elements, text in variable.element_equations.items()}

    def _parse(self, scope: _Scope, variable: Variable, text: str, combo: tuple[str, ...]) -> Node | None:
        try:
            tree = parse(text, element=variable.name)
        except ParseError as exc:
            span = (exc.offset, exc.offset + 1) if exc.offset is not None else None
            self._problem("SD001", exc.message, variable.id, variable.name, span)
            return None
        dims = dict(zip((canonical(d) for d in variable.dimensions), combo, strict=False))
        resolved = _Resolver(self, scope, variable, dims).resolve(tree)
        stray = _stray_array(resolved)
        if stray is not None:
            if not any(p.code == "SD023" and p.element_id == variable.id for p in self.flat.problems):
                where = f" (first in element [{','.join(combo)}])" if combo else ""
                self._problem("SD023", f"an array is used where a single value is needed{where}: a dimension the "
                              "variable does not have, or a missing SUM, MEAN, …", variable.id, variable.name,
                              stray.span)
            return None
        return resolved

    def _add_neural(self, scope: _Scope, component: NeuralComponent) -> None:
        inputs: dict[str, list[Node]] = {}
        for port in component.inputs:
            nodes = []
            for part in (p for p in port.equation.split(";") if p.strip()):
                try:
                    tree = parse(part, element=f"{component.name}.{port.name}")
                except ParseError as exc:
                    self._problem("SD001", exc.message, component.id, f"{component.name}.{port.name}")
                    continue
                nodes.append(_Resolver(self, scope, component, {}).resolve(tree))
            inputs[port.name] = nodes
        self.flat.neural.append(NeuralUse(component, scope.prefix, inputs))

    def _add_fmu(self, scope: _Scope, component: FmuComponent) -> None:
        """The FMU's inputs as resolved expressions (a missing one: its start value) and each numeric
        parameter as a variable ``fmu.name`` (its start value, a parameter of the run, unless an
        equation gives it)."""
        use = FmuUse(component, scope.prefix + component.canonical, {}, {})
        display = (scope.prefix + component.name) if scope.prefix else component.name
        for variable in [*component.inputs, *component.parameters]:
            label = f"{component.name}.{variable.name}"
            expr: Node = Num(variable.start if variable.start is not None else 0.0)
            if variable.equation.strip():
                try:
                    expr = _Resolver(self, scope, component, {}).resolve(parse(variable.equation, element=label))
                except ParseError as exc:
                    self._problem("SD001", exc.message, component.id, label)
            if variable.causality == "input":
                use.inputs[variable.name] = expr
                continue
            key = use.port(variable)
            use.parameters[variable.name] = key
            self._store(FlatVar(key, f"{display}.{variable.name}", "aux", expr, component.id, units=variable.units,
                                hidden=not _is_number(expr)))
        self.flat.fmus.append(use)

    # -- bookkeeping -------------------------------------------------------------------------------
    def _store(self, flat: FlatVar) -> None:
        if flat.key in self.flat.variables:
            self._problem("SD004", f"two variables are named '{flat.display}'", flat.element_id, flat.display)
            return
        self.flat.variables[flat.key] = flat

    def _problem(self, code: str, message: str, element_id: str | None = None, name: str = "",
                 span: tuple[int, int] | None = None) -> None:
        self.flat.problems.append(Diagnostic(code, "error", message, element_id, name, span, "equation"))


def _is_number(node: Node) -> bool:
    return isinstance(node, Num) or (isinstance(node, UnaryOp) and isinstance(node.operand, Num))


def macro_parameters(macro: Model) -> list[str]:
    """Names of a macro's parameters in call order (auxes documented ``macro parameter N``)."""
    found = []
    for element in macro.elements.values():
        doc = getattr(element, "doc", "")
        if isinstance(element, Variable) and doc.startswith("macro parameter "):
            found.append((int(doc.rsplit(" ", 1)[1]), element.name))
    return [name for _, name in sorted(found)]


@dataclass(frozen=True)
class ArrayRef(Node):
    """Internal node: elements of an array over its free axes (``a[*, x]``, ``b[dim!]``).

    ``axes`` names each free axis (a dimension or subrange) with its elements; ``keys`` lists the flat
    keys in the product order of the axes.
    """

    axes: tuple[tuple[str, tuple[str, ...]], ...] = ()
    keys: tuple[str, ...] = ()

    def key_for(self, combo: dict[str, str]) -> str:
        index = 0
        for label, elements in self.axes:
            index = index * len(elements) + elements.index(combo[label])
        return self.keys[index]


def _rebuild(node: Node, children: list[Node]) -> Node:
    if isinstance(node, UnaryOp):
        return replace(node, operand=children[0])
    if isinstance(node, BinOp):
        return replace(node, left=children[0], right=children[1])
    if isinstance(node, If):
        return replace(node, cond=children[0], then=children[1], orelse=children[2])
    if isinstance(node, Call):
        return replace(node, args=tuple(children))
    return node


def _stray_array(node: Node) -> ArrayRef | None:
    """The first array outside every function call (where only a single value can stand), if any."""
    if isinstance(node, ArrayRef):
        return node
    if isinstance(node, Call):
        return None
    for child in node.children():
        found = _stray_array(child)
        if found is not None:
            return found
    return None


def _substitute(node: Node, combo: dict[str, str]) -> Node:
    if isinstance(node, ArrayRef):
        return Name(node.key_for(combo), span=node.span)
    children = node.children()
    return _rebuild(node, [_substitute(c, combo) for c in children]) if children else node


def _elementwise(node: Node) -> list[Node] | None:
    """Expand an expression over arrays (``a[d!] * b[d!, x]``) into one expression per element.

    Axes with the same name are iterated together; different axes form a product. Returns None for
    an expression that holds no array.
    """
    refs = [n for n in walk(node) if isinstance(n, ArrayRef)]
    if not refs:
        return None
    axes: dict[str, tuple[str, ...]] = {}
    for ref in refs:
        for label, elements in ref.axes:
            known = axes.setdefault(label, elements)
            if len(known) != len(elements):
                raise ModelError(f"axis '{label}' has {len(known)} and {len(elements)} elements in one expression")
    labels = list(axes)
    return [_substitute(node, dict(zip(labels, combo, strict=True)))
            for combo in itertools.product(*(axes[label] for label in labels))]


class _Resolver:
    """Rewrites names in one equation to flat keys, expanding subscripts for one array element."""

    def __init__(self, flattener: Flattener, scope: _Scope, owner: Variable | NeuralComponent | FmuComponent,
                 dims: dict[str, str]) -> None:
        self.flattener = flattener
        self.scope = scope
        self.owner = owner
        self.dims = dims  # dimension canonical name -> current element of this equation

    def _fail(self, code: str, message: str, node: Node) -> Node:
        """Record a problem with this equation at ``node`` and stand in a zero for it."""
        self.flattener._problem(code, message, self.owner.id, self.owner.name, node.span)
        return Num(0.0, span=node.span)

    def resolve(self, node: Node) -> Node:
        if isinstance(node, Num | Star):
            return node
        if isinstance(node, Name):
            return self._name(node)
        if isinstance(node, Subscript):
            return self._subscript(node)
        if isinstance(node, Call):
            return self._call(node)
        if isinstance(node, UnaryOp):
            return replace(node, operand=self.resolve(node.operand))
        if isinstance(node, BinOp):
            return replace(node, left=self.resolve(node.left), right=self.resolve(node.right))
        if isinstance(node, If):
            return replace(node, cond=self.resolve(node.cond), then=self.resolve(node.then),
                           orelse=self.resolve(node.orelse))
        raise TypeError(f"unknown node {node!r}")

    # -- names -------------------------------------------------------------------------------------
    def _lookup(self, name: str) -> tuple[str, Variable | None] | None:
        """The flat key (without subscript) and variable of ``name`` seen from this scope."""
        key = canonical(name)
        scope = self.scope
        if key in scope.bindings and key in scope.variables:
            return scope.prefix + key, scope.variables[key]
        if key in scope.variables:
            return scope.prefix + key, scope.variables[key]
        if "." in key:
            head, _, rest = key.partition(".")
            if head in scope.modules or head in scope.neural or head in scope.fmus:
                return scope.prefix + key, None
        return None

    def _name(self, node: Name) -> Node:
        found = self._lookup(node.name)
        if found is None:
            key = node.canonical
            if key in CONSTANT_NAMES:
                return Name(key, span=node.span)
            if key == "self" and isinstance(self.owner, Variable):
                return self._self(node)
            qualified = self._qualified_element(key)
            if qualified is not None:
                dim, element = qualified
                return Num(float(self.scope.dimensions[dim].index(element) + 1), span=node.span)
            if key in self.scope.element_display or key in self.scope.dimensions:
                # a dimension element used as a value: its 1-based position
                return Num(float(self._element_position(key)), span=node.span)
            return self._fail("SD002", f"'{node.name}' is not defined", node)
        key, variable = found
        if variable is not None and variable.dimensions:
            combo = self._matching_combo(variable, [])
            if combo is None:
                return self._array(key, variable, [Star()] * len(variable.dimensions), node.span)
            return Name(f"{key}[{','.join(combo)}]", span=node.span)
        return Name(key, span=node.span)

    def _self(self, node: Name) -> Node:
        """XMILE's ``SELF``: the variable (this element of it) whose equation this is."""
        owner = self.owner
        assert isinstance(owner, Variable)
        combo = [self.dims.get(canonical(d)) for d in owner.dimensions]
        if any(c is None for c in combo):
            return self._fail("SD023", "SELF in an equation that is not one element of its variable", node)
        suffix = f"[{','.join(c for c in combo if c)}]" if combo else ""
        return Name(f"{self.scope.prefix}{owner.canonical}{suffix}", span=node.span)

    def _qualified_element(self, key: str) -> tuple[str, str] | None:
        """``Location.Boston``: the dimension and element a dimension-qualified element name means."""
        dim, dot, element = key.partition(".")
        if dot and dim in self.scope.dimensions and element in self.scope.dimensions[dim]:
            return dim, element
        return None

    def _element_position(self, element: str) -> int:
        for elements in self.scope.dimensions.values():
            if element in elements:
                return elements.index(element) + 1
        if element in self.dims:
            return self._element_position(self.dims[element])
        return 0

    def _matching_combo(self, variable: Variable, indices: list[Node]) -> tuple[str, ...] | None:
        """Elements of ``variable`` meant by ``indices`` (or implied by this equation's own element)."""
        combo: list[str] = []
        for position, dim in enumerate(variable.dimensions):
            dim_key = canonical(dim)
            elements = self.scope.dimensions.get(dim_key, [])
            index = indices[position] if position < len(indices) else None
            chosen = self._index_element(index, dim_key, elements)
            if chosen is None:
                return None
            combo.append(chosen)
        return tuple(combo)

    def _index_element(self, index: Node | None, dim_key: str, elements: list[str]) -> str | None:
        if index is None or (isinstance(index, Name) and index.canonical == dim_key):
            return self._current(dim_key, elements)
        if isinstance(index, Name):
            key = index.canonical
            qualified = self._qualified_element(key)
            if qualified is not None and qualified[1] in elements:
                return qualified[1]
            if key in elements:
                return key
            if key in self.dims:  # another dimension of this equation: same element, or same position
                current = self.dims[key]
                if current in elements:
                    return current
                own = self.scope.dimensions.get(key, [])
                if current in own and own.index(current) < len(elements):
                    return elements[own.index(current)]
            if key in self.scope.dimensions:  # a subrange not iterated here
                return None
            found = self._lookup(index.name)
            if found is not None:
                return None
            return None
        if isinstance(index, Num) and index.value.is_integer() and 1 <= index.value <= len(elements):
            return elements[int(index.value) - 1]
        return None

    def _current(self, dim_key: str, elements: list[str]) -> str | None:
        if dim_key in self.dims:
            return self.dims[dim_key]
        for own_dim, element in self.dims.items():  # a mapped or equal-sized dimension, by position
            own = self.scope.dimensions.get(own_dim, [])
            if element in elements:
                return element
            if len(own) == len(elements) and element in own:
                return elements[own.index(element)]
        return None

    def _subscript(self, node: Subscript) -> Node:
        found = self._lookup(node.name)
        if found is None:
            return self._fail("SD002", f"'{node.name}' is not defined", node)
        key, variable = found
        if variable is None:  # a neural output port read by position: comp.port[i]
            index = node.indices[0] if len(node.indices) == 1 else None
            if isinstance(index, Num) and index.value.is_integer():
                return Name(f"{key}[{int(index.value)}]", span=node.span)
            return Name(key, span=node.span)
        if not variable.dimensions:
            return Name(key, span=node.span)
        if any(isinstance(i, Star) for i in node.indices) or self._has_free_dimension(variable, node):
            return self._array(key, variable, list(node.indices), node.span)
        combo = self._matching_combo(variable, list(node.indices))
        if combo is None:
            return self._fail("SD023", f"cannot resolve subscript of '{node.name}'", node)
        return Name(f"{key}[{','.join(combo)}]", span=node.span)

    def _has_free_dimension(self, variable: Variable, node: Subscript) -> bool:
        for index in node.indices:
            if isinstance(index, Name):
                key = index.canonical
                if key in self.scope.dimensions and key not in self.dims and self._current(
                        key, self.scope.dimensions[key]) is None:
                    return True
        return False

    def _macro_call(self, node: Call, macro: Model, args: tuple[Node, ...]) -> Node:
        """A macro call: a fresh instance of the macro's variables (its own stocks), parameters bound to the
        arguments; the call's value is the macro's variable of its own name."""
        params = macro_parameters(macro)
        if len(params) != len(args):
            return self._fail("SD011", f"macro '{macro.name}' takes {len(params)} arguments, got {len(args)}", node)
        flattener = self.flattener
        flattener.macro_calls += 1
        prefix = f"{self.scope.prefix}{canonical(macro.name)}#{flattener.macro_calls}."
        child = _Scope(macro, prefix, self.scope)
        for param, arg in zip(params, args, strict=True):
            key = f"{prefix}#arg.{canonical(param)}"
            flattener._store(FlatVar(key, key, "aux", arg, self.owner.id, hidden=True))
            child.bindings[canonical(param)] = key
        flattener._instantiate(child, prefix.count("."))
        return Name(prefix + canonical(macro.name), span=node.span)

    def _invert_matrix(self, node: Call) -> Node:
        """``INVERT MATRIX(m[..., i, j], n)`` in an equation over ``[..., i, j]``: this element of the
        inverse of the n x n matrix over the last two dimensions."""
        if len(node.args) != 2:
            return self._fail("SD011", f"INVERT MATRIX takes 2 arguments, got {len(node.args)}", node)
        matrix, size = node.args
        owner_dims = [canonical(d) for d in getattr(self.owner, "dimensions", [])]
        if not isinstance(matrix, Subscript) or len(owner_dims) < 2 or len(matrix.indices) < 2:
            return self._fail("SD023", "INVERT MATRIX needs a matrix subscripted over the last two "
                                    "dimensions of its variable", node)
        found = self._lookup(matrix.name)
        if found is None or found[1] is None:
            return self._fail("SD002", f"'{matrix.name}' is not defined", node)
        rows = list(matrix.indices[:-2]) + [Star(), Star()]
        cells = self._array(found[0], found[1], rows, matrix.span)
        row, column = (self.scope.dimensions[d].index(self.dims[d]) for d in owner_dims[-2:])
        return Call("invert_matrix", (Num(float(row)), Num(float(column)), self.resolve(size),
                                      *(Name(k) for k in cells.keys)), span=node.span)

    def _array(self, key: str, variable: Variable, indices: list[Node], span: tuple[int, int]) -> ArrayRef:
        """The elements of ``variable`` selected by ``indices``: stars and free dimensions become axes."""
        axes: list[tuple[str, tuple[str, ...]]] = []
        lists: list[list[str]] = []
        for position, dim in enumerate(variable.dimensions):
            own = canonical(dim)
            elements = self.scope.dimensions.get(own, [])
            index = indices[position] if position < len(indices) else Star()
            if isinstance(index, Star):
                label = canonical(index.dim) if index.dim else own
                chosen = self.scope.dimensions.get(label, elements)
            elif isinstance(index, Name) and index.canonical in self.scope.dimensions and index.canonical not in \
                    self.dims:
                label, chosen = index.canonical, self.scope.dimensions[index.canonical]
            else:
                element = self._index_element(index, own, elements)
                lists.append([element] if element is not None else elements)
                continue
            axes.append((label, tuple(chosen)))
            lists.append(chosen)
        keys = tuple(f"{key}[{','.join(c)}]" for c in itertools.product(*lists))
        return ArrayRef(tuple(axes), keys, span=span)

    def _call(self, node: Call) -> Node:
        if node.canonical == "invert_matrix":
            return self._invert_matrix(node)
        if node.canonical in VECTOR_CALLS:
            try:
                return resolve_vector_call(self, node)
            except VectorCallError as exc:
                return self._fail("SD023", str(exc), node)
        args = tuple(self.resolve(a) for a in node.args)
        if node.canonical in ARRAY_FUNCTIONS:
            args = tuple(item for a in args for item in (_elementwise(a) or [a]))
        if is_builtin(node.func):
            return Call(node.canonical, args, span=node.span)
        found = self._lookup(node.func)
        if found is None and (macro := self.flattener.macro(node.func)) is not None:
            return self._macro_call(node, macro, args)
        if found is None:
            return self._fail("SD011", f"unknown function '{node.func}'", node)
        key, variable = found
        if variable is not None and getattr(variable, "gf", None) is None:
            return self._fail("SD011", f"'{node.func}' is called like a function but has no graphical "
                                    "function", node)
        return Call("lookup", (Name(key), *args), span=node.span)

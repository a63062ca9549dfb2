"""SysML parametrics as engine variables: constraints read, names resolved, solved acausally.

Input: the value network of the instance trees (:mod:`solvers.wiring`). Each *quantity* (occurrences
made one by bindings) is a value: known when an SD behaviour provides it or it is the clock, a
parameter when only a default gives it, else an unknown. Each constraint of each instance gives its
statements: equations join the acausal system (:mod:`solvers.acausal`), conditions become checks for
requirement verification (:mod:`solvers.verify`). Output: flat variables for the engine (parameters,
explicit values, numeric algebraic blocks, discrete and continuous states, lookup tables), module
connections into SD behaviours, and the problems and notes found on the way.

Notations are read by :mod:`metamodel.equations.notation`. Special forms: ``previous(x)`` (the value
of the last step), ``der(x)`` (the time derivative: ``x`` integrates), ``x_out = x_in + … * dt`` with
both ends bound to one value (that value is updated each step), table lookups ``interp1``/``interpn``
(MATLAB, NaN outside the table), ``interp`` (numpy, held at the ends) and scipy's ``interpn`` over
literal arrays, text values compared with text literals (folded to constants).
"""

from __future__ import annotations

import difflib
import itertools
import math
from dataclasses import dataclass, field, replace

from metamodel.elements import Block, Constraint, GraphicalFunction, ModuleConnection, Part, Variable
from metamodel.equations.ast import BinOp, Call, If, Name, Node, Num, UnaryOp, walk
from metamodel.equations.notation import ArrayLiteral, Statement, Text, parse_body, parse_expression
from metamodel.errors import ParseError
from metamodel.names import canonical
from metamodel.validation.registry import Diagnostic
from solvers import acausal
from solvers.flatten import FlatVar
from solvers.instances import V2_KEYWORDS, Instance, ModelIndex
from solvers.wiring import Occurrence, Wiring

STEP_NAMES = frozenset({"dt", "delta_t", "deltat", "time_step", "timestep"})
CLOCK_NAMES = frozenset({"time", "t_sim"})
RESERVED = frozenset({"time", "dt", "pi", "inf", "nan", "starttime", "stoptime"})
MAX_TABLE_TERMS = 4096
_COMPARISONS = {"=": lambda a, b: a == b, "<>": lambda a, b: a != b}


@dataclass
class Quantity:
    """A value several occurrences share. ``key`` is what equations name; ``sd_key`` is set when an SD
    behaviour provides it."""

    key: str
    display: str
    members: list[Occurrence]
    units: str = ""
    default: float | None = None
    text: str | None = None
    table: ArrayLiteral | None = None
    expression: tuple[Node, Instance, Occurrence] | None = None
    provider: Occurrence | None = None
    consumers: list[Occurrence] = field(default_factory=list)
    clock: str = ""  # "dt" or "time" when the quantity is the run's clock
    used: bool = False


@dataclass
class Check:
    """A condition of a constraint (``T <= 100``), names resolved to quantity keys; the run reports it as
    ``display`` (1 where it holds, 0 where not) and the value of its left side as ``value_display``."""

    constraint: Constraint
    instance: Instance
    condition: Node
    subject: Node | None
    text: str
    key: str
    display: str = ""
    value_display: str = ""


@dataclass
class Parametrics:
    """What the parametrics add to a run."""

    variables: list[FlatVar] = field(default_factory=list)
    connections: dict[tuple[str, ...], list[ModuleConnection]] = field(default_factory=dict)
    problems: list[Diagnostic] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    inputs: list[str] = field(default_factory=list)
    display: dict[str, str] = field(default_factory=dict)  # quantity key -> display name
    dynamic: bool = False  # states or time: not a single evaluation
    step: float | None = None  # the default of a value named dt


class ParametricBuilder:
    """Builds :class:`Parametrics` from a wired network; use once: ``ParametricBuilder(...).build()``."""

    def __init__(self, index: ModelIndex, wiring: Wiring, trees: list[Instance]) -> None:
        self.index = index
        self.wiring = wiring
        self.trees = trees
        self.out = Parametrics()
        self.quantities: dict[str, Quantity] = {}  # occurrence key -> its quantity
        self.by_key: dict[str, Quantity] = {}  # quantity key -> quantity
        self.features: dict[tuple[str, ...], dict[str, Occurrence]] = {}  # instance path -> name -> occurrence
        self.equations: list[acausal.Equation] = []
        self.previous: dict[str, Quantity] = {}  # key of x#prev -> x
        self.derivatives: dict[str, Quantity] = {}  # key of x#der -> x
        self.updated: dict[str, Quantity] = {}  # quantities updated each step (x = f(x) … dt)
        self.tables: list[FlatVar] = []
        self.hats: dict[tuple[float, ...], list[str]] = {}
        self.statement: tuple[Constraint, Instance, Statement] | None = None
        self.calcs = {canonical(b.name): b for b in index.model.of_kind(Block) if b.stereotype == "calc def"}
        self.arguments: list[dict[str, Node]] = []  # parameter name -> argument, while a calculation is inlined
        self.parsed: dict[str, list[Statement]] = {}  # constraint id -> its statements, read once for all instances

    # -- driver -----------------------------------------------------------------------------------
    def build(self) -> Parametrics:
        self._quantities()
        statements: list[tuple[Constraint, Instance, Statement]] = []
        for tree in self.trees:
            for instance in tree.walk():
                for constraint in self.index.features(instance.sources, Constraint):
                    statements += [(constraint, instance, s) for s in self._parse(constraint)]
        rest = []
        for item in statements:  # values bound to sequences first: (a, b) is then seen wherever it is used
            statement = item[2]
            if statement.is_equation and isinstance(statement.right, ArrayLiteral) and not item[1].requirement:
                self._sequence(*item)
            else:
                rest.append(item)
        for constraint, instance, statement in rest:
            self.statement = (constraint, instance, statement)
            self._statement(constraint, instance, statement)
        self.statement = None
        for quantity in list(self._unique()):
            if quantity.expression is not None:
                node, instance, occurrence = quantity.expression
                self._default_equation(quantity, node, instance, occurrence)
        if not self.out.problems:
            self._solve()
        return self.out

    def _unique(self) -> list[Quantity]:
        return list(self.by_key.values())

    def _problem(self, code: str, message: str, element_id: str | None = None, name: str = "") -> None:
        self.out.problems.append(Diagnostic(code, "error", message, element_id, name))

    # -- quantities -------------------------------------------------------------------------------
    def _quantities(self) -> None:
        taken: set[str] = set()
        for members in self.wiring.network.groups().values():
            quantity = self._quantity(members, taken)
            self.by_key[quantity.key] = quantity
            for member in members:
                self.quantities[member.key] = quantity
        for occurrence in self.wiring.network.occurrences.values():
            path = occurrence.instance.path
            tail = occurrence.display[len(".".join(path)) + 1:] if path else occurrence.display
            self.features.setdefault(path, {}).setdefault(canonical(tail), occurrence)

    def _quantity(self, members: list[Occurrence], taken: set[str]) -> Quantity:
        primary = min(members, key=lambda o: o.rank)
        provider = next((m for m in members if m.sd == "out"), None)
        if provider is None and not any(m.default.strip() for m in members if not m.sd):
            provider = next((m for m in members if m.sd == "param"), None)  # the SD model's own constant
        quantity = Quantity(primary.key, primary.display, members, next((m.units for m in members if m.units), ""))
        if provider is not None:
            quantity.provider, quantity.key, quantity.display = provider, provider.key, provider.display
        elif primary.sd or primary.key in RESERVED:
            quantity.key = f"#q:{primary.key}"
        if quantity.key in taken:
            quantity.key = f"{quantity.key}#{primary.element.id}"
        taken.add(quantity.key)
        self.out.display[quantity.key] = quantity.display
        quantity.consumers = [m for m in members if m.sd in ("in", "param") and m is not provider]
        last = canonical(primary.display.rpartition(".")[2])
        if provider is None and last in STEP_NAMES | CLOCK_NAMES:
            quantity.clock = "dt" if last in STEP_NAMES else "time"
        self._defaults(quantity)
        if quantity.clock and quantity.default is not None:
            if quantity.clock == "dt" and quantity.default > 0:
                self.out.step = quantity.default
            quantity.default = None
        return quantity

    def _defaults(self, quantity: Quantity) -> None:
        written = [(m, m.default) for m in quantity.members if m.default.strip()]
        for member, text in written:
            try:
                node = parse_expression(text, frozenset(self.calcs), member.element.stereotype in V2_KEYWORDS)
            except ParseError as exc:
                self._problem("PA001", f"default value {text!r} of {member.display} cannot be read: {exc.message}",
                              member.element.id, member.display)
                continue
            value = _constant(node)
            if isinstance(node, Text):
                self._set_default(quantity, member, "text", node.value)
            elif isinstance(node, ArrayLiteral):
                quantity.table = node
            elif value is not None:
                self._set_default(quantity, member, "default", value)
            elif quantity.expression is None:
                quantity.expression = (node, member.instance, member)
        if quantity.provider is not None and written:
            self.out.notes.append(f"{quantity.display} is the output of an SD behaviour; the default value of "
                                  f"{', '.join(m.display for m, _ in written)} is not used")
            quantity.default = quantity.text = None

    def _set_default(self, quantity: Quantity, member: Occurrence, attribute: str, value: object) -> None:
        current = getattr(quantity, attribute)
        if current is not None and current != value:
            self._problem("PA008", f"values bound together have different defaults: {quantity.display} is "
                                   f"{current!r}, {member.display} is {value!r}", member.element.id, member.display)
            return
        setattr(quantity, attribute, value)

    # -- constraints ------------------------------------------------------------------------------
    def _parse(self, constraint: Constraint) -> list[Statement]:
        """The statements of a constraint, read once however many instances hold it: a body that cannot
        be read is one PA001, on the constraint and the element that owns it."""
        if constraint.id not in self.parsed:
            try:
                self.parsed[constraint.id] = parse_body(constraint.body, constraint.language, frozenset(self.calcs))
            except ParseError as exc:
                self.parsed[constraint.id] = []
                where = f" at column {exc.offset + 1}" if exc.offset is not None else ""
                language = f" ({constraint.language})" if constraint.language else ""
                owner = self.index.model.get(constraint.owner) if constraint.owner else None
                of = f" of {owner.name}" if owner is not None and owner.name else ""
                self._problem("PA001", f"constraint {constraint.name or constraint.body[:40]!r}{of}{language} cannot "
                                       f"be read{where}: {exc.message}", constraint.id, constraint.name)
        return self.parsed[constraint.id]

    def _sequence(self, constraint: Constraint, instance: Instance, statement: Statement) -> None:
        """``c.parts == (a.m, b.m)``: a multi-valued parameter bound to a sequence of values."""
        self.statement = (constraint, instance, statement)
        quantity = self._lookup(statement.left.name, instance) if isinstance(statement.left, Name) else None
        if quantity is None:
            self._problem("PA007", f"{self._where()}: only a named value can be bound to a sequence",
                          constraint.id, constraint.name)
        else:
            quantity.table = self._resolve(statement.right, instance)  # type: ignore[assignment,arg-type]
            quantity.used = True
        self.statement = None

    def _label(self, instance: Instance, text: str) -> str:
        return f"'{text}' in {instance.label}"

    def _statement(self, constraint: Constraint, instance: Instance, statement: Statement) -> None:
        problems = len(self.out.problems)
        left = self._resolve(statement.left, instance)
        right = self._resolve(statement.right, instance) if statement.right is not None else None
        if len(self.out.problems) > problems:
            return
        label = self._label(instance, statement.text)
        if statement.is_equation and right is not None and instance.requirement is None:
            if isinstance(left, Text | ArrayLiteral) or isinstance(right, Text | ArrayLiteral):
                if not (isinstance(left, Text) and isinstance(right, Text) and left.value == right.value):
                    self._problem("PA007", f"{label}: text and tables are constants here; only numbers are "
                                           "computed", constraint.id, constraint.name)
                return
            self.equations.append(self._update(acausal.Equation(left, right, label, constraint.id)))
            return
        node = self._fold(left if right is None else BinOp(statement.op, left, right))
        self.out.checks.append(Check(constraint, instance, node, left if right is not None else None,
                                     statement.text, f"#check{len(self.out.checks)}"))

    def _update(self, equation: acausal.Equation) -> acausal.Equation:
        """``x_out = x_in + … * dt`` with both ends bound to one value: that value's next step."""
        target = equation.written_for
        names = acausal.keys_in([equation.rhs])
        if target is None or target not in names or not names & acausal.TIMED:
            return equation
        quantity = self._by_key(target)
        if quantity is None:
            return equation
        self.updated[target] = quantity
        return replace(equation, lhs=Name(target + acausal.NEXT))

    def _default_equation(self, quantity: Quantity, node: Node, instance: Instance, occurrence: Occurrence) -> None:
        problems = len(self.out.problems)
        value = self._resolve(node, instance)
        if len(self.out.problems) == problems:
            label = self._label(instance, f"{occurrence.display.rpartition('.')[2]} = {occurrence.default.strip()}")
            self.equations.append(acausal.Equation(Name(quantity.key), value, label, occurrence.element.id))
            quantity.used = True

    def _by_key(self, key: str) -> Quantity | None:
        return self.by_key.get(key)

    # -- names ------------------------------------------------------------------------------------
    def _resolve(self, node: Node, instance: Instance) -> Node:
        if isinstance(node, Num | Text):
            return node
        if isinstance(node, Name):
            return self._name(node, instance)
        if isinstance(node, ArrayLiteral):
            return replace(node, items=tuple(self._resolve(i, instance) for i in node.items))
        if isinstance(node, UnaryOp):
            return self._fold(replace(node, operand=self._resolve(node.operand, instance)))
        if isinstance(node, BinOp):
            return self._fold(replace(node, left=self._resolve(node.left, instance),
                                      right=self._resolve(node.right, instance)))
        if isinstance(node, If):
            return self._fold(replace(node, cond=self._resolve(node.cond, instance),
                                      then=self._resolve(node.then, instance),
                                      orelse=self._resolve(node.orelse, instance)))
        if isinstance(node, Call):
            return self._call(node, instance)
        return node

    def _name(self, node: Name, instance: Instance) -> Node:
        if self.arguments and canonical(node.name) in self.arguments[-1]:
            return self.arguments[-1][canonical(node.name)]
        quantity = self._lookup(node.name, instance)
        if quantity is not None:
            quantity.used = True
            if quantity.text is not None:
                return Text(quantity.text, span=node.span)
            if quantity.table is not None:
                return quantity.table
            if quantity.clock:
                return Name(quantity.clock, span=node.span)
            return Name(quantity.key, span=node.span)
        key = canonical(node.name)
        if key in ("pi", "time", "dt", "inf", "nan"):
            return Name(key, span=node.span)
        if "::" in node.name:  # an enumeration literal: Mode::TRACK
            return Text(node.name.rpartition("::")[2], span=node.span)
        names = sorted({m.display.rpartition(".")[2] for m in self.features.get(instance.path, {}).values()})
        close = difflib.get_close_matches(node.name, names, n=1, cutoff=0.6)
        hint = f"; did you mean '{close[0]}'?" if close else f"; its features are: {', '.join(names) or 'none'}"
        constraint = self.statement[0] if self.statement else None
        self._problem("PA002", f"'{node.name}' in {self._where()} is not a feature of {instance.label}{hint}",
                      constraint.id if constraint else None, constraint.name if constraint else "")
        return Num(0.0)

    def _where(self) -> str:
        if self.statement is None:
            return "a default value"
        constraint, _, statement = self.statement
        return f"'{statement.text}'"

    def _lookup(self, name: str, instance: Instance) -> Quantity | None:
        """The quantity ``a.b.c`` names seen from ``instance``: features, then parts' features."""
        current: Instance | None = instance
        steps = name.split(".")
        while current is not None:
            found = self._path(current, steps)
            if found is not None:
                return found
            current = current.parent if current.lexical else None  # v2 usages see the names around them
        return None

    def _path(self, instance: Instance, steps: list[str]) -> Quantity | None:
        current: Instance | None = instance
        for position, step in enumerate(steps):
            assert current is not None
            occurrence = self.features.get(current.path, {}).get(canonical(".".join(steps[position:])))
            if occurrence is not None:
                return self.quantities.get(occurrence.key)
            current = current.child_named(step) or self._subject(current, step)
            if current is None:
                return None
        return None

    def _subject(self, instance: Instance, name: str) -> Instance | None:
        """The instance a ``subject`` feature named ``name`` refers to: the one written after ``=``, else
        the instance a requirement is checked on."""
        subject = next((p for p in self.index.features(instance.sources, Part) if p.stereotype == "subject"
                        and canonical(p.name) == canonical(name)), None)
        if subject is None:
            return None
        if subject.default.strip():
            return self._instance(subject.default.strip().split("."), instance.parent)
        return instance.parent if instance.requirement is not None else None

    def _instance(self, steps: list[str], scope: Instance | None) -> Instance | None:
        """The instance a path of part names reaches, seen from ``scope`` outwards, then from the roots."""
        while scope is not None:
            found: Instance | None = scope
            for step in steps:
                found = found.child_named(step) if found is not None else None
            if found is not None:
                return found
            scope = scope.parent
        for tree in self.trees:
            found = tree if canonical(tree.name) == canonical(steps[0]) or (
                tree.path and canonical(tree.path[0]) == canonical(steps[0])) else None
            for step in steps[1:]:
                found = found.child_named(step) if found is not None else None
            if found is not None:
                return found
        return None

    # -- calls ------------------------------------------------------------------------------------
    def _call(self, node: Call, instance: Instance) -> Node:
        name = node.func
        if name in ("previous", "der"):
            return self._state_call(node, instance)
        args = tuple(self._resolve(a, instance) for a in node.args)
        if name.startswith("calc:"):
            return self._inline(self.calcs[name[5:]], args, node, instance)
        if name == "passif" and len(args) == 1:
            return args[0]
        if name in ("interp", "interp1", "interpn"):
            return self._table(name, args, node)
        if any(isinstance(a, Text) for a in args):
            return self._not_numeric(node, "text")
        if name in ("min", "max", "sum"):
            flat: list[Node] = []
            for arg in args:
                flat.extend(arg.items if isinstance(arg, ArrayLiteral) else (arg,))
            args = tuple(flat)
        if any(isinstance(a, ArrayLiteral) for a in args):
            return self._not_numeric(node, "a table")
        return self._function(name, args, node)

    def _inline(self, calc: Block, args: tuple[Node, ...], node: Call, instance: Instance) -> Node:
        """A call of the model's own calculation: its result expression with the arguments in place."""
        constraint = self.statement[0] if self.statement else None
        parts = self.index.children(calc.id, Part)
        parameters = [p for p in parts if p.stereotype != "return"]
        result = self._calc_result(calc, parts)
        if result is None or len(args) != len(parameters) or len(self.arguments) > 20:
            why = "has no result expression" if result is None else \
                f"takes {len(parameters)} argument(s), not {len(args)}" if len(args) != len(parameters) else \
                "calls itself too deeply"
            self._problem("PA001", f"{calc.name}() in {self._where()} {why}", constraint.id if constraint else None)
            return Num(0.0)
        self.arguments.append({canonical(p.name): a for p, a in zip(parameters, args, strict=True)})
        try:
            return self._resolve(result, instance)
        finally:
            self.arguments.pop()

    def _calc_result(self, calc: Block, parts: list[Part]) -> Node | None:
        """The expression a calculation returns: its ``result == (…)`` constraint or its return's value."""
        returns = [p for p in parts if p.stereotype == "return"]
        names = {canonical(p.name) for p in returns} or {"result"}
        for constraint in self.index.children(calc.id, Constraint):
            try:
                statements = parse_body(constraint.body, constraint.language, frozenset(self.calcs))
            except ParseError:
                continue
            for statement in statements:
                if statement.is_equation and isinstance(statement.left, Name) and \
                        canonical(statement.left.name) in names:
                    return statement.right
        for part in returns:
            if part.default.strip():
                try:
                    return parse_expression(part.default, frozenset(self.calcs), quoted_names=True)
                except ParseError:
                    return None
        return None

    def _not_numeric(self, node: Call, what: str) -> Node:
        constraint = self.statement[0] if self.statement else None
        self._problem("PA007", f"{node.func}() in {self._where()} is given {what}; only numbers are computed",
                      constraint.id if constraint else None)
        return Num(0.0)

    def _function(self, name: str, args: tuple[Node, ...], node: Call) -> Node:
        arity = {"log": (1, 2), "pow": (2, 2), "mod": (2, 2), "rem": (2, 2), "hypot": (2, 2), "log2": (1, 1),
                 "floor": (1, 1), "ceil": (1, 1)}
        low, high = arity.get(name, (1, 99) if name in ("min", "max", "sum") else (1, 1))
        if not low <= len(args) <= high:
            constraint = self.statement[0] if self.statement else None
            self._problem("PA001", f"{node.func}() in {self._where()} takes {low}"
                                   f"{'' if low == high else f' to {high}'} argument(s), not {len(args)}",
                          constraint.id if constraint else None)
            return Num(0.0)
        if name == "log":
            return Call("ln", args) if len(args) == 1 else Call("log", args)
        if name == "log2":
            return BinOp("/", Call("ln", args), Call("ln", (Num(2.0),)))
        if name == "floor":
            return Call("int", args)
        if name == "ceil":
            return UnaryOp("-", Call("int", (UnaryOp("-", args[0]),)))
        if name == "pow":
            return BinOp("^", args[0], args[1])
        if name == "mod":
            return BinOp("mod", args[0], args[1])
        if name == "rem":
            return Call("modulo", args)
        if name == "hypot":
            return Call("sqrt", (BinOp("+", BinOp("^", args[0], Num(2.0)), BinOp("^", args[1], Num(2.0))),))
        if name == "sum":
            total = args[0]
            for arg in args[1:]:
                total = BinOp("+", total, arg)
            return total
        return Call(name, args, span=node.span)

    def _state_call(self, node: Call, instance: Instance) -> Node:
        constraint = self.statement[0] if self.statement else None
        inner = node.args[0] if len(node.args) == 1 else None
        quantity = self._lookup(inner.name, instance) if isinstance(inner, Name) else None
        if quantity is None or quantity.clock or quantity.text is not None or quantity.table is not None:
            self._problem("PA001", f"{node.func}() in {self._where()} must name one value of {instance.label}",
                          constraint.id if constraint else None)
            return Num(0.0)
        quantity.used = True
        suffix = "#prev" if node.func == "previous" else "#der"
        key = quantity.key + suffix
        (self.previous if node.func == "previous" else self.derivatives)[key] = quantity
        return Name(key, span=node.span)

    # -- text -------------------------------------------------------------------------------------
    def _fold(self, node: Node) -> Node:
        """Comparisons of text constants become 1 or 0; conditionals on constants pick their branch."""
        if isinstance(node, BinOp) and node.op in _COMPARISONS and (
                isinstance(node.left, Text) or isinstance(node.right, Text)):
            if isinstance(node.left, Text) and isinstance(node.right, Text):
                return Num(1.0 if _COMPARISONS[node.op](node.left.value, node.right.value) else 0.0)
            constraint = self.statement[0] if self.statement else None
            self._problem("PA007", f"{self._where()} compares a text with a value that is not a constant text; "
                                   "only text constants are read", constraint.id if constraint else None)
            return Num(0.0)
        if isinstance(node, If) and isinstance(node.cond, Num):
            return node.then if node.cond.value else node.orelse
        if isinstance(node, UnaryOp) and node.op == "not" and isinstance(node.operand, Num):
            return Num(0.0 if node.operand.value else 1.0)
        return node

    # -- tables -----------------------------------------------------------------------------------
    def _table(self, name: str, args: tuple[Node, ...], node: Call) -> Node:
        constraint = self.statement[0] if self.statement else None
        try:
            grids, values, queries, clamp = _table_arguments(name, args)
        except ValueError as exc:
            self._problem("PA009", f"{node.func}() in {self._where()}: {exc}", constraint.id if constraint else None)
            return Num(0.0)
        terms = math.prod(len(g) for g in grids)
        if terms > MAX_TABLE_TERMS:
            self._problem("PA009", f"{node.func}() in {self._where()}: a table of {terms} points is larger than "
                                   f"the {MAX_TABLE_TERMS} read", constraint.id if constraint else None)
            return Num(0.0)
        if len(grids) == 1:
            key = self._lookup_table(grids[0], [float(v) for v in values])  # type: ignore[arg-type]
            result: Node = Call("lookup", (Name(key), queries[0]))
        else:
            result = self._multilinear(grids, values, queries)
        if clamp:
            return result
        outside: Node | None = None
        for grid, query in zip(grids, queries, strict=True):
            test = BinOp("or", BinOp("<", query, Num(grid[0])), BinOp(">", query, Num(grid[-1])))
            outside = test if outside is None else BinOp("or", outside, test)
        return If(outside, Name("nan"), result)  # type: ignore[arg-type]

    def _lookup_table(self, xs: tuple[float, ...], ys: list[float]) -> str:
        key = f"#table{len(self.tables)}"
        self.tables.append(FlatVar(key, key, "lookup", None, gf=GraphicalFunction(ypts=ys, xpts=list(xs)),
                                   hidden=True))
        return key

    def _multilinear(self, grids: list[tuple[float, ...]], values: object, queries: list[Node]) -> Node:
        """Σ Π hat_i(q) · V[i…]: multilinear interpolation from one-dimensional hat-function lookups."""
        hats = []
        for grid in grids:
            if grid not in self.hats:
                self.hats[grid] = [self._lookup_table(grid, [1.0 if j == i else 0.0 for j in range(len(grid))])
                                   for i in range(len(grid))]
            hats.append(self.hats[grid])
        total: Node | None = None
        for combo in itertools.product(*(range(len(g)) for g in grids)):
            value = values
            for i in combo:
                value = value[i]  # type: ignore[index]
            if value == 0:
                continue
            term: Node = Num(float(value))  # type: ignore[arg-type]
            for dimension, i in enumerate(combo):
                term = BinOp("*", term, Call("lookup", (Name(hats[dimension][i]), queries[dimension])))
            total = term if total is None else BinOp("+", total, term)
        return total if total is not None else Num(0.0)

    # -- solving ----------------------------------------------------------------------------------
    def _solve(self) -> None:
        quantities = self._unique()
        system = acausal.System(list(self.equations), display=dict(self.out.display))
        integrated = {q.key for q in self.derivatives.values()}
        named = acausal.keys_in([n for e in self.equations for n in (e.lhs, e.rhs)])
        for quantity in quantities:
            key = quantity.key
            if quantity.text is not None or quantity.table is not None or quantity.clock:
                continue
            if quantity.provider is not None or key in self.updated or key in integrated:
                system.knowns.add(key)
            elif quantity.default is not None:
                system.defaults[key] = quantity.default
            elif quantity.used or key in named:
                system.unknowns.add(key)
        system.knowns |= set(self.previous) | {"time", "dt"}
        for key, quantity in self.updated.items():
            system.unknowns.add(key + acausal.NEXT)
            system.display[key + acausal.NEXT] = f"{quantity.display} (next)"
        for key, quantity in self.derivatives.items():
            system.unknowns.add(key)
            system.display[key] = f"der({quantity.display})"
        solution = acausal.solve(system)
        self.out.problems.extend(solution.problems)
        self.out.notes.extend(solution.notes)
        if self.out.problems:
            return
        self._emit(quantities, system, solution)

    def _emit(self, quantities: list[Quantity], system: acausal.System, solution: acausal.Solution) -> None:
        out = self.out
        for quantity in quantities:
            if quantity.provider is not None:
                self._feed_consumers(quantity, quantity.key)
        states = dict(solution.states)
        for key in self.updated:
            states[key] = key + acausal.NEXT
        for key, quantity in ((q.key, q) for q in quantities):
            value = self._value(key, quantity, solution, states)
            if value is None:
                continue
            hidden = key.startswith("#")
            out.variables.append(FlatVar(key, quantity.display if not hidden else key, "aux", value,
                                         quantity.members[0].element.id, units=quantity.units, hidden=hidden))
            self._feed_consumers(quantity, key)
        for key, expression in solution.values.items():
            if key.endswith(acausal.NEXT):
                out.variables.append(FlatVar(key, key, "aux", expression, hidden=True))
        for key, quantity in self.derivatives.items():
            self._stock(quantity, key, solution)
        for key, quantity in self.previous.items():
            start = self._start(quantity, "previous()")
            out.variables.append(FlatVar(key, key, "aux", Call("previous", (Name(quantity.key), Num(start))),
                                         hidden=True))
        self._blocks(solution)
        out.variables.extend(self.tables)
        self._aliases(quantities)
        self._checks()
        out.inputs = [system.show(k) for k in solution.inputs]
        if out.inputs:
            out.notes.append(f"nothing gives a value to {', '.join(out.inputs)}: set them (--set NAME=VALUE) or give "
                             "them default values")
        out.dynamic = bool(states or self.derivatives or self.previous) or any(
            acausal.TIMED & e.names() for e in self.equations)

    def _value(self, key: str, quantity: Quantity, solution: acausal.Solution,
               states: dict[str, str]) -> Node | None:
        if quantity.provider is not None or quantity.text is not None or quantity.table is not None or quantity.clock:
            return None
        if key in states:
            start = self._start(quantity, "an update each time step")
            return Call("previous", (Name(states[key]), Num(start)))
        if key in solution.values:
            return _computed(solution.values[key])
        if key in solution.parameters:
            return Num(solution.parameters[key])
        if key in solution.inputs:
            return Num(math.nan)
        if any(key in b.unknowns for b in solution.blocks) or any(q is quantity for q in self.derivatives.values()):
            return None  # written by the block or the stock
        if quantity.default is not None:
            return Num(quantity.default)  # a value no equation uses: a parameter
        return None

    def _checks(self) -> None:
        """Each condition as a reported value (1 where it holds), with the value of its left side."""
        reported = {v.key: v.display for v in self.out.variables if not v.hidden}
        for check in self.out.checks:
            check.display = f"check: {check.text} ({check.instance.label})"
            self.out.variables.append(FlatVar(check.key, check.display, "aux", _computed(check.condition),
                                              check.constraint.id))
            subject = check.subject
            if isinstance(subject, Name) and subject.name in reported:
                check.value_display = reported[subject.name]
            elif subject is not None:
                check.value_display = f"{check.display} value"
                self.out.variables.append(FlatVar(f"{check.key}:value", check.value_display, "aux",
                                                  _computed(subject), check.constraint.id))

    def _start(self, quantity: Quantity, why: str) -> float:
        if quantity.default is None:
            self._problem("PA011", f"{quantity.display} needs a start value for {why}: give it a default value",
                          quantity.members[0].element.id, quantity.display)
            return 0.0
        return quantity.default

    def _stock(self, quantity: Quantity, key: str, solution: acausal.Solution) -> None:
        start = self._start(quantity, "der()")
        self.out.variables.append(FlatVar(quantity.key, quantity.display, "stock", Num(start),
                                          quantity.members[0].element.id, inflows=[key], units=quantity.units))
        if key in solution.values:
            self.out.variables.append(FlatVar(key, key, "aux", solution.values[key], hidden=True))

    def _blocks(self, solution: acausal.Solution) -> None:
        from solvers.algebraic import register

        for block in solution.blocks:
            inputs = sorted(acausal.keys_in(block.residuals) - set(block.unknowns) - {"pi", "inf", "nan"})
            tables = {t.key: t.gf for t in self.tables if t.key in inputs and t.gf is not None}
            inputs = [k for k in inputs if k not in tables]
            number = register(block, inputs, [self.out.display.get(u, u) for u in block.unknowns], tables)
            for position, key in enumerate(block.unknowns):
                call = Call("algebraic", (Num(float(number)), Num(float(position)), *(Name(k) for k in inputs)))
                quantity = self._by_key(key)
                hidden = quantity is None or key.startswith("#")
                display = quantity.display if quantity is not None and not hidden else key
                self.out.variables.append(FlatVar(key, display, "aux", call, hidden=hidden,
                                                  units=quantity.units if quantity else ""))
                if quantity is not None:
                    self._feed_consumers(quantity, key)

    def _feed_consumers(self, quantity: Quantity, key: str) -> None:
        for consumer in quantity.consumers:
            variable = self._sd_variable(consumer)
            if variable is not None:
                self.out.connections.setdefault(consumer.instance.path, []).append(ModuleConnection(variable.name, key))

    def _sd_variable(self, occurrence: Occurrence) -> Variable | None:
        variables = self.wiring.sd_variables.get(occurrence.instance.path, {})
        return variables.get(occurrence.key.rpartition(".")[2])

    def _aliases(self, quantities: list[Quantity]) -> None:
        """Every value property of every instance reports its value, also when bound to another."""
        emitted = {v.key for v in self.out.variables}
        for quantity in quantities:
            if quantity.text is not None or quantity.table is not None:
                continue
            source: Node = Name(quantity.clock) if quantity.clock else Name(quantity.key)
            if not quantity.clock and quantity.provider is None and quantity.key not in emitted:
                continue
            for member in quantity.members:
                key = member.key if member.key not in RESERVED else f"{member.key}#v"
                if member.kind == "value" and not member.sd and key != quantity.key and key not in emitted:
                    self.out.variables.append(FlatVar(key, member.display, "aux", source, member.element.id,
                                                      units=member.units))
                    emitted.add(key)


def _computed(node: Node) -> Node:
    """A value an equation gives, written so that the compiler does not take a constant for a parameter
    (a parameter may be set by a run; a computed value may not)."""
    if isinstance(node, Num) or isinstance(node, UnaryOp) and isinstance(node.operand, Num):
        return BinOp("*", Num(1.0), node)
    return node


def _constant(node: Node) -> float | None:
    """The value of an expression without names (``2*3.5``, ``-pi/4``), else None."""
    if isinstance(node, Num):
        return node.value
    if any(isinstance(n, Name) and canonical(n.name) != "pi" for n in walk(node)) or \
            any(isinstance(n, Text | ArrayLiteral | Call) for n in walk(node)):
        return None
    from metamodel.equations.to_sympy import to_sympy

    try:
        value = complex(to_sympy(node).evalf())
    except (TypeError, ValueError, AttributeError):
        return None
    return value.real if value.imag == 0 and math.isfinite(value.real) else None


def _numbers(node: Node) -> object:
    """A literal array as nested lists of floats; ValueError for anything else."""
    if isinstance(node, ArrayLiteral):
        return [_numbers(item) for item in node.items]
    value = _constant(node)
    if value is None:
        raise ValueError("table data must be numbers written in the constraint or in default values")
    return value


def _grid(node: Node) -> tuple[float, ...]:
    values = _numbers(node)
    if not isinstance(values, list) or any(isinstance(v, list) for v in values) or len(values) < 2:
        raise ValueError("a table axis must be a list of at least two numbers")
    if any(b <= a for a, b in itertools.pairwise(values)):  # type: ignore[operator]
        raise ValueError("a table axis must increase strictly")
    return tuple(float(v) for v in values)  # type: ignore[arg-type]


def _shape(values: object) -> tuple[int, ...]:
    if isinstance(values, list):
        inner = {_shape(v) for v in values}
        if len(inner) != 1:
            raise ValueError("the rows of the table values have different lengths")
        return (len(values), *inner.pop())
    return ()


def _table_arguments(name: str, args: tuple[Node, ...]) -> tuple[list[tuple[float, ...]], object, list[Node], bool]:
    """(axes, values, queries, held at the ends) of interp(xq, xp, fp), interp1(x, v, xq),
    MATLAB interpn(x1, …, xn, V, q1, …, qn) and scipy interpn((x1, …), V, (q1, …))."""
    if name == "interp":
        if len(args) != 3:
            raise ValueError("interp takes (x, xp, fp)")
        return [_grid(args[1])], _numbers(args[2]), [args[0]], True
    scipy_form = len(args) == 3 and isinstance(args[0], ArrayLiteral) and all(
        isinstance(i, ArrayLiteral) for i in args[0].items)
    if scipy_form:
        grids = [_grid(g) for g in args[0].items]  # type: ignore[union-attr]
        queries = list(args[2].items) if isinstance(args[2], ArrayLiteral) else [args[2]]
        values = _numbers(args[1])
    else:
        if len(args) < 3 or len(args) % 2 == 0:
            raise ValueError(f"{name} takes (x1, …, xn, V, q1, …, qn)")
        n = (len(args) - 1) // 2
        grids = [_grid(a) for a in args[:n]]
        values, queries = _numbers(args[n]), list(args[n + 1:])
    if len(queries) != len(grids):
        raise ValueError(f"{len(grids)} table axes but {len(queries)} query values")
    if any(isinstance(q, ArrayLiteral | Text) for q in queries):
        raise ValueError("the query values must be numbers")
    if _shape(values) != tuple(len(g) for g in grids):
        raise ValueError(f"the table values have shape {_shape(values)}, the axes {tuple(len(g) for g in grids)}")
    return grids, values, queries, False

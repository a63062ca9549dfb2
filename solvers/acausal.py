"""Acausal equation systems, solved as Modelica tools do.

Causality is assigned by matching equations to the variables they determine (a maximum bipartite
matching over the variables each equation can be solved for; an equation written ``x = …`` prefers
``x``). Values with defaults are parameters: only an equation written for one (``x = …``) may compute
it instead, and only when no unknown is left for that equation. The matched equations are
sorted into strongly connected components (the block-lower-triangular form); each single equation is
solved for its variable (directly when it is written for it, else with sympy), and each remaining
loop is solved symbolically when it is small and linear, else numerically at run time
(:mod:`solvers.algebraic`).

A loop that determines a value with a default and uses the time step (``dt``) or ``time`` is a discrete
update rather than an equation: the value becomes a state that starts at its default, and each step
computes its next value from the current one.

Nothing is silently dropped: equations left without a variable (over-determined), loops without a
solution, and values nothing determines come back as diagnostics or as inputs that a run must set.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from metamodel.equations.ast import BinOp, Call, If, Name, Node, UnaryOp, walk
from metamodel.validation.registry import Diagnostic

TIMED = frozenset({"dt", "time"})
MAX_SYMBOLIC_OPS = 80
MAX_SYMBOLIC_LOOP = 4
MAX_LINEAR_CHECK = 60
NEXT = "#next"

_INVERTIBLE_CALLS = frozenset({"exp", "ln", "log10", "sqrt", "sin", "cos", "tan", "arcsin", "arccos", "arctan",
                               "sinh", "cosh", "tanh"})


@dataclass(frozen=True)
class Equation:
    """``lhs = rhs`` over variable keys (``Name`` nodes hold keys); ``label`` names it in messages."""

    lhs: Node
    rhs: Node
    label: str
    element_id: str | None = None

    def names(self) -> set[str]:
        return _names(self.lhs) | _names(self.rhs)

    @property
    def written_for(self) -> str | None:
        """The variable an equation written ``x = …`` is written for."""
        return self.lhs.name if isinstance(self.lhs, Name) else None


@dataclass
class System:
    """Equations over keys: ``unknowns`` must be determined; ``defaults`` are parameters unless an equation
    needs them; ``knowns`` have values from elsewhere (other behaviours, states, the clock)."""

    equations: list[Equation]
    unknowns: set[str] = field(default_factory=set)
    defaults: dict[str, float] = field(default_factory=dict)
    knowns: set[str] = field(default_factory=set)
    display: dict[str, str] = field(default_factory=dict)

    def show(self, key: str) -> str:
        return self.display.get(key, key)


@dataclass
class NumericBlock:
    """Equations solved together at run time for ``unknowns`` (``residuals`` are ``lhs - rhs``)."""

    unknowns: list[str]
    residuals: list[Node]
    start: list[float]
    labels: list[str]


@dataclass
class Solution:
    """Explicit ``values`` (key -> expression over other keys), numeric ``blocks``, the ``parameters`` no
    equation needs, ``inputs`` that nothing determines and that have no default, discrete ``states``
    (key -> key of its next value), notes for the user and problems that stop the model."""

    values: dict[str, Node] = field(default_factory=dict)
    blocks: list[NumericBlock] = field(default_factory=list)
    parameters: dict[str, float] = field(default_factory=dict)
    inputs: list[str] = field(default_factory=list)
    states: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    problems: list[Diagnostic] = field(default_factory=list)


def _names(node: Node) -> set[str]:
    return {n.name for n in walk(node) if isinstance(n, Name)}


def _solvable(node: Node) -> set[str]:
    """Keys that occur where an equation can be solved for them (not only inside min, abs, conditions…)."""
    found: set[str] = set()
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, Name):
            found.add(current.name)
        elif isinstance(current, BinOp) and current.op in ("+", "-", "*", "/", "^"):
            stack.extend((current.left, current.right))
        elif isinstance(current, UnaryOp) and current.op in ("-", "+"):
            stack.append(current.operand)
        elif isinstance(current, If):
            stack.extend((current.then, current.orelse))
        elif isinstance(current, Call) and current.func in _INVERTIBLE_CALLS:
            stack.extend(current.args)
    return found


def solve(system: System) -> Solution:
    """Assign causality, sort and solve ``system`` (see the module docstring)."""
    return _Solver(system).run()


class _Solver:
    def __init__(self, system: System) -> None:
        self.system = system
        self.equations = list(system.equations)
        self.solution = Solution()
        self.variables = set(system.unknowns) | set(system.defaults)
        self.match_eq: dict[int, str] = {}
        self.match_var: dict[str, int] = {}
        self.options: list[list[str]] = [self._options(e) for e in self.equations]
        self.known = set(system.knowns)

    # -- matching ---------------------------------------------------------------------------------
    def _options(self, equation: Equation) -> list[str]:
        """Variables ``equation`` can be solved for, best first: the one it is written for, then unknowns.
        A value with a default is an option only of an equation written for it (``x = …`` computes x)."""
        first = equation.written_for
        solvable = (_solvable(equation.lhs) | _solvable(equation.rhs)) & self.variables
        solvable = {v for v in solvable if v not in self.system.defaults or v == first}
        return sorted(solvable, key=lambda v: (v != first, v))

    def _augment(self, start: int, allowed: set[str]) -> bool:
        """Match equation ``start`` along a shortest augmenting path through ``allowed`` variables."""
        parent: dict[str, int] = {}  # variable -> the equation the search reached it from
        queue, seen = deque([start]), {start}
        while queue:
            equation = queue.popleft()
            for variable in self.options[equation]:
                if variable not in allowed or variable in parent:
                    continue
                parent[variable] = equation
                owner = self.match_var.get(variable)
                if owner is None:
                    while True:  # flip the path back to the start
                        reached_from = parent[variable]
                        previous = self.match_eq.get(reached_from)
                        self.match_eq[reached_from] = variable
                        self.match_var[variable] = reached_from
                        if reached_from == start:
                            return True
                        variable = previous  # type: ignore[assignment]
                if owner not in seen:
                    seen.add(owner)
                    queue.append(owner)
        return False

    def _match(self) -> None:
        unknowns = set(self.system.unknowns)
        for index, options in enumerate(self.options):  # greedy: the variable each is written for
            for variable in options:
                if variable in unknowns and variable not in self.match_var:
                    self.match_eq[index] = variable
                    self.match_var[variable] = index
                    break
        for index in range(len(self.equations)):
            if index not in self.match_eq:
                self._augment(index, unknowns)
        for index in range(len(self.equations)):
            if index not in self.match_eq:
                self._augment(index, self.variables)

    # -- driver -----------------------------------------------------------------------------------
    def run(self) -> Solution:
        self._match()
        system, solution = self.system, self.solution
        for index, equation in enumerate(self.equations):
            if index not in self.match_eq:
                self._over_determined(equation)
        for key in sorted(system.unknowns - set(self.match_var)):
            solution.inputs.append(key)
        for key, value in system.defaults.items():
            if key not in self.match_var:
                solution.parameters[key] = value
        self._blocks(sorted(self.match_eq))
        return solution

    def _over_determined(self, equation: Equation) -> None:
        given = []
        for key in sorted(equation.names() & (self.variables | self.known)):
            owner = self.match_var.get(key)
            if owner is not None:
                given.append(f"{self.system.show(key)} (from {self.equations[owner].label})")
            elif key in self.system.defaults:
                given.append(f"{self.system.show(key)} (its default value)")
            else:
                given.append(f"{self.system.show(key)} (given)")
        what = ", ".join(given) or "no unknown"
        self._problem("PA003", f"over-determined: {equation.label} has no unknown left to determine: {what}",
                      equation.element_id)

    def _problem(self, code: str, message: str, element_id: str | None = None) -> None:
        self.solution.problems.append(Diagnostic(code, "error", message, element_id))

    # -- block-lower-triangular order --------------------------------------------------------------
    def _blocks(self, indices: list[int]) -> None:
        members = set(indices)
        uses: dict[int, list[int]] = {}
        for index in indices:
            owners = {self.match_var.get(name) for name in self.equations[index].names()}
            uses[index] = sorted(o for o in owners if o is not None and o != index and o in members)
        for component in strongly_connected(indices, uses):
            block = sorted(component)
            if len(block) == 1:
                self._single(block[0])
            else:
                self._loop(block)

    def _single(self, index: int) -> None:
        equation, variable = self.equations[index], self.match_eq[index]
        if variable in self.system.defaults:
            self.solution.notes.append(f"{self.system.show(variable)} is determined by {equation.label}; its "
                                       "default value is not used")
        value = explicit(equation, variable)
        if value is None:
            self._numeric([index])
        else:
            self.solution.values[variable] = value

    def _loop(self, block: list[int]) -> None:
        promoted = [i for i in block if self.match_eq[i] in self.system.defaults]
        timed = any(self.equations[i].names() & TIMED for i in block)
        if promoted and timed:
            self._discrete(block, promoted)
            return
        if self._linear_loop(block):
            return
        for index in promoted:
            variable = self.match_eq[index]
            self.solution.notes.append(f"{self.system.show(variable)} is determined by the equations "
                                       f"{', '.join(self.equations[i].label for i in block)}; its default "
                                       f"{self.system.defaults[variable]:g} is the start value of the solver")
        self._numeric(block)

    def _discrete(self, block: list[int], promoted: list[int]) -> None:
        """Values with defaults in a loop that uses the clock: states updated once per time step."""
        for index in promoted:
            variable = self.match_eq[index]
            equation = self.equations[index]
            rewritten = next_value(equation, variable)
            if rewritten is None:
                self._problem("PA006", f"{equation.label} updates {self.system.show(variable)} each time step, "
                                       f"but {self.system.show(variable)} occurs in it more than once: write it "
                                       f"as '{self.system.show(variable)} = …'", equation.element_id)
                continue
            following = variable + NEXT
            self.equations[index] = rewritten
            del self.match_var[variable]
            self.match_eq[index] = following
            self.match_var[following] = index
            self.variables.add(following)
            self.known.add(variable)
            self.solution.states[variable] = following
            self.system.display.setdefault(following, f"{self.system.show(variable)} (next)")
        self._blocks(block)

    def _numeric(self, block: list[int]) -> None:
        unknowns = [self.match_eq[i] for i in block]
        residuals = [BinOp("-", self.equations[i].lhs, self.equations[i].rhs) for i in block]
        start = [self.system.defaults.get(v, 1.0) for v in unknowns]
        self.solution.blocks.append(NumericBlock(unknowns, residuals, start, [self.equations[i].label for i in block]))

    def _linear_loop(self, block: list[int]) -> bool:
        """Solve a linear loop symbolically (small) or prove it singular; False to solve it numerically."""
        if len(block) > MAX_LINEAR_CHECK:
            return False
        import sympy

        from metamodel.equations.from_sympy import Unconvertible, from_sympy
        from metamodel.equations.to_sympy import to_sympy

        unknowns = [self.match_eq[i] for i in block]
        symbols = [sympy.Symbol(u) for u in unknowns]
        try:
            expressions = [to_sympy(self.equations[i].lhs) - to_sympy(self.equations[i].rhs) for i in block]
            matrix, vector = sympy.linear_eq_to_matrix(expressions, symbols)
        except (sympy.SympifyError, TypeError, ValueError, NotImplementedError, AttributeError):
            return False  # not linear in the loop's unknowns
        labels = ", ".join(self.equations[i].label for i in block)
        if not matrix.free_symbols and matrix.rank() < len(block):
            shown = ", ".join(self.system.show(u) for u in unknowns)
            element = next((self.equations[i].element_id for i in block if self.equations[i].element_id), None)
            rank = matrix.rank()
            if vector.free_symbols:
                self._problem("PA005", f"singular equations: {labels} do not determine {shown} (they repeat or "
                                       "contradict each other, depending on the values)", element)
            elif matrix.row_join(vector).rank() > rank:
                self._problem("PA005", f"inconsistent equations: {labels} contradict each other (no value of "
                                       f"{shown} satisfies all of them)", element)
            else:
                self._problem("PA004", f"under-determined: {labels} repeat each other and do not fix {shown}",
                              element)
            return True
        if len(block) > MAX_SYMBOLIC_LOOP:
            return False
        try:
            solutions = sympy.linsolve((matrix, vector), symbols)
        except (ValueError, NotImplementedError, TypeError):
            return False
        if solutions == sympy.EmptySet or not solutions:
            return False  # singular for symbolic coefficients: leave it to the numeric solver to report
        values = next(iter(solutions))
        if any(value.free_symbols & set(symbols) for value in values):
            return False
        try:
            converted = [from_sympy(value) for value in values]
        except Unconvertible:
            return False
        for unknown, value in zip(unknowns, converted, strict=True):
            self.solution.values[unknown] = value
        return True


def strongly_connected(nodes: list[int], uses: dict[int, list[int]]) -> list[list[int]]:
    """The strongly connected components of a graph (Tarjan's algorithm, iterative, linear time)."""
    order: dict[int, int] = {}
    low: dict[int, int] = {}
    stack: list[int] = []
    on_stack: set[int] = set()
    components: list[list[int]] = []
    for root in nodes:
        if root in order:
            continue
        work = [(root, 0)]
        while work:
            node, position = work.pop()
            if position == 0:
                order[node] = low[node] = len(order)
                stack.append(node)
                on_stack.add(node)
            neighbours = uses.get(node, [])
            if position < len(neighbours):
                work.append((node, position + 1))
                following = neighbours[position]
                if following not in order:
                    work.append((following, 0))
                elif following in on_stack:
                    low[node] = min(low[node], order[following])
                continue
            for following in neighbours:
                if following in on_stack:
                    low[node] = min(low[node], low[following])
            if low[node] == order[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                components.append(component)
    return components


def next_value(equation: Equation, variable: str) -> Equation | None:
    """``equation`` with the occurrence of ``variable`` that is its next value renamed ``variable#next``:
    the left-hand side when the equation is written for it, else its only occurrence."""
    following = Name(variable + NEXT)
    if equation.written_for == variable:
        return replace(equation, lhs=following)
    occurrences = sum(1 for n in (*walk(equation.lhs), *walk(equation.rhs)) if isinstance(n, Name) and
                      n.name == variable)
    if occurrences != 1:
        return None
    names = {variable: following.name}
    return replace(equation, lhs=rename(equation.lhs, names), rhs=rename(equation.rhs, names))


def rename(node: Node, names: dict[str, str]) -> Node:
    """``node`` with the keys of ``names`` renamed."""
    if isinstance(node, Name):
        return Name(names[node.name], span=node.span) if node.name in names else node
    if isinstance(node, UnaryOp):
        return replace(node, operand=rename(node.operand, names))
    if isinstance(node, BinOp):
        return replace(node, left=rename(node.left, names), right=rename(node.right, names))
    if isinstance(node, If):
        return replace(node, cond=rename(node.cond, names), then=rename(node.then, names),
                       orelse=rename(node.orelse, names))
    if isinstance(node, Call):
        return replace(node, args=tuple(rename(a, names) for a in node.args))
    return node


def explicit(equation: Equation, variable: str) -> Node | None:
    """``variable`` solved from ``equation`` as an expression of the other keys, or None when there is no
    single closed form (the equation is then solved numerically)."""
    lhs, rhs = equation.lhs, equation.rhs
    if isinstance(lhs, Name) and lhs.name == variable and variable not in _names(rhs):
        return rhs
    if isinstance(rhs, Name) and rhs.name == variable and variable not in _names(lhs):
        return lhs
    return _symbolic(lhs, rhs, variable)


def _symbolic(lhs: Node, rhs: Node, variable: str) -> Node | None:
    import sympy

    from metamodel.equations.from_sympy import Unconvertible, from_sympy
    from metamodel.equations.to_sympy import to_sympy

    try:
        expression = to_sympy(lhs) - to_sympy(rhs)
    except (TypeError, sympy.SympifyError):
        return None
    symbol = sympy.Symbol(variable)
    if symbol not in expression.free_symbols or sympy.count_ops(expression) > MAX_SYMBOLIC_OPS:
        return None
    try:
        slope = sympy.diff(expression, symbol)
        if slope != 0 and symbol not in slope.free_symbols and not expression.has(sympy.Piecewise):
            candidates = [-expression.subs(symbol, 0) / slope]
        else:
            candidates = [c for c in sympy.solve(expression, symbol) if c.is_real is not False]
    except (NotImplementedError, ValueError, TypeError, ZeroDivisionError):
        return None
    if len(candidates) != 1 or symbol in candidates[0].free_symbols:
        return None
    try:
        return from_sympy(candidates[0])
    except Unconvertible:
        return None


def keys_in(nodes: Iterable[Node]) -> set[str]:
    """Every key named in ``nodes``."""
    found: set[str] = set()
    for node in nodes:
        found |= _names(node)
    return found



"""``compile(model) -> CompiledModel``: flatten, expand, order, and generate the model's functions.

The generated module defines ``_init(t, PAR, S, M)`` (initial values of every stock and memory) and
``_rhs(t, S, M, D, R, PAR)`` (all variables at time ``t``: derivatives into ``D``; when ``R`` is given,
the reported values into ``R`` and the once-per-step updates of memories and pipelines).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from metamodel.equations.ast import BinOp, Call, Name, Node, Num, UnaryOp
from metamodel.errors import ModelError
from metamodel.model import Model
from metamodel.names import canonical
from metamodel.validation.registry import Diagnostic
from solvers import runtime
from solvers.architecture import bind_architecture
from solvers.codegen import CodeGen, sum_text
from solvers.expand import Expanded, Expander
from solvers.flatten import FlatModel, Flattener, FlatVar, NeuralUse
from solvers.model_run import CompiledModel
from solvers.ordering import CycleError, topological_order
from solvers.program import Layout, Program, RateSystem


def _constant_value(node: Node | None) -> float | None:
    if isinstance(node, Num):
        return node.value
    if isinstance(node, UnaryOp) and node.op in "+-" and isinstance(node.operand, Num):
        return -node.operand.value if node.op == "-" else node.operand.value
    return None


def _keys(node: Node | None, init_phase: bool = False) -> set[str]:
    """Flat keys read by ``node``; ``ACTIVE_INITIAL`` reads its second argument only while initialising."""
    if node is None:
        return set()
    if isinstance(node, Name):
        return {node.name}
    if isinstance(node, Call) and node.func == "active_initial" and len(node.args) == 2:
        return _keys(node.args[1] if init_phase else node.args[0], init_phase)
    return set().union(*(_keys(child, init_phase) for child in node.children()))


class Compiler:
    """Builds a CompiledModel from a Model."""

    def __init__(self, model: Model) -> None:
        self.model = model

    def compile(self) -> CompiledModel:
        binding = bind_architecture(self.model)
        model = self.model if binding.sim_spec is None else replace(self.model, sim_spec=binding.sim_spec,
                                                                    _observers=[])
        flat = Flattener(binding.model).run()
        binding.extend(flat)
        expanded = Expander(flat, model.sim_spec.start).run()
        problems = [*binding.problems, *flat.problems, *expanded.problems]
        if problems:
            raise ModelError(f"model '{self.model.name}' cannot be compiled:", problems)
        parts = _Parts(flat, expanded)
        layout = parts.layout()
        lookups = parts.lookups()
        programs = {vector: _Writer(parts, layout, lookups, vector).program() for vector in (False, True)}
        compiled = CompiledModel(model, layout, programs, lookups, parts.neural_uses(), parts.rate_system(layout))
        compiled.aliases = binding.aliases(compiled.parameters)
        return compiled


class _Parts:
    """The flat model's quantities sorted into stocks, memories, pipelines, computed values."""

    def __init__(self, flat: FlatModel, expanded: Expanded) -> None:
        self.flat = flat
        self.expanded = expanded
        self.vars = flat.variables
        self.stocks = {k: v for k, v in self.vars.items() if v.kind == "stock"}
        self.hidden_stocks = {h.key: h for h in expanded.hidden_stocks}
        self.memories = {m.key: m for m in expanded.memories}
        self.pipelines = {p.key: p for p in expanded.pipelines}
        self.computed: dict[str, FlatVar] = {k: v for k, v in self.vars.items() if v.kind in ("aux", "flow")}
        for hidden in expanded.hidden_auxes:
            self.computed[hidden.key] = hidden
        self.parameters = [k for k, v in self.computed.items()
                           if not v.hidden and v.gf is None and _constant_value(v.expr) is not None]
        self.neural_outputs = self._neural_outputs()

    def _neural_outputs(self) -> dict[str, tuple[int, str, int]]:
        """Key of each neural output read in an equation -> (component index, port, column)."""
        found: dict[str, tuple[int, str, int]] = {}
        prefixes = {use.prefix + canonical(use.component.name) + ".": i for i, use in enumerate(self.flat.neural)}
        expressions = [v.expr for v in self.computed.values()] + [s.expr for s in self.stocks.values()]
        expressions += [h.rate for h in self.hidden_stocks.values()] + [h.init for h in self.hidden_stocks.values()]
        for expression in expressions:
            for key in _keys(expression):
                for prefix, index in prefixes.items():
                    if key.startswith(prefix):
                        port, _, column = key[len(prefix):].partition("[")
                        use = self.flat.neural[index]
                        names = {canonical(p.name): p.name for p in use.component.outputs}
                        if port not in names:
                            raise ModelError(f"neural component '{use.component.name}' has no output '{port}'",
                                             [Diagnostic("NN003", "error", f"unknown output port '{port}'",
                                                         use.component.id, use.component.name)])
                        found[key] = (index, names[port], int(column.rstrip("]")) - 1 if column else 0)
        return found

    def rate_system(self, layout: Layout) -> RateSystem:
        """The stocks' rates and the equations they read, for analytic Jacobians."""
        rates: dict[str, Node] = {key: hidden.rate for key, hidden in self.hidden_stocks.items()}
        for key, stock in self.stocks.items():
            total: Node = Num(0.0)
            for flow in stock.inflows:
                total = BinOp("+", total, Name(flow))
            for flow in stock.outflows:
                total = BinOp("-", total, Name(flow))
            rates[key] = total
        computed = {k: v.expr for k, v in self.computed.items() if v.expr is not None and v.gf is None}
        clipped = {k for k, v in self.computed.items() if v.kind == "flow" and v.non_negative}
        return RateSystem(list(layout.stocks), rates, computed, list(layout.parameters), clipped)

    def neural_uses(self) -> list[NeuralUse]:
        return self.flat.neural

    def lookups(self) -> dict[str, runtime.Lookup]:
        tables = {}
        for key, var in self.vars.items():
            if var.gf is not None:
                try:
                    tables[key] = runtime.Lookup(var.gf, var.display)
                except ValueError as exc:
                    raise ModelError(str(exc), [Diagnostic("SD009", "error", str(exc), var.element_id,
                                                           var.display)]) from None
        return tables

    # -- dependency graphs ---------------------------------------------------------------------------
    def _neural_node(self, index: int) -> str:
        return f"#nn{index}"

    def _deps_run(self, key: str) -> set[str]:
        if key in self.computed:
            return _keys(self.computed[key].expr)
        if key in self.pipelines:
            return _keys(self.pipelines[key].delay)
        if key in self.neural_outputs:
            return {self._neural_node(self.neural_outputs[key][0])}
        if key.startswith("#nn"):
            use = self.flat.neural[int(key[3:])]
            return set().union(*(_keys(n) for nodes in use.inputs.values() for n in nodes))
        return set()

    def _deps_init(self, key: str) -> set[str]:
        if key in self.stocks:
            return _keys(self.stocks[key].expr, True)
        if key in self.hidden_stocks:
            return _keys(self.hidden_stocks[key].init, True)
        if key in self.memories:
            return _keys(self.memories[key].init, True)
        if key in self.pipelines:
            return _keys(self.pipelines[key].init, True)
        if key in self.computed:
            return _keys(self.computed[key].expr, True)
        return self._deps_run(key)

    def _run_nodes(self) -> list[str]:
        nodes = [*self.computed, *self.pipelines, *self.neural_outputs]
        nodes += [self._neural_node(i) for i in range(len(self.flat.neural))]
        return nodes

    def _order(self, nodes: list[str], deps: Callable[[str], set[str]], phase: str) -> list[str]:
        try:
            return topological_order(nodes, deps, self_loops=self.computed.__contains__)
        except CycleError as loop:
            names = [self.display(k) for k in loop.cycle]
            message = (f"algebraic loop: {' -> '.join(names)} -> {names[0]} (no stock breaks it)" if phase == "run"
                       else f"circular initialisation: {' -> '.join(names)} -> {names[0]}")
            first = self.vars.get(loop.cycle[0])
            raise ModelError(message, [Diagnostic("SD005", "error", message, first.element_id if first else None,
                                                  names[0])]) from None

    def display(self, key: str) -> str:
        var = self.vars.get(key) or self.computed.get(key)
        if var is not None and not var.hidden:
            return var.display
        owner = key.split(".", 1)[1] if key.startswith("#") and "." in key else key
        owner_var = self.vars.get(owner)
        return f"{owner_var.display if owner_var else owner} (internal)" if key.startswith("#") else key

    def layout(self) -> Layout:
        stocks = [*self.stocks, *self.hidden_stocks]
        run_order = self._order(self._run_nodes(), self._deps_run, "run")
        init_nodes = [*stocks, *self.memories, *self._run_nodes()]
        init_order = self._order(init_nodes, self._deps_init, "init")
        reported = [k for k, v in self.vars.items() if not v.hidden and v.kind in ("stock", "aux", "flow")]
        display = {k: self.display(k) for k in [*stocks, *self.memories, *self._run_nodes()]}
        defaults = [float(_constant_value(self.computed[k].expr)) for k in self.parameters]  # type: ignore[arg-type]
        non_negative = [row for row, key in enumerate(stocks) if key in self.stocks and self.stocks[key].non_negative]
        return Layout(stocks, list(self.memories), list(self.pipelines), self.parameters, defaults, reported,
                      display, init_order, run_order, non_negative)


class _Writer:
    """Writes the generated module for one backend."""

    def __init__(self, parts: _Parts, layout: Layout, lookups: dict[str, runtime.Lookup], vector: bool) -> None:
        self.parts = parts
        self.layout = layout
        self.vector = vector
        self.names: dict[str, str] = {}
        self.lookup_names = {key: f"_lk{i}" for i, key in enumerate(lookups)}
        self.lines: list[str] = []
        self.line_owner: dict[int, str] = {}
        self.parameter_set = set(layout.parameters)
        # row of each stock, memory, pipeline and parameter in its run-time list (each key is in one)
        self.position = {key: row for keys in (layout.stocks, layout.memories, layout.pipelines, layout.parameters)
                         for row, key in enumerate(keys)}

    def local(self, key: str) -> str:
        if key not in self.names:
            self.names[key] = f"v{len(self.names)}"
        return self.names[key]

    def lookup(self, key: str) -> str:
        if key not in self.lookup_names:
            raise ModelError(f"'{self.parts.display(key)}' is used as a graphical function but has none")
        return self.lookup_names[key]

    def emit(self, text: str, owner: str | None = None) -> None:
        self.lines.append(text)
        if owner is not None:
            self.line_owner[len(self.lines)] = self.parts.display(owner)

    def gen(self, init_phase: bool) -> CodeGen:
        return CodeGen(self.local, self.lookup, vector=self.vector, init_phase=init_phase)

    def program(self) -> Program:
        self._init_function()
        self._rhs_function()
        return Program("\n".join(self.lines) + "\n", dict(self.line_owner))

    # -- the value of one computed key ----------------------------------------------------------------
    def _value(self, key: str, gen: CodeGen, init_phase: bool) -> None:
        parts, target = self.parts, self.local(key)
        if key in self.parameter_set:
            self.emit(f"    {target} = PAR[{self.position[key]}]", key)
        elif key in parts.computed:
            var = parts.computed[key]
            expression = gen.expr(var.expr) if var.expr is not None else "0.0"
            if var.gf is not None:
                expression = f"{self.lookup(key)}({expression}, None)"
            self.emit(f"    {target} = {expression}", key)
            if var.kind == "flow" and var.non_negative:
                clip = f"_np.maximum({target}, 0.0)" if self.vector else f"({target} if {target} > 0.0 else 0.0)"
                self.emit(f"    {target} = {clip}", key)
        elif key in parts.pipelines:
            pipe = parts.pipelines[key]
            index = self.position[key]
            if init_phase:
                self.emit(f"    {target} = {gen.expr(pipe.init)}", key)
                self.emit(f"    PIPES[{index}].initial = {target}", key)
            else:
                self.emit(f"    {target} = PIPES[{index}].read(t, {gen.expr(pipe.delay)})", key)
        elif key.startswith("#nn"):
            self._neural(key, gen)
        elif key in parts.neural_outputs:
            index, port, column = parts.neural_outputs[key]
            self.emit(f"    {target} = _nn{index}[{port!r}][:, {column}]", key)

    def _neural(self, key: str, gen: CodeGen) -> None:
        index = int(key[3:])
        use = self.parts.flat.neural[index]
        feeds = []
        for port in use.component.inputs:
            columns = ", ".join(gen.expr(n) for n in use.inputs.get(port.name, []))
            feeds.append(f"{port.name!r}: _stack([{columns}], _RUNS)")
        self.emit(f"    _nn{index} = NN[{index}]({{{', '.join(feeds)}}}, time=t)", key)

    # -- functions ---------------------------------------------------------------------------------------
    def _init_function(self) -> None:
        parts, layout = self.parts, self.layout
        gen = self.gen(init_phase=True)
        self.emit("def _init(t, PAR, S, M):")
        for key in layout.init_order:
            target = self.local(key)
            if key in parts.stocks or key in parts.hidden_stocks:
                init = parts.stocks[key].expr if key in parts.stocks else parts.hidden_stocks[key].init
                self.emit(f"    {target} = {gen.expr(init) if init is not None else '0.0'}", key)
                self.emit(f"    S[{self.position[key]}] = {target}", key)
            elif key in parts.memories:
                self.emit(f"    {target} = {gen.expr(parts.memories[key].init)}", key)
                self.emit(f"    M[{self.position[key]}] = {target}", key)
            else:
                self._value(key, gen, init_phase=True)
        self.emit("    return None")

    def _rhs_function(self) -> None:
        parts, layout = self.parts, self.layout
        gen = self.gen(init_phase=False)
        self.emit("def _rhs(t, S, M, D, R, PAR):")
        for row, key in enumerate(layout.stocks):
            self.emit(f"    {self.local(key)} = S[{row}]")
        for row, key in enumerate(layout.memories):
            self.emit(f"    {self.local(key)} = M[{row}]")
        for key in layout.run_order:
            self._value(key, gen, init_phase=False)
        for row, key in enumerate(layout.stocks):
            self.emit(f"    D[{row}] = {self._rate(key, gen)}", key)
        self.emit("    if R is None:")
        self.emit("        return")
        for column, key in enumerate(layout.reported):
            self.emit(f"    R[{column}] = {self.local(key)}")
        for row, key in enumerate(layout.memories):
            self.emit(f"    M[{row}] = {gen.expr(parts.memories[key].update)}", key)
        for row, key in enumerate(layout.pipelines):
            self.emit(f"    PIPES[{row}].push({gen.expr(parts.pipelines[key].source)})", key)

    def _rate(self, key: str, gen: CodeGen) -> str:
        parts = self.parts
        if key in parts.hidden_stocks:
            return gen.expr(parts.hidden_stocks[key].rate)
        stock = parts.stocks[key]
        inflows = [self.local(f) for f in stock.inflows if f in parts.computed]
        outflows = [self.local(f) for f in stock.outflows if f in parts.computed]
        text = sum_text(inflows) if inflows else "0.0"
        if outflows:
            text = f"{text} - {sum_text(outflows)}"
        return text


def compile_model(model: Model) -> CompiledModel:
    """Compile a model into a runnable CompiledModel; raises ModelError with diagnostics."""
    return Compiler(model).compile()

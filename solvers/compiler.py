"""``compile(model) -> CompiledModel``: flatten, expand, order, and plan the model's functions.

The Plan (``solvers.program``) lists what the generated functions compute, in order, for every backend;
``solvers.writers`` (Python) and ``solvers.native_code`` (C) write them from it. Compiling writes the
scalar Python program at once, so that an equation no backend can compute is an error here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from metamodel.equations.ast import BinOp, Call, Name, Node, Num, UnaryOp
from metamodel.errors import ModelError
from metamodel.gc_pause import gc_paused
from metamodel.model import Model
from metamodel.names import canonical
from metamodel.validation.registry import Diagnostic
from solvers import runtime
from solvers.architecture import bind_architecture
from solvers.expand import Expanded, Expander, HiddenStock
from solvers.flatten import FlatModel, Flattener, FlatVar, FmuUse, NeuralUse
from solvers.model_run import CompiledModel
from solvers.ordering import CycleError, topological_order
from solvers.program import (
    BlockRead,
    BlockSpec,
    BlockStart,
    Compute,
    FmuCall,
    FmuOutput,
    Initial,
    Layout,
    NetFlow,
    NeuralCall,
    NeuralOutput,
    Op,
    Parameter,
    PipeRead,
    Plan,
    RateSystem,
)
from solvers.writers import ProgramSet


def _constant_value(node: Node | None) -> float | None:
    if isinstance(node, Num):
        return node.value
    if isinstance(node, UnaryOp) and node.op in "+-" and isinstance(node.operand, Num):
        return -node.operand.value if node.op == "-" else node.operand.value
    return None


def _keys(node: Node | None, init_phase: bool = False) -> set[str]:
    """Flat keys read by ``node``; ``ACTIVE_INITIAL`` reads its second argument only while initialising."""
    found: set[str] = set()
    stack = [node] if node is not None else []
    while stack:
        current = stack.pop()
        if isinstance(current, Name):
            found.add(current.name)
        elif isinstance(current, Call) and current.func == "active_initial" and len(current.args) == 2:
            stack.append(current.args[1] if init_phase else current.args[0])
        else:
            stack.extend(current.children())
    return found


class Compiler:
    """Builds a CompiledModel from a Model.

    With ``report_hidden`` the Results also hold the hidden quantities the compiler adds (the stocks, flows,
    memories and pipelines of expanded builtins), each under its flat key (``#smooth3.y``), so that analyses
    of structure can read every value of a run. After ``compile`` the flat and expanded model are kept in
    ``flat`` and ``expanded``.
    """

    def __init__(self, model: Model, report_hidden: bool = False) -> None:
        self.model = model
        self.report_hidden = report_hidden
        self.flat: FlatModel | None = None
        self.expanded: Expanded | None = None

    def compile(self) -> CompiledModel:
        binding = bind_architecture(self.model)
        model = self.model if binding.sim_spec is None else replace(self.model, sim_spec=binding.sim_spec,
                                                                    _observers=[])
        flat = Flattener(binding.model).run()
        binding.extend(flat)
        expanded = Expander(flat, model.sim_spec.start, model.sim_spec.dt).run()
        problems = [*binding.problems, *flat.problems, *flat.unconnected_inputs(), *expanded.problems]
        if problems:
            raise ModelError(f"model '{self.model.name}' cannot be compiled:", problems)
        self.flat, self.expanded = flat, expanded
        parts = _Parts(flat, expanded)
        layout = parts.layout(self.report_hidden)
        lookups = parts.lookups()
        plan = _Planner(parts, layout).plan(list(lookups))
        programs = ProgramSet(plan, layout.non_negative, lookups)
        programs.python(vector=False)
        compiled = CompiledModel(model, layout, programs, lookups, parts.neural_uses(), parts.rate_system(layout),
                                 flat.fmus)
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
        self.blocks = {b.key: b for b in expanded.blocks}
        self.block_outputs = {o.key: o for o in expanded.block_outputs}
        self.computed: dict[str, FlatVar] = {k: v for k, v in self.vars.items() if v.kind in ("aux", "flow")}
        for hidden in expanded.hidden_auxes:
            self.computed[hidden.key] = hidden
        self.parameters = [k for k, v in self.computed.items()
                           if not v.hidden and v.gf is None and _constant_value(v.expr) is not None]
        self.neural_outputs = self._neural_outputs()
        self.fmu_values: dict[str, tuple[int, int]] = {}  # output or derivative key -> (FMU index, row)
        self.fmu_starts: dict[str, tuple[int, int]] = {}  # initial value of a state stock -> (FMU index, row)
        self.fmu_states: dict[int, list[str]] = {}  # FMU index -> its state stocks
        for index, use in enumerate(flat.fmus):
            self._fmu_parts(index, use)

    def _fmu_parts(self, index: int, use: FmuUse) -> None:
        """Keys of an FMU's outputs and derivatives; for model exchange, a hidden stock per continuous
        state, starting at the FMU's initial state and changing at the FMU's derivative."""
        component = use.component
        outputs = len(component.outputs)
        for row, variable in enumerate(component.outputs):
            self.fmu_values[use.port(variable)] = (index, row)
        nx = component.states if component.interface == "me" else 0
        stocks = []
        for k in range(nx):
            stock, derivative, start = f"{use.key}.#x{k}", f"{use.key}.#der{k}", f"{use.key}.#x{k}.start"
            self.fmu_values[derivative] = (index, outputs + k)
            self.fmu_starts[start] = (index, outputs + nx + k)
            self.hidden_stocks[stock] = HiddenStock(stock, Name(start), Name(derivative))
            stocks.append(stock)
        self.fmu_states[index] = stocks

    def _neural_outputs(self) -> dict[str, tuple[int, str, int]]:
        """Key of each neural output read in an equation -> (component index, port, column)."""
        found: dict[str, tuple[int, str, int]] = {}
        if not self.flat.neural:
            return found
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

    def _fmu_inputs(self, index: int, init_phase: bool) -> set[str]:
        """What FMU ``index`` reads: its inputs, and its parameters at the start or its states later."""
        use = self.flat.fmus[index]
        read = set().union(*(_keys(n) for n in use.inputs.values()))
        return read | set(use.parameters.values()) if init_phase else read | set(self.fmu_states[index])

    def _deps_run(self, key: str) -> set[str]:
        if key in self.computed:
            return _keys(self.computed[key].expr)
        if key in self.pipelines:
            return _keys(self.pipelines[key].delay)
        if key in self.block_outputs:
            return set().union(*(_keys(a) for a in self.block_outputs[key].args))
        if key in self.neural_outputs:
            return {self._neural_node(self.neural_outputs[key][0])}
        if key.startswith("#nn"):
            use = self.flat.neural[int(key[3:])]
            return set().union(*(_keys(n) for nodes in use.inputs.values() for n in nodes))
        if key in self.fmu_values:
            return {f"#fmu{self.fmu_values[key][0]}"}
        if key.startswith("#fmu"):
            return self._fmu_inputs(int(key[4:]), init_phase=False)
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
        if key in self.blocks:
            return set().union(*(_keys(a, True) for a in self.blocks[key].start))
        if key in self.block_outputs:
            output = self.block_outputs[key]
            return {output.block}.union(*(_keys(a, True) for a in output.args))
        if key in self.computed:
            return _keys(self.computed[key].expr, True)
        if key in self.fmu_starts:
            return {f"#fmu{self.fmu_starts[key][0]}"}
        if key.startswith("#fmu"):
            return self._fmu_inputs(int(key[4:]), init_phase=True)
        return self._deps_run(key)

    def _run_nodes(self) -> list[str]:
        nodes = [*self.computed, *self.pipelines, *self.block_outputs, *self.neural_outputs]
        nodes += [self._neural_node(i) for i in range(len(self.flat.neural))]
        nodes += [*self.fmu_values, *(f"#fmu{i}" for i in range(len(self.flat.fmus)))]
        return nodes

    def _order(self, nodes: list[str], deps: Callable[[str], set[str]], phase: str) -> list[str]:
        # at the start, anything reading itself is circular; while running, stocks and memories read their state
        self_loops = (lambda key: True) if phase == "init" else self.computed.__contains__
        try:
            return topological_order(nodes, deps, self_loops=self_loops)
        except CycleError as loop:
            names = [self.display(k) for k in loop.cycle]
            message = (f"algebraic loop: {' -> '.join(names)} -> {names[0]} (no stock breaks it)" if phase == "run"
                       else f"circular initialisation: {' -> '.join(names)} -> {names[0]}")
            first = self.vars.get(loop.cycle[0])
            raise ModelError(message, [Diagnostic("SD005", "error", message, first.element_id if first else None,
                                                  names[0])]) from None

    def display(self, key: str) -> str:
        if key.startswith("#fmu"):
            return f"FMU component {self.flat.fmus[int(key[4:])].component.name}"
        var = self.vars.get(key) or self.computed.get(key)
        if var is not None and not var.hidden:
            return var.display
        owner = key.split(".", 1)[1] if key.startswith("#") and "." in key else key
        owner_var = self.vars.get(owner)
        return f"{owner_var.display if owner_var else owner} (internal)" if key.startswith("#") else key

    def layout(self, report_hidden: bool = False) -> Layout:
        stocks = [*self.stocks, *self.hidden_stocks]
        run_order = self._order(self._run_nodes(), self._deps_run, "run")
        init_nodes = [*stocks, *self.memories, *self.blocks, *self._run_nodes(), *self.fmu_starts]
        init_order = self._order(init_nodes, self._deps_init, "init")
        reported = [k for k, v in self.vars.items() if not v.hidden and v.kind in ("stock", "aux", "flow")]
        display = {k: self.display(k) for k in [*stocks, *self.memories, *self.blocks, *self._run_nodes(),
                                                 *self.fmu_starts]}
        if report_hidden:  # under their flat keys, which are unique (the displays of hidden keys are not)
            shown = set(reported)
            hidden = [k for k in [*self.hidden_stocks, *self.memories, *self.computed, *self.pipelines]
                      if k not in shown]
            reported += hidden
            display.update({k: k for k in hidden})
        defaults = [float(_constant_value(self.computed[k].expr)) for k in self.parameters]  # type: ignore[arg-type]
        non_negative = [row for row, key in enumerate(stocks) if key in self.stocks and self.stocks[key].non_negative]
        blocks = [BlockSpec(b.key, b.kind, b.options) for b in self.blocks.values()]
        euler_only = [self.display(k).removesuffix(" (internal)") for k in [*self.blocks, *self.expanded.euler_only]]
        return Layout(stocks, list(self.memories), list(self.pipelines), self.parameters, defaults, reported,
                      display, init_order, run_order, non_negative, blocks, euler_only)


class _Planner:
    """Turns the sorted parts into the backend-neutral Plan of the generated functions."""

    def __init__(self, parts: _Parts, layout: Layout) -> None:
        self.parts = parts
        self.layout = layout
        self.parameter_set = set(layout.parameters)
        # row of each stock, memory, pipeline and parameter in its run-time list (each key is in one)
        blocks = [b.key for b in layout.blocks]
        self.position = {key: row for keys in (layout.stocks, layout.memories, layout.pipelines, layout.parameters,
                                               blocks) for row, key in enumerate(keys)}

    def plan(self, tables: list[str]) -> Plan:
        parts, layout = self.parts, self.layout
        init = [self._initial(key) for key in layout.init_order]
        run = [self._value(key, init_phase=False) for key in layout.run_order]
        keys = {op.key for op in [*init, *run]} | set(layout.stocks) | set(layout.memories)
        steps = [parts.blocks[b.key].step for b in layout.blocks]
        return Plan(init=init, run=run, stocks=list(layout.stocks), memories=list(layout.memories),
                    parameters=list(layout.parameters),
                    rates=[self._rate(key) for key in layout.stocks], reported=list(layout.reported),
                    memory_updates=[parts.memories[key].update for key in layout.memories],
                    pipe_pushes=[parts.pipelines[key].source for key in layout.pipelines], tables=tables,
                    display={key: parts.display(key) for key in keys}, block_steps=steps,
                    fmus=len(parts.flat.fmus))

    def _initial(self, key: str) -> Op:
        parts = self.parts
        if key in parts.stocks:
            return Initial(key, parts.stocks[key].expr, "S", self.position[key])
        if key in parts.hidden_stocks:
            return Initial(key, parts.hidden_stocks[key].init, "S", self.position[key])
        if key in parts.memories:
            return Initial(key, parts.memories[key].init, "M", self.position[key])
        if key in parts.blocks:
            return BlockStart(key, self.position[key], parts.blocks[key].start)
        return self._value(key, init_phase=True)

    def _value(self, key: str, init_phase: bool) -> Op:
        parts = self.parts
        if key in self.parameter_set:
            return Parameter(key, self.position[key])
        if key in parts.computed:
            var = parts.computed[key]
            return Compute(key, var.expr, key if var.gf is not None else None, var.kind == "flow" and var.non_negative)
        if key in parts.pipelines:
            pipe = parts.pipelines[key]
            if init_phase:
                return Initial(key, pipe.init, "P", self.position[key])
            return PipeRead(key, self.position[key], pipe.delay)
        if key in parts.block_outputs:
            output = parts.block_outputs[key]
            return BlockRead(key, self.position[output.block], output.output, output.args)
        if key.startswith("#nn"):
            index = int(key[3:])
            use = parts.flat.neural[index]
            inputs = tuple((port.name, tuple(use.inputs.get(port.name, []))) for port in use.component.inputs)
            return NeuralCall(key, index, inputs)
        if key.startswith("#fmu"):
            return self._fmu_call(key, int(key[4:]), init_phase)
        if key in parts.fmu_values or key in parts.fmu_starts:
            index, row = parts.fmu_values.get(key) or parts.fmu_starts[key]
            return FmuOutput(key, index, row)
        index, port, column = parts.neural_outputs[key]
        return NeuralOutput(key, index, port, column)

    def _fmu_call(self, key: str, index: int, init_phase: bool) -> FmuCall:
        use = self.parts.flat.fmus[index]
        inputs = tuple(use.inputs.items())
        if init_phase:
            return FmuCall(key, index, inputs, tuple((name, Name(k)) for name, k in use.parameters.items()), init=True)
        stocks = tuple(self.parts.fmu_states[index])
        return FmuCall(key, index, inputs, states=stocks, rows=tuple(self.position[s] for s in stocks))

    def _rate(self, key: str) -> Node:
        parts = self.parts
        if key in parts.hidden_stocks:
            return parts.hidden_stocks[key].rate
        stock = parts.stocks[key]
        return NetFlow(inflows=tuple(f for f in stock.inflows if f in parts.computed),
                       outflows=tuple(f for f in stock.outflows if f in parts.computed))


def compile_model(model: Model, report_hidden: bool = False) -> CompiledModel:
    """Compile a model into a runnable CompiledModel; raises ModelError with diagnostics.

    ``report_hidden`` adds the compiler's hidden quantities to the Results (see ``Compiler``)."""
    with gc_paused():
        return Compiler(model, report_hidden).compile()

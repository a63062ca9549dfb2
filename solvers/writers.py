"""Write the Python programs of a compiled model from its Plan; ``ProgramSet`` writes each on first use.

The scalar and vector programs define ``_init(t, PAR, S, M)`` (start values of every stock, memory and
pipeline) and ``_rhs(t, S, M, D, R, PAR)`` (every variable at time ``t``: rates into ``D``; when ``R`` is
given, the reported values into ``R`` and the once-per-step updates of memories and pipelines). The
scalar program also defines ``_euler(S, M, PAR, n0, n1, last, start, dt, every, OUT)``: Euler steps
``n0 .. n1 - 1`` in one loop over local variables, appending the reported values of every saved step to
``OUT``; it computes what ``_rhs`` and the Euler update compute, in the same order and arithmetic.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from metamodel.errors import ModelError
from solvers.codegen import CodeGen
from solvers.program import (
    BlockRead,
    BlockStart,
    Compute,
    FmuCall,
    FmuOutput,
    Initial,
    NeuralCall,
    NeuralOutput,
    Op,
    Parameter,
    PipeRead,
    Plan,
    Program,
)

if TYPE_CHECKING:
    from solvers.native_code import NativeSource
    from solvers.runtime import Lookup

_STORES = {"S": "S[{row}] = {target}", "M": "M[{row}] = {target}", "P": "PIPES[{row}].initial = {target}"}


class ProgramSet:
    """The generated programs of one compiled model, each written from the Plan when first asked for."""

    def __init__(self, plan: Plan, non_negative: list[int], lookups: dict[str, Lookup]) -> None:
        self.plan = plan
        self.non_negative = non_negative
        self.lookups = lookups
        self._python: dict[bool, Program] = {}
        self._native: NativeSource | None = None
        self._native_refusal: Exception | None = None

    def python(self, vector: bool) -> Program:
        """The scalar (``vector=False``) or vector Python program."""
        if vector not in self._python:
            self._python[vector] = PythonWriter(self.plan, vector, self.non_negative).program()
        return self._python[vector]

    def native(self) -> NativeSource:
        """The C program; raises ``NativeUnsupported`` naming what C cannot compute yet."""
        if self._native is None and self._native_refusal is None:
            from solvers.native_code import NativeUnsupported, write_native

            tables = {key: table.table() for key, table in self.lookups.items()}
            try:
                self._native = write_native(self.plan, self.non_negative, tables)
            except NativeUnsupported as refusal:
                self._native_refusal = refusal
        if self._native_refusal is not None:
            raise self._native_refusal
        assert self._native is not None
        return self._native

    def values(self) -> list[Program]:
        """The programs written so far."""
        written: list[Program] = list(self._python.values())
        if self._native is not None:
            written.append(self._native.program)
        return written


class PythonWriter:
    """Writes the Python module of one backend (scalar floats or numpy vectors)."""

    def __init__(self, plan: Plan, vector: bool, non_negative: list[int]) -> None:
        self.plan = plan
        self.vector = vector
        self.non_negative = non_negative
        self.names: dict[str, str] = {}
        self.tables = {key: f"_lk{i}" for i, key in enumerate(plan.tables)}
        self.lines: list[str] = []
        self.line_owner: dict[int, str] = {}
        self.init_gen = CodeGen(self.local, self.lookup, vector=vector, init_phase=True)
        self.run_gen = CodeGen(self.local, self.lookup, vector=vector, init_phase=False)

    def local(self, key: str) -> str:
        if key not in self.names:
            self.names[key] = f"v{len(self.names)}"
        return self.names[key]

    def lookup(self, key: str) -> str:
        if key not in self.tables:
            raise ModelError(f"'{self.plan.display.get(key, key)}' is used as a graphical function but has none")
        return self.tables[key]

    def emit(self, text: str, owner: str | None = None) -> None:
        self.lines.append(text)
        if owner is not None:
            self.line_owner[len(self.lines)] = self.plan.display.get(owner, owner)

    def program(self) -> Program:
        self._init_function()
        self._rhs_function()
        if not self.vector:
            self._euler_function()
        return Program("\n".join(self.lines) + "\n", dict(self.line_owner))

    # -- one operation -------------------------------------------------------------------------------
    def _op(self, op: Op, gen: CodeGen, indent: str = "    ", loop: bool = False) -> None:
        """One operation; ``loop``: inside ``_euler``, where every step is a main step and the stocks
        are local variables."""
        target = self.local(op.key)
        if isinstance(op, Parameter):
            self.emit(f"{indent}{target} = PAR[{op.index}]", op.key)
        elif isinstance(op, Compute):
            expression = gen.expr(op.expr) if op.expr is not None else "0.0"
            if op.table is not None:
                expression = f"{self.lookup(op.table)}({expression}, None)"
            self.emit(f"{indent}{target} = {expression}", op.key)
            if op.clip:
                clip = f"_np.maximum({target}, 0.0)" if self.vector else f"({target} if {target} > 0.0 else 0.0)"
                self.emit(f"{indent}{target} = {clip}", op.key)
        elif isinstance(op, Initial):
            self.emit(f"{indent}{target} = {gen.expr(op.expr) if op.expr is not None else '0.0'}", op.key)
            self.emit(indent + _STORES[op.store].format(row=op.row, target=target), op.key)
        elif isinstance(op, PipeRead):
            self.emit(f"{indent}{target} = PIPES[{op.row}].read(t, {gen.expr(op.delay)})", op.key)
        elif isinstance(op, BlockStart):
            self.emit(f"{indent}BLOCKS[{op.row}].start({', '.join(gen.expr(a) for a in op.args)})", op.key)
        elif isinstance(op, BlockRead):
            args = "".join(", " + gen.expr(a) for a in op.args)
            self.emit(f"{indent}{target} = BLOCKS[{op.row}].read({op.output}{args})", op.key)
        elif isinstance(op, NeuralCall):
            feeds = [f"{port!r}: _stack([{', '.join(gen.expr(n) for n in nodes)}], _RUNS)" for port, nodes in op.inputs]
            self.emit(f"{indent}_nn{op.index} = NN[{op.index}]({{{', '.join(feeds)}}}, time=t)", op.key)
        elif isinstance(op, NeuralOutput):
            self.emit(f"{indent}{target} = _nn{op.index}[{op.port!r}][:, {op.column}]", op.key)
        elif isinstance(op, FmuCall):
            self._fmu_call(op, gen, indent, loop)
        elif isinstance(op, FmuOutput):
            self.emit(f"{indent}{target} = _fmu{op.index}[{op.column}]", op.key)

    def _fmu_call(self, op: FmuCall, gen: CodeGen, indent: str, loop: bool) -> None:
        feeds = "{" + ", ".join(f"{name!r}: {gen.expr(node)}" for name, node in op.inputs) + "}"
        if op.init:
            settings = "{" + ", ".join(f"{name!r}: {gen.expr(node)}" for name, node in op.parameters) + "}"
            self.emit(f"{indent}_fmu{op.index} = FMU[{op.index}].initialize(t, {settings}, {feeds})", op.key)
            return
        states = "[" + ", ".join(self.local(key) for key in op.states) + "]"
        self.emit(f"{indent}_fmu{op.index} = FMU[{op.index}](t, {feeds}, {states}, "
                  f"{'True' if loop else 'R is not None'})", op.key)
        for k, (key, row) in enumerate(zip(op.states, op.rows, strict=True)):  # the states after any event
            value = f"_fmu{op.index}[{k - len(op.states)}]"
            self.emit(f"{indent}{self.local(key)} = {value}" if loop else f"{indent}S[{row}] = {value}", key)

    # -- functions ---------------------------------------------------------------------------------------
    def _init_function(self) -> None:
        self.emit("def _init(t, PAR, S, M):")
        for op in self.plan.init:
            self._op(op, self.init_gen)
        self.emit("    return None")

    def _rhs_function(self) -> None:
        plan, gen = self.plan, self.run_gen
        self.emit("def _rhs(t, S, M, D, R, PAR):")
        for row, key in enumerate(plan.stocks):
            self.emit(f"    {self.local(key)} = S[{row}]")
        for row, key in enumerate(plan.memories):
            self.emit(f"    {self.local(key)} = M[{row}]")
        for op in plan.run:
            self._op(op, gen)
        for row, (key, rate) in enumerate(zip(plan.stocks, plan.rates, strict=True)):
            self.emit(f"    D[{row}] = {gen.expr(rate)}", key)
        self.emit("    if R is None:")
        self.emit("        return")
        for column, key in enumerate(plan.reported):
            self.emit(f"    R[{column}] = {self.local(key)}")
        for row, (key, update) in enumerate(zip(plan.memories, plan.memory_updates, strict=True)):
            self.emit(f"    M[{row}] = {gen.expr(update)}", key)
        for row, source in enumerate(plan.pipe_pushes):
            self.emit(f"    PIPES[{row}].push({gen.expr(source)})")
        self._block_steps(gen, "    ")

    def _block_steps(self, gen: CodeGen, indent: str) -> None:
        """Each block steps once per main step, with values of the step just recorded; then each FMU
        component advances."""
        for row, args in enumerate(self.plan.block_steps):
            self.emit(f"{indent}BLOCKS[{row}].step({', '.join(gen.expr(a) for a in args)})")
        for index in range(self.plan.fmus):
            self.emit(f"{indent}FMU[{index}].advance(t)")

    def _euler_function(self) -> None:
        plan, gen = self.plan, self.run_gen
        stocks = [self.local(k) for k in plan.stocks]
        memories = [self.local(k) for k in plan.memories]
        self.emit("def _euler(S, M, PAR, n0, n1, last, start, dt, every, OUT):")
        for row, name in enumerate(stocks):
            self.emit(f"    {name} = S[{row}]")
        for row, name in enumerate(memories):
            self.emit(f"    {name} = M[{row}]")
        for op in plan.run:  # parameters stay constant through a run
            if isinstance(op, Parameter):
                self._op(op, gen)
        self.emit("    for n in range(n0, n1):")
        self.emit("        t = start + n * dt")
        for op in plan.run:
            if not isinstance(op, Parameter):
                self._op(op, gen, indent="        ", loop=True)
        for row, (key, rate) in enumerate(zip(plan.stocks, plan.rates, strict=True)):
            self.emit(f"        _d{row} = {gen.expr(rate)}", key)
        self.emit("        if n % every == 0:")
        self.emit(f"            OUT.append(({''.join(self.local(k) + ', ' for k in plan.reported)}))")
        for row, (key, update) in enumerate(zip(plan.memories, plan.memory_updates, strict=True)):
            self.emit(f"        _u{row} = {gen.expr(update)}", key)
        for row, source in enumerate(plan.pipe_pushes):
            self.emit(f"        PIPES[{row}].push({gen.expr(source)})")
        self._block_steps(gen, "        ")
        for row, name in enumerate(memories):  # after the rates and pushes, which read the old values
            self.emit(f"        {name} = _u{row}")
        self.emit("        if n == last:")
        self.emit("            break")
        for row, name in enumerate(stocks):
            self.emit(f"        {name} = {name} + dt * _d{row}")
        for row in self.non_negative:
            self.emit(f"        if {stocks[row]} < 0.0:")
            self.emit(f"            {stocks[row]} = 0.0")
        for row, name in enumerate(stocks):
            self.emit(f"    S[{row}] = {name}")
        for row, name in enumerate(memories):
            self.emit(f"    M[{row}] = {name}")

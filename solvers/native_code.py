"""Write a model's Plan as a C program that computes what the scalar Python program computes.

Each C expression does the operations of its Python counterpart (``solvers.codegen`` for one run) in
the same order on IEEE doubles: libm for the math functions, the helpers of ``native_runtime.c`` for
Python's ``%``, ``min``, ``max``, the test inputs, lookups and pipelines. Numbers are written as exact
hexadecimal literals; identifiers never reach the code (values live in slots ``V[i]``). Statements are
grouped into small functions so that the C compiler's time grows linearly with the model.

What C cannot compute yet (random numbers, neural components, whole-vector builtins, …) raises
``NativeUnsupported`` naming it: such a model runs on the Python backends instead.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from metamodel.equations.ast import BinOp, Call, If, Name, Node, Num, UnaryOp
from metamodel.errors import SalverError
from solvers.codegen import CHAINS, CodeGen, chain_terms
from solvers.program import (
    Compute,
    FmuCall,
    FmuOutput,
    Initial,
    NetFlow,
    NeuralCall,
    NeuralOutput,
    Op,
    Parameter,
    PipeRead,
    Plan,
    Program,
    Ref,
)

HERE = Path(__file__).resolve().parent
STATEMENTS_PER_FUNCTION = 64
_SIGNATURE = "(const sv_ctx *C, double t, double *V, double *S, double *M, double *D, double *U, sv_pipes *P)"
_ARGUMENTS = "(C, t, V, S, M, D, U, P)"
_MATH = {  # name -> (C function, arguments)
    "abs": ("fabs", 1), "exp": ("exp", 1), "ln": ("log", 1), "log10": ("log10", 1), "sqrt": ("sqrt", 1),
    "sin": ("sin", 1), "cos": ("cos", 1), "tan": ("tan", 1), "arcsin": ("asin", 1), "arccos": ("acos", 1),
    "arctan": ("atan", 1), "int": ("floor", 1), "round": ("nearbyint", 1), "cosh": ("cosh", 1),
    "sinh": ("sinh", 1), "tanh": ("tanh", 1), "integer": ("trunc", 1), "modulo": ("fmod", 2),
    "sign": ("sv_sign", 1), "quantum": ("sv_quantum", 2), "log": ("sv_log", 2), "xidz": ("sv_xidz", 3),
}
_CONSTANTS = {"time": "t", "dt": "C->dt", "starttime": "C->start", "stoptime": "C->stop",
              "pi": "0x1.921fb54442d18p+1", "inf": "INFINITY", "nan": "NAN"}
_COMPARE = {"=": "==", "<>": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
_LOOKUP_KINDS = {"continuous": "SV_CONTINUOUS", "discrete": "SV_DISCRETE", "backward": "SV_DISCRETE",
                 "forward": "SV_FORWARD", "extrapolate": "SV_EXTRAPOLATE"}
_LOOKUP_MODES = {"lookup_extrapolate": "extrapolate", "lookup_forward": "forward", "lookup_backward": "backward"}


class NativeUnsupported(SalverError):
    """The model uses something the C backend does not compute yet; it runs in Python instead."""


@dataclass
class NativeSource:
    """A generated C program with the sizes its driver was written for."""

    program: Program
    stocks: int
    memories: int
    pipelines: int
    parameters: int
    reported: int
    slots: int
    digest: str = ""  # the cache key, once computed (solvers.native.digest)


def c_number(value: float) -> str:
    """An exact C literal of ``value``."""
    value = float(value)
    if value != value:
        return "NAN"
    if math.isinf(value):
        return "INFINITY" if value > 0 else "(-INFINITY)"
    return value.hex() if value >= 0 else f"(-{(-value).hex()})"


class CExpression:
    """Writes C expressions over value slots, with the semantics of the scalar Python backend."""

    def __init__(self, slot: Callable[[str], str], table: Callable[[str], tuple[int, str]], init_phase: bool) -> None:
        self.slot = slot
        self.table = table
        self.init_phase = init_phase

    def expr(self, node: Node) -> str:
        if isinstance(node, Num):
            return c_number(node.value)
        if isinstance(node, Ref):
            return self.slot(node.key)
        if isinstance(node, NetFlow):
            inflows = f"({' + '.join(map(self.slot, node.inflows))})" if node.inflows else "0.0"
            return f"({inflows} - ({' + '.join(map(self.slot, node.outflows))}))" if node.outflows else inflows
        if isinstance(node, Name):
            return _CONSTANTS.get(node.name) or self.slot(node.name)
        if isinstance(node, UnaryOp):
            operand = self.expr(node.operand)
            return f"((double)!({operand}))" if node.op == "not" else f"({node.op}({operand}))"
        if isinstance(node, BinOp):
            return self._binop(node)
        if isinstance(node, If):
            return f"(({self.expr(node.cond)}) ? ({self.expr(node.then)}) : ({self.expr(node.orelse)}))"
        if isinstance(node, Call):
            return self._call(node)
        raise NativeUnsupported(f"{type(node).__name__} has no C translation")

    def _binop(self, node: BinOp) -> str:
        if node.op in CHAINS:
            return self._chain(node)
        left, right, op = self.expr(node.left), self.expr(node.right), node.op
        if op == "^":
            return f"pow({left}, {right})"
        if op == "mod":
            return f"sv_mod({left}, {right})"
        if op in _COMPARE:
            return f"((double)({left} {_COMPARE[op]} {right}))"
        if op in ("and", "or"):
            return f"((double)(({left}) {'&&' if op == 'and' else '||'} ({right})))"
        raise NativeUnsupported(f"the operator {op!r} has no C translation")

    def _chain(self, node: BinOp) -> str:
        """``a + b - c`` (or ``a * b / c``) without nested parentheses; C groups it from the left as the
        tree does, and a long sum stays within the compiler's nesting limits."""
        first, rest = chain_terms(node)
        return f"({' '.join([self.expr(first), *(f'{op} {self.expr(right)}' for op, right in rest)])})"

    def _call(self, node: Call) -> str:
        name, count = node.func, len(node.args)
        if name == "active_initial" and count == 2:
            return self.expr(node.args[1] if self.init_phase else node.args[0])
        if name == "if_then_else" and count == 3:
            return self.expr(If(*node.args))
        if name in ("lookup", *_LOOKUP_MODES) and count == 2 and isinstance(node.args[0], Name):
            index, kind = self.table(node.args[0].name)
            mode = _LOOKUP_MODES.get(name)
            kind = _LOOKUP_KINDS[mode] if mode else kind
            return f"sv_lookup(&SV_TABLES[{index}], {self.expr(node.args[1])}, {kind})"
        if name in ("sum", "prod", "mean", "vmax", "vmin", "max", "min", "size") and count:
            return self._aggregate(name, node.args)
        args = [self.expr(a) for a in node.args]
        if name in _CONSTANTS and not args:
            return _CONSTANTS[name]
        if name in _MATH and _MATH[name][1] == count:
            return f"{_MATH[name][0]}({', '.join(args)})"
        timed = _timed_call(name, args)
        if timed is not None:
            return timed
        if name in ("zidz", "safediv") and count == 2:
            return f"sv_xidz({args[0]}, {args[1]}, 0.0)"
        if name == "safediv" and count == 3:
            return f"sv_xidz({', '.join(args)})"
        raise NativeUnsupported(f"{name.upper()} with {count} argument(s) has no C translation yet")

    def _aggregate(self, name: str, args: tuple[Node, ...]) -> str:
        parts = [self.expr(a) for a in CodeGen.flat_args(args)]
        if name == "size":
            return c_number(len(parts))
        if name in ("sum", "mean"):
            total = "(" + " + ".join(parts) + ")"
            return total if name == "sum" else f"({total} / {c_number(len(parts))})"
        if name == "prod":
            return "(" + " * ".join(parts) + ")"
        function = "sv_min" if name in ("vmin", "min") else "sv_max"
        result = parts[0]
        for part in parts[1:]:
            result = f"{function}({result}, {part})"
        return result


def _timed_call(name: str, args: list[str]) -> str | None:
    """The test-input functions (``runtime.step`` …): time first, DT after it where Python passes it."""
    count = len(args)
    joined = ", ".join(args)
    if name == "step" and count == 2:
        return f"sv_step(t, {joined})"
    if name == "ramp" and count in (2, 3):
        return f"sv_ramp{'_end' if count == 3 else ''}(t, {joined})"
    if name == "pulse" and count in (2, 3):
        return f"sv_pulse(t, C->dt, {joined}{', 0.0' if count == 2 else ''})"
    if name == "vensim_pulse" and count == 2:
        return f"sv_vensim_pulse(t, C->dt, {joined})"
    if name == "pulse_train" and count == 4:
        return f"sv_pulse_train(t, C->dt, {joined})"
    return None


class CWriter:
    """Writes the C program of a Plan: slot tables, statement functions, then the driver."""

    def __init__(self, plan: Plan, non_negative: list[int], lookups: dict[str, tuple[list[float], list[float], str]]):
        self.plan = plan
        self.non_negative = non_negative
        self.lookups = lookups
        self.slots: dict[str, int] = {}
        self.tables = {key: i for i, key in enumerate(plan.tables)}
        self.functions: list[str] = []

    def slot_of(self, key: str) -> int:
        if key not in self.slots:
            self.slots[key] = len(self.slots)
        return self.slots[key]

    def slot(self, key: str) -> str:
        return f"V[{self.slot_of(key)}]"

    def table(self, key: str) -> tuple[int, str]:
        if key not in self.tables:
            raise NativeUnsupported(f"'{self.plan.display.get(key, key)}' is used as a graphical function but has none")
        kind = self.lookups[key][2]
        return self.tables[key], _LOOKUP_KINDS.get(kind, "SV_INTERPOLATE")

    def source(self) -> NativeSource:
        plan = self.plan
        init, run = CExpression(self.slot, self.table, True), CExpression(self.slot, self.table, False)
        stock_slots = [self.slot_of(k) for k in plan.stocks]
        memory_slots = [self.slot_of(k) for k in plan.memories]
        parameter_slots = [self.slot_of(k) for k in plan.parameters]
        init_part = self._section("sv_init_parts", [s for op in plan.init for s in self._op(op, init)])
        rhs_statements = [s for op in plan.run for s in self._op(op, run)]
        rhs_statements += [f"D[{row}] = {run.expr(rate)};" for row, rate in enumerate(plan.rates)]
        rhs_part = self._section("sv_rhs_parts", rhs_statements)
        updates = [f"U[{row}] = {run.expr(update)};" for row, update in enumerate(plan.memory_updates)]
        updates += [f"sv_pipe_push(P, {row}, {run.expr(source)});" for row, source in enumerate(plan.pipe_pushes)]
        update_part = self._section("sv_update_parts", updates)
        reported = [self.slot_of(k) for k in plan.reported]
        pipelines = len(plan.pipe_pushes)
        header = [f"#define SV_NS {len(plan.stocks)}", f"#define SV_NM {len(plan.memories)}",
                  f"#define SV_NP {pipelines}", f"#define SV_NPAR {len(parameter_slots)}",
                  f"#define SV_NR {len(reported)}", f"#define SV_NV {max(len(self.slots), 1)}",
                  f"#define SV_NNEG {len(self.non_negative)}",
                  _table("SV_STOCK_SLOT", stock_slots), _table("SV_MEMORY_SLOT", memory_slots),
                  _table("SV_PARAM_SLOT", parameter_slots), _table("SV_REPORTED", reported),
                  _table("SV_NONNEG", self.non_negative), *self._lookup_tables()]
        text = "\n".join([_read("native_runtime.c"), *header, *self.functions, init_part, rhs_part, update_part,
                          _read("native_driver.c")]) + "\n"
        return NativeSource(Program(text, {}), len(plan.stocks), len(plan.memories), pipelines,
                            len(parameter_slots), len(reported), max(len(self.slots), 1))

    def _op(self, op: Op, gen: CExpression) -> list[str]:
        if isinstance(op, Parameter):  # loaded into its slot once per run by the driver
            return []
        if isinstance(op, NeuralCall | NeuralOutput):
            raise NativeUnsupported("neural components run through onnxruntime, not in C")
        if isinstance(op, FmuCall | FmuOutput):
            raise NativeUnsupported("FMU components run through fmpy, not in C")
        target = self.slot(op.key)
        if isinstance(op, Compute):
            expression = gen.expr(op.expr) if op.expr is not None else "0.0"
            if op.table is not None:
                index, kind = self.table(op.table)
                expression = f"sv_lookup(&SV_TABLES[{index}], {expression}, {kind})"
            statements = [f"{target} = {expression};"]
            if op.clip:
                statements.append(f"{target} = ({target} > 0.0 ? {target} : 0.0);")
            return statements
        if isinstance(op, Initial):
            store = {"S": f"S[{op.row}]", "M": f"M[{op.row}]", "P": f"P->initial[{op.row}]"}[op.store]
            value = gen.expr(op.expr) if op.expr is not None else "0.0"
            return [f"{target} = {value};", f"{store} = {target};"]
        if isinstance(op, PipeRead):
            return [f"{target} = sv_pipe_read(C, P, {op.row}, t, {gen.expr(op.delay)});"]
        raise NativeUnsupported(f"{type(op).__name__} has no C translation")

    def _section(self, name: str, statements: list[str]) -> str:
        """``name`` calls small functions holding ``statements`` in order."""
        calls = []
        for start in range(0, len(statements), STATEMENTS_PER_FUNCTION):
            function = f"sv_f{len(self.functions)}"
            body = "\n".join(f"    {text}" for text in statements[start:start + STATEMENTS_PER_FUNCTION])
            self.functions.append(f"static void {function}{_SIGNATURE} {{\n{body}\n}}")
            calls.append(f"    {function}{_ARGUMENTS};")
        unused = "    (void)C; (void)t; (void)V; (void)S; (void)M; (void)D; (void)U; (void)P;"
        return f"static void {name}{_SIGNATURE} {{\n{unused}\n" + "\n".join(calls) + "\n}"

    def _lookup_tables(self) -> list[str]:
        if not self.plan.tables:
            return []
        lines, entries = [], []
        for i, key in enumerate(self.plan.tables):
            xs, ys, _kind = self.lookups[key]
            lines.append(f"static const double SV_X{i}[] = {{{', '.join(map(c_number, xs))}}};")
            lines.append(f"static const double SV_Y{i}[] = {{{', '.join(map(c_number, ys))}}};")
            entries.append(f"{{SV_X{i}, SV_Y{i}, {len(xs)}}}")
        lines.append(f"static const sv_table SV_TABLES[] = {{{', '.join(entries)}}};")
        return lines


def _table(name: str, values: list[int]) -> str:
    return f"static const int64_t {name}[] = {{{', '.join(map(str, values or [0]))}}};"


def _read(name: str) -> str:
    return (HERE / name).read_text(encoding="utf-8")


def write_native(plan: Plan, non_negative: list[int],
                 lookups: dict[str, tuple[list[float], list[float], str]]) -> NativeSource:
    """The C program of ``plan``; raises NativeUnsupported naming what has no C translation yet."""
    if plan.block_steps:
        raise NativeUnsupported("conveyors, queues and the other builtins with a state of their own "
                                "(solvers.blocks) keep it in Python objects, not in C")
    return CWriter(plan, non_negative, lookups).source()

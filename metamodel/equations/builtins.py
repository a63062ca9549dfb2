"""The builtin functions of the equation language: arity, whether they keep state, and (from
``builtin_reference``) their signature and what they do.

XMILE 1.0's set, plus the functions the Vensim importer translates into (``ZIDZ``, ``XIDZ``,
``PULSE_TRAIN``, ``SAMPLE_IF_TRUE``, …). Names are canonical (lower case, underscores).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, replace

from metamodel.equations.builtin_reference import REFERENCE
from metamodel.names import canonical

UNBOUNDED = sys.maxsize  # SUM, MAX, … take any number of arguments (an array of any size)
SPELLED_OUT = 10**9  # functions the flattener gives one argument per array element


@dataclass(frozen=True)
class Builtin:
    name: str
    min_args: int
    max_args: int
    stateful: bool = False
    description: str = ""
    signature: str = ""

    @property
    def arity(self) -> str:
        """How many arguments it takes, in words: ``2``, ``1 to 3``, ``at least 1``."""
        if self.min_args == self.max_args:
            return str(self.min_args)
        if self.max_args >= SPELLED_OUT:
            return f"at least {self.min_args}"
        return f"{self.min_args} to {self.max_args}"


_TABLE = [
    # math
    Builtin("abs", 1, 1), Builtin("arccos", 1, 1), Builtin("arcsin", 1, 1), Builtin("arctan", 1, 1),
    Builtin("cos", 1, 1), Builtin("sin", 1, 1), Builtin("tan", 1, 1), Builtin("exp", 1, 1),
    Builtin("cosh", 1, 1), Builtin("sinh", 1, 1), Builtin("tanh", 1, 1),
    Builtin("ln", 1, 1), Builtin("log10", 1, 1), Builtin("sqrt", 1, 1), Builtin("int", 1, 1),
    Builtin("integer", 1, 1), Builtin("round", 1, 1), Builtin("sign", 1, 1), Builtin("log", 2, 2),
    Builtin("max", 1, UNBOUNDED), Builtin("min", 1, UNBOUNDED), Builtin("modulo", 2, 2),
    Builtin("pi", 0, 0), Builtin("inf", 0, 0), Builtin("nan", 0, 0),
    Builtin("gamma_ln", 1, 1), Builtin("safediv", 2, 3), Builtin("zidz", 2, 2), Builtin("xidz", 3, 3),
    Builtin("quantum", 2, 2),
    # time and test inputs
    Builtin("time", 0, 0), Builtin("dt", 0, 0), Builtin("starttime", 0, 0), Builtin("stoptime", 0, 0),
    Builtin("step", 2, 2), Builtin("pulse", 1, 3), Builtin("ramp", 2, 3),
    Builtin("pulse_train", 4, 4), Builtin("vensim_pulse", 2, 2),
    # lookups
    Builtin("lookup", 2, 2), Builtin("lookup_extrapolate", 2, 2), Builtin("lookup_forward", 2, 2),
    Builtin("lookup_backward", 2, 2), Builtin("lookup_area", 3, 3), Builtin("lookup_invert", 2, 2),
    Builtin("lookup_slope", 2, 2),
    # stateful (expanded into hidden stocks by the compiler)
    Builtin("smth1", 2, 3, True), Builtin("smth3", 2, 3, True), Builtin("smthn", 3, 4, True),
    Builtin("delay1", 2, 3, True), Builtin("delay3", 2, 3, True), Builtin("delayn", 3, 4, True),
    Builtin("vensim_delayn", 3, 4, True),
    Builtin("delay", 2, 3, True), Builtin("trend", 2, 3, True), Builtin("forcst", 3, 4, True),
    Builtin("init", 1, 1, True), Builtin("previous", 1, 2, True),
    Builtin("active_initial", 2, 2, True), Builtin("sample_if_true", 3, 3, True),
    Builtin("integ", 2, 2, True), Builtin("delay_fixed", 3, 3, True),
    Builtin("npv", 4, 4, True), Builtin("npve", 4, 4, True),
    # random
    Builtin("random", 0, 3), Builtin("uniform", 2, 3), Builtin("normal", 2, 5), Builtin("lognormal", 2, 3),
    Builtin("poisson", 1, 2), Builtin("exprnd", 1, 2),
    # Vensim's random functions: minimum, maximum, the distribution's parameters, stream id (see runtime)
    *(Builtin(f"vensim_random_{kind}", count, count) for kind, count in (
        ("beta", 7), ("binomial", 7), ("exponential", 5), ("gamma", 6), ("negative_binomial", 7), ("normal", 5),
        ("poisson", 6), ("triangular", 6), ("uniform", 3), ("weibull", 6))),
    # arrays
    Builtin("sum", 1, UNBOUNDED), Builtin("prod", 1, UNBOUNDED), Builtin("mean", 1, UNBOUNDED),
    Builtin("stddev", 1, UNBOUNDED), Builtin("size", 1, UNBOUNDED), Builtin("vmax", 1, UNBOUNDED),
    Builtin("vmin", 1, UNBOUNDED), Builtin("rank", 2, 3), Builtin("invert_matrix", 2, UNBOUNDED),
    # whole-vector functions (Vensim): the flattener checks their arity and spells out their vectors
    Builtin("vector_select", 5, SPELLED_OUT), Builtin("vector_sort_order", 2, SPELLED_OUT),
    Builtin("vector_rank", 2, SPELLED_OUT), Builtin("vector_reorder", 2, SPELLED_OUT),
    Builtin("vector_elm_map", 2, SPELLED_OUT), Builtin("allocate_by_priority", 5, SPELLED_OUT),
    Builtin("allocate_available", 3, SPELLED_OUT), Builtin("xmile_rank", 2, SPELLED_OUT),
    Builtin("shift_if_true", 5, SPELLED_OUT, True), Builtin("vector_lookup", 5, SPELLED_OUT),
    # Vensim's conveyor, queue, data and noise functions (solvers.expand_vensim)
    Builtin("delay_conveyor", 6, 6, True), Builtin("queue_fifo", 5, 5, True), Builtin("queue_age_average", 2, 2),
    Builtin("queue_age_in_range", 3, 3), Builtin("queue_age_oldest", 1, 1),
    Builtin("data_at_time", 2, 2), Builtin("data_between_times", 3, 3), Builtin("data_first_time", 1, 1),
    Builtin("data_last_time", 1, 1), Builtin("data_total_points", 1, 1), Builtin("data_max", 3, 3),
    Builtin("data_min", 3, 3), Builtin("data_mean", 3, 3), Builtin("lookup_between", 3, 3),
    Builtin("lookup_stat", 4, 4), Builtin("random_pink_noise", 4, 4, True), Builtin("vensim_random_lookup", 6, 6),
    # XMILE conveyors, as the importer writes them (solvers.expand_conveyors makes their blocks)
    Builtin("conveyor", 8, SPELLED_OUT, True), Builtin("conveyor_outflow", 1, 2, True),
    Builtin("conveyor_leak", 2, 2, True), Builtin("conveyor_inflow", 3, 3, True),
    Builtin("conveyor_room", 1, 1, True),
    # Stella ovens and queues, as the XMILE importer writes them (solvers.expand_batches makes their blocks)
    Builtin("oven", 7, 7, True), Builtin("oven_outflow", 1, 1, True), Builtin("oven_inflow", 2, 2, True),
    Builtin("oven_room", 1, 1, True), Builtin("queue", 1, 1, True), Builtin("queue_outflow", 5, 5, True),
    # conditionals written as functions
    Builtin("if_then_else", 3, 3),
]

# each with its signature and description (``builtin_reference``)
BUILTINS: dict[str, Builtin] = {
    b.name: replace(b, signature=REFERENCE.get(b.name, ("", ""))[0], description=REFERENCE.get(b.name, ("", ""))[1])
    for b in _TABLE}

# Zero-argument builtins may be written without parentheses (``TIME``, ``DT``, ``PI``).
CONSTANT_NAMES = frozenset({"time", "dt", "starttime", "stoptime", "pi", "inf", "nan"})


def lookup(name: str) -> Builtin | None:
    """The builtin called ``name`` (any case, spaces or underscores), or None."""
    return BUILTINS.get(canonical(name))


def is_builtin(name: str) -> bool:
    return canonical(name) in BUILTINS

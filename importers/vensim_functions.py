"""Vensim builtin functions mapped onto Salver's builtins (``metamodel/equations/builtins.py``)."""

from __future__ import annotations

from collections.abc import Callable

from importers.vensim_expr import Unsupported
from metamodel.equations.ast import BinOp, Call, If, Name, Node, Num, UnaryOp
from metamodel.names import canonical

Args = list[Node]

# Vensim name (canonical) -> (Salver name, argument order as indices into the Vensim arguments)
_RENAMED: dict[str, tuple[str, tuple[int, ...]]] = {
    "abs": ("abs", (0,)), "exp": ("exp", (0,)), "ln": ("ln", (0,)), "sqrt": ("sqrt", (0,)),
    "sin": ("sin", (0,)), "cos": ("cos", (0,)), "tan": ("tan", (0,)), "arcsin": ("arcsin", (0,)),
    "arccos": ("arccos", (0,)), "arctan": ("arctan", (0,)), "log10": ("log10", (0,)),
    "log": ("log", (0, 1)), "min": ("min", (0, 1)), "max": ("max", (0, 1)),
    "modulo": ("modulo", (0, 1)), "integer": ("integer", (0,)), "quantum": ("quantum", (0, 1)),
    "zidz": ("zidz", (0, 1)), "xidz": ("xidz", (0, 1, 2)), "sign": ("sign", (0,)),
    "step": ("step", (0, 1)), "ramp": ("ramp", (0, 1, 2)), "pulse": ("vensim_pulse", (0, 1)),
    "pulse_train": ("pulse_train", (0, 1, 2, 3)),
    "smooth": ("smth1", (0, 1)), "smoothi": ("smth1", (0, 1, 2)), "smooth3": ("smth3", (0, 1)),
    "smooth3i": ("smth3", (0, 1, 2)), "smooth_n": ("smthn", (0, 1, 3, 2)),
    "delay1": ("delay1", (0, 1)), "delay1i": ("delay1", (0, 1, 2)), "delay3": ("delay3", (0, 1)),
    "delay3i": ("delay3", (0, 1, 2)), "delay_n": ("vensim_delayn", (0, 1, 3, 2)),
    "delay_fixed": ("delay_fixed", (0, 1, 2)), "trend": ("trend", (0, 1, 2)),
    "forecast": ("forcst", (0, 1, 2)), "initial": ("init", (0,)),
    "active_initial": ("active_initial", (0, 1)), "sample_if_true": ("sample_if_true", (0, 1, 2)),
    "integ": ("integ", (0, 1)),
    "lookup_extrapolate": ("lookup_extrapolate", (0, 1)), "lookup_forward": ("lookup_forward", (0, 1)),
    "lookup_backward": ("lookup_backward", (0, 1)), "lookup_invert": ("lookup_invert", (0, 1)),
    "lookup_area": ("lookup_area", (0, 1, 2)), "lookup_slope": ("lookup_slope", (0, 1)),
    "vector_lookup": ("vector_lookup", (0, 1, 2, 3, 4)),
    **{f"random_{kind}": (f"vensim_random_{kind}", tuple(range(count))) for kind, count in (
        ("beta", 7), ("binomial", 7), ("exponential", 5), ("gamma", 6), ("negative_binomial", 7), ("normal", 5),
        ("poisson", 6), ("triangular", 6), ("uniform", 3), ("weibull", 6))},
    "npv": ("npv", (0, 1, 2, 3)), "npve": ("npve", (0, 1, 2, 3)),
    "vector_select": ("vector_select", (0, 1, 2, 3, 4)), "vector_sort_order": ("vector_sort_order", (0, 1)),
    "vector_rank": ("vector_rank", (0, 1)), "vector_reorder": ("vector_reorder", (0, 1)),
    "vector_elm_map": ("vector_elm_map", (0, 1)), "allocate_by_priority": ("allocate_by_priority", (0, 1, 2, 3, 4)),
    "allocate_available": ("allocate_available", (0, 1, 2)),
    "shift_if_true": ("shift_if_true", (0, 1, 2, 3, 4)),
    "delay_conveyor": ("delay_conveyor", (0, 1, 2, 3, 4, 5)), "queue_fifo": ("queue_fifo", (0, 1, 2, 3, 4)),
    "queue_age_average": ("queue_age_average", (0, 1)), "queue_age_in_range": ("queue_age_in_range", (0, 1, 2)),
    "queue_age_oldest": ("queue_age_oldest", (0,)),
    "get_data_at_time": ("data_at_time", (0, 1)), "get_data_between_times": ("data_between_times", (0, 1, 2)),
    "get_data_first_time": ("data_first_time", (0,)), "get_data_last_time": ("data_last_time", (0,)),
    "get_data_total_points": ("data_total_points", (0,)), "get_data_max": ("data_max", (0, 1, 2)),
    "get_data_min": ("data_min", (0, 1, 2)), "get_data_mean": ("data_mean", (0, 1, 2)),
    "random_pink_noise": ("random_pink_noise", (0, 1, 2, 3)), "gamma_ln": ("gamma_ln", (0,)),
    "delay_information": ("delay", (0, 1, 2)),
    "random_lookup": ("vensim_random_lookup", (0, 1, 2, 3, 4, 5)),
    "sum": ("sum", (0,)), "prod": ("prod", (0,)), "vmin": ("vmin", (0,)), "vmax": ("vmax", (0,)),
}

_EXTERNAL = ("get_", "tabbed_array", "vector_", "allocate_", "find_zero")

# Functions of Vensim's reference manual that Salver does not compute, with the reason (an import error).
_REFUSED = {
    "a_function_of": "A FUNCTION OF is a placeholder for a relation that has no equation yet",
    "delay_batch": "DELAY BATCH (batches released together) is not supported",
    "delay_material": "DELAY MATERIAL (a conserving delay of variable time) is not supported",
    "delay_profile": "DELAY PROFILE (a delay with a lookup profile) is not supported",
    "depreciate_straightline": "DEPRECIATE STRAIGHTLINE is not supported",
    "depreciate_by_schedule": "DEPRECIATE BY SCHEDULE is not supported",
    "npv_vintage": "NPV VINTAGE is not supported",
    "alloc_p": "ALLOC P is not supported (ALLOCATE BY PRIORITY is)",
    "alloc_dp": "ALLOC DP is not supported (ALLOCATE BY PRIORITY is)",
    "marketp": "MARKETP is not supported (ALLOCATE BY PRIORITY is)",
    "queue_fifo_attrib": "QUEUE FIFO ATTRIB (queues with attributes) is not supported (QUEUE FIFO is)",
    "queue_attrib_average": "QUEUE ATTRIB AVERAGE (queues with attributes) is not supported",
    "queue_attrib_quantity": "QUEUE ATTRIB QUANTITY (queues with attributes) is not supported",
    "time_shift": "TIME SHIFT (a data variable shifted in time) is not supported",
    "cumulate": "CUMULATE (a data series cumulated) is not supported",
    "cumulatef": "CUMULATEF (a data series cumulated) is not supported",
    "find_zero": "FIND ZERO (a root found while simulating) is not supported",
    "random_lognormal": "RANDOM LOGNORMAL is not in Vensim's reference manual's RANDOM functions; no argument "
                        "order to follow (RANDOM NORMAL of a logarithm gives one)",
}


def _hyperbolic(kind: str) -> Callable[[Args, tuple[int, int]], Node]:
    """sinh/cosh/tanh written with exp, which the engine knows."""

    def build(args: Args, span: tuple[int, int]) -> Node:
        x = args[0]
        up = Call("exp", (x,), span=span)
        down = Call("exp", (UnaryOp("-", x, span=span),), span=span)
        if kind == "tanh":
            return BinOp("/", BinOp("-", up, down, span=span), BinOp("+", up, down, span=span), span=span)
        op = "-" if kind == "sinh" else "+"
        return BinOp("/", BinOp(op, up, down, span=span), Num(2.0, "2", span=span), span=span)

    return build


def _if(args: Args, span: tuple[int, int]) -> Node:
    return If(args[0], args[1], args[2], span=span)


def _power(args: Args, span: tuple[int, int]) -> Node:
    return BinOp("^", args[0], args[1], span=span)


def _time_value(args: Args, span: tuple[int, int]) -> Node:
    """GET TIME VALUE(relative to, offset, measure) for simulation time: relative to now (0) or start (1)."""
    relative, offset, measure = args
    if not (isinstance(relative, Num) and relative.value in (0, 1) and isinstance(measure, Num) and
            measure.value == 0):
        raise Unsupported("GET TIME VALUE is supported for simulation time (measure 0) relative to the "
                          "current (0) or initial (1) time", span[0])
    origin = Name("TIME" if relative.value == 0 else "STARTTIME", span=span)
    return BinOp("+", origin, offset, span=span)


def _time_base(args: Args, span: tuple[int, int]) -> Node:
    """TIME BASE(start, slope): ``start + Time * slope`` (the manual's equivalent)."""
    return BinOp("+", args[0], BinOp("*", Name("TIME", span=span), args[1], span=span), span=span)


_BUILT: dict[str, tuple[int, Callable[[Args, tuple[int, int]], Node]]] = {
    "time_base": (2, _time_base),
    "random_0_1": (0, lambda args, span: Call("vensim_random_uniform", (Num(0.0), Num(1.0), Num(0.0)), span=span)),
    "get_time_value": (3, _time_value),
    "invert_matrix": (2, lambda args, span: Call("invert_matrix", tuple(args), span=span)),
    "if_then_else": (3, _if),
    "power": (2, _power),
    "game": (1, lambda args, span: args[0]),
    "sinh": (1, _hyperbolic("sinh")),
    "cosh": (1, _hyperbolic("cosh")),
    "tanh": (1, _hyperbolic("tanh")),
}


class FunctionTranslator:
    """Translates one Vensim call; ``lookups`` are canonical names of lookup (table) variables and
    ``dimension_sizes`` the element count of each dimension (for ``ELMCOUNT``)."""

    def __init__(self, lookups: set[str], dimension_sizes: dict[str, int]) -> None:
        self.lookups = lookups
        self.dimension_sizes = dimension_sizes

    def __call__(self, name: str, args: Args, span: tuple[int, int]) -> Node:
        key = canonical(name)
        if key in self.lookups:
            if len(args) != 1:
                raise Unsupported(f"lookup {name!r} called with {len(args)} arguments", span[0])
            return Call(name, tuple(args), span=span)
        if key == "elmcount" and len(args) == 1 and isinstance(args[0], Name):
            size = self.dimension_sizes.get(canonical(args[0].name))
            if size is None:
                raise Unsupported(f"ELMCOUNT of {args[0].name!r}, which is not a dimension", span[0])
            return Num(float(size), span=span)
        if key in _BUILT:
            arity, build = _BUILT[key]
            self._check(name, args, arity, arity, span)
            return build(args, span)
        if key in _RENAMED:
            target, order = _RENAMED[key]
            self._check(name, args, len(order), len(order), span)
            return Call(target, tuple(args[i] for i in order if i < len(args)), span=span)
        if key in _REFUSED:
            raise Unsupported(_REFUSED[key], span[0])
        if key.startswith(_EXTERNAL):
            raise Unsupported(f"function {name.upper()} (external data or array function) is not supported",
                              span[0])
        raise Unsupported(f"unknown function {name!r}", span[0])

    @staticmethod
    def _check(name: str, args: Args, low: int, high: int, span: tuple[int, int]) -> None:
        if not low <= len(args) <= high:
            expected = str(low) if low == high else f"{low} to {high}"
            raise Unsupported(f"{name.upper()} takes {expected} arguments, got {len(args)}", span[0])

"""What the compiler hands to the runner: the run-time layout and the generated programs."""

from __future__ import annotations

from dataclasses import dataclass

from metamodel.equations.ast import Node


@dataclass
class Program:
    """Generated source of one backend plus the line -> variable map for error messages."""

    source: str
    lines: dict[int, str]


@dataclass
class Layout:
    """Where each quantity lives at run time."""

    stocks: list[str]  # keys, index = row of the state
    memories: list[str]
    pipelines: list[str]
    parameters: list[str]  # keys of constant auxes fed from PAR
    parameter_defaults: list[float]
    reported: list[str]  # keys reported in Results, index = column of R
    display: dict[str, str]
    init_order: list[str]
    run_order: list[str]
    non_negative: list[int]  # rows of stocks kept at or above zero


@dataclass
class RateSystem:
    """What an analytic Jacobian needs: stock keys with their rate ASTs, computed variables, parameters."""

    stocks: list[str]
    rates: dict[str, Node]
    computed: dict[str, Node]
    parameters: list[str]
    clipped: set[str]  # flows cut at zero (uniflows)

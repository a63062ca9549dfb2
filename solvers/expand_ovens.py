"""Stella ovens in the flat model: each oven stock element becomes an ``oven`` block.

The XMILE importer writes an oven as calls of internal builtins: the stock's equation ``OVEN(initial,
capacity, fill time, cook time, inflow limit, clean time, arrest)``, its outflow ``OVEN_OUTFLOW(stock)``
and its inflow ``OVEN_INFLOW(stock, request)``. This module turns them into one block per stock element
(``solvers.batch_blocks.Oven``), its arguments held in hidden values so that each is computed once per
step. The stock keeps integrating its flows, which the block sets, so its value is the oven's content.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from metamodel.equations.ast import Call, Name, Node, Num
from solvers.expand_conveyors import is_call, names_stock

if TYPE_CHECKING:
    from solvers.expand import Expander
    from solvers.flatten import FlatVar

_READS = ("oven_outflow", "oven_inflow")


def expand_ovens(expander: Expander) -> None:
    """Make the block of every oven stock and point its flows at the block's outputs."""
    flat = expander.flat.variables
    for stock in [v for v in flat.values() if v.kind == "stock" and is_call(v.expr, "oven")]:
        _oven(expander, stock)
    for var in flat.values():  # calls left are flows of no oven
        if isinstance(var.expr, Call) and var.expr.func in _READS:
            expander._owner = var
            expander._problem(f"{var.expr.func.upper()} names a stock that is not an oven", var.expr)
            var.expr = Num(0.0)


def _flow(x: Expander, stock: FlatVar, keys: list[str], func: str) -> FlatVar | None:
    """The one flow of ``keys`` that reads this oven through ``func``."""
    found = [x.flat.variables[k] for k in keys if k in x.flat.variables
             and is_call(x.flat.variables[k].expr, func) and names_stock(x.flat.variables[k].expr, stock.key)]
    if len(found) != 1:
        x._owner = stock
        x._problem(f"an oven needs exactly one flow {func.upper()}", stock.expr or Num(0.0))
        return None
    return found[0]


def _oven(x: Expander, stock: FlatVar) -> None:
    call: Call = stock.expr  # type: ignore[assignment]
    x._owner = stock
    if len(call.args) != 7:
        x._problem(f"OVEN takes 7 arguments, got {len(call.args)}", call)
        return

    def held(what: str, node: Node) -> Node:
        x._owner = stock
        return node if isinstance(node, Num | Name) else x._aux(what, x.rewrite(node))

    initial, capacity, fill, cook, in_limit, clean, arrest = call.args
    outflow = _flow(x, stock, stock.outflows, "oven_outflow")
    inflow = _flow(x, stock, stock.inflows, "oven_inflow")
    if outflow is None or inflow is None:
        return
    stock.expr = initial  # the stock starts with the oven's initial content
    key = x._key("oven")
    capacity_v, fill_v, cook_v = held("capacity", capacity), held("fill", fill), held("cook", cook)
    limit_v, clean_v, arrest_v = held("limit", in_limit), held("clean", clean), held("arrest", arrest)
    x._owner = inflow
    request = x._aux("request", x.rewrite(inflow.expr.args[1]))  # type: ignore[union-attr]
    from solvers.expand import Block

    x.out.blocks.append(Block(key, "oven", (stock.display,), (initial, capacity_v, fill_v, cook_v),
                              (capacity_v, fill_v, cook_v, clean_v, arrest_v, Name(inflow.key))))
    outflow.expr = x._block_output(key, 0, (arrest_v,))
    inflow.expr = x._block_output(key, 1, (capacity_v, limit_v, arrest_v, request))

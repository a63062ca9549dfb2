"""Stella's batch stocks in the flat model: each oven and queue stock element becomes a block.

The XMILE importer writes them as calls of internal builtins. An oven: the stock's equation ``OVEN(initial,
capacity, fill time, cook time, inflow limit, clean time, arrest)``, its outflow ``OVEN_OUTFLOW(stock)``
and its inflow ``OVEN_INFLOW(stock, request)``, or a queue's outflow. A queue: the stock's equation
``QUEUE(initial)`` and its k-th outflow ``QUEUE_OUTFLOW(stock, k, most, whole batches, one at a time)``,
where ``most`` is ``OVEN_ROOM(oven)`` or ``CONVEYOR_ROOM(conveyor)`` for an outflow into an oven or a
conveyor (what that takes this step). This module turns them into one block per stock element
(``solvers.batch_blocks``), their arguments held in hidden values so that each is computed once per step.
The stocks keep integrating their flows, which the blocks set, so their values are the blocks' contents.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from metamodel.equations.ast import Call, Name, Node, Num
from solvers.expand_conveyors import Room, is_call, names_stock

if TYPE_CHECKING:
    from solvers.expand import Expander
    from solvers.flatten import FlatVar

_READS = ("oven_outflow", "oven_inflow", "oven_room", "queue_outflow")


def expand_batches(expander: Expander, rooms: dict[str, Room]) -> None:
    """Make the block of every oven and queue stock and point their flows at the blocks' outputs;
    ``rooms`` holds the conveyors' rooms, and the ovens' are added."""
    flat = expander.flat.variables
    for stock in [v for v in flat.values() if v.kind == "stock" and is_call(v.expr, "oven")]:
        _oven(expander, stock, rooms)
    for stock in [v for v in flat.values() if v.kind == "stock" and is_call(v.expr, "queue")]:
        _queue(expander, stock, rooms)
    for var in flat.values():  # calls left are flows of no oven or queue
        if isinstance(var.expr, Call) and var.expr.func in _READS:
            expander._owner = var
            kind = "a queue" if var.expr.func == "queue_outflow" else "an oven"
            expander._problem(f"{var.expr.func.upper()} names a stock that is not {kind}", var.expr)
            var.expr = Num(0.0)


def _held(x: Expander, owner: FlatVar, what: str, node: Node) -> Node:
    """``node`` as a hidden value of ``owner`` (stateful calls in it expanded)."""
    x._owner = owner
    return node if isinstance(node, Num | Name) else x._aux(what, x.rewrite(node))


def _flows(x: Expander, keys: list[str], func: str, stock: FlatVar) -> list[FlatVar]:
    """The flows of ``keys`` that read ``stock`` through ``func``."""
    return [x.flat.variables[k] for k in keys if k in x.flat.variables
            and is_call(x.flat.variables[k].expr, func) and names_stock(x.flat.variables[k].expr, stock.key)]


def _oven(x: Expander, stock: FlatVar, rooms: dict[str, Room]) -> None:
    call: Call = stock.expr  # type: ignore[assignment]
    x._owner = stock
    if len(call.args) != 7:
        x._problem(f"OVEN takes 7 arguments, got {len(call.args)}", call)
        return
    outflows = _flows(x, stock.outflows, "oven_outflow", stock)
    inflows = [x.flat.variables[k] for k in stock.inflows if k in x.flat.variables]
    fed = len(inflows) == 1 and (is_call(inflows[0].expr, "queue_outflow") or
                                 _flows(x, stock.inflows, "oven_inflow", stock) == inflows)
    if len(outflows) != 1 or not fed:
        x._problem("an oven needs one outflow OVEN_OUTFLOW and one inflow, OVEN_INFLOW or a queue's outflow", call)
        return
    outflow, inflow = outflows[0], inflows[0]
    initial, capacity, fill, cook, in_limit, clean, arrest = call.args
    stock.expr = initial  # the stock starts with the oven's initial content
    key = x._key("oven")
    capacity_v, fill_v, cook_v = (_held(x, stock, w, n) for w, n in (("capacity", capacity), ("fill", fill),
                                                                       ("cook", cook)))
    limit_v, clean_v, arrest_v = (_held(x, stock, w, n) for w, n in (("limit", in_limit), ("clean", clean),
                                                                       ("arrest", arrest)))
    from solvers.expand import Block

    x.out.blocks.append(Block(key, "oven", (stock.display,), (Name(stock.key), capacity_v, fill_v, cook_v),
                              (capacity_v, fill_v, cook_v, clean_v, arrest_v, Name(inflow.key))))
    outflow.expr = x._block_output(key, 0, (arrest_v,))
    room = (capacity_v, limit_v, arrest_v, clean_v)
    rooms[stock.key] = (key, 2, room)
    if is_call(inflow.expr, "oven_inflow"):
        x._owner = inflow
        request = x._aux("request", x.rewrite(inflow.expr.args[1]))  # type: ignore[union-attr]
        inflow.expr = x._block_output(key, 1, (*room, request))


def _queue(x: Expander, stock: FlatVar, rooms: dict[str, Room]) -> None:
    call: Call = stock.expr  # type: ignore[assignment]
    x._owner = stock
    outflows = _flows(x, stock.outflows, "queue_outflow", stock)
    if len(call.args) != 1 or len(outflows) != len(stock.outflows):
        x._problem("a queue takes QUEUE(initial) and outflows QUEUE_OUTFLOW", call)
        return
    found: dict[int, tuple[FlatVar, Node, bool, bool]] = {}
    for flow in outflows:
        x._owner = flow
        position, most, whole, one = flow.expr.args[1:]  # type: ignore[union-attr]
        numbers = [x._initial_value(n) for n in (position, whole, one)]
        if any(n is None for n in numbers):
            x._problem("QUEUE_OUTFLOW takes the queue, a constant position, the most it takes and two constant "
                       "flags", flow.expr)  # type: ignore[arg-type]
            return
        if isinstance(most, Call) and most.func in ("oven_room", "conveyor_room"):
            into = most.args[0] if most.args else None
            room = rooms.get(into.name) if isinstance(into, Name) else None
            if room is None:
                x._problem(f"{most.func.upper()} names a stock that is not an oven or a conveyor", most)
                return
            most = x._block_output(*room)
        else:
            most = x._aux("request", x.rewrite(most))
        found[int(numbers[0])] = (flow, most, bool(numbers[1]), bool(numbers[2]))  # type: ignore[arg-type]
    if sorted(found) != list(range(1, len(outflows) + 1)):
        x._owner = stock
        x._problem(f"a queue with {len(outflows)} outflow(s) needs them numbered 1 to {len(outflows)}", call)
        return
    ordered = [found[k] for k in sorted(found)]
    stock.expr = call.args[0]  # the stock starts with the queue's initial content
    key = x._key("queue")
    inflows = [Name(k) for k in stock.inflows]
    from solvers.expand import Block

    flags = tuple((whole, one) for _, _, whole, one in ordered)
    x.out.blocks.append(Block(key, "queue", (stock.display, len(inflows), flags), (Name(stock.key),),
                              (*inflows, *(Name(flow.key) for flow, *_ in ordered))))
    limits = tuple(most for _, most, _, _ in ordered)
    for k, (flow, *_) in enumerate(ordered):
        flow.expr = x._block_output(key, k, limits[:k + 1])

"""Vensim builtins the expander turns into blocks, hidden stocks or table reads (mixed into ``Expander``).

- DELAY CONVEYOR and QUEUE FIFO become blocks (``solvers.blocks``); QUEUE AGE AVERAGE, QUEUE AGE IN
  RANGE and QUEUE AGE OLDEST read the block of the variable QUEUE FIFO defines.
- The GET DATA functions read the table of the data variable they name (its element's table): at a time
  (``data_at_time``: with the variable's own interpolation; ``data_between_times``: with the one asked for,
  :NA: outside the data), its first and last time and number of points (constants), and the largest,
  smallest and mean value of its points in a time range.
- RANDOM PINK NOISE is the manual's structure: a first-order smooth of white noise scaled so that the
  standard deviation does not depend on TIME STEP or the correlation time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from metamodel.equations.ast import BinOp, Call, Name, Node, Num

if TYPE_CHECKING:
    from solvers.expand import Expander

VENSIM_NA = -1.298074214633707e33
_DATA_READS = ("lookup", "lookup_backward", "lookup_forward")
STATS = {"data_max": 0.0, "data_min": 1.0, "data_mean": 2.0}


def _b(op: str, left: Node, right: Node) -> Node:
    return BinOp(op, left, right)


class VensimExpansions:
    """The ``_x_`` handlers of the Vensim builtins above; ``Expander`` inherits them."""

    _queues: dict[str, str]  # key of a QUEUE FIFO variable -> its block

    def _held(self: Expander, what: str, node: Node) -> Node:
        """``node``, as a hidden value when it is an expression (so that it is computed once per step)."""
        return node if isinstance(node, Num | Name) else self._aux(what, node)

    def _profile(self: Expander, node: Node, function: str) -> tuple[object, ...] | None:
        """The points of the lookup ``node`` names, as block options."""
        var = self.flat.variables.get(node.name) if isinstance(node, Name) else None
        if var is None or var.gf is None:
            self._problem(f"the profile of {function} must be a lookup", node)
            return None
        xs, ys = var.gf.points()
        return tuple(map(float, xs)), tuple(map(float, ys))

    # -- DELAY CONVEYOR ---------------------------------------------------------------------------------
    def _x_delay_conveyor(self: Expander, value: Node, time: Node, leak: Node, profile: Node, content: Node,
                          initial_time: Node) -> Node:
        options = self._profile(profile, "DELAY CONVEYOR")
        if options is None:
            return Num(0.0)
        from solvers.expand import Block

        key = self._key("conveyor")
        time = self._held("ctime", time)
        self.out.blocks.append(Block(key, "delay_conveyor", options, (content, initial_time),
                                     (self._held("input", value), time, self._held("leak", leak))))
        return self._block_output(key, 0, (time,))

    # -- QUEUE FIFO -------------------------------------------------------------------------------------
    def expand_queues(self: Expander) -> None:
        """Each variable QUEUE FIFO defines (it must stand alone in the equation) gets its block."""
        from solvers.expand import Block

        self._queues = {}
        for var in list(self.flat.variables.values()):
            call = var.expr
            if not (isinstance(call, Call) and call.func == "queue_fifo"):
                continue
            self._owner = var
            if len(call.args) != 5:
                self._problem(f"QUEUE FIFO takes 5 arguments, got {len(call.args)}", call)
                continue
            inflow, outflow, profile, content, age_range = (self.rewrite(a) for a in call.args)
            options = self._profile(profile, "QUEUE FIFO")
            if options is None:
                var.expr = Num(0.0)
                continue
            key = self._key("queue")
            self.out.blocks.append(Block(key, "queue_fifo", options, (content, age_range),
                                         (self._held("in", inflow), self._held("out", outflow))))
            self._queues[var.key] = key
            var.expr = self._block_output(key, 0, ())

    def _queue_read(self: Expander, queue: Node, output: int, args: tuple[Node, ...], function: str) -> Node:
        block = self._queues.get(queue.name) if isinstance(queue, Name) else None
        if block is None:
            self._problem(f"{function} needs a variable defined by QUEUE FIFO", queue)
            return Num(0.0)
        return self._block_output(block, output, args)

    def _x_queue_fifo(self: Expander, *args: Node) -> Node:
        self._problem("QUEUE FIFO must stand alone right after the equals sign", args[0] if args else Num(0.0))
        return Num(0.0)

    def _x_queue_age_average(self: Expander, queue: Node, quantity: Node) -> Node:
        return self._queue_read(queue, 1, (quantity,), "QUEUE AGE AVERAGE")

    def _x_queue_age_in_range(self: Expander, queue: Node, low: Node, high: Node) -> Node:
        return self._queue_read(queue, 2, (low, high), "QUEUE AGE IN RANGE")

    def _x_queue_age_oldest(self: Expander, queue: Node) -> Node:
        return self._queue_read(queue, 3, (), "QUEUE AGE OLDEST")

    # -- GET DATA ---------------------------------------------------------------------------------------
    def _data_table(self: Expander, data: Node, function: str) -> tuple[str, str] | None:
        """The table key and read function of the data variable ``data`` names."""
        var = self.flat.variables.get(data.name) if isinstance(data, Name) else None
        read = var.expr if var is not None else None
        if not (isinstance(read, Call) and read.func in _DATA_READS and len(read.args) == 2
                and isinstance(read.args[0], Name) and isinstance(read.args[1], Name) and read.args[1].name == "time"):
            self._problem(f"{function} needs a data variable (its values read from a data file or a GET DATA "
                          "function)", data)
            return None
        return read.args[0].name, read.func

    def _points(self: Expander, table: str) -> tuple[list[float], list[float]]:
        xs, ys = self.flat.variables[table].gf.points()  # type: ignore[union-attr]
        return list(map(float, xs)), list(map(float, ys))

    def _x_data_at_time(self: Expander, data: Node, time: Node) -> Node:
        found = self._data_table(data, "GET DATA AT TIME")
        return Num(0.0) if found is None else Call(found[1], (Name(found[0]), time))

    def _x_data_between_times(self: Expander, data: Node, time: Node, mode: Node) -> Node:
        found = self._data_table(data, "GET DATA BETWEEN TIMES")
        return Num(0.0) if found is None else Call("lookup_between", (Name(found[0]), time, mode))

    def _data_constant(self: Expander, data: Node, function: str, pick: int) -> Node:
        found = self._data_table(data, function)
        if found is None:
            return Num(0.0)
        xs, _ = self._points(found[0])
        return Num(float((xs[0], xs[-1], len(xs))[pick]))

    def _x_data_first_time(self: Expander, data: Node) -> Node:
        return self._data_constant(data, "GET DATA FIRST TIME", 0)

    def _x_data_last_time(self: Expander, data: Node) -> Node:
        return self._data_constant(data, "GET DATA LAST TIME", 1)

    def _x_data_total_points(self: Expander, data: Node) -> Node:
        return self._data_constant(data, "GET DATA TOTAL POINTS", 2)

    def _data_stat(self: Expander, kind: str, data: Node, start: Node, end: Node) -> Node:
        found = self._data_table(data, "GET " + kind.upper().replace("_", " "))
        if found is None:
            return Num(0.0)
        return Call("lookup_stat", (Name(found[0]), Num(STATS[kind]), start, end))

    def _x_data_max(self: Expander, data: Node, start: Node, end: Node) -> Node:
        return self._data_stat("data_max", data, start, end)

    def _x_data_min(self: Expander, data: Node, start: Node, end: Node) -> Node:
        return self._data_stat("data_min", data, start, end)

    def _x_data_mean(self: Expander, data: Node, start: Node, end: Node) -> Node:
        return self._data_stat("data_mean", data, start, end)

    # -- RANDOM PINK NOISE --------------------------------------------------------------------------------
    def _x_random_pink_noise(self: Expander, mean: Node, deviation: Node, correlation: Node, seed: Node) -> Node:
        """``PINK = INTEG((mean + white * sd * SQRT((2 - DT/tc) / (DT/tc)) - PINK) / tc, mean + sd * white0)``
        where ``white`` is RANDOM NORMAL(-6, 6, 0, 1, seed), drawn each step (the reference manual's and Ed
        Anderson's structure)."""

        def white() -> Node:
            return Call("vensim_random_normal", (Num(-6.0), Num(6.0), Num(0.0), Num(1.0), seed))

        ratio = _b("/", Name("dt"), correlation)
        scale = Call("sqrt", (_b("/", _b("-", Num(2.0), ratio), ratio),))
        scaled = _b("+", mean, _b("*", _b("*", white(), deviation), scale))
        return self._stock("pink", _b("+", mean, _b("*", deviation, white())),
                           lambda s: _b("/", _b("-", scaled, s), correlation))

"""Orthogonal routes around boxes (no Qt): connectors of block diagrams leave a port along its outward
direction, run on horizontal and vertical segments that keep a margin off every box, bend as little as
they can and avoid running along other routes.

The search runs on the sparse grid of lines through the boxes' margins and the two stubs (an orthogonal
visibility graph), with A* on (length + bends + shared segments); it is exact on that grid. A grid node inside a box is
closed, and since the grid holds every box side and the midline between neighbouring lines, no step
between open neighbours crosses a box.
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections import defaultdict
from collections.abc import Iterable

from app.gui.geometry import simplify

Point = tuple[float, float]
Box = tuple[float, float, float, float]  # left, top, right, bottom

MARGIN = 12.0
STUB = 16.0
BEND = 40.0  # the length a bend is worth
SHARED = 3.0  # extra cost per unit length of running along a route already laid
MAX_BOXES = 80  # beyond this many boxes the grid search costs too much: routes take the plain three segments
NEAR = 6  # px: how close beside another route a segment counts as running along it


def inflate(box: Box, by: float) -> Box:
    return box[0] - by, box[1] - by, box[2] + by, box[3] + by


def _inside(p: Point, box: Box) -> bool:
    return box[0] < p[0] < box[2] and box[1] < p[1] < box[3]


def _overlap(lo0: float, hi0: float, lo1: float, hi1: float) -> float:
    return max(0.0, min(hi0, hi1) - max(lo0, lo1))


class Router:
    """Routes among ``boxes`` (each kept ``margin`` away); routes laid with :meth:`route` are avoided by
    later ones."""

    def __init__(self, boxes: Iterable[Box], margin: float = MARGIN) -> None:
        self.boxes = [inflate(b, margin) for b in boxes]
        self.margin = margin
        self._xs = sorted({v for b in self.boxes for v in (b[0], b[2])})
        self._ys = sorted({v for b in self.boxes for v in (b[1], b[3])})
        # segments laid so far, horizontal ones by their row and vertical ones by their column
        self._rows: dict[int, list[tuple[float, float]]] = defaultdict(list)
        self._columns: dict[int, list[tuple[float, float]]] = defaultdict(list)

    def lay(self, points: list[Point]) -> None:
        """Take a route laid elsewhere into account (later routes keep off it)."""
        for a, b in itertools.pairwise(points):
            if a[1] == b[1]:
                self._rows[round(a[1])].append((min(a[0], b[0]), max(a[0], b[0])))
            elif a[0] == b[0]:
                self._columns[round(a[0])].append((min(a[1], b[1]), max(a[1], b[1])))

    def _shared(self, a: Point, b: Point) -> float:
        """How long the segment ``a``–``b`` runs on top of or close beside routes already laid (within
        ``NEAR`` px: lines that close read as one)."""
        if a[1] == b[1]:
            lines, at, lo, hi = self._rows, round(a[1]), min(a[0], b[0]), max(a[0], b[0])
        else:
            lines, at, lo, hi = self._columns, round(a[0]), min(a[1], b[1]), max(a[1], b[1])
        return sum(_overlap(lo, hi, c, d) for key in range(at - NEAR, at + NEAR + 1) for c, d in lines.get(key, ()))

    def route(self, start: Point, out0: Point, end: Point, out1: Point, stub: float = STUB) -> list[Point]:
        """A route from ``start`` leaving along ``out0`` to ``end`` entering against ``out1`` (both unit
        vectors along an axis); a straight three-segment route when no path is free."""
        s0 = (start[0] + out0[0] * stub, start[1] + out0[1] * stub)
        s1 = (end[0] + out1[0] * stub, end[1] + out1[1] * stub)
        path = self._search(s0, out0, s1, (-out1[0], -out1[1])) if len(self.boxes) <= MAX_BOXES else None
        if path is None:
            path = _fallback(s0, out0, s1)
        points = simplify([start, *path, end])
        self.lay(points)
        return points

    def _search(self, s0: Point, d0: Point, s1: Point, d1: Point) -> list[Point] | None:
        xs = sorted(set(self._xs) | {s0[0], s1[0]})
        ys = sorted(set(self._ys) | {s0[1], s1[1]})
        # midlines between neighbouring grid lines give routes room between boxes
        xs = sorted(set(xs) | {(a + b) / 2 for a, b in itertools.pairwise(xs)})
        ys = sorted(set(ys) | {(a + b) / 2 for a, b in itertools.pairwise(ys)})
        ix, iy = {x: i for i, x in enumerate(xs)}, {y: i for i, y in enumerate(ys)}
        blocked = [[any(_inside((x, y), b) for b in self.boxes) for y in ys] for x in xs]
        start, goal = (ix[s0[0]], iy[s0[1]]), (ix[s1[0]], iy[s1[1]])
        blocked[start[0]][start[1]] = blocked[goal[0]][goal[1]] = False
        steps = ((1, 0), (-1, 0), (0, 1), (0, -1))

        def h(node: tuple[int, int]) -> float:
            return abs(xs[node[0]] - s1[0]) + abs(ys[node[1]] - s1[1])

        first = (start, (int(d0[0]), int(d0[1])))
        best = {first: 0.0}
        came: dict = {}
        queue = [(h(start), 0.0, next(counter := itertools.count()), first)]
        while queue:
            _f, cost, _n, state = heapq.heappop(queue)
            node, heading = state
            if cost > best.get(state, math.inf):
                continue
            if node == goal:
                if heading != (int(d1[0]), int(d1[1])):
                    cost += BEND
                path = [node]
                while state in came:
                    state = came[state]
                    path.append(state[0])
                return [(xs[i], ys[j]) for i, j in reversed(path)]
            for step in steps:
                if step == (-heading[0], -heading[1]):
                    continue
                nxt = (node[0] + step[0], node[1] + step[1])
                if not (0 <= nxt[0] < len(xs) and 0 <= nxt[1] < len(ys)) or blocked[nxt[0]][nxt[1]]:
                    continue
                a, b = (xs[node[0]], ys[node[1]]), (xs[nxt[0]], ys[nxt[1]])
                length = abs(a[0] - b[0]) + abs(a[1] - b[1])
                spent = cost + length + (BEND if step != heading else 0.0) + SHARED * self._shared(a, b)
                key = (nxt, step)
                if spent < best.get(key, math.inf):
                    best[key] = spent
                    came[key] = state
                    heapq.heappush(queue, (spent + h(nxt), spent, next(counter), key))
        return None


def _fallback(s0: Point, out0: Point, s1: Point) -> list[Point]:
    if out0[0] != 0:
        mx = (s0[0] + s1[0]) / 2
        return [s0, (mx, s0[1]), (mx, s1[1]), s1]
    my = (s0[1] + s1[1]) / 2
    return [s0, (s0[0], my), (s1[0], my), s1]


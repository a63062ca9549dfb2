"""Order equations so that each comes after what it reads: a topological sort in linear time.

Kept free of graph libraries so that compiling a model imports nothing heavy. Ties are broken by
the nodes' given order, so the generated code is the same on every run.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable


class CycleError(Exception):
    """The dependencies hold a cycle; ``cycle`` lists its members in dependency order."""

    def __init__(self, cycle: list[str]) -> None:
        super().__init__(" -> ".join(cycle))
        self.cycle = cycle


def topological_order(nodes: list[str], deps: Callable[[str], Iterable[str]],
                      self_loops: Callable[[str], bool] = lambda node: False) -> list[str]:
    """``nodes`` sorted so every node follows the nodes it depends on (dependencies outside ``nodes``
    are ignored); among nodes free at the same time, the earlier in ``nodes`` comes first.

    A node reading itself is a cycle only when ``self_loops(node)`` says so. Raises CycleError.
    """
    rank = {node: i for i, node in enumerate(nodes)}
    users: list[list[int]] = [[] for _ in nodes]
    waiting = [0] * len(nodes)
    for i, node in enumerate(nodes):
        for dep in set(deps(node)):
            j = rank.get(dep)
            if j is None or (j == i and not self_loops(node)):
                continue
            users[j].append(i)
            waiting[i] += 1
    ready = [i for i in range(len(nodes)) if waiting[i] == 0]
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        i = heapq.heappop(ready)
        order.append(nodes[i])
        for user in users[i]:
            waiting[user] -= 1
            if waiting[user] == 0:
                heapq.heappush(ready, user)
    if len(order) < len(nodes):
        raise CycleError(_find_cycle(nodes, users, waiting))
    return order


def _find_cycle(nodes: list[str], users: list[list[int]], waiting: list[int]) -> list[str]:
    """One cycle among the nodes left waiting (each of them has a waiting dependency that is left too)."""
    left = [i for i in range(len(nodes)) if waiting[i] > 0]
    remaining = set(left)
    depends_on: dict[int, int] = {}
    for j in left:
        for user in users[j]:
            if user in remaining:
                depends_on.setdefault(user, j)
    seen: dict[int, int] = {}
    path: list[int] = []
    node = left[0]
    while node not in seen:  # walking back along dependencies must come round again
        seen[node] = len(path)
        path.append(node)
        node = depends_on[node]
    cycle = path[seen[node]:]
    return [nodes[i] for i in reversed(cycle)]

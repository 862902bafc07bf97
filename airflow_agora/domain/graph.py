"""Small graph helpers on task edges, shared by validation, bounds and heuristics."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from typing import TypeVar

N = TypeVar("N", bound=Hashable)


def topological_order(nodes: Sequence[N], edges: Iterable[tuple[N, N]]) -> list[N]:
    """Kahn's order of ``nodes``; raises ``CycleError`` with one cycle when there is none."""
    succ: dict = {n: [] for n in nodes}
    indeg = dict.fromkeys(nodes, 0)
    for u, v in edges:
        succ[u].append(v)
        indeg[v] += 1
    ready = [n for n in nodes if indeg[n] == 0]
    order: list = []
    while ready:
        n = ready.pop()
        order.append(n)
        for m in succ[n]:
            indeg[m] -= 1
            if indeg[m] == 0:
                ready.append(m)
    if len(order) != len(nodes):
        raise CycleError(find_cycle({n for n in nodes if indeg[n] > 0}, succ))
    return order


def find_cycle(candidates: set, succ: dict) -> list:
    """One cycle among ``candidates`` (nodes left with in-degree > 0 after Kahn's algorithm)."""
    start = min(candidates, key=str)
    seen: dict = {}
    path: list = []
    node = start
    while node not in seen:
        seen[node] = len(path)
        path.append(node)
        node = next(m for m in succ[node] if m in candidates)
    return [*path[seen[node] :], node]


class CycleError(ValueError):
    def __init__(self, cycle: list) -> None:
        self.cycle = cycle
        super().__init__(" -> ".join(map(str, cycle)))

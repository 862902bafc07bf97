"""Lower bounds on makespan and cost, and the critical paths that explain them.

Every bound here is valid for any plan of the compiled problem, so the gap a user sees is honest:

* critical path: the longest chain of tasks at their fastest modes (per DAG, from its release);
* energy (area): per resource, the least resource-time the tasks need, against the capacity left
  after reservations; also per DAG inside its own window, which matters when DAGs are planned together;
  with non-renewable budgets, the least resource-time over the mode choices that keep them;
* cost: every task at its cheapest mode that can still meet the deadline.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from airflow_agora.planning.compiled import Compiled, keep_modes

# the budget-aware energy bound's dynamic programme: states = (budget units + 1) per budget,
# multiplied (8 bytes each), and states times the modes of all tasks (PSPLIB j30: 10^4 x 90)
MAX_BUDGET_DP_STATES = 1_000_000
MAX_BUDGET_DP_WORK = 20_000_000


@dataclass(frozen=True)
class PathBound:
    length: int
    path: list[int]


def earliest_starts(cp: Compiled, durations: list[int] | None = None) -> list[int]:
    """Forward pass: earliest start of each task at the given (default: fastest) durations."""
    dur = durations or [t.min_duration for t in cp.tasks]
    es = [cp.dags[t.dag].release for t in cp.tasks]
    for i in cp.topo:
        end = es[i] + dur[i]
        for j in cp.succs[i]:
            if end > es[j]:
                es[j] = end
    return es


def tails(cp: Compiled, durations: list[int] | None = None) -> list[int]:
    """Backward pass: the least time from each task's start to the end of its DAG (own duration included)."""
    dur = durations or [t.min_duration for t in cp.tasks]
    tail = list(dur)
    for i in reversed(cp.topo):
        best = 0
        for j in cp.succs[i]:
            best = max(best, tail[j])
        tail[i] = dur[i] + best
    return tail


def critical_path(cp: Compiled, dag: int | None = None, durations: list[int] | None = None) -> PathBound:
    """Longest path (release included) ending in ``dag`` (or anywhere) and its tasks, in order."""
    dur = durations or [t.min_duration for t in cp.tasks]
    es = earliest_starts(cp, dur)
    candidates = cp.dags[dag].tasks if dag is not None else range(cp.n)
    last = max(candidates, key=lambda i: es[i] + dur[i])
    path = [last]
    while True:
        i = path[-1]
        prev = [p for p in cp.preds[i] if es[p] + dur[p] == es[i]]
        if not prev:
            break
        path.append(max(prev, key=lambda p: dur[p]))
    path.reverse()
    return PathBound(es[last] + dur[last], path)


def min_energy(cp: Compiled, i: int, r: int) -> int:
    """The least ``duration * demand`` of resource ``r`` over the modes of task ``i``."""
    t = cp.tasks[i]
    return min(d * q[r] for d, q in zip(t.durations, t.demands, strict=True))


def energy_bound(cp: Compiled, tasks: list[int] | None = None, release: int = 0) -> int:
    """Least end time by which the capacity (net of reservations) can supply the tasks' energy."""
    chosen = range(cp.n) if tasks is None else tasks
    best = 0
    for r, cap in enumerate(cp.capacities):
        need = sum(min_energy(cp, i, r) for i in chosen)
        if need == 0 or cap <= 0:
            continue
        best = max(best, _time_to_supply(cp, r, need, release))
    return best


def _time_to_supply(cp: Compiled, r: int, need: int, release: int) -> int:
    """Smallest T with ``sum over [release, T) of (capacity - reserved) >= need``."""
    cap = cp.capacities[r]
    points = sorted(
        {
            release,
            *(s for s, _, _ in cp.reservations if s > release),
            *(e for _, e, _ in cp.reservations if e > release),
        }
    )
    supplied = 0
    for a, b in zip(points, [*points[1:], None], strict=True):
        reserved = sum(q[r] for s, e, q in cp.reservations if s <= a and (e > a))
        free = max(0, cap - reserved)
        if b is None:
            if free == 0:
                return 1 << 40
            return a + -(-(need - supplied) // free)
        if supplied + free * (b - a) >= need:
            return a + -(-(need - supplied) // free) if free else b
        supplied += free * (b - a)
    return release


def budget_energy_bound(cp: Compiled) -> int:
    """The energy bound over the mode choices that keep the non-renewable budgets (0 if none or too big).

    The plain energy bound lets every task take its least-energy mode, but under tight budgets those
    modes cannot all be chosen together (PSPLIB j2037_10: 24 plain, 39 so, optimum 50; CP-SAT's LP
    bound after 1 s was 37). A dynamic programme over the budget units used finds, per resource, the
    least energy of any mode vector that keeps every budget. Remembered per set of kept modes, as the
    planner asks for it several times.
    """
    if not cp.budget_caps:
        return 0
    key = ("budget_energy_bound", cp.modes_kept())
    if key not in cp.memo:
        cp.memo[key] = _budget_energy_bound(cp)
    return cp.memo[key]


def _budget_energy_bound(cp: Compiled) -> int:
    caps = cp.budget_caps
    states = math.prod(c + 1 for c in caps)
    modes = sum(len(t.durations) for t in cp.tasks)
    if min(caps) < 0 or states > MAX_BUDGET_DP_STATES or states * modes > MAX_BUDGET_DP_WORK:
        return 0
    release = min(dag.release for dag in cp.dags)
    best = 0
    unreachable = np.iinfo(np.int64).max // 4
    for r, cap in enumerate(cp.capacities):
        if cap <= 0:
            continue
        least = np.full([c + 1 for c in caps], unreachable, dtype=np.int64)  # energy by budget units used
        least[(0,) * len(caps)] = 0
        for t in cp.tasks:
            nxt = np.full_like(least, unreachable)
            for d, q, use in zip(t.durations, t.demands, t.consumes, strict=True):
                if any(u > c for u, c in zip(use, caps, strict=True)):
                    continue
                before = tuple(slice(0, c + 1 - u) for u, c in zip(use, caps, strict=True))
                after = tuple(slice(u, c + 1) for u, c in zip(use, caps, strict=True))
                np.minimum(nxt[after], least[before] + d * q[r], out=nxt[after])
            least = nxt
        need = int(least.min())
        if 0 < need < unreachable:  # unreachable: no mode vector keeps the budgets (reported elsewhere)
            best = max(best, _time_to_supply(cp, r, need, release))
    return best


def makespan_lower_bound(cp: Compiled) -> int:
    """max(critical path, energy, budget-aware energy) over the whole problem, in time units."""
    return max(critical_path(cp).length, energy_bound(cp), budget_energy_bound(cp))


def dag_lower_bound(cp: Compiled, d: int) -> int:
    """Lower bound on the completion time (absolute) of DAG ``d``."""
    dag = cp.dags[d]
    return max(critical_path(cp, d).length, energy_bound(cp, dag.tasks, dag.release))


def cost_lower_bound(cp: Compiled, tasks: list[int] | None = None) -> int:
    """Every task at its cheapest mode (after pruning, so modes that cannot meet a deadline are gone)."""
    chosen = range(cp.n) if tasks is None else tasks
    return sum(min(cp.tasks[i].costs) for i in chosen)


def prune_by_deadline(cp: Compiled) -> int:
    """Drop modes that cannot finish by their DAG's deadline even if everything else runs fastest.

    Returns the number dropped. A task none of whose modes fits keeps its fastest mode so that the
    model stays well-formed; the infeasibility is then reported by the explanation.
    """
    es = earliest_starts(cp)
    tl = tails(cp)
    dropped = 0
    for i, t in enumerate(cp.tasks):
        deadline = cp.dags[t.dag].deadline
        if deadline is None:
            continue
        after = tl[i] - t.min_duration
        keep = [k for k, d in enumerate(t.durations) if es[i] + d + after <= deadline]
        if keep and len(keep) < len(t.durations):
            dropped += len(t.durations) - len(keep)
            keep_modes(t, keep)
    return dropped

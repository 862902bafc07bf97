"""Fast plans without a solver: mode selection followed by serial list scheduling.

Used three ways: as the first feasible plan (within milliseconds even for 10,000 tasks), as the
hint CP-SAT starts from, and as the fallback when the solver finds nothing in time.

Mode selection strategies:

* ``fastest`` / ``cheapest``: every task at its shortest / cheapest mode;
* ``cpa`` (Critical Path and Area, after Radulescu and van Gemund's CPA for moldable tasks): start
  every task at its least-energy mode, then shorten tasks on the critical path, best runtime saved
  per resource-time added first, while the critical path is longer than the area bound;
* ``deadline``: start cheapest, then buy time on the critical chain of the actual schedule (cheapest
  seconds first) until every DAG meets its deadline.

Scheduling is the serial schedule-generation scheme: tasks in priority order (latest start time
first, from a backward pass), each at the earliest time its predecessors are done and its demand fits
under the capacity left by reservations and tasks already placed.
"""

from __future__ import annotations

import heapq
import time
from bisect import bisect_right
from dataclasses import dataclass

from airflow_agora.planning.bounds import critical_path, tails
from airflow_agora.planning.compiled import Compiled


@dataclass
class Schedule:
    """Chosen mode (position among the task's kept modes) and start per task, in time units."""

    modes: list[int]
    starts: list[int]
    strategy: str = ""

    def ends(self, cp: Compiled) -> list[int]:
        return [s + cp.tasks[i].durations[m] for i, (s, m) in enumerate(zip(self.starts, self.modes, strict=True))]

    def makespan(self, cp: Compiled) -> int:
        return max(self.ends(cp), default=0)

    def cost(self, cp: Compiled) -> int:
        return sum(cp.tasks[i].costs[m] for i, m in enumerate(self.modes))

    def dag_completions(self, cp: Compiled) -> list[int]:
        """Completion time of every DAG (its release when it has no task), from one pass over the ends."""
        ends = self.ends(cp)
        return [max((ends[i] for i in dag.tasks), default=dag.release) for dag in cp.dags]


class Profile:
    """Resource usage over time as a step function; answers 'earliest start where this fits'."""

    def __init__(self, capacities: list[int]) -> None:
        self.caps = capacities
        self.times: list[int] = [0]
        self.usage: list[list[int]] = [[0] * len(capacities)]
        # demand -> a time before which no instant has room for it; usage only grows, so it stays true
        self._first_room: dict[tuple[int, ...], int] = {}

    def _split(self, t: int) -> int:
        k = bisect_right(self.times, t) - 1
        if k < 0:
            self.times.insert(0, t)
            self.usage.insert(0, [0] * len(self.caps))
            return 0
        if self.times[k] == t:
            return k
        self.times.insert(k + 1, t)
        self.usage.insert(k + 1, list(self.usage[k]))
        return k + 1

    def add(self, start: int, end: int, demand: list[int]) -> None:
        if end <= start or not any(demand):
            return
        a = self._split(start)
        b = self._split(end)
        for k in range(a, b):
            row = self.usage[k]
            for r, q in enumerate(demand):
                row[r] += q

    def earliest_fit(self, t0: int, duration: int, demand: list[int]) -> int:
        if duration <= 0 or not any(demand):
            return t0
        times, usage, caps = self.times, self.usage, self.caps
        limits = [c - q for c, q in zip(caps, demand, strict=True)]
        used = [r for r in range(len(limits)) if demand[r]]
        key = tuple(demand)
        k = max(0, bisect_right(times, self._first_room.get(key, 0)) - 1)
        while k < len(times) - 1 and any(usage[k][r] > limits[r] for r in used):
            k += 1
        self._first_room[key] = times[k]
        start = max(t0, times[k])
        k = max(0, bisect_right(times, start) - 1)
        n = len(times)
        while True:
            j = k
            ok = True
            while j < n and times[j] < start + duration:
                row = usage[j]
                if any(row[r] > limits[r] for r in used):
                    ok = False
                    break
                j += 1
            if ok:
                return start
            # jump past the blocking segment
            start = times[j + 1] if j + 1 < n else times[j]
            k = j + 1 if j + 1 < n else j
            if j + 1 >= n:
                return start


def serial_schedule(cp: Compiled, modes: list[int], strategy: str = "", priority: list[int] | None = None) -> Schedule:
    """Place tasks with the serial scheme under capacity and reservations.

    ``priority`` (smaller first among ready tasks) defaults to the latest start time: the DAG's deadline
    (or its critical path) minus the task's tail.
    """
    if priority is None:
        durations = [cp.tasks[i].durations[m] for i, m in enumerate(modes)]
        tl = tails(cp, durations)
        ref = [
            d.deadline if d.deadline is not None else d.release + max((tl[i] for i in d.tasks), default=0)
            for d in cp.dags
        ]
        priority = [ref[t.dag] - tl[i] for i, t in enumerate(cp.tasks)]
    profile = Profile(cp.capacities)
    for s, e, q in cp.reservations:
        profile.add(s, e, q)
    missing = [len(p) for p in cp.preds]
    ready_at = [cp.dags[t.dag].release for t in cp.tasks]
    heap = [(priority[i], i) for i in range(cp.n) if missing[i] == 0]
    heapq.heapify(heap)
    starts = [0] * cp.n
    while heap:
        _, i = heapq.heappop(heap)
        t = cp.tasks[i]
        m = modes[i]
        start = profile.earliest_fit(ready_at[i], t.durations[m], t.demands[m])
        starts[i] = start
        end = start + t.durations[m]
        profile.add(start, end, t.demands[m])
        for j in cp.succs[i]:
            if end > ready_at[j]:
                ready_at[j] = end
            missing[j] -= 1
            if missing[j] == 0:
                heapq.heappush(heap, (priority[j], j))
    return Schedule(list(modes), starts, strategy)


def fastest_modes(cp: Compiled) -> list[int]:
    return [min(range(len(t.durations)), key=lambda k, t=t: (t.durations[k], t.costs[k])) for t in cp.tasks]


def cheapest_modes(cp: Compiled) -> list[int]:
    return [min(range(len(t.durations)), key=lambda k, t=t: (t.costs[k], t.durations[k])) for t in cp.tasks]


def _energy(cp: Compiled, i: int, k: int) -> float:
    """Resource-time of mode ``k`` of task ``i``, each resource relative to its capacity."""
    t = cp.tasks[i]
    return sum(t.durations[k] * q / c for q, c in zip(t.demands[k], cp.capacities, strict=True) if c > 0)


def cpa_modes(cp: Compiled, time_budget_s: float = 2.0) -> list[int]:
    """Critical Path and Area mode selection (see the module docstring)."""
    deadline = time.monotonic() + time_budget_s
    modes = [
        min(range(len(t.durations)), key=lambda k, i=i, t=t: (_energy(cp, i, k), t.durations[k]))
        for i, t in enumerate(cp.tasks)
    ]
    if not cp.capacities:
        return fastest_modes(cp)
    area = sum(_energy(cp, i, m) for i, m in enumerate(modes))
    for _ in range(_max_steps(cp)):
        if time.monotonic() > deadline:
            break
        durations = [cp.tasks[i].durations[m] for i, m in enumerate(modes)]
        path = critical_path(cp, durations=durations)
        if path.length <= area:
            break
        best = None
        for i in path.path:
            t = cp.tasks[i]
            cur = modes[i]
            for k in range(len(t.durations)):
                saved = t.durations[cur] - t.durations[k]
                if saved <= 0:
                    continue
                added = _energy(cp, i, k) - _energy(cp, i, cur)
                gain = saved / max(added, 1e-9)
                if best is None or gain > best[0]:
                    best = (gain, i, k, added)
        if best is None:
            break
        _, i, k, added = best
        modes[i] = k
        area += added
    return modes


def deadline_modes(cp: Compiled, time_budget_s: float = 2.0) -> Schedule:
    """Cheapest modes, upgraded along the schedule's critical chain until deadlines are met."""
    stop = time.monotonic() + time_budget_s
    modes = cheapest_modes(cp)
    sched = serial_schedule(cp, modes, "deadline")
    for _ in range(_max_steps(cp)):
        if time.monotonic() > stop:
            break
        done = sched.dag_completions(cp)
        late = [d for d, dag in enumerate(cp.dags) if dag.deadline is not None and done[d] > dag.deadline]
        if not late:
            break
        chain = _critical_chain(cp, sched, late[0])
        best = None
        for i in chain:
            t = cp.tasks[i]
            cur = modes[i]
            for k in range(len(t.durations)):
                saved = t.durations[cur] - t.durations[k]
                if saved <= 0:
                    continue
                price = (t.costs[k] - t.costs[cur]) / saved
                if best is None or price < best[0]:
                    best = (price, i, k)
        if best is None:
            break
        _, i, k = best
        modes[i] = k
        sched = serial_schedule(cp, modes, "deadline")
    return sched


def _max_steps(cp: Compiled) -> int:
    """Iteration cap of the mode searches: every mode of every task upgraded once at most."""
    return sum(len(t.durations) for t in cp.tasks) + 1


def _critical_chain(cp: Compiled, sched: Schedule, d: int) -> list[int]:
    """Tasks of the schedule's critical chain ending in DAG ``d`` (precedence or resource links)."""
    ends = sched.ends(cp)
    last = max(cp.dags[d].tasks, key=lambda i: ends[i])
    by_end: dict[int, list[int]] = {}
    for i, e in enumerate(ends):
        by_end.setdefault(e, []).append(i)
    chain = [last]
    seen = {last}
    while True:
        i = chain[-1]
        start = sched.starts[i]
        prev = [p for p in cp.preds[i] if ends[p] == start] or [p for p in by_end.get(start, []) if p not in seen]
        if not prev or start <= cp.dags[cp.tasks[i].dag].release:
            break
        nxt = prev[0]
        seen.add(nxt)
        chain.append(nxt)
    return chain


def repair_budgets(cp: Compiled, modes: list[int]) -> list[int] | None:
    """Change modes until every non-renewable budget holds; None when the greedy repair fails."""
    if not cp.budget_names:
        return modes
    modes = list(modes)
    nb = len(cp.budget_names)

    def excess(ms: list[int]) -> int:
        totals = [sum(cp.tasks[i].consumes[m][b] for i, m in enumerate(ms)) for b in range(nb)]
        return sum(max(0, tot - cap) for tot, cap in zip(totals, cp.budget_caps, strict=True))

    current = excess(modes)
    for _ in range(4 * cp.n + 10):
        if current == 0:
            return modes
        totals = [sum(cp.tasks[i].consumes[m][b] for i, m in enumerate(modes)) for b in range(nb)]
        best = None
        for i, t in enumerate(cp.tasks):
            cur = modes[i]
            for k in range(len(t.durations)):
                if k == cur:
                    continue
                new = 0
                for b in range(nb):
                    tot = totals[b] - t.consumes[cur][b] + t.consumes[k][b]
                    new += max(0, tot - cp.budget_caps[b])
                if new >= current:
                    continue
                score = (t.durations[k] - t.durations[cur]) / (current - new)
                if best is None or score < best[0]:
                    best = (score, i, k, new)
        if best is None:
            return None
        _, i, k, current = best
        modes[i] = k
    return modes if current == 0 else None


def default_scheduling(cp: Compiled) -> Schedule:
    """What Airflow does with per-job tuning: every task at its fastest configuration, started as soon
    as its upstream tasks are done and its cluster fits, first come first served (declaration order)."""
    return serial_schedule(cp, fastest_modes(cp), "default", priority=list(range(cp.n)))

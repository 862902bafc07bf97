"""The planning problem flattened to integers: what the heuristic, the bounds and CP-SAT work on.

Time becomes integer units of ``time_unit_s`` (durations rounded up, so a plan never promises less
time than a task needs), cost becomes integer units of ``COST_UNIT_USD``, fractional resource amounts
are scaled to integers (demands rounded up, capacities down). Modes that cannot be part of any
plan, or that another mode beats on every count, are pruned here (see ``prune_modes``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from itertools import pairwise

from airflow_agora.domain.goals import Goals
from airflow_agora.domain.graph import topological_order
from airflow_agora.domain.problem import PlanningProblem
from airflow_agora.domain.validation import validate_problem

COST_UNIT_USD = 1e-4


@dataclass
class CTask:
    """One task: its kept modes (``mode_ids`` index the original ``TaskSpec.modes``)."""

    dag: int
    task_id: str
    mode_ids: list[int]
    durations: list[int]
    demands: list[list[int]]  # per kept mode, per finite renewable resource
    costs: list[int]
    consumes: list[list[int]]  # per kept mode, per non-renewable budget

    @property
    def min_duration(self) -> int:
        return min(self.durations)


@dataclass
class CDag:
    dag_id: str
    goals: Goals
    release: int
    tasks: list[int]
    deadline: int | None  # absolute, in time units
    budget: int | None  # cost units


@dataclass
class Compiled:
    problem: PlanningProblem
    tasks: list[CTask]
    dags: list[CDag]
    preds: list[list[int]]
    succs: list[list[int]]
    topo: list[int]
    resources: list[str]
    capacities: list[int]
    budget_names: list[str]
    budget_caps: list[int]
    reservations: list[tuple[int, int, list[int]]]
    time_unit_s: float
    global_budget: int | None
    pruned_modes: int = 0
    index: dict[tuple[str, str], int] = field(default_factory=dict)
    # results of costly pure functions of the problem, keyed by name and the kept modes (see bounds.py)
    memo: dict[tuple, object] = field(default_factory=dict)

    def modes_kept(self) -> tuple[tuple[int, ...], ...]:
        """Which original modes each task keeps: changes whenever modes are pruned."""
        return tuple(tuple(t.mode_ids) for t in self.tasks)

    @property
    def n(self) -> int:
        return len(self.tasks)


def compile_problem(problem: PlanningProblem, *, time_unit_s: float = 1.0, enforce_goals: bool = True) -> Compiled:
    """Validate ``problem`` and flatten it. With ``enforce_goals=False`` deadlines and budgets are dropped
    (used for the fastest fallback plan when the goals cannot be met)."""
    validate_problem(problem)
    resources = [r for r, cap in problem.capacities.items() if math.isfinite(cap)]
    scales = [_scale_for(problem, r) for r in resources]
    capacities = [math.floor(problem.capacities[r] * s + 1e-9) for r, s in zip(resources, scales, strict=True)]
    budget_names = list(problem.budgets)
    budget_caps = [math.floor(problem.budgets[b] * _scale_budget(problem, b) + 1e-9) for b in budget_names]
    budget_scales = [_scale_budget(problem, b) for b in budget_names]

    tasks: list[CTask] = []
    dags: list[CDag] = []
    index: dict[tuple[str, str], int] = {}
    preds: list[list[int]] = []
    for d, wf in enumerate(problem.workflows):
        release = _to_units(wf.release_s, time_unit_s, up=False)
        goals = problem.goals_for(wf)
        deadline = budget = None
        if enforce_goals and goals.deadline_s is not None:
            deadline = release + _to_units(goals.deadline_s, time_unit_s, up=False)
        if enforce_goals and goals.budget_usd is not None:
            budget = math.floor(goals.budget_usd / COST_UNIT_USD + 1e-6)
        ids = []
        for spec in wf.tasks:
            i = len(tasks)
            index[(wf.dag_id, spec.task_id)] = i
            ids.append(i)
            tasks.append(
                CTask(
                    dag=d,
                    task_id=spec.task_id,
                    mode_ids=list(range(len(spec.modes))),
                    durations=[_to_units(m.duration_s, time_unit_s, up=True) for m in spec.modes],
                    demands=[
                        [math.ceil(m.demands.get(r, 0.0) * s - 1e-9) for r, s in zip(resources, scales, strict=True)]
                        for m in spec.modes
                    ],
                    costs=[round(m.cost_usd / COST_UNIT_USD) for m in spec.modes],
                    consumes=[
                        [
                            math.ceil(m.consumes.get(b, 0.0) * s - 1e-9)
                            for b, s in zip(budget_names, budget_scales, strict=True)
                        ]
                        for m in spec.modes
                    ],
                )
            )
            preds.append([])
        for u, v in wf.edges:
            preds[index[(wf.dag_id, v)]].append(index[(wf.dag_id, u)])
        dags.append(CDag(wf.dag_id, goals, release, ids, deadline, budget))
    succs: list[list[int]] = [[] for _ in tasks]
    for v, ps in enumerate(preds):
        uniq = sorted(set(ps))
        preds[v] = uniq
        for u in uniq:
            succs[u].append(v)
    topo = topological_order(list(range(len(tasks))), [(u, v) for v, ps in enumerate(preds) for u in ps])
    reservations = _capped_steps(
        [
            (
                _to_units(r.start_s, time_unit_s, up=False),
                _to_units(r.end_s, time_unit_s, up=True),
                [math.ceil(r.demands.get(res, 0.0) * s - 1e-9) for res, s in zip(resources, scales, strict=True)],
            )
            for r in problem.reservations
            if r.end_s > r.start_s
        ],
        capacities,
    )
    global_budget = None
    if enforce_goals and problem.total_budget_usd is not None:
        global_budget = math.floor(problem.total_budget_usd / COST_UNIT_USD + 1e-6)
    compiled = Compiled(
        problem=problem,
        tasks=tasks,
        dags=dags,
        preds=preds,
        succs=succs,
        topo=topo,
        resources=resources,
        capacities=capacities,
        budget_names=budget_names,
        budget_caps=budget_caps,
        reservations=reservations,
        time_unit_s=time_unit_s,
        global_budget=global_budget,
        index=index,
    )
    compiled.pruned_modes = prune_modes(compiled)
    return compiled


def prune_modes(cp: Compiled) -> int:
    """Drop modes no optimal plan needs; returns how many were dropped.

    * a mode whose demand exceeds a capacity can never run;
    * a mode whose non-renewable use, plus the least every other task must use, exceeds a budget
      can be in no feasible plan (repeated until nothing changes, since dropping modes raises minima);
    * a mode *dominated* by another (no shorter, no smaller demand, no cheaper, no smaller use of any
      budget) can be swapped for it in any plan without breaking anything: with a regular objective the
      plan stays at least as good. Of identical modes the first is kept.
    """
    before = sum(len(t.mode_ids) for t in cp.tasks)
    for t in cp.tasks:
        keep = [
            k for k in range(len(t.mode_ids)) if all(q <= c for q, c in zip(t.demands[k], cp.capacities, strict=True))
        ]
        keep_modes(t, keep)
    changed = True
    while changed and cp.budget_names:
        changed = False
        mins = [
            sum(min(t.consumes[k][b] for k in range(len(t.mode_ids))) for t in cp.tasks)
            for b in range(len(cp.budget_names))
        ]
        for t in cp.tasks:
            own_min = [min(t.consumes[k][b] for k in range(len(t.mode_ids))) for b in range(len(cp.budget_names))]
            keep = [
                k
                for k in range(len(t.mode_ids))
                if all(
                    mins[b] - own_min[b] + t.consumes[k][b] <= cp.budget_caps[b] for b in range(len(cp.budget_names))
                )
            ]
            if keep and len(keep) < len(t.mode_ids):
                keep_modes(t, keep)
                changed = True
    for t in cp.tasks:
        keep = []
        for k in range(len(t.mode_ids)):
            if not any(_dominates(t, j, k) for j in range(len(t.mode_ids)) if j != k):
                keep.append(k)
        keep_modes(t, keep)
    return before - sum(len(t.mode_ids) for t in cp.tasks)


def _dominates(t: CTask, j: int, k: int) -> bool:
    """Whether mode ``j`` is at least as good as ``k`` everywhere (ties broken by position)."""
    a = (t.durations[j], t.costs[j], *t.demands[j], *t.consumes[j])
    b = (t.durations[k], t.costs[k], *t.demands[k], *t.consumes[k])
    if any(x > y for x, y in zip(a, b, strict=True)):
        return False
    return a != b or j < k


def keep_modes(t: CTask, keep: list[int]) -> None:
    """Keep only the modes at positions ``keep`` (no-op when ``keep`` is empty or everything)."""
    if not keep or len(keep) == len(t.mode_ids):
        return
    t.mode_ids = [t.mode_ids[k] for k in keep]
    t.durations = [t.durations[k] for k in keep]
    t.demands = [t.demands[k] for k in keep]
    t.costs = [t.costs[k] for k in keep]
    t.consumes = [t.consumes[k] for k in keep]


def _capped_steps(
    reservations: list[tuple[int, int, list[int]]], capacities: list[int]
) -> list[tuple[int, int, list[int]]]:
    """The reservations as disjoint steps of what they hold together, each resource capped at its
    capacity. Reservations may hold more than the capacity between them (others' leases, or two
    neighbours that overlap once rounded to the time grid): nothing else fits there, but that is no
    reason to call every plan infeasible."""
    events: dict[int, list[int]] = {}
    for start, end, q in reservations:
        for t, sign in ((start, 1), (end, -1)):
            delta = events.setdefault(t, [0] * len(capacities))
            for r, amount in enumerate(q):
                delta[r] += sign * amount
    out: list[tuple[int, int, list[int]]] = []
    level = [0] * len(capacities)
    times = sorted(events)
    for t, nxt in pairwise(times):
        level = [a + b for a, b in zip(level, events[t], strict=True)]
        held = [min(q, cap) for q, cap in zip(level, capacities, strict=True)]
        if not any(held):
            continue
        if out and out[-1][1] == t and out[-1][2] == held:
            out[-1] = (out[-1][0], nxt, held)
        else:
            out.append((t, nxt, held))
    return out


def _to_units(seconds: float, unit: float, *, up: bool) -> int:
    value = seconds / unit
    return math.ceil(value - 1e-9) if up else math.floor(value + 1e-9)


def _scale_for(problem: PlanningProblem, resource: str) -> int:
    values = [problem.capacities[resource]]
    for wf in problem.workflows:
        for t in wf.tasks:
            values.extend(m.demands.get(resource, 0.0) for m in t.modes)
    values.extend(r.demands.get(resource, 0.0) for r in problem.reservations)
    return 1 if all(float(v).is_integer() for v in values) else 1000


def _scale_budget(problem: PlanningProblem, name: str) -> int:
    values = [problem.budgets[name]]
    for wf in problem.workflows:
        for t in wf.tasks:
            values.extend(m.consumes.get(name, 0.0) for m in t.modes)
    return 1 if all(float(v).is_integer() for v in values) else 1000

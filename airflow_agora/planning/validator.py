"""Solver-independent check of a plan against its problem.

Works on the domain objects only (not on the compiled integers), so it also catches mistakes in the
compile step: every task once with a real mode, durations honoured, releases, precedences, capacity at
every instant (reservations included), non-renewable budgets and, when asked, deadlines and budgets.
"""

from __future__ import annotations

import math
from collections import defaultdict

from airflow_agora.domain.plan import Plan
from airflow_agora.domain.problem import PlanningProblem

EPS = 1e-6


class InvalidPlanError(AssertionError):
    def __init__(self, violations: list[str]) -> None:
        self.violations = violations
        super().__init__("invalid plan:\n  " + "\n  ".join(violations[:20]))


def plan_violations(problem: PlanningProblem, plan: Plan, *, check_goals: bool = True) -> list[str]:
    """Every way ``plan`` breaks ``problem``; empty when it is valid."""
    out: list[str] = []
    by_key = {}
    for a in plan.assignments:
        key = (a.dag_id, a.task_id)
        if key in by_key:
            out.append(f"task {key} is assigned twice")
        by_key[key] = a
    index = plan.by_task()
    for wf in problem.workflows:
        for spec in wf.tasks:
            a = by_key.pop((wf.dag_id, spec.task_id), None)
            if a is None:
                out.append(f"task {(wf.dag_id, spec.task_id)} is not in the plan")
                continue
            if not 0 <= a.mode_index < len(spec.modes):
                out.append(f"task {spec.task_id}: mode {a.mode_index} does not exist")
                continue
            mode = spec.modes[a.mode_index]
            if a.end_s - a.start_s < mode.duration_s - EPS:
                out.append(f"task {spec.task_id}: planned {a.end_s - a.start_s:g} s < duration {mode.duration_s:g} s")
            if a.start_s < wf.release_s - EPS:
                out.append(f"task {spec.task_id} starts at {a.start_s:g} before its DAG's release {wf.release_s:g}")
            if dict(a.demands) != dict(mode.demands) or abs(a.cost_usd - mode.cost_usd) > 1e-6:
                out.append(f"task {spec.task_id}: demands or cost differ from mode {a.mode_index}")
        for u, v in wf.edges:
            au, av = index.get((wf.dag_id, u)), index.get((wf.dag_id, v))
            if au and av and av.start_s < au.end_s - EPS:
                out.append(f"{v} starts at {av.start_s:g} before its upstream {u} ends at {au.end_s:g}")
    for key in by_key:
        out.append(f"plan has unknown task {key}")
    out.extend(_capacity_violations(problem, plan))
    if check_goals:
        out.extend(_budget_violations(problem, plan))
        out.extend(goal_violations(problem, plan))
    return out


def goal_violations(problem: PlanningProblem, plan: Plan) -> list[str]:
    """Deadlines and cost budgets the plan misses."""
    out = []
    for wf in problem.workflows:
        goals = problem.goals_for(wf)
        done = plan.completion_s(wf.dag_id)
        if goals.deadline_s is not None and done > wf.release_s + goals.deadline_s + EPS:
            out.append(f"DAG {wf.dag_id} ends at {done:g} s, after its deadline {wf.release_s + goals.deadline_s:g} s")
        cost = plan.cost_of(wf.dag_id)
        if goals.budget_usd is not None and cost > goals.budget_usd + 1e-6:
            out.append(f"DAG {wf.dag_id} costs ${cost:.4f} > budget ${goals.budget_usd:.4f}")
    total_budget = problem.total_budget_usd
    if total_budget is not None and plan.cost_usd > total_budget + 1e-6:
        out.append(f"plan costs ${plan.cost_usd:.4f} > total budget ${total_budget:.4f}")
    return out


def _capacity_violations(problem: PlanningProblem, plan: Plan) -> list[str]:
    out = []
    for resource, cap in problem.capacities.items():
        if not math.isfinite(cap):
            continue
        # reservations hold at most the whole capacity between them: where they hold more, nothing fits
        tasks: dict[float, float] = defaultdict(float)
        held: dict[float, float] = defaultdict(float)
        for deltas, items in ((tasks, plan.assignments), (held, problem.reservations)):
            for item in items:
                q = item.demands.get(resource, 0.0)
                if q and item.end_s > item.start_s:
                    deltas[item.start_s] += q
                    deltas[item.end_s] -= q
        used = reserved = 0.0
        for t in sorted(set(tasks) | set(held)):
            used += tasks.get(t, 0.0)
            reserved += held.get(t, 0.0)
            level = used + min(reserved, cap)
            if level > cap + EPS:
                out.append(f"{resource}: {level:g} in use at {t:g} s > capacity {cap:g}")
                break
    return out


def _budget_violations(problem: PlanningProblem, plan: Plan) -> list[str]:
    out = []
    modes = {}
    for wf in problem.workflows:
        for spec in wf.tasks:
            modes[(wf.dag_id, spec.task_id)] = spec.modes
    for name, cap in problem.budgets.items():
        used = sum(
            modes[(a.dag_id, a.task_id)][a.mode_index].consumes.get(name, 0.0)
            for a in plan.assignments
            if (a.dag_id, a.task_id) in modes and 0 <= a.mode_index < len(modes[(a.dag_id, a.task_id)])
        )
        if used > cap + EPS:
            out.append(f"budget {name}: {used:g} used > {cap:g}")
    return out


def check_plan(problem: PlanningProblem, plan: Plan, *, check_goals: bool = True) -> None:
    """Raise ``InvalidPlanError`` listing every violation."""
    violations = plan_violations(problem, plan, check_goals=check_goals)
    if violations:
        raise InvalidPlanError(violations)

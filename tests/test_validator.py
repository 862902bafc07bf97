from dataclasses import replace

import pytest

from airflow_agora.domain import Goals, Plan, Reservation
from airflow_agora.planning import InvalidPlanError, check_plan, plan_violations
from tests.conftest import chain_problem, solve


def _valid():
    problem = chain_problem()
    return problem, solve(problem).plan


def _edit(plan, task_id, **changes):
    return Plan(tuple(replace(a, **changes) if a.task_id == task_id else a for a in plan.assignments))


def test_valid_plan_has_no_violation():
    problem, plan = _valid()
    assert plan_violations(problem, plan) == []


def test_precedence_violation():
    problem, plan = _valid()
    bad = _edit(plan, "c", start_s=0.0, end_s=50.0)
    assert any("before its upstream" in v for v in plan_violations(problem, bad))


def test_capacity_violation():
    problem, plan = _valid()
    a = plan.by_task()[("d", "a")]
    bad = _edit(plan, "b", start_s=a.start_s, end_s=a.start_s + plan.by_task()[("d", "b")].duration_s)
    bad = _edit(bad, "b", demands={"vcpus": 96.0})
    assert any("capacity" in v or "differ" in v for v in plan_violations(problem, bad))


def test_reservation_counts_against_capacity():
    problem, plan = _valid()
    reserved = replace(problem, reservations=(Reservation(0, 10_000, {"vcpus": 90}),))
    assert any("capacity" in v for v in plan_violations(reserved, plan))


def test_duration_and_mode_checks():
    problem, plan = _valid()
    short = _edit(plan, "a", end_s=plan.by_task()[("d", "a")].start_s + 1)
    assert any("< duration" in v for v in plan_violations(problem, short))
    ghost = _edit(plan, "a", mode_index=7)
    assert any("does not exist" in v for v in plan_violations(problem, ghost))
    missing = Plan(plan.assignments[1:])
    assert any("not in the plan" in v for v in plan_violations(problem, missing))


def test_deadline_only_checked_with_goals():
    problem, plan = _valid()
    strict = replace(problem, goals=Goals(deadline_s=plan.makespan_s - 1))
    assert plan_violations(strict, plan, check_goals=False) == []
    with pytest.raises(InvalidPlanError, match="after its deadline"):
        check_plan(strict, plan)

"""Shared helpers: every plan a test produces goes through the solver-independent validator."""

from __future__ import annotations

from pathlib import Path

import pytest

from airflow_agora.domain import Goals, Mode, PlanningProblem, TaskSpec, Workflow
from airflow_agora.domain.plan import PlanReport
from airflow_agora.planning import Planner, PlannerOptions, check_plan

FIXTURES = Path(__file__).parent / "fixtures"


def solve(problem: PlanningProblem, **options) -> PlanReport:
    """Plan deterministically and validate: always against capacity and precedence, and against the
    goals whenever the report claims to meet them."""
    options.setdefault("deterministic", True)
    options.setdefault("time_limit_s", 10.0)
    report = Planner(PlannerOptions(**options)).plan(problem)
    check_plan(problem, report.plan, check_goals=report.goal_met)
    assert report.lower_bound <= report.objective_value + 1e-6
    return report


def chain_problem(capacity: float = 96, **goals) -> PlanningProblem:
    """a and b in parallel, both before c; modes chosen so the answers can be worked out by hand."""
    wf = Workflow(
        "d",
        (
            TaskSpec("a", (Mode.of(100, 32, 1.0), Mode.of(60, 64, 1.3))),
            TaskSpec("b", (Mode.of(200, 16, 0.5), Mode.of(80, 64, 1.0))),
            TaskSpec("c", (Mode.of(50, 64, 0.5),)),
        ),
        (("a", "c"), ("b", "c")),
        Goals(**goals) if goals else Goals(),
    )
    return PlanningProblem((wf,), {"vcpus": capacity})


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES

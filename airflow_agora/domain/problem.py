"""The planning problem: workflows sharing capacities, reservations and budgets."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from airflow_agora.domain.goals import Goals, Objective
from airflow_agora.domain.workflow import VCPUS, Workflow


@dataclass(frozen=True)
class Reservation:
    """Capacity already held over ``[start_s, end_s)`` (by another DAG's plan, a running cluster ...)."""

    start_s: float
    end_s: float
    demands: Mapping[str, float]
    owner: str = "reserved"


@dataclass(frozen=True)
class PlanningProblem:
    """Everything the planner needs.

    ``capacities`` are renewable (``vcpus`` and optionally more), ``budgets`` cap the sum of a
    non-renewable amount over every task (``Mode.consumes``). ``goals`` applies to the whole problem:
    its objective decides how DAG terms are combined when the DAGs' own goals do not say, its budget
    caps the total cost. A single-DAG problem normally uses the DAG's goals.
    """

    workflows: tuple[Workflow, ...]
    capacities: Mapping[str, float] = field(default_factory=lambda: {VCPUS: float("inf")})
    budgets: Mapping[str, float] = field(default_factory=dict)
    reservations: tuple[Reservation, ...] = ()
    goals: Goals | None = None
    name: str = "problem"

    def __post_init__(self) -> None:
        object.__setattr__(self, "workflows", tuple(self.workflows))
        object.__setattr__(self, "reservations", tuple(self.reservations))

    def goals_for(self, workflow: Workflow) -> Goals:
        """The goals that apply to ``workflow``: the problem's own goals when it holds one DAG and has
        them (what CLI flags and single-DAG files set), else the DAG's goals."""
        if self.goals is not None and len(self.workflows) == 1:
            return self.goals
        return workflow.goals

    @property
    def total_budget_usd(self) -> float | None:
        """A cap on the cost of all DAGs together (only meaningful with several DAGs)."""
        return self.goals.budget_usd if self.goals is not None and len(self.workflows) > 1 else None

    @property
    def objective(self) -> Objective:
        if self.goals is not None:
            return self.goals.objective
        objectives = {wf.goals.objective for wf in self.workflows}
        return objectives.pop() if len(objectives) == 1 else Objective.BALANCED

    @property
    def task_count(self) -> int:
        return sum(len(wf.tasks) for wf in self.workflows)


def override_goals(
    problem: PlanningProblem,
    *,
    objective: str | None = None,
    deadline_s: float | None = None,
    budget_usd: float | None = None,
    capacity_vcpus: float | None = None,
) -> PlanningProblem:
    """The problem with goals or the vCPU capacity replaced (what ``agora plan`` flags do).

    With one DAG the overrides replace its goals; with several, the objective, deadline and budget
    apply to every DAG.
    """
    if capacity_vcpus is not None:
        problem = replace(problem, capacities={**problem.capacities, VCPUS: float(capacity_vcpus)})
    if objective is None and deadline_s is None and budget_usd is None:
        return problem

    def merged(goals: Goals) -> Goals:
        return replace(
            goals,
            objective=Objective(objective) if objective else goals.objective,
            deadline_s=deadline_s if deadline_s is not None else goals.deadline_s,
            budget_usd=budget_usd if budget_usd is not None else goals.budget_usd,
        )

    if len(problem.workflows) == 1:
        return replace(problem, goals=merged(problem.goals_for(problem.workflows[0])))
    return replace(problem, workflows=tuple(replace(wf, goals=merged(wf.goals)) for wf in problem.workflows))

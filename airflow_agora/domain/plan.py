"""Plans (who runs where and when) and the report the planner returns with them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from airflow_agora.domain.cluster import ClusterConfig
from airflow_agora.domain.goals import Objective
from airflow_agora.domain.workflow import VCPUS


class PlanStatus(StrEnum):
    """How good the returned plan is known to be.

    ``optimal``: proven best for the goal. ``feasible``: meets the goal, not proven best.
    ``infeasible``: the goal cannot be met (proven); the plan is the fastest fallback.
    ``time_limited``: the solver found nothing in time; the plan comes from the heuristic.
    """

    OPTIMAL = "optimal"
    FEASIBLE = "feasible"
    INFEASIBLE = "infeasible"
    TIME_LIMITED = "time_limited"


@dataclass(frozen=True)
class TaskAssignment:
    """The chosen mode of one task and its planned start and end (seconds from the plan's origin)."""

    dag_id: str
    task_id: str
    mode_index: int
    start_s: float
    end_s: float
    demands: Mapping[str, float]
    cost_usd: float
    config: ClusterConfig | None = None
    mode_label: str = ""

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s

    @property
    def vcpus(self) -> float:
        return float(self.demands.get(VCPUS, 0.0))

    def to_dict(self) -> dict:
        out = {
            "dag_id": self.dag_id,
            "task_id": self.task_id,
            "mode_index": self.mode_index,
            "mode": self.mode_label,
            "start_s": self.start_s,
            "end_s": self.end_s,
            "duration_s": self.duration_s,
            "vcpus": self.vcpus,
            "cost_usd": round(self.cost_usd, 6),
            "demands": dict(self.demands),
        }
        if self.config is not None:
            out["config"] = self.config.to_dict()
        return out


@dataclass(frozen=True)
class Plan:
    """A complete schedule: one assignment per task."""

    assignments: tuple[TaskAssignment, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "assignments", tuple(self.assignments))

    @property
    def makespan_s(self) -> float:
        return max((a.end_s for a in self.assignments), default=0.0)

    @property
    def cost_usd(self) -> float:
        return sum(a.cost_usd for a in self.assignments)

    def completion_s(self, dag_id: str) -> float:
        return max((a.end_s for a in self.assignments if a.dag_id == dag_id), default=0.0)

    def cost_of(self, dag_id: str) -> float:
        return sum(a.cost_usd for a in self.assignments if a.dag_id == dag_id)

    def peak(self, resource: str = VCPUS) -> float:
        """Highest total demand of ``resource`` at any instant."""
        events = sorted(
            [(a.start_s, a.demands.get(resource, 0.0)) for a in self.assignments]
            + [(a.end_s, -a.demands.get(resource, 0.0)) for a in self.assignments],
            key=lambda e: (e[0], e[1]),
        )
        level = best = 0.0
        for _, delta in events:
            level += delta
            best = max(best, level)
        return best

    def by_task(self) -> dict[tuple[str, str], TaskAssignment]:
        return {(a.dag_id, a.task_id): a for a in self.assignments}


@dataclass(frozen=True)
class PlanReport:
    """The planner's answer: the plan, its status, bounds, and why a goal could not be met.

    ``lower_bound`` bounds the primary measure of the objective (seconds for ``makespan``, dollars for
    ``cost``, the dimensionless score for ``balanced``); ``gap_pct`` is the plan's distance to it.
    ``goal_met`` is False when a deadline or budget is missed; ``explanation`` then says why.
    """

    plan: Plan
    status: PlanStatus
    objective: Objective
    goal_met: bool
    objective_value: float
    lower_bound: float
    makespan_lower_bound_s: float
    cost_lower_bound_usd: float
    solve_s: float
    explanation: tuple[str, ...] = ()
    dags: tuple[Mapping[str, object], ...] = ()
    stats: Mapping[str, object] = field(default_factory=dict)

    @property
    def gap_pct(self) -> float:
        if self.objective_value <= 0:
            return 0.0
        return max(0.0, 100.0 * (self.objective_value - self.lower_bound) / self.objective_value)

    @property
    def makespan_s(self) -> float:
        return self.plan.makespan_s

    @property
    def cost_usd(self) -> float:
        return self.plan.cost_usd

    def to_dict(self) -> dict:
        return {
            "status": self.status.value,
            "objective": self.objective.value,
            "goal_met": self.goal_met,
            "makespan_s": self.makespan_s,
            "cost_usd": round(self.cost_usd, 6),
            "objective_value": self.objective_value,
            "lower_bound": self.lower_bound,
            "gap_pct": round(self.gap_pct, 4),
            "makespan_lower_bound_s": self.makespan_lower_bound_s,
            "cost_lower_bound_usd": round(self.cost_lower_bound_usd, 6),
            "solve_s": round(self.solve_s, 4),
            "explanation": list(self.explanation),
            "dags": [dict(d) for d in self.dags],
            "stats": dict(self.stats),
            "tasks": [a.to_dict() for a in self.plan.assignments],
        }

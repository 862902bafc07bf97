"""Solving PSPLIB instances against reference makespans and summarising the results."""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from airflow_agora.domain.plan import PlanReport, PlanStatus
from airflow_agora.domain.problem import PlanningProblem
from airflow_agora.planning.planner import Planner, PlannerOptions


@dataclass
class InstanceResult:
    name: str
    report: PlanReport
    reference: int | None
    reference_status: str | None

    @property
    def feasible(self) -> bool:
        return self.report.goal_met

    @property
    def matched(self) -> bool | None:
        if self.reference is None:
            return None
        return self.feasible and self.report.makespan_s <= self.reference

    @property
    def gap_to_reference_pct(self) -> float | None:
        if self.reference is None or not self.feasible:
            return None
        return 100.0 * (self.report.makespan_s - self.reference) / self.reference

    def line(self) -> str:
        r = self.report
        mk = f"{r.makespan_s:g}" if self.feasible else "-"
        ref = "inf" if self.reference_status == "infeasible" else (f"{self.reference}" if self.reference else "?")
        match = {True: "yes", False: "NO", None: ""}[self.matched]
        if self.reference_status == "infeasible":
            match = "yes" if r.status == PlanStatus.INFEASIBLE else "NO"
        bound = f"{r.lower_bound:g}" if self.feasible else "-"
        return f"{self.name:<16}{r.status.value:<14}{mk:>9}{bound:>7}{ref:>6}  {match:<6}{r.solve_s:>8.3f}"


def solve_instance(
    problem: PlanningProblem, name: str, reference: tuple[int | None, str] | None, options: PlannerOptions
) -> InstanceResult:
    report = Planner(options).plan(problem)
    value, status = reference if reference else (None, None)
    return InstanceResult(name, report, value, status)


def summarise(rows: list[InstanceResult], total_s: float) -> dict:
    feasible = [r for r in rows if r.feasible]
    with_ref = [r for r in rows if r.reference is not None]
    gaps = [r.gap_to_reference_pct for r in with_ref if r.gap_to_reference_pct is not None]
    return {
        "instances": len(rows),
        "feasible": len(feasible),
        "proven_optimal": sum(r.report.status == PlanStatus.OPTIMAL for r in rows),
        "proven_infeasible": sum(r.report.status == PlanStatus.INFEASIBLE for r in rows),
        "reference_infeasible": sum(r.reference_status == "infeasible" for r in rows),
        "with_reference": len(with_ref),
        "matched_reference": sum(bool(r.matched) for r in with_ref),
        "mean_gap_to_reference_pct": round(statistics.fmean(gaps), 4) if gaps else None,
        "max_gap_to_reference_pct": round(max(gaps), 4) if gaps else None,
        "total_solve_s": round(total_s, 2),
    }

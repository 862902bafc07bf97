"""Solve time of the shipped four-job example: target "proven optimal in under 0.1 s of solve time"."""

from __future__ import annotations

import statistics
import time

from airflow_agora.cli.plan_cmd import EXAMPLES
from airflow_agora.domain.workflow_file import load_problem
from airflow_agora.planning import Planner, PlannerOptions, check_plan


def main(runs: int = 100) -> None:
    problem = load_problem(EXAMPLES / "four_jobs.json")
    planner = Planner(PlannerOptions(time_limit_s=10))
    times, statuses = [], set()
    for _ in range(runs):
        t0 = time.perf_counter()
        report = planner.plan(problem)
        times.append(time.perf_counter() - t0)
        statuses.add(report.status.value)
        check_plan(problem, report.plan)
    print(
        f"four_jobs: runs={runs} statuses={sorted(statuses)} makespan_s={report.makespan_s:g} "
        f"cost_usd={report.cost_usd:.4f} median_s={statistics.median(times):.4f} max_s={max(times):.4f}"
    )


if __name__ == "__main__":
    main()

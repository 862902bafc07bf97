"""``agora bench closed-loop GRID.csv --runs K``: the controller against measured runtime grids.

Per workload the SLA is the median runtime of its completed rows. The first run uses the
median-capacity configuration; the controller picks each next one from the runs so far; the grid
gives the run's runtime (a row that did not complete is a failed run, a configuration not in the
grid cannot be chosen because only grid rows are candidates). After K runs, the cheapest observed
run that met the SLA is compared with the grid's cheapest SLA-meeting configuration (the oracle).
"""

from __future__ import annotations

import statistics
from collections.abc import Callable

from airflow_agora.control.controller import Candidate, ControllerOptions, propose
from airflow_agora.domain.project import FailureReason, RunRecord, RunStatus, SetPoint
from airflow_agora.prediction.catalogue import Catalogue
from airflow_agora.prediction.grid_bench import GridRow, node_spec


def run_closed_loop(
    grid: dict[str, list[GridRow]],
    catalogue: Catalogue,
    runs: int = 5,
    options: ControllerOptions | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> dict:
    outcomes = []
    for done_count, (workload, rows) in enumerate(grid.items(), start=1):
        completed = [r for r in rows if r.completed]
        if completed:
            outcomes.append(_one_workload(workload, rows, completed, catalogue, runs, options))
        if progress:
            progress(done_count, len(grid))
    within = [o for o in outcomes if o["regret_pct"] is not None and o["regret_pct"] <= 10.0 + 1e-9]
    regrets = [o["regret_pct"] if o["regret_pct"] is not None else float("inf") for o in outcomes]
    return {
        "workloads": len(outcomes),
        "runs": runs,
        "within_10pct_of_oracle_pct": round(100 * len(within) / len(outcomes), 2) if outcomes else None,
        "median_regret_pct": round(statistics.median(regrets), 2) if outcomes else None,
        "sla_violations_per_workload": round(statistics.mean(o["violations"] for o in outcomes), 3)
        if outcomes
        else None,
        "per_workload": outcomes,
    }


def _one_workload(workload, rows, completed, catalogue, runs, options) -> dict:
    sla_s = statistics.median(r.runtime_s for r in completed)
    by_key = {(r.instance_type, r.nodes): r for r in rows}
    candidates = [
        Candidate(node_spec(r.instance_type, catalogue), r.nodes, r.usd_per_node_hour * r.nodes) for r in rows
    ]
    oracle = min(r.cost_usd for r in completed if r.runtime_s <= sla_s)
    history: list[RunRecord] = []
    set_point = SetPoint(sla_s=sla_s)
    for i in range(runs):
        decision = propose(history, candidates, set_point, options=options)
        row = by_key[(decision.config.instance_type, decision.config.num_workers)]
        history.append(
            RunRecord(
                workload,
                f"run-{i}",
                decision.config,
                row.runtime_s if row.completed else 0.0,
                status=RunStatus.SUCCESS if row.completed else RunStatus.FAILED,
                failure_reason=None if row.completed else FailureReason.OTHER,
                cost_usd=row.cost_usd if row.completed else None,
            )
        )
    met = [r.cost_usd for r in history if r.succeeded and r.runtime_s <= sla_s]
    best = min(met) if met else None
    return {
        "workload": workload,
        "sla_s": sla_s,
        "oracle_cost_usd": oracle,
        "best_cost_usd": best,
        "regret_pct": None if best is None else round(100 * (best - oracle) / oracle, 2),
        "violations": sum(1 for r in history[1:] if not r.succeeded or r.runtime_s > sla_s),
        "configs": [f"{r.config.num_workers}x{r.config.instance_type}" for r in history],
    }

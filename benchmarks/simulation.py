"""Trace simulation: agora against airflow-default on the Alibaba rows, and simulation speed.

Targets (issue 7): on erdos_alibaba_set_0_6600_dags.csv at a documented capacity, cost −65% or
better with the cost goal and mean DAG completion −57% or better with the makespan goal; each policy
simulates that file in under 2 minutes; 100,000 tasks in under 5 minutes (here: copies of the same
rows, each shifted by the trace's span, until there are 100,000 tasks).

    .venv/bin/python benchmarks/simulation.py [--capacity-vcpus 2000] [TRACE]
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace
from pathlib import Path

from airflow_agora.simulation.agora_policy import GOALS, AgoraPlanning
from airflow_agora.simulation.scaling import ScalingModel
from airflow_agora.simulation.simulator import FastestSize, RecordedSize, simulate
from airflow_agora.simulation.traces import TraceDag, load_alibaba

TRACE = Path(__file__).resolve().parents[2] / "shared" / "data" / "alibaba" / "erdos_alibaba_set_0_6600_dags.csv"


def timed_policies(dags: list[TraceDag], capacity: float) -> list[tuple[str, dict, float, int, int]]:
    """Per policy: its summary, seconds, DAGs later and DAGs costlier than under airflow-default."""
    model = ScalingModel()
    t0 = time.perf_counter()
    base = simulate(dags, RecordedSize(model, capacity), capacity_vcpus=capacity)
    rows = [("airflow-default", base.summary(), time.perf_counter() - t0, 0, 0)]
    policies = [FastestSize(model, capacity)]
    policies += [AgoraPlanning(model, capacity, g, base.completion_s, base.cost_usd) for g in GOALS]
    for policy in policies:
        t0 = time.perf_counter()
        result = simulate(dags, policy, capacity_vcpus=capacity)
        seconds = time.perf_counter() - t0
        late = sum(result.completion_s[d] > base.completion_s[d] + 1e-6 for d in base.completion_s)
        dearer = sum(result.cost_usd[d] > base.cost_usd[d] * (1 + 1e-9) for d in base.cost_usd)
        rows.append((policy.name, result.summary(), seconds, late, dearer))
    return rows


def print_rows(rows: list[tuple[str, dict, float, int, int]]) -> None:
    base = rows[0][1]
    print(f"{'policy':<16} {'cost $':>9} {'Δcost':>7} {'mean s':>8} {'Δmean':>7} {'p95 s':>8} {'later':>6} "
          f"{'dearer':>6} {'sim s':>6}")  # fmt: skip
    for name, s, seconds, late, dearer in rows:
        cost = 100 * (s["total_cost_usd"] / base["total_cost_usd"] - 1)
        mean = 100 * (s["mean_dag_completion_s"] / base["mean_dag_completion_s"] - 1)
        print(f"{name:<16} {s['total_cost_usd']:>9.0f} {cost:>6.1f}% {s['mean_dag_completion_s']:>8.0f} {mean:>6.1f}% "
              f"{s['p95_dag_completion_s']:>8.0f} {late:>6} {dearer:>6} {seconds:>6.1f}")  # fmt: skip


def repeated(dags: list[TraceDag], tasks: int) -> list[TraceDag]:
    """Copies of ``dags``, each shifted by the trace's span, DAG by DAG until they hold ``tasks`` tasks."""
    span = dags[-1].arrival_s - dags[0].arrival_s + 1
    out, held, copy = [], 0, 0
    while held < tasks:
        for d in dags:
            out.append(replace(d, dag_id=f"{d.dag_id}#{copy}", arrival_s=d.arrival_s + copy * span))
            held += len(d.tasks)
            if held >= tasks:
                break
        copy += 1
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("trace", nargs="?", default=str(TRACE))
    parser.add_argument("--capacity-vcpus", type=float, default=2000.0)
    args = parser.parse_args()
    t0 = time.perf_counter()
    dags, report = load_alibaba(args.trace)
    print(f"loaded in {time.perf_counter() - t0:.1f} s: {report.summary()}")
    print(f"\n{Path(args.trace).name} on {args.capacity_vcpus:,.0f} vCPUs:")
    rows = timed_policies(dags, args.capacity_vcpus)
    print_rows(rows)
    big = repeated(dags, 100_000)
    print(f"\n{len(big):,} DAGs with {sum(len(d.tasks) for d in big):,} tasks on {args.capacity_vcpus:,.0f} vCPUs:")
    print_rows(timed_policies(big, args.capacity_vcpus))
    by = {name: s for name, s, *_ in rows}
    cost = 100 * (1 - by["agora-cost"]["total_cost_usd"] / by["airflow-default"]["total_cost_usd"])
    mean = 100 * (1 - by["agora-makespan"]["mean_dag_completion_s"] / by["airflow-default"]["mean_dag_completion_s"])
    print(f"\nsimulation: cost_goal_cost_reduction_pct={cost:.1f} (target 65) "
          f"makespan_goal_completion_reduction_pct={mean:.1f} (target 57)")  # fmt: skip


if __name__ == "__main__":
    main()

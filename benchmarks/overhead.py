"""Overhead analysis speed: one DAG run of 1,000 tasks (target: under 1 s), and ten such runs.

The run is generated in the shape Airflow's REST API answers (task instances with ISO times, each
task's upstream ids), so the time includes reading it: a layered DAG of about sqrt(n) layers, each
task after 1–3 tasks of the layer before, with linear chains mixed in; every task gets seconds of
scheduler delay and start-up around its compute, every fifth a retry, every other one code timings
and every third Spark timings from a recorded run.

    .venv/bin/python benchmarks/overhead.py [--tasks 1000] [--repeat 20]
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import statistics
import time
from datetime import UTC, datetime

from airflow_agora.cli.overhead_cmd import render_report
from airflow_agora.overhead.advice import overhead_report
from airflow_agora.overhead.airflow_rest import run_from_api
from airflow_agora.overhead.analysis import analyse_run
from airflow_agora.overhead.records import SparkTimings, with_task_timings


def iso(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).isoformat()


def generated_run(n: int, seed: int) -> tuple[dict, list[dict], dict[str, list[str]], list[dict], dict]:
    """(API DAG run, task instances, upstream ids, code timings, Spark timings) of an n-task run."""
    rng = random.Random(seed)
    width = max(1, int(n**0.5))
    layers = [[f"t{i}" for i in range(j, min(n, j + width))] for j in range(0, n, width)]
    upstream: dict[str, list[str]] = {t: [] for layer in layers for t in layer}
    for before, layer in itertools.pairwise(layers):
        for i, t in enumerate(layer):
            chained = i % 4 == 0 and i < len(before)  # a one-to-one link: chains form
            upstream[t] = [before[i]] if chained else rng.sample(before, min(len(before), rng.randint(1, 3)))
    start = 1_800_000_000.0
    ended: dict[str, float] = {}
    instances, timings, spark = [], [], {}
    for layer in layers:
        for t in layer:
            ready = max((ended[u] for u in upstream[t]), default=start)
            queued = ready + rng.uniform(0.5, 5)
            started = queued + rng.uniform(0.5, 3)
            retried = rng.random() < 0.2
            last_queued = started + rng.uniform(30, 60) if retried else queued
            last_started = last_queued + 1 if retried else started
            end = last_started + rng.uniform(20, 300)
            ended[t] = end
            ti = {"task_id": t, "map_index": -1, "state": "success", "try_number": 2 if retried else 1,
                  "queued_when": iso(last_queued), "start_date": iso(last_started), "end_date": iso(end)}  # fmt: skip
            instances.append(ti)
            if rng.random() < 0.5:
                timings.append({"task_id": t, "map_index": -1, "try_number": ti["try_number"],
                                "executing_at": last_started + 2, "executed_at": end - 0.5})  # fmt: skip
            if rng.random() < 0.33:
                spark[t] = SparkTimings(cluster_startup=60, session_start=5, compute=(end - last_started) * 0.6,
                                        tail=2, io=3, cost_usd=1.0)  # fmt: skip
    run = {"dag_id": "bench", "dag_run_id": f"run{seed}", "state": "success", "start_date": iso(start),
           "end_date": iso(max(ended.values()) + 1), "queued_at": iso(start - 1)}  # fmt: skip
    return run, instances, upstream, timings, spark


def analyse(inputs: list[tuple]) -> dict:
    runs = []
    for run, instances, upstream, timings, spark in inputs:
        record = with_task_timings(run_from_api(run, instances, upstream), timings)
        runs.append(analyse_run(record, spark))
    return overhead_report(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    for runs in (1, 10):
        inputs = [generated_run(args.tasks, seed) for seed in range(runs)]
        seconds = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            report = analyse(inputs)
            json.dumps(report)
            render_report(report)
            seconds.append(time.perf_counter() - t0)
        merged = sum(c["merge"] for c in report["chains"])
        print(f"{runs} run(s) of {args.tasks} tasks: median {statistics.median(seconds):.3f} s, "
              f"max {max(seconds):.3f} s over {args.repeat} repeats; {len(report['chains'])} chains, "
              f"{merged} advised to merge; depth {report['runs'][-1]['depth']}")  # fmt: skip


if __name__ == "__main__":
    main()

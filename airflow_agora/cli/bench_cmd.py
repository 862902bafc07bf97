"""``agora bench ...``: planner benchmarks on PSPLIB instances and generated workflows."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    bench = sub.add_parser("bench", help="benchmarks: PSPLIB instances, generated workflows")
    bsub = bench.add_subparsers(dest="bench", metavar="BENCHMARK", required=True)
    p = bsub.add_parser("psplib", help="solve PSPLIB multi-mode (.mm) instances and compare with references")
    p.add_argument("paths", nargs="+", type=Path, help=".mm files or folders of them")
    p.add_argument("--reference", type=Path, help="CSV with instance,makespan,status columns")
    p.add_argument("--time-limit-s", type=float, default=2.0, help="per instance (default 2)")
    p.add_argument("--workers", type=int, default=0, help="CP-SAT workers (default: one per core, at most 8)")
    p.add_argument("--json", action="store_true", help="print one summary JSON object")
    p.set_defaults(handler=run_psplib)
    g = bsub.add_parser("generated", help="plan generated workflows (docs/benchmarks.md) and report timings")
    g.add_argument("--tasks", type=int, nargs="+", default=[100, 1000], help="task counts (default 100 1000)")
    g.add_argument("--modes", type=int, default=8)
    g.add_argument("--time-limit-s", type=float, default=30.0)
    g.add_argument("--seed", type=int, default=1)
    g.add_argument("--json", action="store_true")
    g.set_defaults(handler=run_generated)
    r = bsub.add_parser("recommend", help="single-shot recommendation from one runtime on a measured grid CSV")
    r.add_argument("grid", type=Path, help="workload,instance_type,nodes,runtime_s,completed,usd_per_node_hour,runs")
    r.add_argument("--catalogue", metavar="FILE", help="instance catalogue override (CSV or JSON)")
    r.add_argument("--json", action="store_true")
    r.set_defaults(handler=run_recommend)
    c = bsub.add_parser("closed-loop", help="the controller choosing K runs in a row on a measured grid CSV")
    c.add_argument("grid", type=Path, help="workload,instance_type,nodes,runtime_s,completed,usd_per_node_hour,runs")
    c.add_argument("--runs", type=int, default=5, help="runs per workload, the first included (default 5)")
    c.add_argument("--catalogue", metavar="FILE", help="instance catalogue override (CSV or JSON)")
    c.add_argument("--per-workload", action="store_true", help="also list each workload's runs")
    c.add_argument("--json", action="store_true")
    c.set_defaults(handler=run_closed_loop_bench)


def run_psplib(args: argparse.Namespace) -> int:
    from airflow_agora.planning import PlannerOptions, check_plan
    from airflow_agora.planning.psplib import find_instances, load_psplib, load_reference
    from airflow_agora.planning.psplib_bench import solve_instance, summarise

    files = find_instances(args.paths)
    reference = load_reference(args.reference) if args.reference else {}
    options = PlannerOptions(
        time_limit_s=args.time_limit_s, num_workers=args.workers, lexicographic=False, fallback_solve=False
    )
    rows = []
    started = time.monotonic()
    if not args.json:
        print(f"{'instance':<16}{'status':<14}{'makespan':>9}{'bound':>7}{'ref':>6}  {'match':<6}{'solve s':>8}")
    for n, path in enumerate(files, 1):
        problem = load_psplib(path)
        row = solve_instance(problem, path.name, reference.get(path.name), options)
        check_plan(problem, row.report.plan, check_goals=row.report.goal_met)
        rows.append(row)
        if args.json:
            print(f"\r{n}/{len(files)} instances", end="", file=sys.stderr, flush=True)
        else:
            print(row.line())
    if args.json:
        print(file=sys.stderr)
    summary = summarise(rows, time.monotonic() - started)
    if args.json:
        print(json.dumps(summary, indent=1))
    else:
        print("\n" + "  ".join(f"{k}={v}" for k, v in summary.items()))
    return 0


def run_generated(args: argparse.Namespace) -> int:
    from airflow_agora.planning.generator import benchmark_generated

    results = []
    for n in args.tasks:
        result = benchmark_generated(n, modes=args.modes, time_limit_s=args.time_limit_s, seed=args.seed)
        results.append(result)
        if not args.json:
            print("  ".join(f"{k}={v}" for k, v in result.items()), flush=True)
    if args.json:
        print(json.dumps(results, indent=1))
    return 0


def run_recommend(args: argparse.Namespace) -> int:
    from airflow_agora.prediction.catalogue import Catalogue
    from airflow_agora.prediction.grid_bench import load_grid, run_benchmark

    summary = run_benchmark(load_grid(args.grid), Catalogue.load(args.catalogue))
    if args.json:
        print(json.dumps(summary, indent=1))
    else:
        print("  ".join(f"{k}={v}" for k, v in summary.items()))
    return 0


def run_closed_loop_bench(args: argparse.Namespace) -> int:
    from airflow_agora.control.closed_loop_bench import run_closed_loop
    from airflow_agora.domain.errors import InvalidInputError
    from airflow_agora.prediction.catalogue import Catalogue
    from airflow_agora.prediction.grid_bench import load_grid

    if args.runs < 1:
        raise InvalidInputError(f"--runs must be at least 1, got {args.runs}")

    def progress(done: int, total: int) -> None:
        if sys.stderr.isatty():
            print(f"\r{done}/{total} workloads", end="" if done < total else "\n", file=sys.stderr, flush=True)

    summary = run_closed_loop(load_grid(args.grid), Catalogue.load(args.catalogue), args.runs, progress=progress)
    if not args.per_workload:
        summary.pop("per_workload")
    if args.json:
        print(json.dumps(summary, indent=1))
        return 0
    for row in summary.pop("per_workload", []):
        print(f"{row['workload'][:60]:60}  regret {row['regret_pct']}%  {' -> '.join(row['configs'])}")
    print("  ".join(f"{k}={v}" for k, v in summary.items()))
    return 0

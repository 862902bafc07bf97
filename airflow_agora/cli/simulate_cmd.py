"""``agora simulate``: replay a DAG trace on a shared cluster under a scheduling policy."""

from __future__ import annotations

import argparse
import json
import sys

POLICIES = ("airflow-default", "per-job-fastest", "agora")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "simulate",
        help="replay a DAG trace (Alibaba 2018 rows or Decima's TPC-H) on a shared cluster",
        description="Replay a trace's DAG jobs on a cluster of --capacity-vcpus under a policy and print "
        "dags, tasks, total_cost_usd, mean_dag_completion_s, p95_dag_completion_s and makespan_s. "
        "See docs/simulation.md.",
    )
    p.add_argument("trace", help="an Alibaba batch_task CSV file, or Decima's tpch folder with --format tpch")
    p.add_argument("--format", choices=("alibaba", "tpch"), default="alibaba")
    p.add_argument("--policy", choices=POLICIES, default="airflow-default")
    p.add_argument("--goal", choices=("cost", "makespan", "balanced"), default="cost",
                   help="the agora policy's goal (default cost; see docs/simulation.md)")  # fmt: skip
    p.add_argument("--compare", action="store_true",
                   help="run every policy and goal; report agora against airflow-default")  # fmt: skip
    p.add_argument("--capacity-vcpus", type=float, default=None,
                   help="the shared cluster (default 2,000 for alibaba, 200 for tpch)")  # fmt: skip
    p.add_argument("--usd-per-vcpu-hour", type=float, default=None, help="price of one vCPU-hour (default 0.048)")
    p.add_argument("--serial-fraction", type=float, default=None, help="the runtime model's s (default: fitted)")
    p.add_argument("--work-growth", type=float, default=None, help="the runtime model's α (default: fitted)")
    p.add_argument("--tpch-jobs", type=int, default=200, help="TPC-H jobs to draw (default 200)")
    p.add_argument("--tpch-interarrival-s", type=float, default=60.0, help="mean gap between TPC-H jobs (default 60)")
    p.add_argument("--seed", type=int, default=0, help="seed of the TPC-H draw")
    p.add_argument("--calibrate", action="store_true",
                   help="fit the runtime model on the TPC-H folder given as TRACE and print it")  # fmt: skip
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from airflow_agora.domain.errors import InvalidInputError
    from airflow_agora.simulation.agora_policy import AgoraPlanning, compare_policies
    from airflow_agora.simulation.scaling import ScalingModel, fit_on_curves
    from airflow_agora.simulation.simulator import DEFAULT_USD_PER_VCPU_HOUR, FastestSize, RecordedSize, simulate
    from airflow_agora.simulation.tpch import load_tpch, measured_curves
    from airflow_agora.simulation.traces import load_alibaba

    if args.calibrate:
        s, a, error = fit_on_curves(measured_curves(args.trace))
        fitted = {"serial_fraction": s, "work_growth": a, "rms_log_error": round(error, 4)}
        print(json.dumps(fitted) if args.json else "  ".join(f"{k}={v}" for k, v in fitted.items()))
        return 0
    model = ScalingModel()
    try:
        if args.serial_fraction is not None:
            model = replace(model, serial_fraction=args.serial_fraction)
        if args.work_growth is not None:
            model = replace(model, work_growth=args.work_growth)
    except ValueError as exc:
        raise InvalidInputError(str(exc), fix="give --serial-fraction and --work-growth in [0, 1)") from None
    if args.format == "alibaba":
        dags, report = load_alibaba(args.trace)
    else:
        dags, report = load_tpch(
            args.trace, jobs=args.tpch_jobs, interarrival_s=args.tpch_interarrival_s, seed=args.seed
        )
    capacity = args.capacity_vcpus or (2000.0 if args.format == "alibaba" else 200.0)
    if capacity <= 0:
        raise InvalidInputError(f"--capacity-vcpus must be positive, got {capacity}")
    print(f"agora simulate: {report.summary()}", file=sys.stderr)
    price = args.usd_per_vcpu_hour or DEFAULT_USD_PER_VCPU_HOUR

    def progress(name: str, done: int, total: int) -> None:
        if sys.stderr.isatty():
            print(
                f"\r{name}: {done}/{total} DAGs arrived", end="" if done < total else "\n", file=sys.stderr, flush=True
            )

    if args.compare:
        compared = compare_policies(dags, model, capacity_vcpus=capacity, usd_per_vcpu_hour=price, progress=progress)
        if args.json:
            print(json.dumps(compared, indent=1))
            return 0
        for summary in compared["policies"].values():
            print("  ".join(f"{k}={v}" for k, v in summary.items()))
        for goal, figures in compared["agora"].items():
            print(f"agora {goal}: " + "  ".join(f"{k}={v}" for k, v in figures.items()))
        return 0
    if args.policy == "agora":
        base = simulate(dags, RecordedSize(model, capacity), capacity_vcpus=capacity, usd_per_vcpu_hour=price)
        policy = AgoraPlanning(model, capacity, args.goal, base.completion_s, base.cost_usd, price)
    else:
        policy = {"airflow-default": RecordedSize, "per-job-fastest": FastestSize}[args.policy](model, capacity)
    result = simulate(dags, policy, capacity_vcpus=capacity, usd_per_vcpu_hour=price,
                      progress=lambda d, n: progress(policy.name, d, n))  # fmt: skip
    summary = result.summary()
    print(json.dumps(summary, indent=1) if args.json else "  ".join(f"{k}={v}" for k, v in summary.items()))
    return 0

"""``agora simulate``: replay a DAG trace on a shared cluster under a scheduling policy."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

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
    p.add_argument(
        "--out", help="write summary.json, the completion-time CDF and Gantt excerpts (SVG, report.html) here"
    )
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
    default_capacity = 2000.0 if args.format == "alibaba" else 200.0
    capacity = default_capacity if args.capacity_vcpus is None else args.capacity_vcpus
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
        compared, results = compare_policies(dags, model, capacity_vcpus=capacity, usd_per_vcpu_hour=price,
                                             keep_runs=bool(args.out), progress=progress)  # fmt: skip
        lines = [_line(summary) for summary in compared["policies"].values()]
        lines += [f"agora {goal}: " + _line(figures) for goal, figures in compared["agora"].items()]
    else:
        if args.policy == "agora":
            base = simulate(dags, RecordedSize(model, capacity), capacity_vcpus=capacity, usd_per_vcpu_hour=price)
            policy = AgoraPlanning(model, capacity, args.goal, base.completion_s, base.cost_usd, price)
        else:
            policy = {"airflow-default": RecordedSize, "per-job-fastest": FastestSize}[args.policy](model, capacity)
        result = simulate(dags, policy, capacity_vcpus=capacity, usd_per_vcpu_hour=price, keep_runs=bool(args.out),
                          progress=lambda d, n: progress(policy.name, d, n))  # fmt: skip
        compared, results = result.summary(), {policy.name: result}
        lines = [_line(compared)]
    if args.out:
        written = write_report(
            Path(args.out), compared, results, dags, capacity_vcpus=capacity, usd_per_vcpu_hour=price
        )
        print(f"agora simulate: wrote {written}", file=sys.stderr)
    print(json.dumps(compared, indent=1) if args.json else "\n".join(lines))
    return 0


def _line(figures: dict) -> str:
    return "  ".join(f"{k}={v}" for k, v in figures.items())


def write_report(out: Path, compared: dict, results: dict, dags: list, *, capacity_vcpus: float,
                 usd_per_vcpu_hour: float) -> Path:  # fmt: skip
    """``summary.json``, the completion-time CDF, a Gantt excerpt per policy and ``report.html`` in
    ``out``. The excerpt is the hour after the arrival of the DAG that waited longest in the first
    policy (``airflow-default`` when comparing): the cluster at its busiest."""
    from airflow_agora.views.simulation import completion_cdf, gantt_excerpt, report_page

    out.mkdir(parents=True, exist_ok=True)
    (out / "summary.json").write_text(json.dumps(compared, indent=1) + "\n")
    first = next(iter(results.values()))
    arrivals = {d.dag_id: d.arrival_s for d in dags}
    window_s = arrivals[max(first.completion_s, key=first.completion_s.get)] if first.completion_s else 0.0
    cdf = completion_cdf({name: list(r.completion_s.values()) for name, r in results.items()})
    (out / "completion_cdf.svg").write_text(cdf)
    charts = [("DAG completion time, every policy", cdf)]
    for name, result in results.items():
        chart = gantt_excerpt(name, result.runs, start_s=window_s, span_s=3600, capacity_vcpus=capacity_vcpus,
                              usd_per_vcpu_hour=usd_per_vcpu_hour)  # fmt: skip
        (out / f"gantt_{name}.svg").write_text(chart)
        charts.append((f"{name}: the cluster in the hour after {window_s:,.0f} s", chart))
    summaries = {name: result.summary() for name, result in results.items()}
    (out / "report.html").write_text(report_page(summaries, compared.get("agora", {}), capacity_vcpus, charts))
    return out / "report.html"

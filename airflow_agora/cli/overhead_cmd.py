"""``agora overhead``: where a DAG's runs spend their time outside compute, and which chains to merge.

Airflow's record comes from its REST API (``--airflow-url`` or ``AGORA_AIRFLOW_URL``; a token in
``AGORA_AIRFLOW_TOKEN`` or a user in ``AGORA_AIRFLOW_USERNAME`` / ``AGORA_AIRFLOW_PASSWORD``:
credentials never go on the command line). The history database adds, where it holds them, when
each task's code ran (the plugin's listener) and the tasks' Spark timings; without it the analysis
goes on with Airflow's times alone.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from airflow_agora.cli.render import text_table


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "overhead",
        help="a DAG's pipeline overhead (scheduler delay, start-up ...) and merge advice",
        description="Split a DAG run's time into scheduler delay, pre-execution, cluster and session "
        "start-up, compute and the rest, per task and on the critical path, and advise which linear "
        "chains to merge. See docs/overhead.md.",
    )
    p.add_argument("dag_id")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--run-id", help="analyse this DAG run")
    which.add_argument("--last", type=int, default=None, metavar="N",
                       help="analyse the N most recent finished runs (default 1)")  # fmt: skip
    p.add_argument("--airflow-url", default=os.environ.get("AGORA_AIRFLOW_URL", "http://localhost:8080"),
                   help="Airflow's API server (default $AGORA_AIRFLOW_URL or http://localhost:8080)")  # fmt: skip
    p.add_argument("--db-url", metavar="URL", help="history database (default: the [agora] one)")
    p.add_argument(
        "--threshold-pct",
        type=float,
        default=10.0,
        help="advise merging a chain whose overhead is at least this share of its compute (default 10)",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from airflow_agora.history import HistoryStore
    from airflow_agora.overhead.airflow_rest import AirflowApi
    from airflow_agora.overhead.dag_report import analyse_dag

    api = AirflowApi(
        args.airflow_url,
        token=os.environ.get("AGORA_AIRFLOW_TOKEN"),
        username=os.environ.get("AGORA_AIRFLOW_USERNAME"),
        password=os.environ.get("AGORA_AIRFLOW_PASSWORD"),
    )

    def progress(i: int, n: int, run_id: str) -> None:
        if n > 1 and not args.json:
            print(f"reading run {i}/{n}: {run_id}", file=sys.stderr)

    try:
        report = analyse_dag(api, args.dag_id, run_id=args.run_id, last=args.last or 1,
                             open_store=lambda: HistoryStore.open(args.db_url),
                             threshold_pct=args.threshold_pct, progress=progress)  # fmt: skip
    finally:
        api.close()
    for note in report["notes"]:
        print(f"agora: note: {note}", file=sys.stderr)
    print(json.dumps(report) if args.json else render_report(report))
    return 0


def _s(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def render_report(report: dict) -> str:
    """The report as text: per run a summary and the task table, then the chains and the grouping."""
    out = []
    segments = report["segments"]
    for run in report["runs"]:
        totals = run["totals_s"]
        out.append(
            f"DAG {run['dag_id']} run {run['run_id']} ({run['state']}): {_s(run['duration_s'])} s, "
            f"{run['tasks']} tasks, depth {run['depth']}, width {run['width']}"
        )
        out.append(
            f"  overhead {_s(totals['overhead'])} s against compute {_s(totals['compute'])} s over all tasks; "
            f"on the critical path {_s(run['critical_overhead_s'])} s of "
            f"{_s(run['critical_overhead_s'] + run['critical_compute_s'])} s ({run['critical_overhead_pct']}%)"
        )
        rows = [("task", *(s.replace("_", " ") for s in segments), "overhead", "io")]
        shown = sorted(run["per_task"], key=lambda t: -t["overhead"])[:30]
        rows += [(t["key"], *(_s(t[s]) for s in segments), _s(t["overhead"]), _s(t["io"])) for t in shown]
        out.append(text_table(rows, left_columns=1))
        if len(run["per_task"]) > len(shown):
            out.append(f"  ... {len(run['per_task']) - len(shown)} more tasks (--json lists all)")
        out.extend(f"  warning: {w}" for w in run["warnings"])
    chains = report["chains"]
    out.append("")
    if not chains:
        out.append("No linear chains of two or more tasks: nothing to merge.")
    for c in chains:
        verdict = "MERGE" if c["merge"] else "keep"
        usd = f", ${c['net_saving_usd']:.2f}" if c["net_saving_usd"] is not None else ""
        out.append(
            f"{verdict}: {' → '.join(c['tasks'])}: saves {_s(c['saving_s'])} s a run, retries add "
            f"{_s(c['added_retry_s'])} s, net {_s(c['net_saving_s'])} s{usd}"
            f"{' (critical path)' if c['on_critical_path'] else ''}; {c['reason']}"
        )
    merged = [g for g in report["grouping"] if len(g["tasks"]) > 1]
    if merged:
        out.append("Suggested grouping (one task per group, entered through its first step):")
        out.extend(f"  {g['entry_point']}: {', '.join(g['tasks'])}" for g in merged)
    return "\n".join(out)

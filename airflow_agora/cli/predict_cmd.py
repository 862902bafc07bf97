"""``agora predict EVENTLOG``: runtime and cost on other clusters, and the recommended one."""

from __future__ import annotations

import argparse
import json

from airflow_agora.cli.cost_args import add_cost_arguments, catalogue_from_args, rates_from_args


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("predict", help="predict runtime and cost on other clusters from one run's event log")
    p.add_argument("eventlog", help="event log location (file, folder, zip, s3://, dbfs:/, /Volumes/)")
    p.add_argument("--cluster-report", metavar="FILE", help="Databricks clusters/get, EMR instance groups, or minimal")
    p.add_argument("--platform", choices=["databricks", "emr", "emr-serverless"], help="price for this platform")
    p.add_argument("--sla-s", type=float, help="runtime SLA: adds the cheapest configuration predicted to meet it")
    p.add_argument("--preference", choices=["performance", "balanced", "economy"], default="balanced")
    p.add_argument("--instance-types", nargs="+", metavar="PATTERN", help="allow-list, e.g. 'm5.*' r5.2xlarge")
    p.add_argument("--driver-types", nargs="+", metavar="TYPE", help="driver types to consider")
    p.add_argument("--max-workers", type=int, default=64)
    p.add_argument(
        "--spot",
        choices=["observed", "on-demand", "spot", "both"],
        default="observed",
        help="worker market to consider (default: as observed)",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object")
    add_cost_arguments(p)
    p.set_defaults(handler=run_predict)


def run_predict(args: argparse.Namespace) -> int:
    from airflow_agora.platforms.reports import config_from_report, load_cluster_report, with_fragments
    from airflow_agora.prediction.predict import predict_from_profile
    from airflow_agora.prediction.profile import build_profile
    from airflow_agora.prediction.recommend import SearchSpace

    profile = build_profile(args.eventlog)
    space = SearchSpace(
        instance_types=args.instance_types,
        max_workers=args.max_workers,
        driver_types=args.driver_types,
        spot_options={"observed": None, "on-demand": (0.0,), "spot": (1.0,), "both": (0.0, 1.0)}[args.spot],
    )
    answer = predict_from_profile(
        profile,
        catalogue=catalogue_from_args(args),
        rates=rates_from_args(args),
        observed=config_from_report(load_cluster_report(args.cluster_report)) if args.cluster_report else None,
        platform=args.platform,
        sla_s=args.sla_s,
        preference=args.preference,
        space=space,
    )
    if args.json:
        print(json.dumps(with_fragments(answer), indent=1))
        return 0
    print(
        f"{profile.app_name or '?'}: self-check error {answer['model_error_pct']:+.1f}%, "
        f"{answer['candidates_evaluated']} candidates, {len(answer['pareto'])} on the Pareto front"
    )
    rows = [("basis", answer["basis"]), *answer["solutions"].items()]
    print(f"  {'':<12}{'configuration':<44}{'runtime s':>18}{'cost $':>22}")
    for name, sol in rows:
        m = sol["metrics"]
        mark = "*" if name == answer["recommended"] else " "
        print(
            f" {mark}{name:<12}{sol['label']:<44}{m['runtime_s']:>8.0f} "
            f"({m['runtime_s_low']:.0f}-{m['runtime_s_high']:.0f})"
            f"{m['cost_usd']:>9.3f} ({m['cost_usd_low']:.3f}-{m['cost_usd_high']:.3f})"
        )
    for w in answer["warnings"]:
        print(f"  warning: {w}")
    return 0 if answer["solutions"].get("sla", {}).get("meets_sla", True) else 1

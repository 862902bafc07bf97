"""``agora photon-roi``: the speed-up Photon must deliver before it pays for its higher DBU rate."""

from __future__ import annotations

import argparse
import json

from airflow_agora.cli.cost_args import add_cost_arguments, catalogue_from_args, rates_from_args

DEFAULT_TYPES = ["m5.xlarge", "m5.4xlarge", "r5.2xlarge", "c5.4xlarge", "i3.2xlarge", "m6g.2xlarge", "r6g.4xlarge"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("photon-roi", help="Photon break-even speed-up per instance type (Databricks)")
    p.add_argument("--instance-type", action="append", metavar="TYPE", help="repeatable; patterns like 'r5.*' work")
    p.add_argument("--observed-speedup", type=float, help="Photon's measured speed-up: says whether it pays")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    add_cost_arguments(p)
    p.set_defaults(handler=run_photon_roi)


def run_photon_roi(args: argparse.Namespace) -> int:
    from airflow_agora.prediction.cost import photon_break_even_for

    catalogue = catalogue_from_args(args)
    rates = rates_from_args(args)
    rows = [
        photon_break_even_for(t, rates) for t in catalogue.select(args.instance_type or DEFAULT_TYPES, databricks=True)
    ]
    if args.observed_speedup is not None:
        for row in rows:
            row["photon_pays"] = args.observed_speedup > row["break_even_speedup"]
    if args.json:
        print(json.dumps({"usd_per_dbu": rates.usd_per_dbu, "rows": rows}, indent=1))
        return 0
    print(
        f"Photon at {rates.photon_dbu_multiplier:g}x DBUs, ${rates.usd_per_dbu:g}/DBU: "
        "break-even S = (m + p*d) / (m + d)"
    )
    print(f"{'instance':<16}{'EC2 $/h':>9}{'DBU $/h':>9}{'break-even':>12}{'runtime cut':>13}")
    for r in rows:
        verdict = ""
        if "photon_pays" in r:
            verdict = "  pays" if r["photon_pays"] else "  does not pay"
        print(
            f"{r['instance_type']:<16}{r['machine_usd_per_hour']:>9.3f}{r['dbu_usd_per_hour']:>9.3f}"
            f"{r['break_even_speedup']:>11.2f}x{r['min_runtime_cut_pct']:>12.1f}%{verdict}"
        )
    return 0

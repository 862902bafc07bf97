"""``agora demo``: the four-job example DAG through real Airflow against the sandbox workspace."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "demo",
        help="run the four-job example DAG through Airflow against a local Databricks sandbox, "
        "as Airflow runs it by default and as Agora plans it",
    )
    p.add_argument("--runs", type=int, default=7, help="Agora-planned DAG runs after the default one (default 7)")
    p.add_argument(
        "--workdir",
        type=Path,
        help="keep the Airflow home, history and workspace here (emptied first; default: a "
        "temporary folder removed afterwards)",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object at the end (progress goes to stderr)")
    p.set_defaults(handler=run_demo_cmd)


def run_demo_cmd(args: argparse.Namespace) -> int:
    from airflow_agora.domain.errors import InvalidInputError
    from airflow_agora.sandbox.demo import run_demo

    if args.runs < 1:
        raise InvalidInputError(f"--runs must be at least 1, got {args.runs}")

    def say(line: str) -> None:
        print(line, file=sys.stderr if args.json else sys.stdout, flush=True)

    results = run_demo(runs=args.runs, workdir=args.workdir, say=say)
    if args.json:
        print(json.dumps({"runs": [r.to_dict() for r in results]}, indent=2))
    return 0

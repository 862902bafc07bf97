"""The ``agora`` command: the planner (and, as later issues land, prediction and control) without Airflow.

Exit codes: 0 success, 1 a goal could not be met (the fallback plan is still printed), 2 bad input,
3 the history database or Airflow's API cannot serve the request (the message says what to do).
"""

from __future__ import annotations

import argparse
import sys

from airflow_agora import __version__
from airflow_agora.domain.errors import AgoraError, InvalidInputError
from airflow_agora.history.errors import ConflictError, HistoryError, NotFoundError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="agora",
        description="Plan Spark pipelines to meet their SLAs at the lowest cloud cost.",
    )
    parser.add_argument("--version", action="version", version=f"airflow-agora {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    from airflow_agora.cli import (
        bench_cmd,
        demo_cmd,
        history_cmd,
        overhead_cmd,
        photon_cmd,
        plan_cmd,
        predict_cmd,
        profile_cmd,
        simulate_cmd,
    )

    plan_cmd.register(sub)
    profile_cmd.register(sub)
    predict_cmd.register(sub)
    photon_cmd.register(sub)
    bench_cmd.register(sub)
    simulate_cmd.register(sub)
    overhead_cmd.register(sub)
    history_cmd.register(sub)
    demo_cmd.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 0
    try:
        return int(args.handler(args) or 0)
    except (InvalidInputError, NotFoundError, ConflictError) as exc:
        print(f"agora: error: {exc}", file=sys.stderr)
        return 2
    except (HistoryError, AgoraError) as exc:
        print(f"agora: error: {exc}", file=sys.stderr)
        return 3
    except KeyboardInterrupt:
        print("agora: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

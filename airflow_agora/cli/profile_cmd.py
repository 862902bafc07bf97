"""``agora profile EVENTLOG``: what a finished Spark run did, from its event log."""

from __future__ import annotations

import argparse
import json


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "profile",
        help="profile a Spark run from its event log (file, folder, zip, s3://, dbfs:/, /Volumes/)",
    )
    p.add_argument("eventlog", help="event log location")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(handler=run_profile)


def run_profile(args: argparse.Namespace) -> int:
    from airflow_agora.prediction.profile import build_profile
    from airflow_agora.prediction.replay import ReplayModel

    profile = build_profile(args.eventlog)
    model = ReplayModel.from_profile(profile)
    summary = profile.summary()
    summary["replay"] = {
        "slots": model.observed_slots,
        "job_groups": len(model.groups),
        "driver_s": round(model.driver_ms / 1000, 3),
        "model_error_pct": round(model.self_check_error_pct(), 2),
    }
    if args.json:
        print(json.dumps(summary, indent=2))
        return 0
    plat = summary["platform"]
    print(f"{summary['app_name'] or '?'}  ({summary['app_id'] or 'no app id'}, Spark {summary['spark_version']})")
    print(
        f"  platform {plat['platform']}"
        + (f", workers {plat['workers']} x {plat['worker_node_type']}" if plat["worker_node_type"] else "")
        + (f", driver {plat['driver_node_type']}" if plat["driver_node_type"] else "")
        + (", Photon" if plat["photon"] else "")
        + (f", region {plat['region']}" if plat["region"] else "")
    )
    print(
        f"  wall {summary['wall_s']:.1f} s{'' if summary['complete'] else ' (no ApplicationEnd)'}, "
        f"{summary['executors']} executors, {summary['max_executor_cores']} cores at peak"
    )
    print(
        f"  {summary['jobs']} jobs, {summary['stages']} stages ({summary['stage_attempts']} attempts), "
        f"{summary['tasks']} task attempts ({summary['failed_tasks']} failed, {summary['killed_tasks']} killed, "
        f"{summary['speculative_tasks']} speculative)"
    )
    split = summary["task_time_split_s"]
    total = sum(v for k, v in split.items() if k != "scheduler_delay_ms") or 1
    parts = ", ".join(
        f"{k.removesuffix('_ms')} {v:.1f} s ({100 * v / total:.0f}%)"
        for k, v in split.items()
        if k != "scheduler_delay_ms"
    )
    print(f"  task time: {parts}; scheduler delay {split['scheduler_delay_ms']:.1f} s")
    gib = 1 << 30
    print(
        f"  input {summary['input_bytes'] / gib:.2f} GiB, shuffle read {summary['shuffle_read_bytes'] / gib:.2f} GiB, "
        f"write {summary['shuffle_write_bytes'] / gib:.2f} GiB, spill {summary['spill_bytes'] / gib:.2f} GiB"
    )
    r = summary["replay"]
    print(
        f"  replay: {r['slots']} slots, {r['job_groups']} job groups, driver {r['driver_s']:.1f} s, "
        f"self-check error {r['model_error_pct']:+.1f}%"
    )
    for w in summary["warnings"]:
        print(f"  warning: {w}")
    return 0

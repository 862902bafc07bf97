"""Databricks cluster specs (``new_cluster``, ``clusters/get``) to and from ``ClusterConfig``."""

from __future__ import annotations

import copy

from airflow_agora.domain.cluster import ClusterConfig


def new_cluster_spec(config: ClusterConfig) -> dict:
    """The sizing part of a Jobs API ``new_cluster``: node types, workers, engine, spot settings.
    The driver and ``first_on_demand - 1`` workers stay on-demand; the rest may be spot."""
    spec = {
        "node_type_id": config.instance_type,
        "driver_node_type_id": config.driver_instance_type or config.instance_type,
        "num_workers": config.num_workers,
        "runtime_engine": "PHOTON" if config.photon else "STANDARD",
        "aws_attributes": {"availability": "ON_DEMAND", "first_on_demand": 1},
    }
    if config.spot_share > 0:
        on_demand_workers = round(config.num_workers * (1 - config.spot_share))
        spec["aws_attributes"] = {"availability": "SPOT_WITH_FALLBACK", "first_on_demand": 1 + on_demand_workers}
    return spec


def config_from_cluster_spec(spec: dict) -> ClusterConfig:
    """From a ``new_cluster`` spec or a ``clusters/get`` answer (autoscaling: its maximum)."""
    workers = spec.get("num_workers")
    if not workers and spec.get("executors"):
        workers = len(spec["executors"])
    if not workers and spec.get("autoscale"):
        workers = spec["autoscale"].get("max_workers") or spec["autoscale"].get("min_workers")
    workers = int(workers or 0)
    aws = spec.get("aws_attributes") or {}
    spot = str(aws.get("availability", "ON_DEMAND")).startswith("SPOT")
    first_on_demand = int(aws.get("first_on_demand", 1))
    spot_workers = max(0, workers - max(0, first_on_demand - 1)) if spot else 0
    return ClusterConfig(
        instance_type=spec["node_type_id"],
        num_workers=workers,
        driver_instance_type=spec.get("driver_node_type_id") or spec["node_type_id"],
        platform="databricks",
        photon=str(spec.get("runtime_engine", "")).upper() == "PHOTON"
        or "photon" in str(spec.get("spark_version", "")),
        spot_share=spot_workers / workers if workers else 0.0,
    )


def cluster_specs(payload: dict) -> list[dict]:
    """The cluster specs of a submit payload or job settings, in place: the top-level ``new_cluster``,
    every task's ``new_cluster`` and every ``job_clusters[].new_cluster``."""
    specs = [payload["new_cluster"]] if isinstance(payload.get("new_cluster"), dict) else []
    specs += [t["new_cluster"] for t in payload.get("tasks") or [] if isinstance(t.get("new_cluster"), dict)]
    specs += [c["new_cluster"] for c in payload.get("job_clusters") or [] if isinstance(c.get("new_cluster"), dict)]
    return specs


def written_config(payload: dict) -> ClusterConfig | None:
    """The configuration the user wrote (the first job cluster); None when the payload runs on an
    existing cluster or serverless compute, which Agora does not size."""
    specs = [s for s in cluster_specs(payload) if s.get("node_type_id")]
    return config_from_cluster_spec(specs[0]) if specs else None


def apply_to_payload(
    payload: dict, config: ClusterConfig | None, *, log_destination: str | None, tags: dict[str, str]
) -> dict:
    """A copy of ``payload`` whose job clusters run ``config`` (fixed workers replace autoscale; node
    types, engine and spot settings set), deliver event logs to ``log_destination`` (unless the user
    chose a destination) and carry ``tags``. Everything else the user wrote is kept."""
    out = copy.deepcopy(payload)
    for spec in cluster_specs(out):
        if config is not None:
            spec.pop("autoscale", None)
            sizing = new_cluster_spec(config)
            aws = {**(spec.get("aws_attributes") or {}), **sizing.pop("aws_attributes")}
            spec.update(sizing, aws_attributes=aws)
            if not config.photon and spec.get("runtime_engine") is None:
                spec.pop("runtime_engine", None)
        if log_destination and not spec.get("cluster_log_conf"):
            spec["cluster_log_conf"] = {"dbfs": {"destination": log_destination}}
        spec["custom_tags"] = {**(spec.get("custom_tags") or {}), **tags}
    return out


def log_destination_of(spec: dict) -> str | None:
    conf = spec.get("cluster_log_conf") or {}
    for kind in ("dbfs", "s3", "volumes"):
        if conf.get(kind, {}).get("destination"):
            return conf[kind]["destination"].rstrip("/")
    return None


def eventlog_location(cluster: dict) -> str | None:
    """Where Databricks delivers a cluster's Spark event log: ``<destination>/<cluster id>/eventlog``."""
    destination = log_destination_of(cluster)
    return f"{destination}/{cluster['cluster_id']}/eventlog" if destination and cluster.get("cluster_id") else None


def run_outcome(run: dict) -> tuple[bool, str, float, float]:
    """From a ``runs/get`` answer: (succeeded, state message, runtime in s, cluster set-up in s).
    The runtime is the execution time (what the cluster size changes), not queueing or start-up."""
    state = run.get("state") or {}
    succeeded = state.get("result_state") == "SUCCESS"
    message = state.get("state_message") or state.get("result_state") or ""
    tasks = run.get("tasks") or []
    execution = run.get("execution_duration") or sum(t.get("execution_duration") or 0 for t in tasks)
    setup = run.get("setup_duration") or sum(t.get("setup_duration") or 0 for t in tasks)
    if not execution and run.get("end_time") and run.get("start_time"):
        execution = run["end_time"] - run["start_time"] - setup
    return succeeded, message, max(0.0, execution / 1000), max(0.0, setup / 1000)


def run_cluster_id(run: dict) -> str | None:
    """The job cluster of a ``runs/get`` answer (the first task's when the run has several)."""
    for holder in [run, *(run.get("tasks") or [])]:
        cluster_id = (holder.get("cluster_instance") or {}).get("cluster_id")
        if cluster_id:
            return cluster_id
    return None


_REPORTED_CLUSTER_KEYS = (
    "cluster_id", "cluster_name", "spark_version", "node_type_id", "driver_node_type_id", "num_workers",
    "autoscale", "aws_attributes", "runtime_engine", "state", "start_time", "terminated_time",
    "termination_reason",
)  # fmt: skip


def cluster_report(cluster: dict, events: list[dict]) -> dict:
    """What a run's job cluster was and went through, for the run record: its sizing and state from
    ``clusters/get`` (without ``spark_conf``, ``spark_env_vars`` or init scripts, which may hold
    secrets) and, under ``activity``, :func:`cluster_activity` of its events. It is itself a cluster
    report ``agora predict --cluster-report`` reads."""
    kept = {k: cluster[k] for k in _REPORTED_CLUSTER_KEYS if k in cluster}
    return {**kept, "activity": cluster_activity(events)}


def cluster_activity(events: list[dict]) -> dict:
    """A summary of ``clusters/events`` (any order): ``startup_s`` (creating or starting to running),
    ``nodes_lost`` (workers the cluster lost, from ``NODES_LOST`` events), ``resizes``,
    ``mean_workers`` (time-weighted while running: what an autoscaled cluster really had),
    ``termination`` (the reason code) and ``events`` (how many)."""
    ordered = sorted(events, key=lambda e: e.get("timestamp") or 0)
    first = {}
    for event in ordered:
        first.setdefault(event.get("type"), event)
    begun = first.get("CREATING") or first.get("STARTING")
    running = first.get("RUNNING")
    startup_s = (running["timestamp"] - begun["timestamp"]) / 1000 if begun and running else None
    ended = first.get("TERMINATING") or first.get("TERMINATED")
    end_ms = ended["timestamp"] if ended else None
    nodes_lost = 0
    workers_at: list[tuple[int, int]] = []  # (from ms, workers) while running
    for event in ordered:
        details = event.get("details") or {}
        current = details.get("current_num_workers")
        if event.get("type") == "NODES_LOST":
            target = details.get("target_num_workers")
            nodes_lost += max(1, int(target) - int(current)) if current is not None and target is not None else 1
        if current is not None and running and running["timestamp"] <= event["timestamp"] < (end_ms or 1 << 62):
            workers_at.append((event["timestamp"], int(current)))
    return {
        "startup_s": startup_s,
        "nodes_lost": nodes_lost,
        "resizes": sum(1 for e in ordered if e.get("type") in ("RESIZING", "UPSIZE_COMPLETED")),
        "mean_workers": _time_weighted(workers_at, end_ms),
        "termination": ((ended or {}).get("details") or {}).get("reason", {}).get("code"),
        "events": len(ordered),
    }


def _time_weighted(steps: list[tuple[int, int]], end_ms: int | None) -> float | None:
    """The mean of a step function given as (from ms, value) up to ``end_ms``."""
    if not steps or end_ms is None or end_ms <= steps[0][0]:
        return None
    ends = [since for since, _ in steps[1:]] + [end_ms]
    area = sum(value * (until - since) for (since, value), until in zip(steps, ends, strict=True))
    return round(area / (end_ms - steps[0][0]), 2)

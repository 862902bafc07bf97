"""EMR instance groups to and from ``ClusterConfig``: the primary node is the driver, CORE and TASK
nodes are the workers."""

from __future__ import annotations

from collections import Counter

from airflow_agora.domain.cluster import ClusterConfig
from airflow_agora.domain.errors import InvalidInputError


def instance_groups(config: ClusterConfig) -> list[dict]:
    """``Instances.InstanceGroups`` for ``run_job_flow``: on-demand primary and core, spot workers
    as a TASK group (or as CORE when every worker is spot)."""
    groups = [_group("Primary", "MASTER", config.driver_instance_type or config.instance_type, 1, "ON_DEMAND")]
    spot = round(config.num_workers * config.spot_share)
    if config.num_workers - spot:
        groups.append(_group("Core", "CORE", config.instance_type, config.num_workers - spot, "ON_DEMAND"))
    if spot:
        role = "CORE" if spot == config.num_workers else "TASK"
        groups.append(_group(f"{role.title()} spot", role, config.instance_type, spot, "SPOT"))
    return groups


def _group(name: str, role: str, instance_type: str, count: int, market: str) -> dict:
    return {"Name": name, "InstanceRole": role, "InstanceType": instance_type, "InstanceCount": count, "Market": market}


def config_from_instance_groups(groups: list[dict]) -> ClusterConfig:
    """From ``list_instance_groups`` (``InstanceGroupType``, running counts) or ``instance_groups``."""
    role = lambda g: g.get("InstanceGroupType") or g.get("InstanceRole")  # noqa: E731
    primary = [g for g in groups if role(g) == "MASTER"]
    workers = [g for g in groups if role(g) in ("CORE", "TASK")]
    if not workers:
        raise InvalidInputError(
            "EMR cluster report has no CORE or TASK instance group",
            fix="include the answer of list_instance_groups under 'InstanceGroups'",
        )
    counts: Counter = Counter()
    spot = 0
    for g in workers:
        n = int(g.get("RunningInstanceCount") or g.get("RequestedInstanceCount") or g.get("InstanceCount") or 0)
        counts[g["InstanceType"]] += n
        if g.get("Market") == "SPOT":
            spot += n
    worker_type, _ = counts.most_common(1)[0]
    total = sum(counts.values())
    return ClusterConfig(
        instance_type=worker_type,
        num_workers=total,
        driver_instance_type=primary[0]["InstanceType"] if primary else worker_type,
        platform="emr",
        spot_share=spot / total if total else 0.0,
    )

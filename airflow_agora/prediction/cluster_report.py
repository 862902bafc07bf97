"""The cluster a run used: from a cluster report when given, else rebuilt from the event log.

Accepted report shapes (JSON): Databricks ``clusters/get`` (or a ``new_cluster`` spec, or a
``runs/get`` answer holding one), EMR ``describe_cluster`` plus ``list_instance_groups`` (a dict with
``Cluster`` and/or ``InstanceGroups``), or the minimal form this package writes itself
(``{"platform", "instance_type", "num_workers", "driver_instance_type", "photon", "spot_share"}``).
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from airflow_agora.domain.cluster import ClusterConfig
from airflow_agora.domain.errors import InvalidInputError
from airflow_agora.prediction.catalogue import Catalogue
from airflow_agora.prediction.profile import ApplicationProfile

ASSUMED_FAMILY = "m5"


def load_cluster_report(path: str | Path) -> dict:
    p = Path(path)
    try:
        data = json.loads(p.read_text())
    except FileNotFoundError:
        raise InvalidInputError("cluster report not found", where=str(p)) from None
    except json.JSONDecodeError as exc:
        raise InvalidInputError(f"cluster report is not valid JSON ({exc})", where=str(p)) from None
    if not isinstance(data, dict):
        raise InvalidInputError("cluster report must be a JSON object", where=str(p))
    return data


def config_from_report(report: dict) -> ClusterConfig:
    """The observed ``ClusterConfig`` from one of the accepted report shapes."""
    if "instance_type" in report and "num_workers" in report:
        return ClusterConfig.from_dict(report)
    if "InstanceGroups" in report or "Cluster" in report:
        return _from_emr(report)
    spec = report.get("cluster_spec", {}).get("new_cluster") or report.get("new_cluster") or report
    if "node_type_id" in spec:
        return _from_databricks(spec)
    raise InvalidInputError(
        "cluster report shape not recognised",
        fix="give a Databricks clusters/get answer, an EMR describe_cluster + InstanceGroups, or "
        '{"platform": "databricks", "instance_type": "m5.xlarge", "num_workers": 4}',
    )


def _from_databricks(spec: dict) -> ClusterConfig:
    workers = spec.get("num_workers")
    if not workers and spec.get("executors"):
        workers = len(spec["executors"])
    if not workers and spec.get("autoscale"):
        workers = spec["autoscale"].get("max_workers") or spec["autoscale"].get("min_workers")
    aws = spec.get("aws_attributes") or {}
    spot = str(aws.get("availability", "ON_DEMAND")).startswith("SPOT")
    first_on_demand = int(aws.get("first_on_demand", 1))
    workers = int(workers or 0)
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


def _from_emr(report: dict) -> ClusterConfig:
    groups = report.get("InstanceGroups") or report.get("Cluster", {}).get("InstanceGroups") or []
    primary = [g for g in groups if g.get("InstanceGroupType") == "MASTER"]
    workers = [g for g in groups if g.get("InstanceGroupType") in ("CORE", "TASK")]
    if not workers:
        raise InvalidInputError(
            "EMR cluster report has no CORE or TASK instance group",
            fix="include the answer of list_instance_groups under 'InstanceGroups'",
        )
    counts = Counter()
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


def config_from_profile(profile: ApplicationProfile, catalogue: Catalogue) -> tuple[ClusterConfig, list[str]]:
    """Rebuild the observed configuration from the log's platform facts; where they are silent
    (EMR, YARN, local), assume m5 nodes with the cores seen per executor host, and say so."""
    facts = profile.platform
    warnings: list[str] = []
    platform = "emr" if facts.platform in ("emr", "yarn") else "databricks"
    if facts.worker_node_type and facts.worker_node_type in catalogue:
        workers = facts.workers
        if workers is None:
            workers = len({e.host for e in profile.executors.values() if e.executor_id != "driver"})
        driver = facts.driver_node_type if facts.driver_node_type in catalogue else facts.worker_node_type
        spot_share = 1.0 if facts.spot else 0.0
        if facts.spot and facts.first_on_demand and workers:
            spot_share = max(0, workers - (facts.first_on_demand - 1)) / workers
        config = ClusterConfig(
            facts.worker_node_type, workers, driver, platform="databricks", photon=facts.photon, spot_share=spot_share
        )
        return config, warnings
    cores_by_host: Counter = Counter()
    for e in profile.executors.values():
        if e.executor_id != "driver":
            cores_by_host[e.host] += e.cores
    if not cores_by_host:  # local mode: the driver is the executor
        cores_by_host["driver"] = max(1, profile.executor_cores())
    hosts = len(cores_by_host)
    cores = max(cores_by_host.values())
    sizes = sorted((t for t in catalogue.instances.values() if t.family == ASSUMED_FAMILY), key=lambda t: t.vcpus)
    node = next((t for t in sizes if t.vcpus >= cores), sizes[-1])
    warnings.append(
        f"the event log does not name instance types ({facts.platform}): assumed {hosts} x {node.name} workers "
        f"({cores} cores seen per host) and an m5.xlarge driver; pass --cluster-report for exact predictions"
    )
    driver = f"{ASSUMED_FAMILY}.xlarge"
    return ClusterConfig(node.name, hosts, driver, platform=platform), warnings

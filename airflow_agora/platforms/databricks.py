"""Databricks cluster specs (``new_cluster``, ``clusters/get``) to and from ``ClusterConfig``."""

from __future__ import annotations

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

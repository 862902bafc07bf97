"""The cluster a run used, rebuilt from its event log when no cluster report is given
(``platforms.reports`` reads the reports)."""

from __future__ import annotations

from collections import Counter

from airflow_agora.domain.cluster import ClusterConfig
from airflow_agora.prediction.catalogue import Catalogue
from airflow_agora.prediction.profile import ApplicationProfile

ASSUMED_FAMILY = "m5"


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

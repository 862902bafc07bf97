"""Cluster reports: what a finished run's platform says about the cluster it ran on.

Accepted shapes (JSON): Databricks ``clusters/get`` (or a ``new_cluster`` spec, or a ``runs/get``
answer holding one), EMR ``describe_cluster`` plus ``list_instance_groups`` (a dict with ``Cluster``
and/or ``InstanceGroups``) or plus ``list_instance_fleets`` and ``list_instances`` (``InstanceFleets``
and ``Instances``), or the minimal form this package writes itself
(``{"platform", "instance_type", "num_workers", "driver_instance_type", "photon", "spot_share"}``).
"""

from __future__ import annotations

import json
from pathlib import Path

from airflow_agora.domain.cluster import ClusterConfig
from airflow_agora.domain.errors import InvalidInputError
from airflow_agora.platforms import databricks, emr


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
    if "jobRun" in report and "configuration" in report:  # an EMR Serverless run's record
        return ClusterConfig.from_dict(report["configuration"])
    if "InstanceFleets" in report:
        return emr.config_from_nodes(report)
    if "InstanceGroups" in report or "Cluster" in report:
        groups = report.get("InstanceGroups") or report.get("Cluster", {}).get("InstanceGroups") or []
        return emr.config_from_instance_groups(groups)
    spec = report.get("cluster_spec", {}).get("new_cluster") or report.get("new_cluster") or report
    if "node_type_id" in spec:
        return databricks.config_from_cluster_spec(spec)
    raise InvalidInputError(
        "cluster report shape not recognised",
        fix="give a Databricks clusters/get answer, an EMR describe_cluster + InstanceGroups (or "
        "InstanceFleets and Instances), or "
        '{"platform": "databricks", "instance_type": "m5.xlarge", "num_workers": 4}',
    )


def cluster_fragment(config: ClusterConfig) -> dict:
    """The ready-to-use payload of ``config``'s platform: ``{"emr_instance_groups": [...]}`` for EMR,
    else ``{"new_cluster": {...}}`` (Databricks)."""
    if config.platform == "emr":
        return {"emr_instance_groups": emr.instance_groups(config)}
    return {"new_cluster": databricks.new_cluster_spec(config)}


def with_fragments(answer: dict) -> dict:
    """Add to every configuration in a prediction answer (``basis``, ``solutions``, ``pareto``) its
    :func:`cluster_fragment`."""

    def add(entry: dict) -> None:
        entry.update(cluster_fragment(ClusterConfig.from_dict(entry["configuration"])))

    add(answer["basis"])
    for entry in [*answer["solutions"].values(), *answer.get("pareto", [])]:
        add(entry)
    return answer


_FAILURE_PATTERNS = (
    ("out_of_memory", ("outofmemoryerror", "out of memory", "oom", "exit code 137", "gc overhead limit")),
    ("lost_executors", ("executorlostfailure", "lost executor", "executor lost", "spot instance", "node lost")),
    ("timeout", ("timed out", "timeout", "timedout")),
)


def classify_failure(message: str, activity: dict | None = None) -> str:
    """``out_of_memory``, ``lost_executors``, ``timeout`` or ``other`` from a platform's error text
    and, when the text names none, the cluster's ``activity``: a run that failed on a cluster which
    lost nodes (spot reclaimed, hosts died) failed because of it, whatever Spark then said (often a
    shuffle ``FetchFailedException``)."""
    text = message.lower()
    for reason, needles in _FAILURE_PATTERNS:
        if any(n in text for n in needles):
            return reason
    if (activity or {}).get("nodes_lost"):
        return "lost_executors"
    return "other"

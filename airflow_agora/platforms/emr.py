"""EMR job flows to and from ``ClusterConfig``: the primary node is the driver, CORE and TASK nodes
are the workers, in instance groups or instance fleets (:mod:`emr_fleets`). Also the run's outcome
from ``describe_cluster`` and ``list_steps``."""

from __future__ import annotations

import copy
from collections import Counter
from datetime import datetime

from airflow_agora.domain.cluster import ClusterConfig
from airflow_agora.domain.errors import InvalidInputError
from airflow_agora.platforms import emr_fleets


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


def config_from_nodes(nodes: dict) -> ClusterConfig:
    """From a job flow's nodes as :meth:`hooks.emr.EmrApi.job_flow` reads them and the cluster report
    keeps them: ``{"InstanceGroups": [...]}`` or ``{"InstanceFleets": [...], "Instances": [...]}``."""
    if nodes.get("InstanceFleets"):
        return emr_fleets.config_from_instance_fleets(nodes["InstanceFleets"], nodes.get("Instances") or [])
    return config_from_instance_groups(nodes.get("InstanceGroups") or [])


def written_config(job_flow: dict) -> ClusterConfig | None:
    """The configuration a ``run_job_flow`` request asks for: its instance groups, its instance
    fleets, or the uniform form (``MasterInstanceType``, ``SlaveInstanceType``, ``InstanceCount``)."""
    instances = job_flow.get("Instances") or {}
    if instances.get("InstanceFleets"):
        return emr_fleets.config_from_instance_fleets(instances["InstanceFleets"])
    if instances.get("InstanceGroups"):
        return config_from_instance_groups(instances["InstanceGroups"])
    if instances.get("SlaveInstanceType") and int(instances.get("InstanceCount") or 0) > 1:
        return ClusterConfig(
            instance_type=instances["SlaveInstanceType"],
            num_workers=int(instances["InstanceCount"]) - 1,
            driver_instance_type=instances.get("MasterInstanceType") or instances["SlaveInstanceType"],
            platform="emr",
        )
    return None


def apply_to_job_flow(job_flow: dict, config: ClusterConfig | None, *, eventlog_dir: str | None,
                      tags: dict[str, str]) -> dict:  # fmt: skip
    """A copy of the ``run_job_flow`` request running ``config`` (instance groups or fleets replaced,
    managed scaling dropped; what the user set per role, such as EBS volumes or configurations,
    kept), writing Spark event logs to
    ``eventlog_dir`` (unless the user chose a ``spark.eventLog.dir``) and carrying ``tags``."""
    out = copy.deepcopy(job_flow)
    instances = out.setdefault("Instances", {})
    if config is not None:
        out.pop("ManagedScalingPolicy", None)  # EMR managed scaling gives way to the planned size
    if config is not None and instances.get("InstanceFleets"):
        instances["InstanceFleets"] = emr_fleets.instance_fleets(instances["InstanceFleets"], config)
    elif config is not None:
        written = {g.get("InstanceRole"): g for g in instances.get("InstanceGroups") or []}
        groups = []
        for group in instance_groups(config):
            kept = {k: v for k, v in written.get(group["InstanceRole"], {}).items() if k in _KEPT_GROUP_KEYS}
            groups.append({**kept, **group})
        for key in ("MasterInstanceType", "SlaveInstanceType", "InstanceCount"):
            instances.pop(key, None)
        instances["InstanceGroups"] = groups
    if eventlog_dir and not eventlog_dir_of(out.get("Configurations") or []):
        configurations = out.setdefault("Configurations", [])
        defaults = next((c for c in configurations if c.get("Classification") == "spark-defaults"), None)
        if defaults is None:
            defaults = {"Classification": "spark-defaults", "Properties": {}}
            configurations.append(defaults)
        defaults.setdefault("Properties", {}).update(
            {"spark.eventLog.enabled": "true", "spark.eventLog.dir": eventlog_dir}
        )
    kept_tags = [t for t in out.get("Tags") or [] if t.get("Key") not in tags]
    out["Tags"] = kept_tags + [{"Key": k, "Value": v} for k, v in tags.items()]
    return out


_KEPT_GROUP_KEYS = ("EbsConfiguration", "Configurations", "CustomAmiId", "Name")


def eventlog_dir_of(configurations: list[dict]) -> str | None:
    """``spark.eventLog.dir`` of a job flow's ``spark-defaults`` configuration."""
    for c in configurations:
        if c.get("Classification") == "spark-defaults":
            directory = (c.get("Properties") or {}).get("spark.eventLog.dir")
            if directory:
                return directory.rstrip("/")
    return None


def run_outcome(cluster: dict, steps: list[dict]) -> tuple[bool, str, float, datetime | None, datetime | None]:
    """From ``describe_cluster`` and ``list_steps`` answers: (succeeded, message, runtime in s, first
    step's start, last step's end). The runtime is the steps' span: what the cluster size changes,
    not the cluster's start-up."""
    failed = [s for s in steps if s["Status"]["State"] in ("FAILED", "CANCELLED", "INTERRUPTED")]
    cluster_state = cluster["Status"]["State"]
    succeeded = bool(steps) and not failed and cluster_state != "TERMINATED_WITH_ERRORS"
    status = failed[-1]["Status"] if failed else cluster["Status"]
    message = (
        (status.get("FailureDetails") or {}).get("Message")
        or (status.get("StateChangeReason") or {}).get("Message")
        or cluster_state
    )
    timelines = [s["Status"].get("Timeline") or {} for s in steps]
    starts = [t["StartDateTime"] for t in timelines if t.get("StartDateTime")]
    ends = [t["EndDateTime"] for t in timelines if t.get("EndDateTime")]
    start, end = (min(starts) if starts else None), (max(ends) if ends else None)
    runtime_s = (end - start).total_seconds() if start and end else 0.0
    return succeeded, message, max(0.0, runtime_s), start, end


_REPORTED_CLUSTER_KEYS = ("Id", "Name", "ReleaseLabel", "InstanceCollectionType", "Status", "NormalizedInstanceHours")
_REPORTED_GROUP_KEYS = ("Name", "InstanceGroupType", "InstanceType", "Market", "RequestedInstanceCount",
                        "RunningInstanceCount")  # fmt: skip
_REPORTED_FLEET_KEYS = ("Id", "Name", "InstanceFleetType", "Status", "TargetOnDemandCapacity", "TargetSpotCapacity",
                        "ProvisionedOnDemandCapacity", "ProvisionedSpotCapacity")  # fmt: skip
_REPORTED_TYPE_KEYS = ("InstanceType", "WeightedCapacity", "Priority")
_REPORTED_INSTANCE_KEYS = ("Id", "InstanceFleetId", "InstanceType", "Market", "Status")


def _pick(d: dict, keys: tuple[str, ...]) -> dict:
    return {k: _jsonable(d[k]) for k in keys if k in d}


def reported_nodes(nodes: dict) -> dict:
    """A job flow's nodes (see :func:`config_from_nodes`) as the cluster report keeps them: sizes,
    types, markets and states; not the per-type ``Configurations``, which may hold secrets."""
    if nodes.get("InstanceFleets"):
        fleets = [
            {**_pick(f, _REPORTED_FLEET_KEYS),
             "InstanceTypeSpecifications": [_pick(t, _REPORTED_TYPE_KEYS) for t in emr_fleets.type_configs(f)]}
            for f in nodes["InstanceFleets"]
        ]  # fmt: skip
        return {
            "InstanceFleets": fleets,
            "Instances": [_pick(i, _REPORTED_INSTANCE_KEYS) for i in nodes.get("Instances") or []],
        }
    return {"InstanceGroups": [_pick(g, _REPORTED_GROUP_KEYS) for g in nodes.get("InstanceGroups") or []]}


def cluster_report(cluster: dict, nodes: dict, steps: list[dict]) -> dict:
    """What a job flow was and went through, for the run record, in the shape ``agora predict
    --cluster-report`` reads: ``Cluster`` (identity, release, state and its timeline), its nodes
    (``InstanceGroups``, or ``InstanceFleets`` and their ``Instances``: :func:`reported_nodes`),
    ``Steps`` (names, states, timelines; not their arguments, which may hold secrets), and
    ``activity`` as for Databricks (start-up and the termination reason)."""
    status = cluster.get("Status") or {}
    timeline = status.get("Timeline") or {}
    created, ready = timeline.get("CreationDateTime"), timeline.get("ReadyDateTime")
    return {
        "Cluster": _pick(cluster, _REPORTED_CLUSTER_KEYS),
        **reported_nodes(nodes),
        "Steps": [_pick(s, ("Id", "Name", "Status")) for s in steps],
        "activity": {
            "startup_s": (ready - created).total_seconds() if created and ready else None,
            "nodes_lost": 0,
            "resizes": 0,
            "mean_workers": None,
            "termination": (status.get("StateChangeReason") or {}).get("Code"),
            "events": None,
        },
    }


def _jsonable(value):
    """boto3's datetimes as ISO text, inside dicts and lists too."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value

"""EMR instance fleets to and from ``ClusterConfig``.

A fleet lets EMR pick among several instance types, each worth a weighted capacity, until its on-demand
and spot targets are met. Agora's configuration names one worker type, the type its prediction is
for, so a sized fleet offers that one type with weight 1 (capacity then counts instances). What the
user wrote for the fleet (name, launch and resize specifications) and for its instance types (EBS,
configurations, AMI, bid price) is kept.
"""

from __future__ import annotations

import math
from collections import Counter

from airflow_agora.domain.cluster import ClusterConfig
from airflow_agora.domain.errors import InvalidInputError

WORKER_ROLES = ("CORE", "TASK")
_KEPT_FLEET_KEYS = ("Name", "LaunchSpecifications", "ResizeSpecifications", "Context")
_KEPT_TYPE_KEYS = ("EbsConfiguration", "Configurations", "CustomAmiId", "BidPriceAsPercentageOfOnDemandPrice")


def type_configs(fleet: dict) -> list[dict]:
    """A fleet's instance types in the order EMR tries them: by ``Priority`` where given, else as
    written (``InstanceTypeConfigs`` of a request, ``InstanceTypeSpecifications`` of an answer)."""
    configs = fleet.get("InstanceTypeConfigs") or fleet.get("InstanceTypeSpecifications") or []
    if not configs:
        raise InvalidInputError(
            f"EMR instance fleet {fleet.get('Name') or fleet.get('InstanceFleetType')!r} names no instance type",
            fix="give each instance fleet at least one InstanceTypeConfigs entry",
        )
    return [c for _, c in sorted(enumerate(configs), key=lambda ic: (ic[1].get("Priority", math.inf), ic[0]))]


def instances_for(fleet: dict, config: dict) -> tuple[int, int]:
    """(on-demand, spot) instances of type ``config`` that meet the fleet's target capacity: capacity
    units over the type's weight, rounded up as EMR does."""
    weight = max(1, int(config.get("WeightedCapacity") or 1))
    units = [int(fleet.get(f"Target{market}Capacity") or 0) for market in ("OnDemand", "Spot")]
    return math.ceil(units[0] / weight), math.ceil(units[1] / weight)


def config_from_instance_fleets(fleets: list[dict], instances: list[dict] = ()) -> ClusterConfig:
    """The cluster of a job flow's fleets: from its instances (``list_instances``: type and market per
    fleet) when given, else from each fleet's first instance type and its target capacity. The driver
    is the MASTER fleet's type; the workers' type is the most common one among CORE and TASK nodes."""
    role_of = {f.get("Id"): f["InstanceFleetType"] for f in fleets if f.get("Id")}
    counts: Counter = Counter()
    spot = 0
    driver = None
    nodes = [i for i in instances if role_of.get(i.get("InstanceFleetId"))]
    if nodes:
        for node in nodes:
            if role_of[node["InstanceFleetId"]] == "MASTER":
                driver = driver or node["InstanceType"]
                continue
            counts[node["InstanceType"]] += 1
            spot += node.get("Market") == "SPOT"
    else:
        for fleet in fleets:
            first = type_configs(fleet)[0]
            if fleet["InstanceFleetType"] == "MASTER":
                driver = first["InstanceType"]
                continue
            on_demand, spot_n = instances_for(fleet, first)
            counts[first["InstanceType"]] += on_demand + spot_n
            spot += spot_n
    total = sum(counts.values())
    if not total:
        raise InvalidInputError(
            "EMR job flow has no CORE or TASK instance fleet with capacity",
            fix="give a CORE instance fleet a TargetOnDemandCapacity or TargetSpotCapacity",
        )
    worker_type, _ = counts.most_common(1)[0]
    return ClusterConfig(
        instance_type=worker_type,
        num_workers=total,
        driver_instance_type=driver or worker_type,
        platform="emr",
        spot_share=spot / total,
    )


def instance_fleets(written: list[dict], config: ClusterConfig) -> list[dict]:
    """``Instances.InstanceFleets`` running ``config``: an on-demand MASTER fleet of the driver type,
    on-demand workers in the CORE fleet and spot workers in a TASK fleet (in the CORE fleet when
    every worker is spot), each fleet offering the one planned type; ``written`` are the user's fleets."""
    by_role = {f.get("InstanceFleetType"): f for f in written}
    spot = round(config.num_workers * config.spot_share)
    on_demand = config.num_workers - spot
    out = [_fleet(by_role.get("MASTER"), "MASTER", config.driver_instance_type or config.instance_type, 1, 0)]
    if on_demand:
        out.append(_fleet(by_role.get("CORE"), "CORE", config.instance_type, on_demand, 0))
    if spot:
        role = "TASK" if on_demand else "CORE"
        out.append(_fleet(by_role.get(role) or by_role.get("CORE"), role, config.instance_type, 0, spot))
    return out


def _fleet(written: dict | None, role: str, instance_type: str, on_demand: int, spot: int) -> dict:
    written = written or {}
    kept = {k: written[k] for k in _KEPT_FLEET_KEYS if k in written}
    if written.get("InstanceFleetType") != role:
        kept = {k: v for k, v in kept.items() if k not in ("Name", "Context")}  # borrowed from the CORE fleet
    configs = written.get("InstanceTypeConfigs") or []
    same = next((c for c in configs if c.get("InstanceType") == instance_type), None)
    template = same or (configs[0] if configs else {})
    keys = _KEPT_TYPE_KEYS + (("BidPrice",) if same else ())  # a bid price is per type
    type_config = {k: template[k] for k in keys if k in template}
    return {
        "Name": f"{role.title()}{' spot' if spot and role == 'TASK' else ''}",
        **kept,
        "InstanceFleetType": role,
        "TargetOnDemandCapacity": on_demand,
        "TargetSpotCapacity": spot,
        "InstanceTypeConfigs": [{**type_config, "InstanceType": instance_type, "WeightedCapacity": 1}],
    }

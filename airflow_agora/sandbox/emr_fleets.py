"""Instance fleets on moto's EMR endpoint: moto 5.2.5 takes ``Instances.InstanceFleets`` in
``run_job_flow`` and forgets them, and has no ``list_instance_fleets``.

:func:`serve_instance_fleets` teaches its EMR responses what a fleet job flow's life asks of AWS:
``run_job_flow`` keeps the fleets and provisions each (the instance type EMR tries first, as many
instances as its on-demand and spot targets need), ``describe_cluster`` answers ``INSTANCE_FLEET``,
and ``list_instance_fleets`` and ``list_instances`` answer with the fleets and their instances, whose
states follow the cluster's. Patched once per process, like moto's own backends.
"""

from __future__ import annotations

import json
import secrets
import string

from airflow_agora.platforms import emr_fleets

_FLEET_STATE = {"STARTING": "PROVISIONING", "BOOTSTRAPPING": "BOOTSTRAPPING", "RUNNING": "RUNNING",
                "WAITING": "RUNNING", "TERMINATING": "TERMINATING"}  # fmt: skip
_INSTANCE_STATE = {"STARTING": "PROVISIONING", "BOOTSTRAPPING": "BOOTSTRAPPING", "RUNNING": "RUNNING",
                   "WAITING": "RUNNING"}  # fmt: skip


def serve_instance_fleets() -> None:
    """Add instance fleets to moto's EMR responses (idempotent)."""
    from moto.core.responses import PaginatedResult
    from moto.emr.responses import ElasticMapReduceResponse as Responses

    if getattr(Responses, "_agora_fleets", False):
        return
    run_job_flow = Responses.run_job_flow

    def run_job_flow_with_fleets(self):
        result = run_job_flow(self)
        fleets = _plain(self._get_param("Instances.InstanceFleets", []))
        if fleets:
            cluster = self.backend.clusters[result.result["JobFlowId"]]
            cluster.instance_collection_type = "INSTANCE_FLEET"
            cluster.agora_fleets, cluster.agora_instances = provision(fleets)
        return result

    def list_instance_fleets(self):
        cluster = self.backend.describe_cluster(self._get_param("ClusterId"))
        return PaginatedResult(
            {"InstanceFleets": [_answered(f, cluster) for f in getattr(cluster, "agora_fleets", [])]}
        )

    list_instances = Responses.list_instances

    def list_instances_with_fleets(self):
        cluster = self.backend.describe_cluster(self._get_param("ClusterId"))
        if not hasattr(cluster, "agora_fleets"):
            return list_instances(self)
        role = {f["Id"]: f["InstanceFleetType"] for f in cluster.agora_fleets}
        fleet_id, fleet_type = self._get_param("InstanceFleetId"), self._get_param("InstanceFleetType")
        state = _INSTANCE_STATE.get(cluster.state, "TERMINATED")
        return PaginatedResult({"Instances": [
            {**i, "Status": {"State": state}} for i in cluster.agora_instances
            if fleet_id in (None, i["InstanceFleetId"]) and fleet_type in (None, role[i["InstanceFleetId"]])
        ]})  # fmt: skip

    Responses.run_job_flow = run_job_flow_with_fleets
    Responses.list_instance_fleets = list_instance_fleets
    Responses.list_instances = list_instances_with_fleets
    Responses._agora_fleets = True


def provision(fleets: list[dict]) -> tuple[list[dict], list[dict]]:
    """(fleets with ids and provisioned capacity, their instances) for a request's fleets: each fleet
    runs its first instance type (by priority), enough instances to meet both targets."""
    out, instances = [], []
    for fleet in fleets:
        first = emr_fleets.type_configs(fleet)[0]
        weight = max(1, int(first.get("WeightedCapacity") or 1))
        on_demand, spot = emr_fleets.instances_for(fleet, first)
        fleet_id = "if-" + _random_id(13)
        out.append({**fleet, "Id": fleet_id, "ProvisionedOnDemandCapacity": on_demand * weight,
                    "ProvisionedSpotCapacity": spot * weight})  # fmt: skip
        for market, count in (("ON_DEMAND", on_demand), ("SPOT", spot)):
            instances += [{"Id": "ci-" + _random_id(13), "Ec2InstanceId": "i-" + _random_id(17).lower(),
                           "InstanceFleetId": fleet_id, "InstanceType": first["InstanceType"], "Market": market}
                          for _ in range(count)]  # fmt: skip
    return out, instances


def _answered(fleet: dict, cluster) -> dict:
    """A kept fleet as ``list_instance_fleets`` answers it, in the cluster's present state."""
    state = _FLEET_STATE.get(cluster.state, "TERMINATED")
    timeline = {k: v for k, v in (("CreationDateTime", cluster.creation_datetime),
                                  ("ReadyDateTime", getattr(cluster, "ready_datetime", None)),
                                  ("EndDateTime", getattr(cluster, "end_datetime", None))) if v}  # fmt: skip
    answer = {k: v for k, v in fleet.items() if k != "InstanceTypeConfigs"}
    specs = [{k: v for k, v in c.items() if k != "EbsConfiguration"} for c in fleet["InstanceTypeConfigs"]]
    if state == "TERMINATED":
        answer |= {"ProvisionedOnDemandCapacity": 0, "ProvisionedSpotCapacity": 0}  # as EMR: none left
    return {**answer, "InstanceTypeSpecifications": specs, "Status": {"State": state, "Timeline": timeline}}


def _plain(value):
    """moto's parsed parameters (case-insensitive dicts) as plain JSON values."""
    return json.loads(json.dumps(value, default=lambda o: o.original_dict()))


def _random_id(n: int) -> str:
    return "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(n))

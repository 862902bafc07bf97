"""Two Agora EMR job flows for the integration tests (the EMR sandbox is the AWS endpoint): ``first``
of instance groups, ``second`` of instance fleets. The test sets AGORA_TEST_FAIL (a failure for
``second``'s step) and AGORA_TEST_DEFERRABLE (``1``: the triggerer waits for the steps)."""

from __future__ import annotations

import os
from datetime import datetime, timedelta

from airflow_agora.decorators import agora_dag
from airflow_agora.operators.emr import AgoraEmrCreateJobFlowOperator

FAIL = os.environ.get("AGORA_TEST_FAIL", "")
DEFERRABLE = os.environ.get("AGORA_TEST_DEFERRABLE") == "1"


EBS = {"EbsBlockDeviceConfigs": [{"VolumeSpecification": {"VolumeType": "gp3", "SizeInGB": 64}}]}


def instance_groups(core_type: str, workers: int) -> dict:
    return {
        "InstanceGroups": [
            {"Name": "Primary", "InstanceRole": "MASTER", "InstanceType": "m4.2xlarge", "InstanceCount": 1},
            {"Name": "Core", "InstanceRole": "CORE", "InstanceType": core_type, "InstanceCount": workers,
             "EbsConfiguration": EBS},
        ]
    }  # fmt: skip


def instance_fleets(core_type: str, workers: int) -> dict:
    """A CORE fleet counting capacity in vCPUs (8 per 2xlarge) that may also take m4.2xlarge."""
    return {
        "InstanceFleets": [
            {"Name": "Primary", "InstanceFleetType": "MASTER", "TargetOnDemandCapacity": 1,
             "InstanceTypeConfigs": [{"InstanceType": "m4.2xlarge"}]},
            {"Name": "Core", "InstanceFleetType": "CORE", "TargetOnDemandCapacity": 8 * workers,
             "LaunchSpecifications": {"OnDemandSpecification": {"AllocationStrategy": "prioritized"}},
             "InstanceTypeConfigs": [
                 {"InstanceType": core_type, "WeightedCapacity": 8, "Priority": 1, "EbsConfiguration": EBS},
                 {"InstanceType": "m4.2xlarge", "WeightedCapacity": 8, "Priority": 2, "EbsConfiguration": EBS},
             ]},
        ]
    }  # fmt: skip


def job_flow(script: str, nodes: dict, *extra: str) -> dict:
    return {
        "Name": f"agora-test-{script}",
        "ReleaseLabel": "emr-7.2.0",
        "LogUri": "s3://agora-test-logs/emr/",
        "Applications": [{"Name": "Spark"}],
        "Instances": {**nodes, "KeepJobFlowAliveWhenNoSteps": False},
        "Steps": [
            {
                "Name": script,
                "ActionOnFailure": "TERMINATE_CLUSTER",
                "HadoopJarStep": {
                    "Jar": "command-runner.jar",
                    "Args": ["spark-submit", "--deploy-mode", "cluster", f"s3://agora-test-code/{script}.py", *extra],
                },
            }
        ],
        "JobFlowRole": "EMR_EC2_DefaultRole",
        "ServiceRole": "EMR_DefaultRole",
        "Tags": [{"Key": "team", "Value": "data-platform"}],
    }


@agora_dag(
    dag_id="agora_test_emr",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    sla=timedelta(hours=1),
    objective="cost",
    capacity_vcpus=160,
    default_args={
        "retries": 0,
        "emr_conn_id": None,
        "waiter_delay": 1,
        "waiter_max_attempts": 600,
        "deferrable": DEFERRABLE,
    },
)
def agora_test_emr():
    first = AgoraEmrCreateJobFlowOperator(
        task_id="first",
        job_flow_overrides=job_flow("index_analysis", instance_groups("c4.2xlarge", 8)),
        agora_expected_runtime_s=300,
    )
    second = AgoraEmrCreateJobFlowOperator(
        task_id="second",
        job_flow_overrides=job_flow(
            "airline_delay", instance_fleets("c4.2xlarge", 6), *(["--fail", FAIL] if FAIL else [])
        ),
        agora_expected_runtime_s=400,
    )
    first >> second


agora_test_emr()

"""An EMR pipeline: four transient job flows (each a cluster created for one Spark step and
terminated after it), ingest first, two transforms side by side, a report last; a one-hour SLA at
the lowest cost within 160 vCPUs.

Each ``AgoraEmrCreateJobFlowOperator`` runs the planned instance groups, writes its Spark event log to
``<LogUri>/agora-eventlogs/<project>/<run>`` and waits for its step; the closed loop then learns each
job's cheapest size. Set ``LOG_URI`` (``AGORA_EXAMPLE_EMR_LOG_URI``) to a bucket of yours and the
IAM roles to your account's; against the EMR sandbox (``airflow_agora.sandbox.emr``) it runs as is.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta

from airflow_agora.decorators import agora_dag
from airflow_agora.operators.emr import AgoraEmrCreateJobFlowOperator

LOG_URI = os.environ.get("AGORA_EXAMPLE_EMR_LOG_URI", "s3://agora-example-logs/emr/")
CODE = os.environ.get("AGORA_EXAMPLE_EMR_CODE", "s3://agora-example-code/jobs")
POLL_S = int(os.environ.get("AGORA_EXAMPLE_POLL_S", "30"))
# (task, script, core node type, core nodes as written, runtime hint for the first plan)
JOBS = [
    ("ingest", "index_analysis", "c4.2xlarge", 12, 300),
    ("sessions", "airline_delay", "c4.2xlarge", 10, 420),
    ("recommendations", "movie_rec", "r3.2xlarge", 12, 450),
    ("report", "sentiment_analysis", "m4.2xlarge", 8, 600),
]


def job_flow(script: str, core_type: str, core_nodes: int) -> dict:
    """A transient job flow running one ``spark-submit`` step."""
    return {
        "Name": f"agora-example-{script}",
        "ReleaseLabel": "emr-7.2.0",
        "LogUri": LOG_URI,
        "Applications": [{"Name": "Spark"}],
        "Instances": {
            "InstanceGroups": [
                {"Name": "Primary", "InstanceRole": "MASTER", "InstanceType": "m4.2xlarge", "InstanceCount": 1},
                {"Name": "Core", "InstanceRole": "CORE", "InstanceType": core_type, "InstanceCount": core_nodes},
            ],
            "KeepJobFlowAliveWhenNoSteps": False,
        },
        "Steps": [
            {
                "Name": script,
                "ActionOnFailure": "TERMINATE_CLUSTER",
                "HadoopJarStep": {
                    "Jar": "command-runner.jar",
                    "Args": ["spark-submit", "--deploy-mode", "cluster", f"{CODE}/{script}.py"],
                },
            }
        ],
        "JobFlowRole": "EMR_EC2_DefaultRole",
        "ServiceRole": "EMR_DefaultRole",
    }


@agora_dag(
    dag_id="agora_emr_pipeline",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    sla=timedelta(hours=1),
    objective="cost",
    capacity_vcpus=160,
    default_args={"emr_conn_id": None, "waiter_delay": POLL_S, "waiter_max_attempts": 7200 // POLL_S},
    tags=["agora", "example", "emr"],
)
def agora_emr_pipeline():
    tasks = {
        task_id: AgoraEmrCreateJobFlowOperator(
            task_id=task_id,
            job_flow_overrides=job_flow(script, core_type, nodes),
            agora_expected_runtime_s=hint,
            agora_instance_types=[core_type, "m4.2xlarge"],
        )
        for task_id, script, core_type, nodes, hint in JOBS
    }
    tasks["ingest"] >> [tasks["sessions"], tasks["recommendations"]] >> tasks["report"]


agora_emr_pipeline()

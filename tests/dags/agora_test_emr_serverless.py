"""Two Agora EMR Serverless job runs for the integration tests (the EMR sandbox is the AWS endpoint);
the test sets AGORA_TEST_APPLICATION_ID (the application it created), AGORA_TEST_FAIL (a failure for
``second``) and AGORA_TEST_DEFERRABLE (``1``: the triggerer waits for the job runs)."""

from __future__ import annotations

import os
from datetime import datetime, timedelta

from airflow_agora.decorators import agora_dag
from airflow_agora.operators.emr_serverless import AgoraEmrServerlessStartJobOperator

FAIL = os.environ.get("AGORA_TEST_FAIL", "")
DEFERRABLE = os.environ.get("AGORA_TEST_DEFERRABLE") == "1"


def job(script: str, executors: int, *extra: str) -> dict:
    return {
        "sparkSubmit": {
            "entryPoint": f"s3://agora-test-code/{script}.py",
            "entryPointArguments": list(extra),
            "sparkSubmitParameters": "--conf spark.executor.cores=4 --conf spark.executor.memory=14g "
            f"--conf spark.dynamicAllocation.maxExecutors={executors} --conf spark.sql.shuffle.partitions=400",
        }
    }


@agora_dag(
    dag_id="agora_test_emr_serverless",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    sla=timedelta(hours=1),
    objective="cost",
    capacity_vcpus=160,
    default_args={
        "retries": 0,
        "application_id": os.environ.get("AGORA_TEST_APPLICATION_ID", "00000000000000"),
        "execution_role_arn": "arn:aws:iam::123456789012:role/agora-test-jobs",
        "configuration_overrides": {
            "monitoringConfiguration": {"s3MonitoringConfiguration": {"logUri": "s3://agora-test-logs/serverless/"}}
        },
        "waiter_delay": 1,
        "waiter_max_attempts": 600,
        "deferrable": DEFERRABLE,
    },
)
def agora_test_emr_serverless():
    first = AgoraEmrServerlessStartJobOperator(
        task_id="first", job_driver=job("index_analysis", 8), agora_expected_runtime_s=300
    )
    second = AgoraEmrServerlessStartJobOperator(
        task_id="second",
        job_driver=job("airline_delay", 6, *(["--fail", FAIL] if FAIL else [])),
        agora_expected_runtime_s=400,
    )
    first >> second


agora_test_emr_serverless()

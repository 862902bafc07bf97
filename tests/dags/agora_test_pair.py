"""Two Agora tasks for the integration tests; the test sets the behaviour through the environment:
AGORA_TEST_FAIL (a sandbox failure for ``second``), AGORA_TEST_CAPACITY (vCPUs),
AGORA_TEST_DEFERRABLE (``1``: the triggerer watches the runs)."""

from __future__ import annotations

import os
from datetime import datetime, timedelta

from airflow_agora.decorators import agora_dag
from airflow_agora.operators.databricks import AgoraDatabricksSubmitRunOperator

FAIL = os.environ.get("AGORA_TEST_FAIL", "")
DEFERRABLE = os.environ.get("AGORA_TEST_DEFERRABLE") == "1"


def job(script: str, node_type: str, workers: int, *extra: str) -> dict:
    return {
        "new_cluster": {
            "spark_version": "15.4.x-scala2.12",
            "node_type_id": node_type,
            "autoscale": {"min_workers": 2, "max_workers": workers},
        },
        "spark_python_task": {"python_file": f"dbfs:/jobs/{script}.py", "parameters": list(extra)},
    }


@agora_dag(
    dag_id="agora_test_pair",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    sla=timedelta(seconds=900),
    objective="cost",
    capacity_vcpus=float(os.environ.get("AGORA_TEST_CAPACITY", "160")),
    default_args={"polling_period_seconds": 1, "retries": 0, "deferrable": DEFERRABLE},
)
def agora_test_pair():
    first = AgoraDatabricksSubmitRunOperator(
        task_id="first", json=job("index_analysis", "c4.2xlarge", 8), agora_expected_runtime_s=300
    )
    second = AgoraDatabricksSubmitRunOperator(
        task_id="second",
        json=job("airline_delay", "c4.2xlarge", 6, *(["--fail", FAIL] if FAIL else [])),
        agora_expected_runtime_s=400,
    )
    AgoraDatabricksSubmitRunOperator(
        task_id="third", json=job("movie_rec", "m4.2xlarge", 6), agora_expected_runtime_s=400
    )
    first >> second


agora_test_pair()

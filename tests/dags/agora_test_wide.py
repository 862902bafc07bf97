"""Four independent Agora tasks of 32 vCPUs each on an 80-vCPU capacity: at most two fit at once, so
the scheduler test sees tasks run side by side and the ledger hold the rest back."""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow_agora.decorators import agora_dag
from airflow_agora.operators.databricks import AgoraDatabricksSubmitRunOperator

SCRIPTS = ["index_analysis", "airline_delay", "movie_rec", "sentiment_analysis"]


@agora_dag(
    dag_id="agora_test_wide",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    sla=timedelta(seconds=3600),
    objective="cost",
    capacity_vcpus=80,
    default_args={"polling_period_seconds": 1, "retries": 0},
)
def agora_test_wide():
    for script in SCRIPTS:
        AgoraDatabricksSubmitRunOperator(
            task_id=script,
            agora_expected_runtime_s=400,
            json={
                "new_cluster": {"spark_version": "15.4.x-scala2.12", "node_type_id": "c4.2xlarge", "num_workers": 4},
                "spark_python_task": {"python_file": f"dbfs:/jobs/{script}.py"},
            },
        )


agora_test_wide()

"""One long Agora task with a retry, for the kill and crash tests under the scheduler: the test
marks a running try failed (Airflow kills it) or kills its process (the retry reconnects). Its workspace
is the slow sandbox of the scheduler test (connection ``databricks_slow``)."""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow_agora.decorators import agora_dag
from airflow_agora.operators.databricks import AgoraDatabricksSubmitRunOperator


@agora_dag(
    dag_id="agora_test_long",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    sla=timedelta(hours=2),
    objective="cost",
    default_args={"polling_period_seconds": 1, "retries": 1, "retry_delay": timedelta(seconds=1)},
)
def agora_test_long():
    AgoraDatabricksSubmitRunOperator(
        task_id="job",
        databricks_conn_id="databricks_slow",
        agora_expected_runtime_s=600,
        json={
            "new_cluster": {"spark_version": "15.4.x-scala2.12", "node_type_id": "c4.2xlarge", "num_workers": 4},
            "spark_python_task": {"python_file": "dbfs:/jobs/index_analysis.py"},
        },
    )


agora_test_long()

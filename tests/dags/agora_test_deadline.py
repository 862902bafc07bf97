"""One Agora task that outlasts its DAG's 5-second SLA, for the Deadline Alert test under the
scheduler (the triggerer runs ``airflow_agora.callbacks.sla_missed``). Its workspace is the slow
sandbox of the scheduler test (connection ``databricks_slow``)."""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow_agora.decorators import agora_dag
from airflow_agora.operators.databricks import AgoraDatabricksSubmitRunOperator


@agora_dag(
    dag_id="agora_test_deadline",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    sla=timedelta(seconds=5),
    objective="makespan",
    default_args={"polling_period_seconds": 1, "retries": 0},
)
def agora_test_deadline():
    AgoraDatabricksSubmitRunOperator(
        task_id="job",
        databricks_conn_id="databricks_slow",
        agora_expected_runtime_s=300,
        json={
            "new_cluster": {"spark_version": "15.4.x-scala2.12", "node_type_id": "c4.2xlarge", "num_workers": 8},
            "spark_python_task": {"python_file": "dbfs:/jobs/index_analysis.py"},
        },
    )


agora_test_deadline()

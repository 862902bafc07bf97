"""One Agora task whose job is a real PySpark script (``dbfs:/jobs/real_job.py``, which the test
puts in the sandbox's DBFS): the sandbox runs it with pyspark and delivers Spark's own event log."""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow_agora.decorators import agora_dag
from airflow_agora.operators.databricks import AgoraDatabricksSubmitRunOperator


@agora_dag(
    dag_id="agora_test_real",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    sla=timedelta(seconds=900),
    objective="cost",
    capacity_vcpus=64,
    default_args={"polling_period_seconds": 1, "retries": 0},
)
def agora_test_real():
    AgoraDatabricksSubmitRunOperator(
        task_id="real_job",
        json={
            "new_cluster": {"spark_version": "15.4.x-scala2.12", "node_type_id": "m5.xlarge", "num_workers": 2},
            "spark_python_task": {"python_file": "dbfs:/jobs/real_job.py", "parameters": ["--rows", "300000"]},
        },
        agora_expected_runtime_s=60,
    )


agora_test_real()

"""A DAG that keeps the upstream Databricks operator and adds Agora's prediction step after it; the
test sets AGORA_TEST_FAIL (the job fails) through the environment."""

from __future__ import annotations

import os
from datetime import datetime

from airflow.providers.databricks.operators.databricks import DatabricksSubmitRunOperator
from airflow.sdk import DAG

from airflow_agora.operators.predict import AgoraPredictOperator

FAIL = os.environ.get("AGORA_TEST_FAIL", "")

with DAG("agora_test_predict", schedule=None, start_date=datetime(2026, 1, 1), default_args={"retries": 0}):
    etl = DatabricksSubmitRunOperator(
        task_id="etl",
        polling_period_seconds=1,
        json={
            "new_cluster": {
                "spark_version": "15.4.x-scala2.12",
                "node_type_id": "c4.2xlarge",
                "num_workers": 8,
                "cluster_log_conf": {"dbfs": {"destination": "dbfs:/cluster-logs/etl"}},
            },
            "spark_python_task": {
                "python_file": "dbfs:/jobs/index_analysis.py",
                "parameters": ["--fail", FAIL] if FAIL else [],
            },
        },
    )
    etl >> AgoraPredictOperator(task_id="recommend", source_task_id="etl", eventlog_poll_s=0.5, eventlog_wait_s=120)

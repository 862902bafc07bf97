"""The four-job example of DESIGN.md on Databricks: four Spark jobs written on maxed-out clusters,
an 800 s SLA and a 160-vCPU shared capacity. ``@agora_dag`` plans each run; the operators run the
planned clusters and feed the closed loop.

``agora demo`` runs it against the local Databricks sandbox. Against a real workspace, point the
``databricks_default`` connection at it and put the four scripts under ``dbfs:/agora/jobs/``.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta

from airflow_agora.decorators import agora_dag
from airflow_agora.operators.databricks import AgoraDatabricksSubmitRunOperator

TYPES = ["c4.2xlarge", "m4.2xlarge", "r3.2xlarge", "i2.2xlarge"]
# How often the operators poll the run: the sandbox runs jobs 100x faster than real time.
POLL_S = int(os.environ.get("AGORA_EXAMPLE_POLL_S", "30"))
# Data volume relative to the first runs (the demo grows it to show the loop healing).
INPUT_SCALE = os.environ.get("AGORA_EXAMPLE_INPUT_SCALE", "1.0")


def job(script: str, node_type: str, workers: int) -> dict:
    return {
        "new_cluster": {
            "spark_version": "15.4.x-scala2.12",
            "node_type_id": node_type,
            "num_workers": workers,
        },
        "spark_python_task": {
            "python_file": f"dbfs:/agora/jobs/{script}.py",
            "parameters": ["--input-scale", INPUT_SCALE],
        },
    }


@agora_dag(
    dag_id="agora_four_jobs",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    sla=timedelta(seconds=800),
    objective="cost",
    capacity_vcpus=160,
    tags=["agora", "example"],
    default_args={"polling_period_seconds": POLL_S, "agora_instance_types": TYPES, "agora_max_workers": 14},
)
def agora_four_jobs():
    index = AgoraDatabricksSubmitRunOperator(
        task_id="index_analysis", agora_expected_runtime_s=240, json=job("index_analysis", "c4.2xlarge", 14)
    )
    AgoraDatabricksSubmitRunOperator(
        task_id="sentiment_analysis", agora_expected_runtime_s=520, json=job("sentiment_analysis", "m4.2xlarge", 14)
    )
    AgoraDatabricksSubmitRunOperator(
        task_id="airline_delay", agora_expected_runtime_s=400, json=job("airline_delay", "c4.2xlarge", 10)
    )
    movies = AgoraDatabricksSubmitRunOperator(
        task_id="movie_rec", agora_expected_runtime_s=410, json=job("movie_rec", "r3.2xlarge", 14)
    )
    index >> movies


agora_four_jobs()

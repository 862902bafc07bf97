"""The four-job example of DESIGN.md on Databricks: four Spark jobs written on maxed-out clusters,
an 800 s SLA and a 160-vCPU shared capacity, two ways.

* ``agora_four_jobs``: ``@agora_dag`` plans each run; the operators run the planned clusters, wait
  for their share of the capacity and feed the closed loop.
* ``four_jobs_airflow_default``: the same jobs as Airflow runs them by default: the upstream
  operator, the clusters as written, the shared capacity an Airflow pool of 160 slots with each task
  taking one slot per worker vCPU (create it with
  ``airflow pools set four_jobs_capacity 160 "shared vCPUs"``).

``agora demo`` runs it against the local Databricks sandbox. Against a real workspace, point the
``databricks_default`` connection at it and put the four scripts under ``dbfs:/agora/jobs/``.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta

from airflow.providers.databricks.operators.databricks import DatabricksSubmitRunOperator
from airflow.sdk import dag

from airflow_agora.decorators import agora_dag
from airflow_agora.operators.databricks import AgoraDatabricksSubmitRunOperator

TYPES = ["c4.2xlarge", "m4.2xlarge", "r3.2xlarge", "i2.2xlarge"]
VCPUS_PER_NODE = 8  # every type above has 8 vCPUs
# (task, script's node type, workers, runtime hint for the first plan); index_analysis >> movie_rec
JOBS = [
    ("index_analysis", "c4.2xlarge", 14, 240),
    ("sentiment_analysis", "m4.2xlarge", 14, 520),
    ("airline_delay", "c4.2xlarge", 10, 400),
    ("movie_rec", "r3.2xlarge", 14, 410),
]
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
    tasks = {
        name: AgoraDatabricksSubmitRunOperator(
            task_id=name, agora_expected_runtime_s=hint, json=job(name, node_type, workers)
        )
        for name, node_type, workers, hint in JOBS
    }
    tasks["index_analysis"] >> tasks["movie_rec"]


@dag(
    dag_id="four_jobs_airflow_default",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    tags=["example"],
    default_args={"polling_period_seconds": POLL_S},
)
def four_jobs_airflow_default():
    tasks = {
        name: DatabricksSubmitRunOperator(
            task_id=name,
            json=job(name, node_type, workers),
            pool="four_jobs_capacity",
            pool_slots=workers * VCPUS_PER_NODE,
        )
        for name, node_type, workers, _ in JOBS
    }
    tasks["index_analysis"] >> tasks["movie_rec"]


agora_four_jobs()
four_jobs_airflow_default()

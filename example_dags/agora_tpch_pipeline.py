"""A TPC-H-shaped pipeline on Databricks: eight table loads, then the 22 TPC-H queries, each after
the loads of the tables it reads (the tables per query are those of the TPC-H specification). Thirty
Spark jobs on one 256-vCPU capacity with a two-hour SLA: the scale at which planning sizes and order
matter, since running every job on its written cluster one after another would take far longer.

Against a real workspace, put the scripts under ``dbfs:/agora/tpch/``; ``agora demo`` style runs
against the Databricks sandbox work as is (its jobs stand in for the scripts).
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta

from airflow_agora.decorators import agora_dag
from airflow_agora.operators.databricks import AgoraDatabricksSubmitRunOperator

POLL_S = int(os.environ.get("AGORA_EXAMPLE_POLL_S", "30"))
# table: (node type, workers as written, runtime hint in s)
LOADS = {
    "lineitem": ("i2.2xlarge", 16, 600),
    "orders": ("i2.2xlarge", 12, 400),
    "partsupp": ("m4.2xlarge", 8, 240),
    "part": ("m4.2xlarge", 4, 120),
    "customer": ("m4.2xlarge", 4, 120),
    "supplier": ("m4.2xlarge", 2, 60),
    "nation": ("m4.2xlarge", 1, 30),
    "region": ("m4.2xlarge", 1, 30),
}
# TPC-H query: the tables it reads
QUERIES = {
    1: ("lineitem",),
    2: ("part", "supplier", "partsupp", "nation", "region"),
    3: ("customer", "orders", "lineitem"),
    4: ("orders", "lineitem"),
    5: ("customer", "orders", "lineitem", "supplier", "nation", "region"),
    6: ("lineitem",),
    7: ("supplier", "lineitem", "orders", "customer", "nation"),
    8: ("part", "supplier", "lineitem", "orders", "customer", "nation", "region"),
    9: ("part", "supplier", "lineitem", "partsupp", "orders", "nation"),
    10: ("customer", "orders", "lineitem", "nation"),
    11: ("partsupp", "supplier", "nation"),
    12: ("orders", "lineitem"),
    13: ("customer", "orders"),
    14: ("lineitem", "part"),
    15: ("lineitem", "supplier"),
    16: ("partsupp", "part", "supplier"),
    17: ("lineitem", "part"),
    18: ("customer", "orders", "lineitem"),
    19: ("lineitem", "part"),
    20: ("supplier", "nation", "partsupp", "lineitem", "part"),
    21: ("supplier", "lineitem", "orders", "nation"),
    22: ("customer", "orders"),
}


def job(script: str, node_type: str, workers: int) -> dict:
    return {
        "new_cluster": {"spark_version": "15.4.x-scala2.12", "node_type_id": node_type, "num_workers": workers},
        "spark_python_task": {"python_file": f"dbfs:/agora/tpch/{script}.py"},
    }


@agora_dag(
    dag_id="agora_tpch_pipeline",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    sla=timedelta(hours=2),
    objective="cost",
    capacity_vcpus=256,
    default_args={"polling_period_seconds": POLL_S},
    tags=["agora", "example", "tpch"],
)
def agora_tpch_pipeline():
    loads = {
        table: AgoraDatabricksSubmitRunOperator(
            task_id=f"load_{table}", json=job(f"load_{table}", node, workers), agora_expected_runtime_s=hint
        )
        for table, (node, workers, hint) in LOADS.items()
    }
    for number, tables in QUERIES.items():
        heaviest = max(tables, key=lambda t: LOADS[t][1])
        node, workers, hint = LOADS[heaviest]
        query = AgoraDatabricksSubmitRunOperator(
            task_id=f"q{number:02d}", json=job(f"q{number:02d}", node, workers), agora_expected_runtime_s=hint / 2
        )
        [loads[t] for t in tables] >> query


agora_tpch_pipeline()

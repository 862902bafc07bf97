"""Run a DAG of ``tests/dags`` with ``dag.test()`` in a child process with its own Airflow home.

Airflow reads its configuration once, at import, so each scenario gets a fresh interpreter:
``python tests/airflow_harness.py DAG_ID RUNS`` with the environment from ``local_airflow.airflow_env``
prints one JSON line per DAG run: its state and each task instance's state.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def main(dag_id: str, runs: int) -> None:
    from airflow.models.dagbag import DagBag

    bag = DagBag(str(Path(__file__).parent / "dags"))
    if bag.import_errors:
        raise SystemExit(f"DAG import errors: {bag.import_errors}")
    dag = bag.get_dag(dag_id)
    for _ in range(runs):
        run = dag.test()
        states = {ti.task_id: str(ti.state) for ti in run.get_task_instances()}
        print("RESULT " + json.dumps({"run_id": run.run_id, "state": str(run.state), "tasks": states}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))

"""Run a DAG of the environment's DAG folder (default ``tests/dags``) with ``dag.test()`` in a child
process with its own Airflow home.

Airflow reads its configuration once, at import, so each scenario gets a fresh interpreter:
``python tests/airflow_harness.py DAG_ID RUNS`` with the environment from ``local_airflow.airflow_env``
prints one JSON line per DAG run: its state and each task instance's state.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def run_in_airflow(env: dict, dag_id: str, runs: int = 1, timeout_s: float = 300) -> tuple[list[dict], str]:
    """Run ``dag_id`` ``runs`` times in a child process with ``env`` (from ``airflow_env``); returns
    each run's result and the child's output (asserting it exited cleanly)."""
    done = subprocess.run(
        [sys.executable, __file__, dag_id, str(runs)],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
    )
    output = done.stdout + done.stderr
    results = [json.loads(line[7:]) for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    assert done.returncode == 0 and len(results) == runs, output[-4000:]
    return results, output


def main(dag_id: str, runs: int) -> None:
    from airflow.models.dagbag import DagBag

    bag = DagBag(os.environ.get("AIRFLOW__CORE__DAGS_FOLDER") or str(Path(__file__).parent / "dags"))
    if bag.import_errors:
        raise SystemExit(f"DAG import errors: {bag.import_errors}")
    dag = bag.get_dag(dag_id)
    for _ in range(runs):
        run = dag.test()
        states = {ti.task_id: str(ti.state) for ti in run.get_task_instances()}
        print("RESULT " + json.dumps({"run_id": run.run_id, "state": str(run.state), "tasks": states}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))

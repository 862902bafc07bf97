"""Run a DAG of the environment's DAG folder (default ``tests/dags``) with ``dag.test()`` in a child
process with its own Airflow home.

Airflow reads its configuration once, at import, so each scenario gets a fresh interpreter:
``python tests/airflow_harness.py DAG_ID RUNS`` with the environment from ``local_airflow.airflow_env``
prints one JSON line per DAG run: its state, each task instance's state and the run's XComs (as
stored, for the tests that look for secrets in them).
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


def run_xcoms(dag_id: str, run_id: str) -> dict[str, str]:
    """``{"<task>/<key>": stored value}`` of a DAG run's XComs."""
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        rows = session.scalars(select(XComModel).where(XComModel.dag_id == dag_id, XComModel.run_id == run_id))
        return {f"{x.task_id}/{x.key}": str(x.value) for x in rows}


def main(dag_id: str, runs: int) -> None:
    from airflow.models.dagbag import DagBag

    bag = DagBag(os.environ.get("AIRFLOW__CORE__DAGS_FOLDER") or str(Path(__file__).parent / "dags"))
    if bag.import_errors:
        raise SystemExit(f"DAG import errors: {bag.import_errors}")
    dag = bag.get_dag(dag_id)
    for _ in range(runs):
        run = dag.test()
        states = {ti.task_id: str(ti.state) for ti in run.get_task_instances()}
        result = {"run_id": run.run_id, "state": str(run.state), "tasks": states,
                  "xcoms": run_xcoms(dag_id, run.run_id)}  # fmt: skip
        print("RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))

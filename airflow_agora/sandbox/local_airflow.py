"""A throw-away Airflow home wired to the sandbox: what ``agora demo`` and the tests run Airflow in.

:func:`airflow_env` returns the environment variables (Airflow reads its configuration from them at
import, so they are set before Airflow is imported, or passed to a child process);
:func:`migrate_airflow` creates Airflow's own metadata database with ``airflow db migrate``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO_EXAMPLE_DAGS = Path(__file__).resolve().parents[2] / "example_dags"


def airflow_env(home: Path, *, dags_folder: Path, history_url: str, databricks_connection: str | None) -> dict:
    """Environment for an Airflow in ``home`` (SQLite metadata) using history database ``history_url``."""
    home.mkdir(parents=True, exist_ok=True)
    env = {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_FOLDER": str(dags_folder),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
        "AGORA_SQL_ALCHEMY_CONN": history_url,
        "AIRFLOW__AGORA__SQL_ALCHEMY_CONN": history_url,
        "AIRFLOW__AGORA__LEASE_POLL_S": "0.2",
        "AIRFLOW__AGORA__PLANNER_TIME_LIMIT_S": "3",
        "AIRFLOW__AGORA__DEADLINE_ALERTS": "False",  # dag.test() cannot run deadline alerts (Airflow 3.3.2)
        "AGORA_EXAMPLE_POLL_S": "1",
    }
    if databricks_connection:
        env["AIRFLOW_CONN_DATABRICKS_DEFAULT"] = databricks_connection
    return env


def migrate_airflow(env: dict) -> None:
    """``airflow db migrate`` in a child process with ``env``; raises with its output on failure."""
    airflow = Path(sys.executable).with_name("airflow")
    done = subprocess.run(
        [str(airflow), "db", "migrate"], env={**os.environ, **env}, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"airflow db migrate failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")

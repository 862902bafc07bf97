"""A throw-away Airflow home wired to the sandbox: what ``agora demo`` and the tests run Airflow in.

:func:`airflow_env` returns the environment variables (Airflow reads its configuration from them at
import, so they are set before Airflow is imported, or passed to a child process);
:func:`migrate_airflow` creates Airflow's own metadata database with ``airflow db migrate``.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

REPO_EXAMPLE_DAGS = Path(__file__).resolve().parents[2] / "example_dags"


def airflow_env(
    home: Path,
    *,
    dags_folder: Path,
    history_url: str,
    databricks_connection: str | None,
    metadata_url: str | None = None,
) -> dict:
    """Environment for an Airflow in ``home`` using history database ``history_url``; Airflow's own
    metadata database is ``metadata_url`` (default: a SQLite file in ``home``)."""
    home.mkdir(parents=True, exist_ok=True)
    env = {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_FOLDER": str(dags_folder),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": metadata_url or f"sqlite:///{home / 'airflow.db'}",
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


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class AirflowStack:
    """Airflow's own processes (API server, scheduler with the LocalExecutor, DAG processor, triggerer)
    on one home, for the demo and the end-to-end tests; ``with AirflowStack(env, folder) as af:``.

    ``env`` comes from :func:`airflow_env` (its metadata database already migrated). The processes
    share one JWT secret, so tasks the executor starts can talk to the API server; each writes its
    output to ``<folder>/<name>.log``, which :meth:`tail` shows when something goes wrong. The REST
    API is reached as the ``agora`` admin of Airflow's simple auth manager.
    """

    PROCESSES = ("api-server", "scheduler", "dag-processor", "triggerer")

    def __init__(self, env: dict, folder: Path, *, parallelism: int = 8,
                 processes: tuple[str, ...] = PROCESSES) -> None:  # fmt: skip
        self.processes = processes
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            **env,
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            "AIRFLOW__CORE__PARALLELISM": str(parallelism),
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{self.url}/execution/",
            "AIRFLOW__API__BASE_URL": self.url,
            "AIRFLOW__API__PORT": str(self.port),
            "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_urlsafe(32),
            "AIRFLOW__API__SECRET_KEY": secrets.token_urlsafe(32),
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "agora:admin",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(self.folder / "passwords.json"),
            "AIRFLOW__SCHEDULER__SCHEDULER_IDLE_SLEEP_TIME": "0.2",
            # A capacity wait must outlast the scheduler's lag in seeing the task defer (seconds on a
            # busy machine): a task resumed before that is failed by Airflow 3.3 (apache/airflow#71580).
            "AIRFLOW__AGORA__LEASE_POLL_S": "2",
            "AIRFLOW__AGORA__DEADLINE_ALERTS": "True",  # the scheduler runs them (dag.test() cannot)
            "AIRFLOW__SCHEDULER__TASK_QUEUED_TIMEOUT": "600",
            "AIRFLOW__TRIGGERER__JOB_HEARTBEAT_SEC": "1",
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
        }
        self._procs: dict[str, subprocess.Popen] = {}
        self._token: str | None = None

    def start(self, *, timeout_s: float = 120.0) -> AirflowStack:
        airflow = Path(sys.executable).with_name("airflow")
        for name in self.processes:
            args = [str(airflow), name] + (["--port", str(self.port)] if name == "api-server" else [])
            with open(self.folder / f"{name}.log", "wb") as out:
                self._procs[name] = subprocess.Popen(
                    args, env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
                )
        deadline = time.monotonic() + timeout_s
        while True:
            self._check_alive()
            try:
                if httpx.get(f"{self.url}/api/v2/monitor/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"Airflow's API server did not answer within {timeout_s:.0f} s\n{self.tail()}")
            time.sleep(0.5)
        return self

    def stop(self) -> None:
        for proc in self._procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self._procs.values():
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        self._procs.clear()

    def __enter__(self) -> AirflowStack:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc) -> None:
        self.stop()

    def _check_alive(self) -> None:
        for name, proc in self._procs.items():
            if proc.poll() is not None:
                raise RuntimeError(f"airflow {name} exited with code {proc.returncode}\n{self.tail(name)}")

    def tail(self, *names: str, lines: int = 40) -> str:
        """The last lines each process wrote."""
        out = []
        for name in names or self.processes:
            path = self.folder / f"{name}.log"
            text = path.read_text(errors="replace").splitlines()[-lines:] if path.exists() else []
            out.append(f"--- airflow {name} ---\n" + "\n".join(text))
        return "\n".join(out)

    # -- REST API --------------------------------------------------------------------------------------

    def admin_password(self) -> str:
        """The ``agora`` admin's password (the simple auth manager generates it)."""
        return json.loads((self.folder / "passwords.json").read_text())["agora"]

    def token(self) -> str:
        """A JWT of the ``agora`` admin, from ``/auth/token``."""
        if self._token is None:
            reply = httpx.post(f"{self.url}/auth/token", json={"username": "agora", "password": self.admin_password()},
                               timeout=10)  # fmt: skip
            reply.raise_for_status()
            self._token = reply.json()["access_token"]
        return self._token

    def api(self, method: str, path: str, **kwargs) -> dict:
        """Call Airflow's public REST API (``/api/v2`` + ``path``) as the ``agora`` admin."""
        reply = httpx.request(
            method,
            f"{self.url}/api/v2{path}",
            headers={"Authorization": f"Bearer {self.token()}"},
            timeout=30,
            **kwargs,
        )
        if reply.status_code >= 400:
            raise RuntimeError(f"Airflow API {method} {path} answered {reply.status_code}: {reply.text[:500]}")
        return reply.json() if reply.content else {}

    def wait_for_dag(self, dag_id: str, *, timeout_s: float = 120.0) -> None:
        """Wait until the DAG processor has parsed ``dag_id``; raise with its import error otherwise."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            self._check_alive()
            try:
                self.api("GET", f"/dags/{dag_id}")
                return
            except RuntimeError:
                time.sleep(0.5)
        errors = self.api("GET", "/importErrors").get("import_errors", [])
        raise RuntimeError(f"DAG {dag_id} did not appear within {timeout_s:.0f} s; import errors: {errors}")

    def trigger(self, dag_id: str, *, conf: dict | None = None) -> str:
        """Start a DAG run now; returns its run id."""
        body = {"logical_date": None, "conf": conf or {}}
        return self.api("POST", f"/dags/{dag_id}/dagRuns", json=body)["dag_run_id"]

    def wait_for_run(self, dag_id: str, run_id: str, *, timeout_s: float = 600.0) -> dict:
        """Wait until a DAG run finishes; returns the run."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            self._check_alive()
            run = self.api("GET", f"/dags/{dag_id}/dagRuns/{run_id}")
            if run["state"] in ("success", "failed"):
                return run
            time.sleep(0.5)
        raise RuntimeError(f"DAG run {dag_id} {run_id} did not finish within {timeout_s:.0f} s\n{self.tail()}")

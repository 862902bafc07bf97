"""Airflow's record of DAG runs through its public REST API (``/api/v2``): the one place the overhead
analysis calls Airflow remotely, so ``agora overhead`` works without Airflow installed beside it.

Authentication: a JWT given as ``token``, or one fetched from ``/auth/token`` with a user name and
password (Airflow's simple auth manager and FAB both answer it).
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from airflow_agora.domain.errors import AgoraError, InvalidInputError
from airflow_agora.overhead.records import DagRunRecord, TaskInstanceRecord, epoch_s, instance_key

PAGE = 100  # Airflow's default maximum page size


class AirflowApiError(AgoraError):
    """Airflow's API could not be reached or refused a call."""


def run_from_api(
    run: dict, instances: list[dict], upstream: dict[str, list[str]], first_tries: dict[str, dict] | None = None
) -> DagRunRecord:
    """A :class:`DagRunRecord` from the API's DAG run, its task instances, each task's upstream task
    ids and, for retried instances (by key), their first try."""
    first_tries = first_tries or {}

    def first(ti: dict, field: str) -> float | None:
        return epoch_s(first_tries.get(instance_key(ti["task_id"], ti.get("map_index")), {}).get(field))

    tasks = tuple(
        TaskInstanceRecord(
            key=instance_key(ti["task_id"], ti.get("map_index")),
            task_id=ti["task_id"],
            state=str(ti.get("state") or "none"),
            try_number=int(ti.get("try_number") or 0),
            queued_at=epoch_s(ti.get("queued_when")),
            started_at=epoch_s(ti.get("start_date")),
            ended_at=epoch_s(ti.get("end_date")),
            upstream=tuple(upstream.get(ti["task_id"], ())),
            first_queued_at=first(ti, "queued_when"),
            first_started_at=first(ti, "start_date"),
        )
        for ti in instances
    )
    return DagRunRecord(
        dag_id=run["dag_id"],
        run_id=run["dag_run_id"],
        state=str(run.get("state")),
        started_at=epoch_s(run.get("start_date")),
        ended_at=epoch_s(run.get("end_date")),
        queued_at=epoch_s(run.get("queued_at")),
        tasks=tasks,
    )


@dataclass
class AirflowApi:
    """A client of one Airflow's REST API; ``url`` is the API server's base (``http://host:8080``)."""

    url: str
    token: str | None = None
    username: str | None = None
    password: str | None = None
    timeout_s: float = 30.0

    def __post_init__(self) -> None:
        self.url = self.url.rstrip("/")
        self._client = httpx.Client(timeout=self.timeout_s)

    def close(self) -> None:
        self._client.close()

    def _bearer(self) -> str:
        if self.token is None:
            if not (self.username and self.password):
                raise InvalidInputError(
                    "no credentials for Airflow's API",
                    fix="set AGORA_AIRFLOW_TOKEN, or AGORA_AIRFLOW_USERNAME and AGORA_AIRFLOW_PASSWORD",
                )
            reply = self._send("POST", f"{self.url}/auth/token",
                               json={"username": self.username, "password": self.password})  # fmt: skip
            self.token = reply["access_token"]
        return self.token

    def _send(self, method: str, url: str, **kwargs) -> dict:
        try:
            reply = self._client.request(method, url, **kwargs)
        except httpx.HTTPError as exc:
            raise AirflowApiError(
                f"Airflow's API at {self.url} is not reachable ({type(exc).__name__}: {exc}); "
                "check --airflow-url (or AGORA_AIRFLOW_URL) and that the API server runs"
            ) from None
        if reply.status_code in (401, 403):
            raise AirflowApiError(
                f"Airflow's API refused {method} {url.removeprefix(self.url)} ({reply.status_code}); "
                "check the credentials and that the user may read DAG runs"
            )
        if reply.status_code == 404:
            raise InvalidInputError(f"Airflow has no {url.removeprefix(self.url + '/api/v2')}",
                                    fix="check the DAG id and run id (agora overhead DAG_ID --last 5)")  # fmt: skip
        if reply.status_code >= 400:
            raise AirflowApiError(f"Airflow's API answered {reply.status_code} to {method} {url}: {reply.text[:300]}")
        return reply.json()

    def get(self, path: str, **params) -> dict:
        return self._send("GET", f"{self.url}/api/v2{path}", params=params,
                          headers={"Authorization": f"Bearer {self._bearer()}"})  # fmt: skip

    def _pages(self, path: str, key: str, **params) -> list[dict]:
        rows: list[dict] = []
        while True:
            page = self.get(path, limit=PAGE, offset=len(rows), **params)
            rows += page[key]
            if not page[key] or len(rows) >= page.get("total_entries", 0):
                return rows

    def upstream_of_tasks(self, dag_id: str) -> dict[str, list[str]]:
        """Each task's upstream task ids, from the DAG's tasks and their downstream ids."""
        upstream: dict[str, list[str]] = {}
        for task in self.get(f"/dags/{dag_id}/tasks")["tasks"]:
            upstream.setdefault(task["task_id"], [])
            for down in task.get("downstream_task_ids") or []:
                upstream.setdefault(down, []).append(task["task_id"])
        return upstream

    def finished_run_ids(self, dag_id: str, last: int) -> list[str]:
        """The ids of the DAG's ``last`` most recent finished runs, oldest first."""
        page = self.get(f"/dags/{dag_id}/dagRuns", limit=last, order_by="-run_after", state=["success", "failed"])
        return [r["dag_run_id"] for r in reversed(page["dag_runs"])]

    def dag_run(self, dag_id: str, run_id: str, upstream: dict[str, list[str]] | None = None) -> DagRunRecord:
        """One DAG run with all its task instances."""
        run = self.get(f"/dags/{dag_id}/dagRuns/{run_id}")
        instances = self._pages(f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances", "task_instances")
        first_tries = {}
        for ti in instances:
            if (ti.get("try_number") or 0) > 1:
                map_index = ti.get("map_index")
                mapped = f"/{map_index}" if map_index is not None and map_index >= 0 else ""
                path = f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{ti['task_id']}{mapped}/tries"
                tries = sorted(self._pages(path, "task_instances"), key=lambda t: t.get("try_number") or 0)
                first_tries[instance_key(ti["task_id"], ti.get("map_index"))] = tries[0]
        upstream = upstream if upstream is not None else self.upstream_of_tasks(dag_id)
        return run_from_api(run, instances, upstream, first_tries)

"""Databricks: a finished run, its cluster and its event log, through the upstream hook."""

from __future__ import annotations

from datetime import UTC, datetime

from airflow.providers.databricks.hooks.databricks import GET_CLUSTER_ENDPOINT, DatabricksHook

from airflow_agora.hooks import FinishedRun
from airflow_agora.platforms import databricks
from airflow_agora.prediction.eventlog.stores import DatabricksRestApi
from airflow_agora.prediction.profile import ApplicationProfile, build_profile

GET_JOB_ENDPOINT = ("GET", "2.2/jobs/get")
CLUSTER_EVENTS_ENDPOINT = ("POST", "2.1/clusters/events")
CLUSTER_EVENTS_MAX = 5000  # a job cluster's life has tens; stop paging a pathological one here


class DatabricksApi:
    """The one place Agora calls a workspace beyond the upstream hook's own methods, through that
    hook's connection (so its auth, retries and proxies apply)."""

    def __init__(self, hook: DatabricksHook) -> None:
        self.hook = hook

    def run(self, run_id: int) -> dict:
        return self.hook.get_run(run_id)

    def cluster(self, cluster_id: str) -> dict:
        return self.hook._do_api_call(GET_CLUSTER_ENDPOINT, {"cluster_id": cluster_id})

    def cluster_events(self, cluster_id: str, *, page_size: int = 500) -> list[dict]:
        """Every event of a cluster, oldest first, following ``next_page``."""
        request: dict | None = {"cluster_id": cluster_id, "order": "ASC", "limit": page_size}
        events: list[dict] = []
        while request is not None and len(events) < CLUSTER_EVENTS_MAX:
            page = self.hook._do_api_call(CLUSTER_EVENTS_ENDPOINT, request)
            events += page.get("events") or []
            request = page.get("next_page")
        return events

    def job_settings(self, job_id: int) -> dict:
        return self.hook._do_api_call(GET_JOB_ENDPOINT, {"job_id": job_id}).get("settings") or {}

    def update_job(self, job_id: int, new_settings: dict) -> None:
        self.hook.update_job(job_id=job_id, json={"new_settings": new_settings})

    def read_profile(self, location: str) -> ApplicationProfile:
        """Profile an event log in DBFS or a volume (the Files API under the hook's credentials)."""
        base = self.hook._endpoint_url("").rstrip("/")
        files = DatabricksRestApi(base, self.hook._get_token(raise_error=True) or "")
        return build_profile(location, databricks_api=files)

    @classmethod
    def for_connection(cls, conn_id: str) -> DatabricksApi:
        return cls(DatabricksHook(conn_id))

    def finished_run(self, run_id: int) -> FinishedRun:
        """A run from ``runs/get``, its job cluster from ``clusters/get`` and ``clusters/events``."""
        run = self.run(run_id)
        cluster_id = databricks.run_cluster_id(run)
        cluster = self.cluster(cluster_id) if cluster_id else (run.get("cluster_spec") or {}).get("new_cluster") or {}
        events = self.cluster_events(cluster_id) if cluster_id else []
        succeeded, message, runtime_s, _ = databricks.run_outcome(run)
        return FinishedRun(
            config=databricks.config_from_cluster_spec(cluster),
            runtime_s=runtime_s,
            succeeded=succeeded,
            message=message,
            started_at=_when(run.get("start_time")),
            ended_at=_when(run.get("end_time")),
            eventlog_uri=databricks.eventlog_location(cluster),
            reader={"reader": "databricks", "conn_id": self.hook.databricks_conn_id},
            cluster_report=databricks.cluster_report(cluster, events),
        )


def _when(epoch_ms: int | None) -> datetime | None:
    return datetime.fromtimestamp(epoch_ms / 1000, UTC) if epoch_ms else None

"""Databricks operators that run the planned cluster: drop-in subclasses of the upstream ones.

Everything the upstream operator takes still works (``json`` or named fields, ``deferrable``,
``durable``, idempotency tokens, repair ...). Agora adds, before submitting, the assignment applied
to every job cluster of the payload (workers, node types, driver, engine, spot), event-log delivery
to ``[agora] eventlog_root``/<project> unless the job already sets ``cluster_log_conf``, tags naming
the project and the Airflow run, and the capacity lease; after the run, the lease's release and the
run's recording (see :mod:`airflow_agora.operators.agora_task`).
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

from airflow.providers.databricks.hooks.databricks import GET_CLUSTER_ENDPOINT, DatabricksHook
from airflow.providers.databricks.operators.databricks import DatabricksRunNowOperator, DatabricksSubmitRunOperator

from airflow_agora.domain.cluster import ClusterConfig
from airflow_agora.operators.agora_task import AgoraTaskMixin
from airflow_agora.operators.settings import AgoraSettings
from airflow_agora.platforms import databricks
from airflow_agora.prediction.eventlog.stores import DatabricksRestApi
from airflow_agora.prediction.profile import ApplicationProfile, build_profile

GET_JOB_ENDPOINT = ("GET", "2.2/jobs/get")


class DatabricksApi:
    """The one place Agora calls a workspace beyond the upstream hook's own methods, through that
    hook's connection (so its auth, retries and proxies apply)."""

    def __init__(self, hook: DatabricksHook) -> None:
        self.hook = hook

    def run(self, run_id: int) -> dict:
        return self.hook.get_run(run_id)

    def cluster(self, cluster_id: str) -> dict:
        return self.hook._do_api_call(GET_CLUSTER_ENDPOINT, {"cluster_id": cluster_id})

    def job_settings(self, job_id: int) -> dict:
        return self.hook._do_api_call(GET_JOB_ENDPOINT, {"job_id": job_id}).get("settings") or {}

    def update_job(self, job_id: int, new_settings: dict) -> None:
        self.hook.update_job(job_id=job_id, json={"new_settings": new_settings})

    def read_profile(self, location: str) -> ApplicationProfile:
        """Profile an event log in DBFS or a volume (the Files API under the hook's credentials)."""
        base = self.hook._endpoint_url("").rstrip("/")
        files = DatabricksRestApi(base, self.hook._get_token(raise_error=True) or "")
        return build_profile(location, databricks_api=files)


class _AgoraDatabricksMixin(AgoraTaskMixin):
    """Shared by the submit and run-now operators: the after-run recording."""

    agora_platform = "databricks"
    _agora_applied: dict | None = None

    def agora_payload(self, payload: dict) -> dict:
        """``payload`` with the assignment applied (unchanged before the assignment is known)."""
        applied = self._agora_applied
        if not applied:
            return payload
        config = ClusterConfig.from_dict(applied["config"]) if applied.get("resize") else None
        return databricks.apply_to_payload(
            payload, config, log_destination=applied.get("log_destination"), tags=applied.get("tags") or {}
        )

    def agora_prepare(self, context, assignment: dict) -> None:
        assignment["log_destination"] = f"{AgoraSettings.load().eventlog_root}/{self.agora_project_name}"
        assignment["tags"] = self.agora_run_tags(context)
        self._agora_applied = assignment

    def agora_remote_id(self, event: dict | None) -> int | None:
        run_id = (event or {}).get("run_id") or self.run_id  # type: ignore[attr-defined]
        return int(run_id) if run_id is not None else None

    def agora_log_reader(self, run):
        """A reader for a pending run's late log (used by the next planning step)."""
        conn_id = run.profile_summary.get("conn_id", self.databricks_conn_id)  # type: ignore[attr-defined]
        return DatabricksApi(DatabricksHook(conn_id)).read_profile

    def agora_record(self, context, run_id: int) -> None:
        api = DatabricksApi(self._hook)  # type: ignore[attr-defined]
        run = api.run(run_id)
        cluster_id = databricks.run_cluster_id(run)
        cluster = api.cluster(cluster_id) if cluster_id else (run.get("cluster_spec") or {}).get("new_cluster") or {}
        config = databricks.config_from_cluster_spec(cluster)
        succeeded, message, runtime_s, _ = databricks.run_outcome(run)
        self.agora_intake(
            context,
            config=config,
            runtime_s=runtime_s,
            succeeded=succeeded,
            message=message,
            started_at=_when(run.get("start_time")),
            ended_at=_when(run.get("end_time")),
            eventlog_uri=databricks.eventlog_location(cluster),
            read_profile=api.read_profile,
            pending_marker={"reader": "databricks", "conn_id": self.databricks_conn_id},  # type: ignore[attr-defined]
        )


class AgoraDatabricksSubmitRunOperator(_AgoraDatabricksMixin, DatabricksSubmitRunOperator):
    """``DatabricksSubmitRunOperator`` that runs the planned cluster and feeds the closed loop.

    Agora arguments: ``agora_project`` (default ``<dag_id>.<task_id>``), ``agora_expected_runtime_s``
    (a hint for planning the first run), ``agora_instance_types``, ``agora_min_workers`` and
    ``agora_max_workers`` (what the controller may choose; default: the written type, 1 to 64
    workers) and ``agora_tags`` (for setting goals of a group).
    """

    def __init__(
        self,
        *,
        agora_project: str | None = None,
        agora_expected_runtime_s: float | None = None,
        agora_instance_types: list[str] | tuple[str, ...] = (),
        agora_min_workers: int = 1,
        agora_max_workers: int = 64,
        agora_tags: list[str] | tuple[str, ...] = (),
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        self._agora_init(
            agora_project=agora_project,
            agora_expected_runtime_s=agora_expected_runtime_s,
            agora_instance_types=agora_instance_types,
            agora_min_workers=agora_min_workers,
            agora_max_workers=agora_max_workers,
            agora_tags=agora_tags,
        )

    def agora_written_config(self) -> ClusterConfig | None:
        return databricks.written_config(super()._get_merged_json())

    def _get_merged_json(self) -> dict[str, Any]:
        return self.agora_payload(super()._get_merged_json())


class AgoraDatabricksRunNowOperator(_AgoraDatabricksMixin, DatabricksRunNowOperator):
    """``DatabricksRunNowOperator`` for jobs defined in the workspace: before ``run-now`` the job's
    clusters are resized to the assignment (``jobs/update``), since ``run-now`` cannot override them.
    ``agora_written_cluster`` is the job's cluster as written (a ``new_cluster`` spec): the planner
    needs it before the run. Without it the job runs as defined in the workspace."""

    def __init__(
        self,
        *,
        agora_written_cluster: dict | None = None,
        agora_project: str | None = None,
        agora_expected_runtime_s: float | None = None,
        agora_instance_types: list[str] | tuple[str, ...] = (),
        agora_min_workers: int = 1,
        agora_max_workers: int = 64,
        agora_tags: list[str] | tuple[str, ...] = (),
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        self.agora_written_cluster = agora_written_cluster
        self._agora_init(
            agora_project=agora_project,
            agora_expected_runtime_s=agora_expected_runtime_s,
            agora_instance_types=agora_instance_types,
            agora_min_workers=agora_min_workers,
            agora_max_workers=agora_max_workers,
            agora_tags=agora_tags,
        )

    def agora_written_config(self) -> ClusterConfig | None:
        if self.agora_written_cluster:
            return databricks.config_from_cluster_spec(self.agora_written_cluster)
        return None

    def agora_prepare(self, context, assignment: dict) -> None:
        super().agora_prepare(context, assignment)
        job_id = self._get_merged_json().get("job_id")
        if job_id is None:
            job_id = self._hook.find_job_id_by_name(self._get_merged_json()["job_name"])
        api = DatabricksApi(self._hook)
        settings = api.job_settings(int(job_id))
        resized = self.agora_payload(copy.deepcopy(settings))
        changed = {k: resized[k] for k in ("tasks", "job_clusters") if k in resized and resized[k] != settings.get(k)}
        if changed:
            api.update_job(int(job_id), changed)
            self.log.info("agora: job %s resized for this run", job_id)


def _when(epoch_ms: int | None) -> datetime | None:
    return datetime.fromtimestamp(epoch_ms / 1000, UTC) if epoch_ms else None

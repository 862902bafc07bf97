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
from typing import Any

from airflow.providers.databricks.operators.databricks import DatabricksRunNowOperator, DatabricksSubmitRunOperator

from airflow_agora.domain.cluster import ClusterConfig
from airflow_agora.hooks.databricks import DatabricksApi
from airflow_agora.operators.agora_task import AgoraTaskMixin
from airflow_agora.operators.settings import AgoraSettings
from airflow_agora.platforms import databricks


class _AgoraDatabricksMixin(AgoraTaskMixin):
    """Shared by the submit and run-now operators: the assignment applied to the payload, the run
    read back and recorded."""

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

    def agora_record(self, context, run_id: int) -> None:
        self.agora_intake(context, DatabricksApi(self._hook).finished_run(run_id))  # type: ignore[attr-defined]


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

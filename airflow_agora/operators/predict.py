"""A prediction step for DAGs that keep their own operators: put it after a
``DatabricksSubmitRunOperator`` / ``DatabricksRunNowOperator`` (or an ``EmrCreateJobFlowOperator``
that waits for its steps) and each run is recorded in that task's project, its event log profiled,
and the cheapest configuration that meets the project's goals returned (XCom) and logged.

The project is ``<dag_id>.<source_task_id>``, the name an Agora operator in the same place would use,
so moving to the Agora operators later keeps the history. The step runs whatever the source task's
outcome (``trigger_rule="all_done"``): a failed run teaches the closed loop too. It never fails: any
problem is a warning. When the event log is not delivered yet, the step defers to the triggerer
until it is (``eventlog_wait_s``), holding no worker slot.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from airflow.sdk import BaseOperator

from airflow_agora.control.dag_planning import DagTask, ensure_projects
from airflow_agora.control.run_intake import pending_runs
from airflow_agora.domain.project import AllowedConfigs, Recommendation
from airflow_agora.hooks import FinishedRun
from airflow_agora.hooks.databricks import DatabricksApi
from airflow_agora.hooks.emr import EmrApi
from airflow_agora.operators.agora_task import advisory, attach_late_log, record_finished_run
from airflow_agora.operators.settings import open_store
from airflow_agora.platforms.reports import cluster_fragment
from airflow_agora.triggers.eventlog import EventLogTrigger

PLATFORMS = ("databricks", "emr")


class AgoraPredictOperator(BaseOperator):
    """Record the run ``source_task_id`` made and return Agora's recommendation for the next one.

    :param source_task_id: the task that ran the job (its ``run_id`` XCom on Databricks, its return
        value, the job flow id, on EMR).
    :param platform: ``databricks`` (default) or ``emr``.
    :param remote_run_id: the Databricks run id or EMR job flow id, when not the source's XCom (templated).
    :param eventlog_uri: where the run's Spark event log is, when the platform does not say
        (templated; Databricks runs with ``cluster_log_conf`` need none).
    :param eventlog_wait_s: how long to wait (deferred) for a late event log; 0: read it at the next run.
    :param agora_project, agora_instance_types, agora_min_workers, agora_max_workers, agora_tags: as
        for the Agora operators.
    """

    template_fields = ("remote_run_id", "eventlog_uri")
    ui_color = "#d9f0e3"

    def __init__(
        self,
        *,
        source_task_id: str,
        platform: str = "databricks",
        remote_run_id: str | int | None = None,
        eventlog_uri: str | None = None,
        databricks_conn_id: str = "databricks_default",
        aws_conn_id: str | None = "aws_default",
        region_name: str | None = None,
        eventlog_wait_s: float = 900.0,
        eventlog_poll_s: float = 30.0,
        agora_project: str | None = None,
        agora_instance_types: list[str] | tuple[str, ...] = (),
        agora_min_workers: int = 1,
        agora_max_workers: int = 64,
        agora_tags: list[str] | tuple[str, ...] = (),
        trigger_rule: str = "all_done",
        **kwargs,
    ) -> None:
        super().__init__(trigger_rule=trigger_rule, **kwargs)
        if platform not in PLATFORMS:
            raise ValueError(f"platform must be one of {PLATFORMS}, got {platform!r}")
        self.source_task_id = source_task_id
        self.platform = platform
        self.remote_run_id = remote_run_id
        self.eventlog_uri = eventlog_uri
        self.databricks_conn_id = databricks_conn_id
        self.aws_conn_id = aws_conn_id
        self.region_name = region_name
        self.eventlog_wait_s = eventlog_wait_s
        self.eventlog_poll_s = eventlog_poll_s
        self.agora_project = agora_project
        self.agora_allowed = AllowedConfigs(tuple(agora_instance_types), agora_min_workers, agora_max_workers)
        self.agora_tags = tuple(agora_tags)

    @property
    def project_name(self) -> str:
        return self.agora_project or f"{self.dag_id}.{self.source_task_id}"

    def execute(self, context) -> dict | None:
        return advisory(self.log, "recording the run", lambda: self._record(context))

    def execute_complete(self, context, event: dict | None = None) -> dict | None:
        """Back from :class:`EventLogTrigger`: profile the log if it came, then recommend."""
        return advisory(self.log, "reading the late event log", lambda: self._after_log(event or {}))

    # -- steps ---------------------------------------------------------------------------------------------

    def _record(self, context) -> dict | None:
        remote_id = self.remote_run_id or self._source_xcom(context)
        if not remote_id:
            self.log.warning("agora: %s left no %s to record (is its XCom push on?)", self.source_task_id,
                             "run_id" if self.platform == "databricks" else "job flow id")  # fmt: skip
            return None
        finished = self._finished_run(remote_id)
        if finished is None:
            self.log.warning("agora: job flow %s has not finished its steps; nothing recorded", remote_id)
            return None
        if self.eventlog_uri:
            finished = replace(finished, eventlog_uri=self.eventlog_uri)
        store = open_store()
        ensure_projects(store, self.dag_id, [DagTask(self.source_task_id, self.project_name, finished.config,
                                                     allowed=self.agora_allowed, tags=self.agora_tags)])  # fmt: skip
        ti = context["ti"]
        run_key = f"{ti.dag_id}/{ti.run_id}/{self.source_task_id}/{self.platform}-{remote_id}"[:250]
        record, recommendation, notes = record_finished_run(store, self.project_name, run_key, finished)
        self.log.info("agora: recorded %s run of %s on %s: %.0f s, $%.2f", record.status, self.project_name,
                      finished.config.label, finished.runtime_s, record.cost_usd or 0.0)  # fmt: skip
        for note in notes:
            self.log.info("agora: %s", note)
        if record.fingerprint is None and record.eventlog_uri and self.eventlog_wait_s > 0:
            self.log.info("agora: waiting (deferred) up to %.0f s for the event log at %s",
                          self.eventlog_wait_s, record.eventlog_uri)  # fmt: skip
            self.defer(
                trigger=EventLogTrigger(
                    location=record.eventlog_uri,
                    reader=finished.reader,
                    poll_s=self.eventlog_poll_s,
                    timeout_s=self.eventlog_wait_s,
                ),
                method_name="execute_complete",
            )
        return self._answer(recommendation)

    def _after_log(self, event: dict) -> dict | None:
        store = open_store()
        if event.get("status") == "ready":
            runs = pending_runs(store, self.project_name)
            pending = next((r for r in runs if r.eventlog_uri == event.get("location")), None)
            if pending is not None:
                attach_late_log(store, pending)
                self.log.info("agora: event log read; prediction updated")
        else:
            self.log.warning("agora: event log not read (%s); the next run of this step reads it",
                             event.get("message") or event.get("status"))  # fmt: skip
        return self._answer(store.latest_recommendation(self.project_name))

    def _source_xcom(self, context) -> Any:
        ti = context["ti"]
        if self.platform == "databricks":
            return ti.xcom_pull(task_ids=self.source_task_id, key="run_id")
        return ti.xcom_pull(task_ids=self.source_task_id)

    def _finished_run(self, remote_id) -> FinishedRun | None:
        if self.platform == "databricks":
            return DatabricksApi.for_connection(self.databricks_conn_id).finished_run(int(remote_id))
        return EmrApi(self.aws_conn_id, self.region_name).finished_run(str(remote_id), self.eventlog_uri)

    def _answer(self, recommendation: Recommendation | None) -> dict | None:
        """The recommendation as XCom, with the cluster fragment ready to paste into the DAG."""
        if recommendation is None:
            return None
        out = recommendation.to_dict() | cluster_fragment(recommendation.config)
        self.log.info("agora: next run of %s: %s (%s)", self.project_name, recommendation.config.label,
                      recommendation.reason)  # fmt: skip
        return out

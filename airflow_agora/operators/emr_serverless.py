"""The EMR Serverless operator that runs the planned size: a drop-in subclass of
``EmrServerlessStartJobOperator``.

Everything the upstream operator takes still works (starting a stopped application, ``config``,
``configuration_overrides``, ``deferrable``, waiter settings, ``on_kill`` cancelling the job run).
Agora adds, before ``start_job_run``: the assignment applied to the job's ``sparkSubmitParameters``
(executors and their worker shape, driver shape, dynamic allocation off; see
:mod:`platforms.emr_serverless`), Spark event logs written to S3 under a folder of their own per run
(``[agora] emr_eventlog_root``, else ``<s3MonitoringConfiguration.logUri>/agora-eventlogs``) unless
the job sets ``spark.eventLog.dir``, tags naming the project and the Airflow run, and the capacity
lease. After the run: the lease's release and the run's recording from ``get_job_run``.

A job started with ``wait_for_completion=False`` runs as written (no lease, not recorded): it
outlives the task.
"""

from __future__ import annotations

from airflow.providers.amazon.aws.operators.emr import EmrServerlessStartJobOperator
from airflow.providers.amazon.aws.triggers.emr import EmrServerlessStartJobTrigger
from airflow.sdk import get_current_context

from airflow_agora.domain.cluster import ClusterConfig
from airflow_agora.hooks.emr import EmrApi
from airflow_agora.operators.agora_task import AgoraTaskMixin
from airflow_agora.operators.emr import run_eventlog_dir
from airflow_agora.platforms import emr_serverless

JOB_RUN_XCOM_KEY = "agora_job_run_id"


class AgoraEmrServerlessStartJobOperator(AgoraTaskMixin, EmrServerlessStartJobOperator):
    """``EmrServerlessStartJobOperator`` that runs the planned size and feeds the closed loop.
    ``agora_instance_types`` are worker shapes here (:data:`platforms.emr_serverless.SHAPES`);
    ``agora_min_workers`` and ``agora_max_workers`` bound the executors."""

    agora_platform = "emr_serverless"

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
        unknown = set(agora_instance_types) - {s[0] for s in emr_serverless.SHAPES}
        if unknown:
            raise ValueError(f"{sorted(unknown)} are not EMR Serverless worker shapes; "
                             f"use some of {[s[0] for s in emr_serverless.SHAPES]}")  # fmt: skip
        self._agora_init(
            agora_project=agora_project,
            agora_expected_runtime_s=agora_expected_runtime_s,
            agora_instance_types=agora_instance_types,
            agora_min_workers=agora_min_workers,
            agora_max_workers=agora_max_workers,
            agora_tags=agora_tags,
        )

    def execute(self, context, event=None):
        """Also where upstream resumes after waiting (deferred) for the application to start: the
        assignment, lease and request are made again then, as on a first call."""
        return super().execute(context)

    # -- before the run ----------------------------------------------------------------------------------

    def agora_written_config(self) -> ClusterConfig | None:
        if not self.wait_for_completion:
            return None  # the job outlives the task: not this task's to size
        return emr_serverless.written_config(self.job_driver, self.configuration_overrides)

    def agora_prepare(self, context, assignment: dict) -> None:
        if not assignment.get("config"):
            self.log.info("agora: %s; the job runs as written", assignment.get("source"))
            return
        eventlog_dir = self._agora_eventlog_dir(context)
        if eventlog_dir is None:
            self.log.warning("agora: no S3 folder for Spark event logs; set [agora] emr_eventlog_root "
                             "(s3://bucket/prefix) or the job's s3MonitoringConfiguration so runs can be "
                             "profiled")  # fmt: skip
        config = ClusterConfig.from_dict(assignment["config"]) if assignment.get("resize") else None
        self.job_driver = emr_serverless.apply_to_job_driver(self.job_driver, config, eventlog_dir=eventlog_dir)
        self.config = {**self.config, "tags": {**(self.config.get("tags") or {}), **self.agora_run_tags(context)}}

    def _agora_eventlog_dir(self, context) -> str | None:
        monitoring = (self.configuration_overrides or {}).get("monitoringConfiguration") or {}
        log_uri = (monitoring.get("s3MonitoringConfiguration") or {}).get("logUri")
        return run_eventlog_dir(context, self.agora_project_name, log_uri)

    def defer(self, *, trigger, method_name: str, kwargs=None, timeout=None):
        """Defer as upstream does, keeping the job run's id in XCom for :meth:`execute_complete`: the
        upstream trigger's failure event (amazon 9.39.0) does not carry it."""
        if isinstance(trigger, EmrServerlessStartJobTrigger) and self.job_id:
            get_current_context()["ti"].xcom_push(key=JOB_RUN_XCOM_KEY, value=self.job_id)
        super().defer(trigger=trigger, method_name=method_name, kwargs=kwargs, timeout=timeout)

    def execute_complete(self, context, event=None):
        if event is not None and "job_details" not in event:
            job_run_id = context["ti"].xcom_pull(task_ids=self.task_id, key=JOB_RUN_XCOM_KEY)
            event = {**event, "job_details": {"application_id": self.application_id, "job_id": job_run_id}}
        return super().execute_complete(context, event)

    # -- after the run -----------------------------------------------------------------------------------

    def agora_remote_id(self, event: dict | None) -> str | None:
        return ((event or {}).get("job_details") or {}).get("job_id") or self.job_id

    def agora_record(self, context, job_run_id: str) -> None:
        api = EmrApi(self.aws_conn_id, self.region_name)
        own = self._agora_eventlog_dir(context)
        finished = api.finished_serverless_run(self.application_id, job_run_id, own)
        if finished is None:
            self.log.info("agora: job run %s has not ended; Agora records job runs once they have", job_run_id)
            return
        self.agora_intake(context, finished)

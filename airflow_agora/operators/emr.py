"""The EMR operator that runs the planned cluster: a drop-in subclass of ``EmrCreateJobFlowOperator``
for transient job flows (a cluster created for its steps, terminated when they are done, the EMR
form of a Databricks job cluster).

Everything the upstream operator takes still works (``emr_conn_id`` base configuration,
``job_flow_overrides`` as a dict, a literal or a ``.json`` template, ``deferrable``, waiter settings).
Agora adds, before ``run_job_flow``: the assignment applied to the instance groups (workers, node
types, spot as a TASK group) or instance fleets (each fleet offers the planned type: see
:mod:`platforms.emr_fleets`), Spark event logs written to S3 under a folder of their own per run
(``[agora] emr_eventlog_root``, else ``<LogUri>/agora-eventlogs``) unless the job flow sets its own
``spark.eventLog.dir``, tags naming the project and the Airflow run, the capacity lease, and waiting
until the steps are done (``WaitPolicy.WAIT_FOR_STEPS_COMPLETION``). After the run: the lease's
release and the run's recording from ``describe_cluster``, ``list_instance_groups`` (or
``list_instance_fleets`` and ``list_instances``) and ``list_steps``.

Not sized (run exactly as written, no lease, not recorded): job flows kept alive after their steps
(``KeepJobFlowAliveWhenNoSteps``), whose cluster outlives the task.
"""

from __future__ import annotations

import ast
import re

from airflow.exceptions import AirflowNotFoundException
from airflow.providers.amazon.aws.operators.emr import EmrCreateJobFlowOperator
from airflow.providers.amazon.aws.triggers.emr import EmrCreateJobFlowTrigger
from airflow.providers.amazon.aws.utils.waiter import WaitPolicy

from airflow_agora.domain.cluster import ClusterConfig
from airflow_agora.hooks.emr import EmrApi
from airflow_agora.operators.agora_task import AgoraTaskMixin
from airflow_agora.operators.settings import AgoraSettings
from airflow_agora.platforms import emr
from airflow_agora.triggers.emr import EmrJobFlowTrigger

EVENTLOG_FOLDER_UNDER_LOG_URI = "agora-eventlogs"


def run_eventlog_dir(context, project: str, log_uri: str | None) -> str | None:
    """A run's own event-log folder, ``<root>/<project>/<run id>-try<n>``: the root is ``[agora]
    emr_eventlog_root``, else ``<log_uri>/agora-eventlogs`` (the job's S3 log folder)."""
    root = AgoraSettings.load().emr_eventlog_root
    if not root and log_uri and log_uri.startswith(("s3://", "s3a://")):
        root = f"{log_uri.rstrip('/')}/{EVENTLOG_FOLDER_UNDER_LOG_URI}"
    if not root:
        return None
    ti = context["ti"]
    run = re.sub(r"[^A-Za-z0-9._-]+", "_", str(ti.run_id))
    return f"{root.rstrip('/')}/{project}/{run}-try{ti.try_number}"


class AgoraEmrCreateJobFlowOperator(AgoraTaskMixin, EmrCreateJobFlowOperator):
    """``EmrCreateJobFlowOperator`` that runs the planned cluster and feeds the closed loop; the task
    ends when the job flow's steps are done. Agora arguments as for the Databricks operators."""

    agora_platform = "emr"

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

    # -- before the run ----------------------------------------------------------------------------------

    def _agora_job_flow(self) -> dict:
        """The ``run_job_flow`` request as the hook builds it: the EMR connection's extra, overridden
        by ``job_flow_overrides``."""
        overrides = self.job_flow_overrides
        if isinstance(overrides, str):
            overrides = ast.literal_eval(overrides)
        base: dict = {}
        if self.emr_conn_id:
            try:
                base = dict(self.hook.get_connection(self.emr_conn_id).extra_dejson)
            except AirflowNotFoundException:
                base = {}
        return {**base, **(overrides or {})}

    def agora_written_config(self) -> ClusterConfig | None:
        job_flow = self._agora_job_flow()
        if (job_flow.get("Instances") or {}).get("KeepJobFlowAliveWhenNoSteps"):
            return None  # a long-lived cluster: not this task's to size
        return emr.written_config(job_flow)

    def agora_prepare(self, context, assignment: dict) -> None:
        if not assignment.get("config"):
            self.log.info("agora: %s; the job flow runs as written", assignment.get("source"))
            return
        job_flow = self._agora_job_flow()
        eventlog_dir = self._agora_eventlog_dir(context, job_flow)
        if eventlog_dir is None:
            self.log.warning("agora: no S3 folder for Spark event logs; set [agora] emr_eventlog_root "
                             "(s3://bucket/prefix) or the job flow's LogUri so runs can be profiled")  # fmt: skip
        config = ClusterConfig.from_dict(assignment["config"]) if assignment.get("resize") else None
        self.job_flow_overrides = emr.apply_to_job_flow(
            job_flow, config, eventlog_dir=eventlog_dir, tags=self.agora_run_tags(context)
        )
        if self.wait_policy != WaitPolicy.WAIT_FOR_STEPS_COMPLETION:
            self.log.info("agora: waiting for the job flow's steps (the run Agora sizes and records)")
            self.wait_policy, self.wait_for_completion = WaitPolicy.WAIT_FOR_STEPS_COMPLETION, True

    def defer(self, *, trigger, method_name: str, kwargs=None, timeout=None):
        """Defer as upstream does, with the trigger that keeps its waiter (see :mod:`triggers.emr`)."""
        if type(trigger) is EmrCreateJobFlowTrigger:
            trigger = EmrJobFlowTrigger.replacing(trigger)
        super().defer(trigger=trigger, method_name=method_name, kwargs=kwargs, timeout=timeout)

    def _agora_eventlog_dir(self, context, job_flow: dict) -> str | None:
        return run_eventlog_dir(context, self.agora_project_name, job_flow.get("LogUri"))

    # -- after the run -----------------------------------------------------------------------------------

    def agora_remote_id(self, event: dict | None) -> str | None:
        return (event or {}).get("job_flow_id") or getattr(self, "_job_flow_id", None)

    def agora_record(self, context, job_flow_id: str) -> None:
        api = EmrApi(self.aws_conn_id, self.region_name)
        own = self._agora_eventlog_dir(context, self._agora_job_flow())
        finished = api.finished_run(job_flow_id, own)
        if finished is None:
            self.log.info("agora: job flow %s has not finished its steps; Agora records job flows once they are",
                          job_flow_id)  # fmt: skip
            return
        if finished.eventlog_uri is None and own is not None:
            self.log.info("agora: the job flow writes event logs to a folder of its own; recorded unprofiled")
        self.agora_intake(context, finished)

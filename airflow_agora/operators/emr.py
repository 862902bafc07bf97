"""The EMR operator that runs the planned cluster: a drop-in subclass of ``EmrCreateJobFlowOperator``
for transient job flows (a cluster created for its steps, terminated when they are done, the EMR
form of a Databricks job cluster).

Everything the upstream operator takes still works (``emr_conn_id`` base configuration,
``job_flow_overrides`` as a dict, a literal or a ``.json`` template, ``deferrable``, waiter settings).
Agora adds, before ``run_job_flow``: the assignment applied to the instance groups (workers, node
types, spot as a TASK group), Spark event logs written to S3 under a folder of their own per run
(``[agora] emr_eventlog_root``, else ``<LogUri>/agora-eventlogs``) unless the job flow sets its own
``spark.eventLog.dir``, tags naming the project and the Airflow run, the capacity lease, and waiting
until the steps are done (``WaitPolicy.WAIT_FOR_STEPS_COMPLETION``). After the run: the lease's
release and the run's recording from ``describe_cluster``, ``list_instance_groups`` and ``list_steps``.

Not sized (run exactly as written, no lease, not recorded): instance fleets and job flows kept alive
after their steps (``KeepJobFlowAliveWhenNoSteps``), whose cluster outlives the task.
"""

from __future__ import annotations

import ast
import re

from airflow.exceptions import AirflowNotFoundException
from airflow.providers.amazon.aws.hooks.base_aws import AwsBaseHook
from airflow.providers.amazon.aws.operators.emr import EmrCreateJobFlowOperator
from airflow.providers.amazon.aws.triggers.emr import EmrCreateJobFlowTrigger
from airflow.providers.amazon.aws.utils.waiter import WaitPolicy

from airflow_agora.domain.cluster import ClusterConfig
from airflow_agora.operators.agora_task import AgoraTaskMixin
from airflow_agora.operators.settings import AgoraSettings
from airflow_agora.platforms import emr
from airflow_agora.prediction.eventlog.errors import EventLogError
from airflow_agora.prediction.profile import ApplicationProfile, build_profile
from airflow_agora.triggers.emr import EmrJobFlowTrigger

EVENTLOG_FOLDER_UNDER_LOG_URI = "agora-eventlogs"


class EmrApi:
    """The one place Agora calls EMR and S3 beyond the upstream operator, through the task's AWS
    connection (so its credentials, region, endpoint and retries apply)."""

    def __init__(self, aws_conn_id: str | None, region_name: str | None = None) -> None:
        self.aws_conn_id = aws_conn_id
        self.region_name = region_name

    def _client(self, service: str):
        return AwsBaseHook(aws_conn_id=self.aws_conn_id, client_type=service, region_name=self.region_name).conn

    def job_flow(self, job_flow_id: str) -> tuple[dict, list[dict], list[dict]]:
        """(``describe_cluster``, its instance groups, its steps)."""
        client = self._client("emr")
        cluster = client.describe_cluster(ClusterId=job_flow_id)["Cluster"]
        groups = client.list_instance_groups(ClusterId=job_flow_id).get("InstanceGroups", [])
        steps = [
            s for page in client.get_paginator("list_steps").paginate(ClusterId=job_flow_id) for s in page["Steps"]
        ]
        return cluster, groups, steps

    def read_profile(self, folder: str) -> ApplicationProfile:
        """Profile the run's Spark application: the largest finished log in its event-log folder (a
        job flow of several Spark steps writes one log per step; the longest stands for the run)."""
        s3 = self._client("s3")
        bucket, _, prefix = folder.removeprefix("s3://").removeprefix("s3a://").partition("/")
        prefix = prefix.strip("/") + "/"
        logs = [
            o
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
            for o in page.get("Contents", [])
            if not o["Key"].endswith(".inprogress")
        ]
        if not logs:
            raise EventLogError("no finished Spark event log in the run's folder yet", where=folder)
        largest = max(logs, key=lambda o: o["Size"])
        return build_profile(f"s3://{bucket}/{largest['Key']}", s3_client=s3)


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
        eventlog_dir = self._agora_eventlog_dir(context, job_flow.get("LogUri"))
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

    def _agora_eventlog_dir(self, context, log_uri: str | None) -> str | None:
        """The run's own event-log folder: ``<root>/<project>/<run id>-try<n>``."""
        root = AgoraSettings.load().emr_eventlog_root
        if not root and log_uri and log_uri.startswith(("s3://", "s3a://")):
            root = f"{log_uri.rstrip('/')}/{EVENTLOG_FOLDER_UNDER_LOG_URI}"
        if not root:
            return None
        ti = context["ti"]
        run = re.sub(r"[^A-Za-z0-9._-]+", "_", str(ti.run_id))
        return f"{root.rstrip('/')}/{self.agora_project_name}/{run}-try{ti.try_number}"

    # -- after the run -----------------------------------------------------------------------------------

    def agora_remote_id(self, event: dict | None) -> str | None:
        return (event or {}).get("job_flow_id") or getattr(self, "_job_flow_id", None)

    def agora_log_reader(self, run):
        return EmrApi(run.profile_summary.get("aws_conn_id", self.aws_conn_id), self.region_name).read_profile

    def agora_record(self, context, job_flow_id: str) -> None:
        api = EmrApi(self.aws_conn_id, self.region_name)
        cluster, groups, steps = api.job_flow(job_flow_id)
        if not cluster["Status"]["State"].startswith("TERMINATED"):
            self.log.info("agora: job flow %s is %s; Agora records job flows once their steps are done",
                          job_flow_id, cluster["Status"]["State"])  # fmt: skip
            return
        succeeded, message, runtime_s, started_at, ended_at = emr.run_outcome(cluster, steps)
        configured = emr.eventlog_dir_of(cluster.get("Configurations") or [])
        own = self._agora_eventlog_dir(context, cluster.get("LogUri"))
        if configured and configured != own:
            self.log.info("agora: the job flow writes event logs to its own %s; the run is recorded unprofiled",
                          configured)  # fmt: skip
        self.agora_intake(
            context,
            config=emr.config_from_instance_groups(groups),
            runtime_s=runtime_s,
            succeeded=succeeded,
            message=message,
            started_at=started_at,
            ended_at=ended_at,
            eventlog_uri=own if configured == own else None,
            read_profile=api.read_profile,
            pending_marker={"reader": "emr", "aws_conn_id": self.aws_conn_id},
        )

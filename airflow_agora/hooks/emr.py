"""EMR: a finished job flow (cluster, instance groups or fleets, steps) or EMR Serverless job run, and its
event log in S3, through the task's AWS connection."""

from __future__ import annotations

from airflow.providers.amazon.aws.hooks.base_aws import AwsBaseHook

from airflow_agora.domain.cluster import ClusterConfig
from airflow_agora.hooks import FinishedRun
from airflow_agora.platforms import emr, emr_serverless
from airflow_agora.prediction.eventlog.errors import EventLogError
from airflow_agora.prediction.profile import ApplicationProfile, build_profile


class EmrApi:
    """The one place Agora calls EMR and S3 beyond the upstream operator, through the task's AWS
    connection (so its credentials, region, endpoint and retries apply)."""

    def __init__(self, aws_conn_id: str | None, region_name: str | None = None) -> None:
        self.aws_conn_id = aws_conn_id
        self.region_name = region_name

    def _client(self, service: str):
        return AwsBaseHook(aws_conn_id=self.aws_conn_id, client_type=service, region_name=self.region_name).conn

    def job_flow(self, job_flow_id: str) -> tuple[dict, dict, list[dict]]:
        """(``describe_cluster``, its nodes, its steps): the nodes are ``{"InstanceGroups": [...]}``,
        or for a cluster of instance fleets ``{"InstanceFleets": [...], "Instances": [...]}`` (the
        instances say which of a fleet's types EMR launched, and in which market)."""
        client = self._client("emr")
        cluster = client.describe_cluster(ClusterId=job_flow_id)["Cluster"]

        def every(call: str, key: str) -> list[dict]:
            return [x for page in client.get_paginator(call).paginate(ClusterId=job_flow_id) for x in page[key]]

        if cluster.get("InstanceCollectionType") == "INSTANCE_FLEET":
            nodes = {"InstanceFleets": every("list_instance_fleets", "InstanceFleets"),
                     "Instances": every("list_instances", "Instances")}  # fmt: skip
        else:
            nodes = {"InstanceGroups": every("list_instance_groups", "InstanceGroups")}
        return cluster, nodes, every("list_steps", "Steps")

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

    def finished_run(self, job_flow_id: str, own_eventlog_dir: str | None) -> FinishedRun | None:
        """The job flow once its steps are done (None while it runs). Its event log is read only from
        ``own_eventlog_dir``, the run's own folder: a folder shared by runs cannot say which is whose."""
        cluster, nodes, steps = self.job_flow(job_flow_id)
        if not cluster["Status"]["State"].startswith("TERMINATED"):
            return None
        return self._finished(
            emr.run_outcome(cluster, steps),
            emr.config_from_nodes(nodes),
            emr.cluster_report(cluster, nodes, steps),
            configured_eventlog_dir=emr.eventlog_dir_of(cluster.get("Configurations") or []),
            own_eventlog_dir=own_eventlog_dir,
        )

    def finished_serverless_run(self, application_id: str, job_run_id: str,
                                own_eventlog_dir: str | None) -> FinishedRun | None:  # fmt: skip
        """An EMR Serverless job run once it has ended (None while it runs); its event log is read only
        from ``own_eventlog_dir``, as for job flows."""
        job_run = self._client("emr-serverless").get_job_run(applicationId=application_id, jobRunId=job_run_id)
        job_run = job_run["jobRun"]
        if job_run["state"] not in emr_serverless.TERMINAL_STATES:
            return None
        report = emr_serverless.cluster_report(job_run)
        configured = emr_serverless.eventlog_dir_of(
            job_run.get("jobDriver") or {}, job_run.get("configurationOverrides")
        )
        return self._finished(
            emr_serverless.run_outcome(job_run),
            ClusterConfig.from_dict(report["configuration"]),
            report,
            configured_eventlog_dir=configured,
            own_eventlog_dir=own_eventlog_dir,
        )

    def _finished(self, outcome: tuple, config: ClusterConfig, report: dict, *, configured_eventlog_dir: str | None,
                  own_eventlog_dir: str | None) -> FinishedRun:  # fmt: skip
        """A run from its outcome ``(succeeded, message, runtime_s, started_at, ended_at)``; its event
        log only when the run wrote to ``own_eventlog_dir``."""
        succeeded, message, runtime_s, started_at, ended_at = outcome
        own = configured_eventlog_dir if configured_eventlog_dir == own_eventlog_dir else None
        return FinishedRun(
            config=config,
            runtime_s=runtime_s,
            succeeded=succeeded,
            message=message,
            started_at=started_at,
            ended_at=ended_at,
            eventlog_uri=own,
            reader={"reader": "emr", "aws_conn_id": self.aws_conn_id, "region_name": self.region_name},
            cluster_report=report,
        )

"""EMR and S3 on loopback: moto's server (the real AWS protocol, so boto3 and the Amazon provider's
hooks and operators talk to it as to AWS) with job flows that run their steps.

moto alone keeps a job flow's first step ``RUNNING`` forever. Here a driver thread moves every job
flow through its life on a virtual clock (``speedup`` times the wall clock): ``STARTING`` for
``startup_s``, then each step ``RUNNING`` for the time :mod:`workloads` gives for the cluster's
instance groups, then ``COMPLETED`` (or ``FAILED``, with the Spark error as its reason), with the
step's Spark event log put under the job flow's ``spark.eventLog.dir`` in S3. When the steps are done
the job flow terminates (``TERMINATED``, or ``TERMINATED_WITH_ERRORS`` after a failed step whose
``ActionOnFailure`` stops the cluster) unless it is kept alive. A job flow terminated through the
API (``terminate_job_flows``) has its unfinished steps cancelled. Job flows of instance groups and of
instance fleets both run (moto learns fleets from :mod:`sandbox.emr_fleets`).

Which workload a step runs: the stem of the first argument naming a known workload (the script in
``spark-submit ... s3://code/index_analysis.py``); its ``--input-scale``, ``--code-version`` and
``--fail`` arguments act as in the Databricks sandbox.

EMR Serverless job runs (moto ends them ``SUCCESS`` at once) get a life too: ``SCHEDULED`` for
``serverless_startup_s``, ``RUNNING`` for the time the workload model gives for their executors'
worker shape and count (from ``sparkSubmitParameters``; the entry point names the workload), then
``SUCCESS`` or ``FAILED`` with the execution time and resource use filled in, and the event log put
under the job's ``spark.eventLog.dir``. ``cancel_job_run`` stops them.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from airflow_agora.domain.cluster import ClusterConfig
from airflow_agora.platforms import emr, emr_serverless
from airflow_agora.prediction.catalogue import Catalogue
from airflow_agora.sandbox.emr_fleets import serve_instance_fleets
from airflow_agora.sandbox.spark_log import LoggedCluster, LoggedRun, eventlog_text
from airflow_agora.sandbox.virtual_clock import VirtualClock
from airflow_agora.sandbox.workloads import (
    DEFAULT_WORKLOAD,
    INPUT_BYTES_AT_SCALE_1,
    JobTiming,
    WorkloadModel,
    job_args,
    job_timing,
)

ACCESS_KEY, SECRET_KEY = "sandbox-access-key", "sandbox-secret-key"
STOPPING_ACTIONS = ("TERMINATE_CLUSTER", "TERMINATE_JOB_FLOW", "CANCEL_AND_WAIT")
TICK_S = 0.05


@dataclass
class StepRun:
    """One step's virtual timeline (ms) and what it runs."""

    step_id: str
    name: str
    timing: JobTiming
    start_ms: int
    end_ms: int
    stops_cluster_on_failure: bool
    state: str = "PENDING"


@dataclass
class JobFlowRun:
    """A job flow as the sandbox runs it: for tests and the demo."""

    cluster_id: str
    config: ClusterConfig  # of its instance groups
    created_ms: int
    ready_ms: int
    steps: list[StepRun] = field(default_factory=list)
    ended_ms: int | None = None
    terminated_by_user: bool = False
    eventlogs: list[str] = field(default_factory=list)  # s3:// locations written


@dataclass
class ServerlessRun:
    """An EMR Serverless job run as the sandbox runs it: for tests and the demo."""

    job_run_id: str
    config: ClusterConfig  # executors of a worker shape
    timing: JobTiming
    created_ms: int
    start_ms: int
    end_ms: int
    state: str = "SCHEDULED"
    eventlogs: list[str] = field(default_factory=list)


class EmrSandbox:
    """``with EmrSandbox() as aws:``; ``aws.url`` is the endpoint, ``aws.airflow_connection()`` the
    Airflow ``aws`` connection (JSON) that reaches it, ``aws.client("s3")`` a boto3 client."""

    def __init__(
        self,
        *,
        workloads: WorkloadModel | None = None,
        catalogue: Catalogue | None = None,
        speedup: float = 100.0,
        startup_s: float = 300.0,
        serverless_startup_s: float = 60.0,
        region: str = "us-east-1",
    ) -> None:
        self.workloads = workloads or WorkloadModel.load()
        self.catalogue = catalogue or Catalogue.packaged()
        self.clock = VirtualClock(speedup)
        self.startup_s = startup_s
        self.serverless_startup_s = serverless_startup_s
        self.region = region
        self.flows: dict[str, JobFlowRun] = {}
        self.serverless: dict[str, ServerlessRun] = {}
        self._server = None
        self._stop = threading.Event()
        self._driver: threading.Thread | None = None
        self._earlier: set[str] = set()

    # -- lifecycle -------------------------------------------------------------------------------------

    def start(self) -> EmrSandbox:
        import moto.emrserverless.models
        from moto.server import ThreadedMotoServer

        moto.emrserverless.models.JOB_STATUS = "SUBMITTED"  # moto's job runs start ended; ours start submitted
        serve_instance_fleets()

        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's request log
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self._server.start()
        self._stop.clear()
        # moto keeps one backend per process: job flows of an earlier sandbox are not this one's
        self._earlier = set(self._backend().clusters)
        self._driver = threading.Thread(target=self._drive, name="emr-sandbox", daemon=True)
        self._driver.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._driver is not None:
            self._driver.join(timeout=5)
        if self._server is not None:
            self._server.stop()
            self._server = None

    def __enter__(self) -> EmrSandbox:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server is not None, "start the sandbox first"
        host, port = self._server.get_host_and_port()
        return f"http://{host}:{port}"

    def airflow_connection(self) -> str:
        """The JSON form of an Airflow ``aws`` connection to this endpoint (``AIRFLOW_CONN_AWS_DEFAULT``)."""
        return json.dumps({"conn_type": "aws", "login": ACCESS_KEY, "password": SECRET_KEY,
                           "extra": {"endpoint_url": self.url, "region_name": self.region}})  # fmt: skip

    def client(self, service: str):
        import boto3

        return boto3.client(service, endpoint_url=self.url, region_name=self.region,
                            aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY)  # fmt: skip

    def now_ms(self) -> int:
        return self.clock.now_ms()

    # -- the driver ------------------------------------------------------------------------------------

    def _backend(self):
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.emr.models import emr_backends

        return emr_backends[DEFAULT_ACCOUNT_ID][self.region]

    def _serverless_backend(self):
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.emrserverless.models import emrserverless_backends

        return emrserverless_backends[DEFAULT_ACCOUNT_ID][self.region]

    def _drive(self) -> None:
        while not self._stop.wait(TICK_S):
            for cluster_id, cluster in list(self._backend().clusters.items()):
                if cluster_id in self._earlier:
                    continue
                try:
                    self._advance(cluster_id, cluster, self.now_ms())
                except Exception:  # a driver that dies would freeze every job flow
                    logging.getLogger(__name__).exception("EMR sandbox: job flow %s", cluster_id)
            for job_runs in list(self._serverless_backend().job_runs.values()):
                for job_run in list(job_runs):
                    try:
                        self._advance_serverless(job_run, self.now_ms())
                    except Exception:
                        logging.getLogger(__name__).exception("EMR sandbox: job run %s", job_run.id)

    def _advance_serverless(self, job_run, now: int) -> None:
        run = self.serverless.get(job_run.id)
        if run is None:
            if job_run.state != "SUBMITTED":
                return  # ended before this sandbox saw it (moto's backends outlive a sandbox)
            driver, overrides = job_run.job_driver or {}, job_run.configuration_overrides
            config = emr_serverless.written_config(driver, overrides)
            submit = driver.get("sparkSubmit") or {}
            args = [str(submit.get("entryPoint", "")), *map(str, submit.get("entryPointArguments") or [])]
            timing = job_timing(self.workloads, self._workload_of(args), config.instance_type, config.num_workers,
                                self.catalogue.get(config.instance_type).vcpus, job_args(args))  # fmt: skip
            start = now + int(self.serverless_startup_s * 1000)
            run = ServerlessRun(job_run.id, config, timing, now, start, start + int(timing.runtime_s * 1000))
            self.serverless[job_run.id] = run
            job_run.created_at = VirtualClock.as_datetime(now)
        if run.state in emr_serverless.TERMINAL_STATES:
            return
        job_run.updated_at = VirtualClock.as_datetime(now)
        if job_run.state in ("CANCELLING", "CANCELLED"):
            run.state = job_run.state = "CANCELLED"  # cancel_job_run
            job_run.ended_at = VirtualClock.as_datetime(now)
            return
        if now < run.start_ms:
            run.state = job_run.state = "SCHEDULED"
            return
        job_run.started_at = VirtualClock.as_datetime(run.start_ms)
        job_run.queued_duration_milliseconds = run.start_ms - run.created_ms
        if now < run.end_ms:
            run.state = job_run.state = "RUNNING"
            return
        self._put_serverless_log(job_run, run)  # before the run ends: its log is there once it has
        job_run.state_details = run.timing.failure or "Job run completed successfully."
        job_run.ended_at = VirtualClock.as_datetime(run.end_ms)
        job_run.total_execution_duration_seconds = round(run.timing.runtime_s)
        shape = self.catalogue.get(run.config.instance_type)
        driver = self.catalogue.get(run.config.driver_instance_type or run.config.instance_type)
        hours = run.timing.runtime_s / 3600
        use = {"vCPUHour": round((driver.vcpus + run.config.num_workers * shape.vcpus) * hours, 3),
               "memoryGBHour": round((driver.memory_gib + run.config.num_workers * shape.memory_gib) * hours, 3),
               "storageGBHour": 0.0}  # fmt: skip
        job_run.total_resource_utilization = job_run.billed_resource_utilization = use
        run.state = job_run.state = "FAILED" if run.timing.failure else "SUCCESS"

    def _put_serverless_log(self, job_run, run: ServerlessRun) -> None:
        props = emr_serverless.submit_properties(job_run.job_driver or {}, job_run.configuration_overrides)
        directory = props.get("spark.eventLog.dir")
        if directory and props.get("spark.eventLog.enabled", "false").lower() == "true":
            app_id = f"spark-application-{run.created_ms}"
            location = self._put_log(directory, app_id, self._logged_cluster(job_run.id, run.config), run.timing,
                                     run.start_ms)  # fmt: skip
            if location:
                run.eventlogs.append(location)

    def _advance(self, cluster_id: str, cluster, now: int) -> None:
        flow = self.flows.get(cluster_id)
        if flow is None:
            if not cluster.instance_groups and not hasattr(cluster, "agora_fleets"):
                return  # run_job_flow is still adding the cluster's nodes
            if cluster.state in ("TERMINATED", "TERMINATED_WITH_ERRORS") and not cluster.steps:
                return  # ended before the driver saw it, with nothing to run
            flow = JobFlowRun(cluster_id, self._config_of(cluster), now, now + int(self.startup_s * 1000))
            self.flows[cluster_id] = flow
            cluster.creation_datetime = VirtualClock.as_datetime(now)
            cluster.start_datetime = cluster.creation_datetime
        if flow.ended_ms is not None:
            return
        self._schedule_new_steps(flow, cluster)
        if cluster.state in ("TERMINATING", "TERMINATED") and not flow.terminated_by_user:
            self._cancel(flow, cluster, now)  # terminate_job_flows, even before the driver first saw the flow
            return
        if now < flow.ready_ms:
            cluster.state = "STARTING"
            return
        cluster.ready_datetime = VirtualClock.as_datetime(flow.ready_ms)
        stopped = False
        for run, step in zip(flow.steps, cluster.steps, strict=False):
            if stopped:
                run.state = step.state = "CANCELLED"
                continue
            if now < run.start_ms:
                step.state = run.state = "PENDING"
                continue
            step.start_date_time = VirtualClock.as_datetime(run.start_ms)
            if now < run.end_ms:
                step.state = run.state = "RUNNING"
                continue
            if run.state not in ("COMPLETED", "FAILED"):
                self._finish_step(flow, run, step)
            stopped = run.state == "FAILED" and run.stops_cluster_on_failure
        active = any(r.state in ("PENDING", "RUNNING") for r in flow.steps)
        if active:
            cluster.state = "RUNNING"
        elif stopped or not cluster.keep_job_flow_alive_when_no_steps:
            self._end(flow, cluster, now, "TERMINATED_WITH_ERRORS" if stopped else "TERMINATED",
                      "Shut down as step failed" if stopped else "Steps completed")  # fmt: skip
        else:
            cluster.state = "WAITING"

    @staticmethod
    def _config_of(cluster) -> ClusterConfig:
        """The cluster a job flow was given: its instance fleets' instances, or its instance groups."""
        if hasattr(cluster, "agora_fleets"):
            return emr.config_from_nodes({"InstanceFleets": cluster.agora_fleets, "Instances": cluster.agora_instances})
        groups = [{"InstanceRole": g.role, "InstanceType": g.instance_type, "InstanceCount": g.num_instances,
                   "Market": g.market} for g in cluster.instance_groups]  # fmt: skip
        return emr.config_from_instance_groups(groups)

    def _schedule_new_steps(self, flow: JobFlowRun, cluster) -> None:
        """Give steps the driver has not seen yet (at creation or added later) their timeline."""
        config = flow.config
        node = self.catalogue.get(config.instance_type)
        for step in cluster.steps[len(flow.steps) :]:
            args = [str(a) for a in step.args]
            timing = job_timing(self.workloads, self._workload_of(args), config.instance_type,
                                config.num_workers, node.vcpus, job_args(args))  # fmt: skip
            start = max([flow.ready_ms, self.now_ms(), *(r.end_ms for r in flow.steps)])
            flow.steps.append(StepRun(step.id, step.name, timing, start, start + int(timing.runtime_s * 1000),
                                      step.action_on_failure in STOPPING_ACTIONS))  # fmt: skip

    def _workload_of(self, args: list[str]) -> str:
        for arg in args:
            stem = PurePosixPath(arg).stem
            if self.workloads.knows(stem):
                return stem
        return DEFAULT_WORKLOAD

    def _finish_step(self, flow: JobFlowRun, run: StepRun, step) -> None:
        run.state = step.state = "FAILED" if run.timing.failure else "COMPLETED"
        step.end_date_time = VirtualClock.as_datetime(run.end_ms)
        if run.timing.failure:
            step.last_state_change_reason = run.timing.failure
        self._put_eventlog(flow, run, step)

    def _put_eventlog(self, flow: JobFlowRun, run: StepRun, step) -> None:
        """The step's Spark application log, as Spark names it (the YARN application id), under the
        job flow's ``spark.eventLog.dir`` when event logs are enabled and the directory is in S3."""
        described = self.client("emr").describe_cluster(ClusterId=flow.cluster_id)["Cluster"]
        configurations = described.get("Configurations") or []
        defaults = next(
            (c.get("Properties") or {} for c in configurations if c["Classification"] == "spark-defaults"), {}
        )
        directory = emr.eventlog_dir_of(configurations)
        if not directory or defaults.get("spark.eventLog.enabled", "false").lower() != "true":
            return
        app_id = f"application_{flow.created_ms // 1000}_{len(flow.eventlogs) + 1:04d}"
        location = self._put_log(directory, app_id, self._logged_cluster(flow.cluster_id, flow.config), run.timing,
                                 run.start_ms)  # fmt: skip
        if location:
            flow.eventlogs.append(location)

    def _logged_cluster(self, cluster_id: str, config: ClusterConfig) -> LoggedCluster:
        node = self.catalogue.get(config.instance_type)
        return LoggedCluster(
            cluster_id=cluster_id,
            node_type=config.instance_type,
            driver_node_type=config.driver_instance_type or config.instance_type,
            workers=config.num_workers,
            cores_per_worker=node.vcpus,
            memory_bytes_per_worker=int(node.memory_gib * (1 << 30)),
            platform="emr",
        )

    def _put_log(self, directory: str, app_id: str, cluster: LoggedCluster, timing: JobTiming,
                 start_ms: int) -> str | None:  # fmt: skip
        """Put a Spark application's log, named ``app_id``, in the S3 folder ``directory``; its
        location, or None when the folder is not in S3."""
        if not directory.startswith(("s3://", "s3a://")):
            return None
        bucket, _, prefix = directory.split("://", 1)[1].partition("/")
        key = f"{prefix}/{app_id}".lstrip("/")
        text = eventlog_text(
            cluster,
            LoggedRun(
                app_name=timing.workload,
                start_ms=start_ms,
                serial_s=timing.serial_s,
                parallel_s=timing.parallel_s,
                input_bytes=int(INPUT_BYTES_AT_SCALE_1 * timing.input_scale),
                stage_plan=timing.code_version if timing.code_version in ("v1", "v2") else "v1",
                failure=timing.failure,
            ),
        )
        s3 = self.client("s3")
        existing = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
        if bucket not in existing:
            s3.create_bucket(Bucket=bucket)
        s3.put_object(Bucket=bucket, Key=key, Body=text.encode())
        return f"s3://{bucket}/{key}"

    def _end(self, flow: JobFlowRun, cluster, now: int, state: str, reason: str) -> None:
        flow.ended_ms = now
        cluster.state = state
        cluster.last_state_change_reason = reason
        cluster.end_datetime = VirtualClock.as_datetime(now)

    def _cancel(self, flow: JobFlowRun, cluster, now: int) -> None:
        flow.terminated_by_user = True
        for run, step in zip(flow.steps, cluster.steps, strict=False):
            if run.state in ("PENDING", "RUNNING"):
                run.state = step.state = "CANCELLED"
        self._end(flow, cluster, now, "TERMINATED", "Terminated by user request")

"""A Databricks workspace on loopback: the REST subset the upstream provider's hook uses.

Served (API versions 2.0, 2.1 and 2.2 alike): ``jobs/runs/submit``, ``jobs/create|get|list|update``,
``jobs/run-now``, ``jobs/runs/get``, ``jobs/runs/get-output``, ``jobs/runs/cancel``,
``clusters/get``, ``clusters/events`` and DBFS ``get-status|list|read``. Every request needs the
workspace's bearer token (401 without it), as a real workspace does.

A run's tasks each get a job cluster from their ``new_cluster`` (or ``job_cluster_key``). The cluster
starts for ``startup_s``, then the task runs for the time :mod:`workloads` gives for that cluster,
then the cluster writes its Spark event log to the ``cluster_log_conf`` destination (``dbfs:/`` maps
to the sandbox's DBFS folder) ``log_delay_s`` later, as Databricks delivers logs late. Time is
virtual and runs ``speedup`` times faster than the wall clock, so an 800 s job takes 8 s at 100x;
every timestamp the API returns is virtual.

Which workload a task runs: when ``spark_python_task.python_file`` is a script that exists here (a
``dbfs:/`` path in the sandbox's DBFS, or a ``file:`` path) and pyspark and Java are installed, the
script itself, run by :mod:`real_spark` for as long as it takes, and its own event log is delivered.
Otherwise a modelled workload: the stem of ``python_file`` (or the notebook's name, the jar's main
class, else the task key). The task's parameters drive the model as a real job's
arguments would: ``--input-scale X`` (data grown X-fold), ``--code-version v2`` (a changed stage
structure), ``--fail out_of_memory`` (the job dies with an OutOfMemoryError), ``--fail nodes_lost``
(a quarter of the workers are lost late in the run, as spot reclaims leave them: the cluster events
say so, Spark only reports a shuffle fetch failure).
"""

from __future__ import annotations

import base64
import copy
import itertools
import json
import os
import shutil
import threading
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path, PurePosixPath
from urllib.parse import parse_qs, urlsplit

from airflow_agora.prediction.catalogue import Catalogue
from airflow_agora.sandbox import real_spark
from airflow_agora.sandbox.spark_log import (
    LoggedCluster,
    LoggedRun,
    databricks_usage_tags,
    eventlog_path,
    write_eventlog,
)
from airflow_agora.sandbox.virtual_clock import VirtualClock
from airflow_agora.sandbox.workloads import INPUT_BYTES_AT_SCALE_1, WorkloadModel, job_args, job_timing

DBFS_READ_MAX = 1 << 20
NOT_YET_MS = 1 << 62  # the end of a real script that is still running


class ApiError(Exception):
    def __init__(self, status: HTTPStatus, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@dataclass
class TaskRun:
    """One task of a run on its own job cluster; times are virtual ms."""

    run_id: int
    task_run_id: int
    task_key: str
    workload: str
    cluster_id: str
    cluster: dict
    queued_ms: int
    start_ms: int
    end_ms: int
    serial_s: float
    parallel_s: float
    input_scale: float
    code_version: str
    failure: str | None
    nodes_lost: int = 0
    spark: real_spark.SparkProcess | None = None  # a real script's process
    logged: bool = False
    cancelled_ms: int | None = None

    def state(self, now_ms: int) -> dict:
        if self.cancelled_ms is not None:
            return {"life_cycle_state": "TERMINATED", "result_state": "CANCELED", "state_message": "Run cancelled."}
        if now_ms < self.start_ms:
            return {"life_cycle_state": "PENDING", "state_message": "Waiting for cluster"}
        if now_ms < self.end_ms:
            return {"life_cycle_state": "RUNNING", "state_message": "In run"}
        if self.failure:
            return {"life_cycle_state": "TERMINATED", "result_state": "FAILED", "state_message": self.failure}
        return {"life_cycle_state": "TERMINATED", "result_state": "SUCCESS", "state_message": ""}

    @property
    def finished_ms(self) -> int:
        return self.cancelled_ms if self.cancelled_ms is not None else self.end_ms


@dataclass
class Run:
    run_id: int
    job_id: int
    run_name: str
    run_type: str
    submitted_ms: int
    tasks: list[TaskRun]
    job_parameters: dict = field(default_factory=dict)


class DatabricksSandbox:
    """Start with ``with DatabricksSandbox(folder, token=...) as ws:``; ``ws.url`` is its address and
    ``ws.airflow_connection()`` the Airflow connection (JSON) that reaches it."""

    def __init__(
        self,
        folder: str | Path,
        *,
        token: str,
        workloads: WorkloadModel | None = None,
        catalogue: Catalogue | None = None,
        speedup: float = 100.0,
        startup_s: float = 180.0,
        log_delay_s: float = 0.0,
        broken_logs: bool = False,
        real_scripts: bool = True,
    ) -> None:
        self.folder = Path(folder)
        self.dbfs_root = self.folder / "dbfs"
        self.dbfs_root.mkdir(parents=True, exist_ok=True)
        self._token = token
        self.workloads = workloads or WorkloadModel.load()
        self.catalogue = catalogue or Catalogue.packaged()
        self.clock = VirtualClock(speedup)
        self.startup_s = startup_s
        self.log_delay_s = log_delay_s
        self.broken_logs = broken_logs  # write unreadable logs, as a failed log delivery leaves them
        self.spark_submit = real_spark.spark_submit() if real_scripts else None
        self._lock = threading.RLock()
        self._ids = itertools.count(1001)
        self.runs: dict[int, Run] = {}
        self.jobs: dict[int, dict] = {}
        self.submissions: list[dict] = []  # every payload received, for tests and the demo
        self._idempotency: dict[str, int] = {}
        self._server: ThreadingHTTPServer | None = None

    # -- lifecycle -------------------------------------------------------------------------------------

    def start(self) -> DatabricksSandbox:
        handler = type("Handler", (_Handler,), {"sandbox": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, name="databricks-sandbox", daemon=True).start()
        return self

    def stop(self) -> None:
        for run in self.runs.values():
            for task in run.tasks:
                if task.spark is not None:
                    task.spark.kill()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> DatabricksSandbox:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None, "start the sandbox first"
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def airflow_connection(self) -> str:
        """The JSON form of an Airflow ``databricks`` connection to this workspace (for
        ``AIRFLOW_CONN_DATABRICKS_DEFAULT``)."""
        return json.dumps(
            {
                "conn_type": "databricks",
                "host": "127.0.0.1",
                "port": self.port,
                "schema": "http",
                "password": self._token,
            }
        )

    def now_ms(self) -> int:
        return self.clock.now_ms()

    def local_path(self, dbfs_path: str) -> Path:
        """The file behind a ``dbfs:/`` path."""
        rel = PurePosixPath(dbfs_path.removeprefix("dbfs:")).relative_to("/")
        if ".." in rel.parts:
            raise ApiError(HTTPStatus.BAD_REQUEST, "INVALID_PARAMETER_VALUE", f"path {dbfs_path} escapes DBFS")
        return self.dbfs_root / rel

    # -- runs ------------------------------------------------------------------------------------------

    def submit(self, payload: dict, *, job_id: int | None = None, run_type: str = "SUBMIT_RUN") -> int:
        with self._lock:
            token = payload.get("idempotency_token")
            if token and token in self._idempotency:
                return self._idempotency[token]
            self.submissions.append(copy.deepcopy(payload))
            run_id = next(self._ids)
            now = self.now_ms()
            specs = payload.get("tasks") or [{**payload, "task_key": payload.get("run_name") or "task"}]
            job_clusters = {c["job_cluster_key"]: c["new_cluster"] for c in payload.get("job_clusters") or []}
            scripts = [self._real_script(spec) for spec in specs]
            if len(specs) > 1 and any(scripts):
                raise ApiError(
                    HTTPStatus.BAD_REQUEST,
                    "INVALID_PARAMETER_VALUE",
                    "the sandbox runs a real PySpark script only as a run's single task: submit it on its own",
                )
            tasks, start = [], now
            for spec, script in zip(specs, scripts, strict=True):
                job_params = payload.get("job_parameters") or {}
                task = self._task_run(run_id, spec, job_clusters, start, job_params, script)
                tasks.append(task)
                start = task.end_ms
            self.runs[run_id] = Run(
                run_id,
                job_id if job_id is not None else run_id,
                payload.get("run_name") or "Untitled",
                run_type,
                now,
                tasks,
                dict(payload.get("job_parameters") or {}),
            )
            if token:
                self._idempotency[token] = run_id
            return run_id

    def _real_script(self, spec: dict) -> Path | None:
        """The local file of a task's ``python_file`` if it exists and can really run here."""
        python_file = str((spec.get("spark_python_task") or {}).get("python_file") or "")
        if python_file.startswith("dbfs:/"):
            path = self.local_path(python_file)
        elif python_file.startswith("file:"):
            path = Path(urlsplit(python_file).path)
        else:
            return None
        return path if path.is_file() and self.spark_submit is not None else None

    def _task_run(self, run_id: int, spec: dict, job_clusters: dict, start_ms: int, job_params: dict,
                  script: Path | None = None) -> TaskRun:  # fmt: skip
        cluster = spec.get("new_cluster") or job_clusters.get(spec.get("job_cluster_key", ""))
        if not cluster:
            raise ApiError(
                HTTPStatus.BAD_REQUEST,
                "INVALID_PARAMETER_VALUE",
                "the sandbox runs tasks on job clusters only: give new_cluster or job_cluster_key",
            )
        node = cluster.get("node_type_id")
        if node not in self.catalogue:
            raise ApiError(HTTPStatus.BAD_REQUEST, "INVALID_PARAMETER_VALUE", f"Node type {node} is not supported")
        workers = cluster.get("num_workers")
        if workers is None and cluster.get("autoscale"):
            workers = cluster["autoscale"].get("max_workers")
        if workers is None:
            raise ApiError(HTTPStatus.BAD_REQUEST, "INVALID_PARAMETER_VALUE", "num_workers or autoscale is required")
        args = _task_args(spec, job_params)
        timing = job_timing(self.workloads, _workload_of(spec, self.workloads), node, int(workers),
                            self.catalogue.get(node).vcpus, args)  # fmt: skip
        started = start_ms + int(self.startup_s * 1000)
        cluster_id = f"1121-{next(self._ids):06d}-sandbox"
        spark = None
        if script is not None:
            node_type = self.catalogue.get(node)
            spark = real_spark.start(
                self.spark_submit,
                script,
                [str(p) for p in (spec.get("spark_python_task") or {}).get("parameters") or []],
                staging=self.folder / "spark" / cluster_id,
                cores=min(int(workers) * node_type.vcpus, os.cpu_count() or 1),
                usage_tags=databricks_usage_tags(_logged_cluster(cluster_id, cluster, self.catalogue)),
                cluster_spec=cluster,
            )
        return TaskRun(
            run_id=run_id,
            task_run_id=next(self._ids),
            task_key=spec.get("task_key") or "task",
            workload=timing.workload,
            cluster_id=cluster_id,
            cluster=copy.deepcopy(cluster),
            queued_ms=start_ms,
            start_ms=started,
            end_ms=NOT_YET_MS if spark else started + int(timing.runtime_s * 1000),
            serial_s=timing.serial_s,
            parallel_s=timing.parallel_s,
            input_scale=timing.input_scale,
            code_version=timing.code_version,
            failure=None if spark else timing.failure,
            nodes_lost=max(1, int(workers) // 4) if args.get("fail") == "nodes_lost" else 0,
            spark=spark,
        )

    def run_now(self, payload: dict) -> int:
        job = self.jobs.get(int(payload.get("job_id", -1)))
        if job is None:
            raise ApiError(
                HTTPStatus.BAD_REQUEST, "INVALID_PARAMETER_VALUE", f"Job {payload.get('job_id')} does not exist."
            )
        settings = copy.deepcopy(job["settings"])
        settings["run_name"] = settings.get("name")
        settings["job_parameters"] = payload.get("job_parameters") or {}
        for key in ("idempotency_token",):
            if key in payload:
                settings[key] = payload[key]
        return self.submit(settings, job_id=job["job_id"], run_type="JOB_RUN")

    def cancel(self, run_id: int) -> None:
        with self._lock:
            run = self._run(run_id)
            now = self.now_ms()
            for task in run.tasks:
                if task.cancelled_ms is None and task.end_ms > now:
                    task.cancelled_ms = max(now, task.queued_ms)
                    if task.spark is not None:
                        task.spark.kill()

    def _run(self, run_id) -> Run:
        try:
            return self.runs[int(run_id)]
        except (KeyError, TypeError, ValueError):
            raise ApiError(HTTPStatus.NOT_FOUND, "RESOURCE_DOES_NOT_EXIST", f"Run {run_id} does not exist.") from None

    def run_json(self, run_id) -> dict:
        with self._lock:
            run = self._run(run_id)
            now = self.now_ms()
            tasks = [self._task_json(t, now) for t in run.tasks]
            states = [t.state(now) for t in run.tasks]
            stopped = next((s for s in states if s.get("result_state") in ("FAILED", "CANCELED")), None)
            current = stopped or next((s for s in states if s["life_cycle_state"] != "TERMINATED"), states[-1])
            finished = current["life_cycle_state"] == "TERMINATED"
            first, last = run.tasks[0], run.tasks[-1]
            out = {
                "job_id": run.job_id,
                "run_id": run.run_id,
                "number_in_job": run.run_id,
                "run_name": run.run_name,
                "run_type": run.run_type,
                "run_page_url": f"{self.url}/#job/{run.job_id}/run/{run.run_id}",
                "state": current,
                "start_time": run.submitted_ms,
                "setup_duration": max(0, min(now, first.start_ms) - first.queued_ms),
                "execution_duration": max(0, min(now, last.finished_ms) - first.start_ms)
                if now > first.start_ms
                else 0,
                "cleanup_duration": 0,
                "end_time": max(t.finished_ms for t in run.tasks) if finished else 0,
                "tasks": tasks,
                "cluster_instance": {"cluster_id": first.cluster_id, "spark_context_id": "7150981453811"},
                "cluster_spec": {"new_cluster": copy.deepcopy(first.cluster)},
                "job_parameters": [{"name": k, "value": v} for k, v in run.job_parameters.items()],
            }
            return out

    def _task_json(self, task: TaskRun, now: int) -> dict:
        return {
            "run_id": task.task_run_id,
            "task_key": task.task_key,
            "state": task.state(now),
            "start_time": task.queued_ms,
            "setup_duration": max(0, min(now, task.start_ms) - task.queued_ms),
            "execution_duration": max(0, min(now, task.finished_ms) - task.start_ms) if now > task.start_ms else 0,
            "end_time": task.finished_ms if now >= task.finished_ms else 0,
            "cluster_instance": {"cluster_id": task.cluster_id, "spark_context_id": "7150981453811"},
            "new_cluster": copy.deepcopy(task.cluster),
            "attempt_number": 0,
        }

    def _task_by_run_id(self, task_run_id) -> TaskRun:
        for run in self.runs.values():
            for task in run.tasks:
                if task.task_run_id == int(task_run_id):
                    return task
        if int(task_run_id) in self.runs:
            return self.runs[int(task_run_id)].tasks[0]
        raise ApiError(HTTPStatus.NOT_FOUND, "RESOURCE_DOES_NOT_EXIST", f"Run {task_run_id} does not exist.")

    # -- clusters --------------------------------------------------------------------------------------

    def _cluster_task(self, cluster_id: str) -> TaskRun:
        for run in self.runs.values():
            for task in run.tasks:
                if task.cluster_id == cluster_id:
                    return task
        raise ApiError(HTTPStatus.BAD_REQUEST, "INVALID_PARAMETER_VALUE", f"Cluster {cluster_id} does not exist")

    def cluster_json(self, cluster_id: str) -> dict:
        with self._lock:
            task = self._cluster_task(cluster_id)
            now = self.now_ms()
            spec = task.cluster
            state = "PENDING" if now < task.start_ms else ("RUNNING" if now < task.finished_ms else "TERMINATED")
            out = {
                "cluster_id": cluster_id,
                "cluster_name": f"job-{task.run_id}-run-{task.task_key}",
                "spark_version": spec.get("spark_version", "15.4.x-scala2.12"),
                "node_type_id": spec["node_type_id"],
                "driver_node_type_id": spec.get("driver_node_type_id") or spec["node_type_id"],
                "aws_attributes": spec.get("aws_attributes", {"availability": "ON_DEMAND", "first_on_demand": 1}),
                "runtime_engine": spec.get("runtime_engine", "STANDARD"),
                "custom_tags": spec.get("custom_tags", {}),
                "cluster_log_conf": spec.get("cluster_log_conf"),
                "spark_conf": spec.get("spark_conf", {}),
                "cluster_source": "JOB",
                "state": state,
                "start_time": task.queued_ms,
            }
            if "autoscale" in spec and "num_workers" not in spec:
                out["autoscale"] = spec["autoscale"]
            out["num_workers"] = spec.get("num_workers", (spec.get("autoscale") or {}).get("max_workers", 0))
            if state == "TERMINATED":
                out["terminated_time"] = task.finished_ms
                out["termination_reason"] = {"code": "JOB_FINISHED", "type": "SUCCESS"}
            return out

    def cluster_events(self, request: dict) -> dict:
        """A page of a cluster's events (``order`` DESC by default, ``offset``, ``limit`` up to 500)
        with ``next_page``, the request for the rest, as the Clusters API pages them."""
        cluster_id = str(request.get("cluster_id"))
        with self._lock:
            task = self._cluster_task(cluster_id)
            now = self.now_ms()
            workers = int(self.cluster_json(cluster_id)["num_workers"])
            timeline = [
                (task.queued_ms, "CREATING", {"cluster_size": {"num_workers": workers}}),
                (task.start_ms, "RUNNING", {"current_num_workers": workers, "target_num_workers": workers}),
            ]
            if task.nodes_lost:
                lost_ms = task.start_ms + (task.end_ms - task.start_ms) * 4 // 5
                left = workers - task.nodes_lost
                timeline.append((lost_ms, "NODES_LOST", {"current_num_workers": left, "target_num_workers": workers}))
            reason = {"code": "JOB_FINISHED", "type": "SUCCESS"}
            timeline += [
                (task.finished_ms, "TERMINATING", {"reason": reason}),
                (task.finished_ms + 5000, "TERMINATED", {"reason": reason}),
            ]
            events = [
                {"cluster_id": cluster_id, "timestamp": ts, "type": kind, "details": details}
                for ts, kind, details in timeline
                if ts <= now
            ]
        if str(request.get("order", "DESC")).upper() == "DESC":
            events.reverse()
        offset, limit = int(request.get("offset", 0)), min(500, int(request.get("limit", 50)))
        page = {"events": events[offset : offset + limit], "total_count": len(events)}
        if offset + limit < len(events):
            page["next_page"] = {**request, "offset": offset + limit, "limit": limit}
        return page

    # -- event logs ------------------------------------------------------------------------------------

    def deliver_logs(self) -> None:
        """End the tasks whose real script has exited, and write the event log of every task whose
        cluster finished at least ``log_delay_s`` ago (called before every request is served, so what
        is due is there before anyone looks)."""
        with self._lock:
            now = self.now_ms()
            pending = [t for r in self.runs.values() for t in r.tasks if not t.logged]
            for task in pending:
                if task.spark is not None and task.end_ms == NOT_YET_MS and task.spark.poll():
                    task.end_ms = task.start_ms + int(task.spark.elapsed_s * 1000)  # as long as it really took
                    task.failure = task.spark.failure()
                if task.cancelled_ms is not None:
                    task.logged = True
                    continue
                if now >= task.end_ms + self.log_delay_s * 1000:
                    self._write_log(task)
                    task.logged = True

    def _write_log(self, task: TaskRun) -> None:
        destination = ((task.cluster.get("cluster_log_conf") or {}).get("dbfs") or {}).get("destination")
        if not destination:
            return
        if task.spark is not None:
            written = task.spark.eventlog()
            if written is not None:
                path = eventlog_path(self.local_path(destination), task.cluster_id)
                path.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(written, path)
            return
        cluster = _logged_cluster(task.cluster_id, task.cluster, self.catalogue)
        run = LoggedRun(
            app_name=task.workload,
            start_ms=task.start_ms,
            serial_s=task.serial_s,
            parallel_s=task.parallel_s,
            input_bytes=int(INPUT_BYTES_AT_SCALE_1 * task.input_scale),
            stage_plan=task.code_version if task.code_version in ("v1", "v2") else "v1",
            failure=task.failure,
        )
        path = write_eventlog(self.local_path(destination), cluster, run)
        if self.broken_logs:
            path.write_bytes(b"\x00\x9c not an event log \xff" * 64)

    # -- jobs ------------------------------------------------------------------------------------------

    def create_job(self, settings: dict) -> int:
        with self._lock:
            job_id = next(self._ids)
            self.jobs[job_id] = {"job_id": job_id, "settings": copy.deepcopy(settings), "created_time": self.now_ms()}
            return job_id

    def job(self, job_id) -> dict:
        try:
            return copy.deepcopy(self.jobs[int(job_id)])
        except (KeyError, TypeError, ValueError):
            raise ApiError(HTTPStatus.BAD_REQUEST, "INVALID_PARAMETER_VALUE", f"Job {job_id} does not exist.") from None

    def update_job(self, payload: dict) -> None:
        with self._lock:
            job = self.jobs.get(int(payload.get("job_id", -1)))
            if job is None:
                raise ApiError(
                    HTTPStatus.BAD_REQUEST, "INVALID_PARAMETER_VALUE", f"Job {payload.get('job_id')} does not exist."
                )
            job["settings"].update(copy.deepcopy(payload.get("new_settings") or {}))


def _no_job(payload: dict) -> str:
    return f"Job {payload.get('job_id')} does not exist."


def _logged_cluster(cluster_id: str, spec: dict, catalogue: Catalogue) -> LoggedCluster:
    """The cluster a ``new_cluster`` spec gives, as its event log describes it."""
    node = catalogue.get(spec["node_type_id"])
    aws = spec.get("aws_attributes") or {}
    return LoggedCluster(
        cluster_id=cluster_id,
        node_type=node.name,
        driver_node_type=spec.get("driver_node_type_id") or node.name,
        workers=int(spec.get("num_workers", (spec.get("autoscale") or {}).get("max_workers", 0))),
        cores_per_worker=node.vcpus,
        memory_bytes_per_worker=int(node.memory_gib * (1 << 30)),
        runtime_engine=spec.get("runtime_engine", "STANDARD"),
        availability=aws.get("availability", "ON_DEMAND"),
        first_on_demand=int(aws.get("first_on_demand", 1)),
        spark_version=spec.get("spark_version", "15.4.x-scala2.12"),
    )


def _task_args(spec: dict, job_params: dict) -> dict[str, str]:
    """``--name value`` / ``--name=value`` pairs of the task's parameters (and the job's)."""
    params: list = []
    for key in ("spark_python_task", "spark_jar_task", "python_wheel_task", "spark_submit_task"):
        params += list((spec.get(key) or {}).get("parameters") or [])
    out = job_args(params)
    for name, value in ((spec.get("notebook_task") or {}).get("base_parameters") or {}).items():
        out[name] = str(value)
    out.update({str(k): str(v) for k, v in job_params.items()})
    return out


def _workload_of(spec: dict, workloads: WorkloadModel) -> str:
    names = [
        PurePosixPath(str((spec.get("spark_python_task") or {}).get("python_file", ""))).stem,
        PurePosixPath(str((spec.get("notebook_task") or {}).get("notebook_path", ""))).name,
        str((spec.get("spark_jar_task") or {}).get("main_class_name", "")).rsplit(".", 1)[-1],
        str(spec.get("task_key") or ""),
        str(spec.get("run_name") or ""),
    ]
    return next((n for n in names if n and workloads.knows(n)), "default")


class _Handler(BaseHTTPRequestHandler):
    sandbox: DatabricksSandbox
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args) -> None:
        pass

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_HEAD(self) -> None:
        self._serve("HEAD")

    def _serve(self, method: str) -> None:
        url = urlsplit(self.path)
        self.sandbox.deliver_logs()  # a log due by now is there before anyone looks
        try:
            if self.headers.get("Authorization") != f"Bearer {self.sandbox._token}":
                raise ApiError(HTTPStatus.UNAUTHORIZED, "UNAUTHENTICATED", "Invalid access token.")
            params = {k: v[-1] for k, v in parse_qs(url.query).items()}
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}") if length else {}
            answer = self._route(method, url.path, {**params, **body})
            self._reply(HTTPStatus.OK, answer)
        except ApiError as exc:
            self._reply(exc.status, {"error_code": exc.code, "message": exc.message})
        except (ValueError, KeyError) as exc:
            self._reply(HTTPStatus.BAD_REQUEST, {"error_code": "INVALID_PARAMETER_VALUE", "message": str(exc)})

    def _route(self, method: str, path: str, args: dict) -> dict:
        ws = self.sandbox
        parts = path.strip("/").split("/")
        if len(parts) < 3 or parts[0] != "api":
            raise ApiError(HTTPStatus.NOT_FOUND, "ENDPOINT_NOT_FOUND", f"No API found for '{method} {path}'")
        route = (method if method != "HEAD" else "GET", "/".join(parts[2:]))
        handlers = {
            ("POST", "jobs/runs/submit"): lambda: {"run_id": ws.submit(args)},
            ("POST", "jobs/run-now"): lambda: {"run_id": (rid := ws.run_now(args)), "number_in_job": rid},
            ("GET", "jobs/runs/get"): lambda: ws.run_json(args.get("run_id")),
            ("GET", "jobs/runs/get-output"): lambda: self._output(args.get("run_id")),
            ("POST", "jobs/runs/cancel"): lambda: ws.cancel(args.get("run_id")) or {},
            ("POST", "jobs/create"): lambda: {"job_id": ws.create_job(args)},
            ("GET", "jobs/get"): lambda: ws.job(args.get("job_id")),
            ("POST", "jobs/update"): lambda: ws.update_job(args) or {},
            ("GET", "jobs/list"): lambda: self._jobs(args.get("name")),
            ("GET", "clusters/get"): lambda: ws.cluster_json(str(args.get("cluster_id"))),
            ("POST", "clusters/events"): lambda: ws.cluster_events(args),
            ("GET", "dbfs/get-status"): lambda: self._dbfs_status(args["path"]),
            ("GET", "dbfs/list"): lambda: self._dbfs_list(args["path"]),
            ("GET", "dbfs/read"): lambda: self._dbfs_read(
                args["path"], int(args.get("offset", 0)), int(args.get("length", DBFS_READ_MAX))
            ),
        }
        handler = handlers.get(route)
        if handler is None:
            raise ApiError(HTTPStatus.NOT_FOUND, "ENDPOINT_NOT_FOUND", f"No API found for '{method} {path}'")
        return handler()

    def _output(self, run_id) -> dict:
        task = self.sandbox._task_by_run_id(run_id)
        out = {"metadata": {"run_id": int(run_id), "task_key": task.task_key}}
        if task.failure:
            out["error"] = task.failure
        return out

    def _jobs(self, name: str | None) -> dict:
        jobs = [j for j in self.sandbox.jobs.values() if name is None or j["settings"].get("name") == name]
        return {"jobs": [copy.deepcopy(j) for j in jobs], "has_more": False}

    def _dbfs_status(self, path: str) -> dict:
        local = self.sandbox.local_path(path)
        if not local.exists():
            raise ApiError(
                HTTPStatus.NOT_FOUND, "RESOURCE_DOES_NOT_EXIST", f"No file or directory exists on path {path}."
            )
        return {"path": path, "is_dir": local.is_dir(), "file_size": 0 if local.is_dir() else local.stat().st_size}

    def _dbfs_list(self, path: str) -> dict:
        local = self.sandbox.local_path(path)
        if not local.is_dir():
            raise ApiError(HTTPStatus.NOT_FOUND, "RESOURCE_DOES_NOT_EXIST", f"No directory exists on path {path}.")
        base = path.rstrip("/")
        return {
            "files": [
                {"path": f"{base}/{c.name}", "is_dir": c.is_dir(), "file_size": 0 if c.is_dir() else c.stat().st_size}
                for c in sorted(local.iterdir())
            ]
        }

    def _dbfs_read(self, path: str, offset: int, length: int) -> dict:
        local = self.sandbox.local_path(path)
        if not local.is_file():
            raise ApiError(HTTPStatus.NOT_FOUND, "RESOURCE_DOES_NOT_EXIST", f"No file exists on path {path}.")
        with local.open("rb") as f:
            f.seek(offset)
            data = f.read(min(length, DBFS_READ_MAX))
        return {"bytes_read": len(data), "data": base64.b64encode(data).decode()}

    def _reply(self, status: HTTPStatus, payload: dict) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

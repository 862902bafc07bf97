"""A Spark event log for a sandbox run, written where Databricks delivers it (or, for EMR, the text
the EMR sandbox puts under ``spark.eventLog.dir``).

The log has what a real run's log has for our purposes: the environment (on Databricks with
``spark.databricks.clusterUsageTags``: node types, workers, engine, availability; on EMR with YARN
as master and an ``-amzn-`` Spark version, as EMR's own builds report), one executor per
worker, and jobs whose stages run as waves of tasks with full metrics (run, CPU, GC, deserialize,
input, shuffle). Its timeline matches the run's Amdahl curve: the serial part is driver time before
and after the jobs, the parallel part is the stages' task waves. So profiling and replaying it
reproduces the run, as with a real log.

Layout (as Databricks writes ``cluster_log_conf``):
``<destination>/<cluster_id>/eventlog/<cluster_id>_<driver ip>/<spark context id>/eventlog``.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path

SPARK_VERSION = "3.5.0"
EMR_SPARK_VERSION = "3.5.2-amzn-1"
# (stage name, share of the parallel time, waves of tasks); a code change swaps the plan.
STAGE_PLANS = {
    "v1": (("scan parquet at job.py:12", 0.6, 3), ("aggregate at job.py:20", 0.4, 2)),
    "v2": (
        ("scan parquet at job.py:12", 0.45, 3),
        ("join at job.py:18", 0.35, 2),
        ("aggregate at job.py:25", 0.2, 1),
    ),
}


@dataclass(frozen=True)
class LoggedCluster:
    cluster_id: str
    node_type: str
    driver_node_type: str
    workers: int
    cores_per_worker: int
    memory_bytes_per_worker: int
    runtime_engine: str = "STANDARD"
    availability: str = "ON_DEMAND"
    first_on_demand: int = 1
    spark_version: str = "15.4.x-scala2.12"
    platform: str = "databricks"  # or "emr"


@dataclass(frozen=True)
class LoggedRun:
    app_name: str
    start_ms: int
    serial_s: float
    parallel_s: float
    input_bytes: int
    stage_plan: str = "v1"
    failure: str | None = None  # a Spark error text: the job fails after its first stage


def eventlog_folder(destination: Path, cluster_id: str) -> Path:
    """Where a cluster's event log lands under its ``cluster_log_conf`` destination."""
    return destination / cluster_id / "eventlog"


def eventlog_path(destination: Path, cluster_id: str) -> Path:
    """Where a cluster's (first Spark context's) log goes under ``destination``."""
    return eventlog_folder(destination, cluster_id) / f"{cluster_id}_10_0_0_1" / "7150981453811" / "eventlog"


def write_eventlog(destination: Path, cluster: LoggedCluster, run: LoggedRun) -> Path:
    """Write the run's log under ``destination`` and return the log file's path."""
    path = eventlog_path(destination, cluster.cluster_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(eventlog_text(cluster, run))
    return path


def eventlog_text(cluster: LoggedCluster, run: LoggedRun) -> str:
    """The run's event log as JSON lines."""
    return "".join(json.dumps(event, separators=(",", ":")) + "\n" for event in _events(cluster, run))


def _properties(cluster: LoggedCluster, run: LoggedRun) -> dict[str, str]:
    common = {"spark.app.name": run.app_name, "spark.executor.cores": str(cluster.cores_per_worker)}
    if cluster.platform == "emr":
        return {**common, "spark.master": "yarn", "spark.submit.deployMode": "cluster",
                "spark.hadoop.fs.s3.impl": "com.amazon.ws.emr.hadoop.fs.EmrFileSystem",
                "spark.driver.extraClassPath": "/usr/lib/hadoop-lzo/lib/*:/usr/share/aws/emr/emrfs/lib/*"}  # fmt: skip
    return {**common, "spark.master": "spark://10.0.0.1:7077", **databricks_usage_tags(cluster)}


def databricks_usage_tags(cluster: LoggedCluster) -> dict[str, str]:
    """The ``spark.databricks.clusterUsageTags.*`` properties a Databricks cluster gives Spark."""
    tags = "spark.databricks.clusterUsageTags."
    return {
        tags + "clusterId": cluster.cluster_id,
        tags + "clusterNodeType": cluster.node_type,
        tags + "driverNodeType": cluster.driver_node_type,
        tags + "clusterWorkers": str(cluster.workers),
        tags + "sparkVersion": cluster.spark_version,
        tags + "runtimeEngine": cluster.runtime_engine,
        tags + "clusterAvailability": cluster.availability,
        tags + "clusterFirstOnDemand": str(cluster.first_on_demand),
        tags + "cloudProvider": "AWS",
        tags + "dataPlaneRegion": "us-east-1",
    }


def _events(cluster: LoggedCluster, run: LoggedRun):
    rng = random.Random(f"{cluster.cluster_id}/{run.app_name}")
    yield {"Event": "SparkListenerLogStart",
           "Spark Version": EMR_SPARK_VERSION if cluster.platform == "emr" else SPARK_VERSION}  # fmt: skip
    yield {
        "Event": "SparkListenerEnvironmentUpdate",
        "JVM Information": {"Java Version": "17.0.12 (Azul Systems, Inc.)"},
        "Spark Properties": _properties(cluster, run),
        "System Properties": {},
        "Classpath Entries": {},
    }
    start = run.start_ms
    yield {"Event": "SparkListenerApplicationStart", "App Name": run.app_name, "App ID": f"app-{cluster.cluster_id}",
           "Timestamp": start, "User": "root"}  # fmt: skip
    cores = cluster.cores_per_worker
    for i in range(cluster.workers):
        host = f"10.0.1.{i + 2}"
        yield {"Event": "SparkListenerExecutorAdded", "Timestamp": start + 500, "Executor ID": str(i),
               "Executor Info": {"Host": host, "Total Cores": cores, "Log Urls": {}}}  # fmt: skip
        block_manager = {"Executor ID": str(i), "Host": host, "Port": 40000}
        yield {"Event": "SparkListenerBlockManagerAdded", "Block Manager ID": block_manager,
               "Maximum Memory": cluster.memory_bytes_per_worker // 2, "Timestamp": start + 600}  # fmt: skip
    now = start + int(run.serial_s * 400)  # 40% of the driver time before the first job
    slots = [(str(i), f"10.0.1.{i + 2}") for i in range(cluster.workers) for _ in range(cores)]
    plan = STAGE_PLANS[run.stage_plan]
    stage_infos = [{"Stage ID": s, "Stage Attempt ID": 0, "Stage Name": name, "Number of Tasks": waves * len(slots),
                    "Parent IDs": list(range(s))} for s, (name, _, waves) in enumerate(plan)]  # fmt: skip
    yield {"Event": "SparkListenerJobStart", "Job ID": 0, "Submission Time": now, "Stage Infos": stage_infos,
           "Stage IDs": [s["Stage ID"] for s in stage_infos], "Properties": {}}  # fmt: skip
    task_id = 0
    failed = False
    for s, (_name, share, waves) in enumerate(plan):
        info = dict(stage_infos[s], **{"Submission Time": now})
        yield {"Event": "SparkListenerStageSubmitted", "Stage Info": info, "Properties": {}}
        wave_ms = run.parallel_s * 1000 * share / (cluster.workers * waves) if cluster.workers else 0
        tasks = waves * len(slots)
        stage_end = now
        for k in range(tasks):
            executor, host = slots[k % len(slots)]
            launch = now + int(wave_ms * (k // len(slots)))
            duration = max(20, int(wave_ms * rng.uniform(0.97, 1.0)))
            fail_this = run.failure is not None and s == len(plan) - 1 and k == 0
            yield _task_end(s, task_id, k, executor, host, launch, duration, run, tasks, first_stage=s == 0,
                            failure=run.failure if fail_this else None)  # fmt: skip
            stage_end = max(stage_end, launch + duration)
            task_id += 1
            failed = failed or fail_this
        now = stage_end + 50
        info = dict(info, **{"Completion Time": now})
        if failed:
            info["Failure Reason"] = run.failure
        yield {"Event": "SparkListenerStageCompleted", "Stage Info": info}
        if failed:
            break
    result = {"Result": "JobFailed", "Exception": {"Message": run.failure}} if failed else {"Result": "JobSucceeded"}
    yield {"Event": "SparkListenerJobEnd", "Job ID": 0, "Completion Time": now, "Job Result": result}
    end = now + int(run.serial_s * 600)
    yield {"Event": "SparkListenerApplicationEnd", "Timestamp": end}


def _task_end(stage, task_id, index, executor, host, launch, duration, run: LoggedRun, tasks, *, first_stage, failure):
    run_ms = max(1, duration - 25)
    metrics = {
        "Executor Deserialize Time": 12,
        "Executor Deserialize CPU Time": 9_000_000,
        "Executor Run Time": run_ms,
        "Executor CPU Time": int(run_ms * 0.82 * 1e6),
        "Result Size": 2400,
        "JVM GC Time": int(run_ms * 0.03),
        "Result Serialization Time": 1,
        "Memory Bytes Spilled": 0,
        "Disk Bytes Spilled": 0,
        "Peak Execution Memory": 64 << 20,
        "Input Metrics": {"Bytes Read": run.input_bytes // tasks if first_stage else 0, "Records Read": 0},
        "Output Metrics": {"Bytes Written": 0, "Records Written": 0},
        "Shuffle Read Metrics": {
            "Remote Blocks Fetched": 0 if first_stage else 8,
            "Local Blocks Fetched": 0 if first_stage else 1,
            "Fetch Wait Time": 0 if first_stage else int(run_ms * 0.04),
            "Remote Bytes Read": 0 if first_stage else run.input_bytes // (4 * tasks),
            "Local Bytes Read": 0 if first_stage else run.input_bytes // (32 * tasks),
            "Total Records Read": 0,
        },
        "Shuffle Write Metrics": {
            "Shuffle Bytes Written": run.input_bytes // (4 * tasks) if first_stage else 0,
            "Shuffle Write Time": int(run_ms * 0.02 * 1e6) if first_stage else 0,
            "Shuffle Records Written": 0,
        },
    }
    return {
        "Event": "SparkListenerTaskEnd",
        "Stage ID": stage,
        "Stage Attempt ID": 0,
        "Task Type": "ShuffleMapTask" if first_stage else "ResultTask",
        "Task End Reason": {"Reason": "ExceptionFailure", "Description": failure} if failure else {"Reason": "Success"},
        "Task Info": {
            "Task ID": task_id,
            "Index": index,
            "Attempt": 0,
            "Launch Time": launch,
            "Executor ID": executor,
            "Host": host,
            "Locality": "PROCESS_LOCAL",
            "Speculative": False,
            "Getting Result Time": 0,
            "Finish Time": launch + duration,
            "Failed": failure is not None,
            "Killed": False,
        },
        "Task Metrics": metrics,
    }

"""The application profile: what one Spark run did, kept compactly enough to replay it.

``build_profile(events)`` consumes an event stream once. It keeps executors over time, jobs (with
SQL execution ids and job groups), stages (parents, attempts), and one record per task attempt with
the task's time split into parts that scale differently on other hardware:

* ``cpu_ms``: executor CPU time (scales with per-core speed);
* ``gc_ms``: JVM GC time (grows with memory pressure);
* ``shuffle_fetch_ms`` / ``shuffle_write_ms``: blocked on shuffle I/O (network, disk);
* ``io_other_ms``: the rest of the run time (input reads, waits, Python workers ...);
* ``overhead_ms``: deserialisation, result serialisation, getting the result and scheduler delay,
  fixed per task whatever the hardware.

Scheduler delay is computed exactly as Spark's ``AppStatusUtils.schedulerDelay``: ``max(0, duration
- run - deserialise - result serialise - getting result)`` where getting result is
``launch + duration - fetch start`` when a result fetch started, else 0.

Platform facts come from Databricks ``clusterUsageTags`` and EMR/YARN properties, so a minimal
cluster report can be rebuilt when none is given. Secrets in properties are never kept.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import ClassVar

_SECRET = re.compile(r"(secret|password|passwd|token|credential|private|access\.?key|auth)", re.I)
_KEPT_PROPERTY_PREFIXES = (
    "spark.app.",
    "spark.master",
    "spark.submit.",
    "spark.driver.",
    "spark.executor.",
    "spark.dynamicAllocation.",
    "spark.sql.shuffle.partitions",
    "spark.sql.adaptive.enabled",
    "spark.default.parallelism",
    "spark.task.cpus",
    "spark.memory.",
    "spark.eventLog.",
    "spark.databricks.clusterUsageTags.",
    "spark.yarn.",
    "spark.emr.",
    "spark.scheduler.mode",
)
_TAG = "spark.databricks.clusterUsageTags."


@dataclass(slots=True)
class TaskRecord:
    stage_id: int
    stage_attempt: int
    task_id: int
    index: int
    attempt: int
    executor_id: str
    launch_ms: int
    finish_ms: int
    status: str  # success | failed | killed
    speculative: bool
    run_ms: int
    cpu_ms: float
    gc_ms: int
    deserialize_ms: int
    result_serialize_ms: int
    getting_result_ms: int
    scheduler_delay_ms: int
    shuffle_fetch_ms: int
    shuffle_write_ms: float
    input_bytes: int
    output_bytes: int
    shuffle_read_bytes: int
    shuffle_remote_bytes: int
    shuffle_write_bytes: int
    memory_spill_bytes: int
    disk_spill_bytes: int
    peak_memory_bytes: int
    failure: str | None = None

    @property
    def duration_ms(self) -> int:
        return self.finish_ms - self.launch_ms

    @property
    def overhead_ms(self) -> int:
        return self.deserialize_ms + self.result_serialize_ms + self.getting_result_ms + self.scheduler_delay_ms

    @property
    def io_other_ms(self) -> float:
        return max(0.0, self.run_ms - self.cpu_ms - self.gc_ms - self.shuffle_fetch_ms - self.shuffle_write_ms)


@dataclass
class StageRecord:
    stage_id: int
    attempt: int
    name: str
    num_tasks: int
    parent_ids: list[int]
    submit_ms: int | None = None
    complete_ms: int | None = None
    failure: str | None = None
    job_ids: list[int] = field(default_factory=list)


@dataclass
class JobRecord:
    job_id: int
    submit_ms: int
    stage_ids: list[int]
    end_ms: int | None = None
    result: str | None = None
    sql_execution_id: int | None = None
    job_group: str | None = None


@dataclass
class ExecutorRecord:
    executor_id: str
    host: str
    cores: int
    added_ms: int
    removed_ms: int | None = None
    removed_reason: str | None = None
    max_memory_bytes: int | None = None


@dataclass
class PlatformFacts:
    """What the log says about the cluster; ``None`` where it does not say."""

    platform: str  # databricks | emr | yarn | local | standalone | unknown
    worker_node_type: str | None = None
    driver_node_type: str | None = None
    workers: int | None = None
    min_workers: int | None = None
    max_workers: int | None = None
    photon: bool = False
    spot: bool | None = None
    first_on_demand: int | None = None
    region: str | None = None
    cloud: str | None = None
    runtime_version: str | None = None
    cluster_id: str | None = None


@dataclass
class ApplicationProfile:
    app_id: str | None
    app_name: str | None
    spark_version: str | None
    start_ms: int | None
    end_ms: int | None
    complete: bool  # an ApplicationEnd was seen
    properties: dict[str, str]
    platform: PlatformFacts
    executors: dict[str, ExecutorRecord]
    jobs: dict[int, JobRecord]
    stages: dict[tuple[int, int], StageRecord]
    tasks: list[TaskRecord]
    warnings: list[str] = field(default_factory=list)

    @property
    def wall_ms(self) -> int:
        if self.start_ms is None or self.end_ms is None:
            return 0
        return max(0, self.end_ms - self.start_ms)

    def fingerprint(self) -> str:
        """The stage structure (stage names with numbers dropped, and their parents' shape) as a short
        hash: unchanged from run to run of the same code, changed when the code's plan changes."""
        ids = sorted({sid for sid, _ in self.stages})
        position = {sid: i for i, sid in enumerate(ids)}
        shape = []
        for sid in ids:
            stage = self.stages.get((sid, 0)) or next(s for (i, _), s in self.stages.items() if i == sid)
            parents = sorted(position[p] - position[sid] for p in stage.parent_ids if p in position)
            shape.append(f"{re.sub(r'[0-9]+', '', stage.name)}|{parents}")
        return hashlib.sha256("\n".join(shape).encode()).hexdigest()[:16]

    def timeline_s(self) -> dict:
        """Where the application's wall time went, in seconds (None where unknown): ``session_start``
        (application start to the first job), ``compute`` (first job submitted to the last job
        ended) and ``tail`` (last job ended to application end). A driver-only app has no jobs: all
        its time is session start and tail, reported as None for compute."""
        ends = [j.end_ms for j in self.jobs.values() if j.end_ms is not None]
        if self.start_ms is None or not self.jobs or not ends:
            return {"session_start": None, "compute": None, "tail": None}
        first = min(j.submit_ms for j in self.jobs.values())
        last = max(ends)
        return {
            "session_start": round(max(0, first - self.start_ms) / 1000, 3),
            "compute": round(max(0, last - first) / 1000, 3),
            "tail": round(max(0, self.end_ms - last) / 1000, 3) if self.end_ms is not None else None,
        }

    def executor_cores(self) -> int:
        """Cores of the executors alive at the peak (the driver's only when it is the sole executor,
        as in local mode)."""
        only_driver = all(e.executor_id == "driver" for e in self.executors.values())
        return peak_concurrency(
            [
                (e.added_ms, e.removed_ms, e.cores)
                for e in self.executors.values()
                if e.executor_id != "driver" or only_driver
            ]
        )

    def summary(self) -> dict:
        ok = [t for t in self.tasks if t.status == "success"]
        totals = {
            "cpu_ms": sum(t.cpu_ms for t in ok),
            "gc_ms": sum(t.gc_ms for t in ok),
            "shuffle_fetch_ms": sum(t.shuffle_fetch_ms for t in ok),
            "shuffle_write_ms": sum(t.shuffle_write_ms for t in ok),
            "io_other_ms": sum(t.io_other_ms for t in ok),
            "overhead_ms": sum(t.overhead_ms for t in ok),
            "scheduler_delay_ms": sum(t.scheduler_delay_ms for t in ok),
        }
        return {
            "app_id": self.app_id,
            "app_name": self.app_name,
            "spark_version": self.spark_version,
            "wall_s": round(self.wall_ms / 1000, 3),
            "timeline_s": self.timeline_s(),
            "complete": self.complete,
            "platform": asdict(self.platform),
            "executors": len([e for e in self.executors.values() if e.executor_id != "driver"]),
            "max_executor_cores": self.executor_cores(),
            "jobs": len(self.jobs),
            "stages": len({s for s, _ in self.stages}),
            "stage_attempts": len(self.stages),
            "tasks": len(self.tasks),
            "failed_tasks": sum(t.status == "failed" for t in self.tasks),
            "killed_tasks": sum(t.status == "killed" for t in self.tasks),
            "speculative_tasks": sum(t.speculative for t in self.tasks),
            "task_time_split_s": {k: round(v / 1000, 3) for k, v in totals.items()},
            "input_bytes": sum(t.input_bytes for t in ok),
            "shuffle_read_bytes": sum(t.shuffle_read_bytes for t in ok),
            "shuffle_write_bytes": sum(t.shuffle_write_bytes for t in ok),
            "spill_bytes": sum(t.memory_spill_bytes + t.disk_spill_bytes for t in ok),
            "warnings": list(self.warnings),
        }


def peak_concurrency(spans: list[tuple[int, int | None, int]]) -> int:
    """The largest sum of ``amount`` over spans ``(start, end or None = open, amount)`` alive at one
    instant; a span ending when another starts does not overlap it."""
    events = [(start, amount) for start, _, amount in spans]
    events += [(end, -amount) for _, end, amount in spans if end is not None]
    peak = current = 0
    for _, delta in sorted(events):
        current += delta
        peak = max(peak, current)
    return peak


def scheduler_delay_ms(
    launch_ms: int, fetch_start_ms: int, duration_ms: int, deserialize_ms: int, serialize_ms: int, run_ms: int
) -> int:
    """Spark's ``AppStatusUtils.schedulerDelay`` for a finished task (all times in ms)."""
    getting = getting_result_ms(launch_ms, fetch_start_ms, duration_ms)
    return max(0, duration_ms - run_ms - deserialize_ms - serialize_ms - getting)


def getting_result_ms(launch_ms: int, fetch_start_ms: int, duration_ms: int) -> int:
    if fetch_start_ms > 0 and duration_ms > 0:
        return launch_ms + duration_ms - fetch_start_ms
    return 0


class ProfileBuilder:
    """Feed events with ``add``; ``build()`` returns the profile. One pass, no event kept."""

    HANDLERS: ClassVar[dict[str, str]] = {  # event -> method; the reader skips other events unparsed
        "SparkListenerLogStart": "_log_start",
        "SparkListenerApplicationStart": "_app_start",
        "SparkListenerApplicationEnd": "_app_end",
        "SparkListenerEnvironmentUpdate": "_environment",
        "SparkListenerExecutorAdded": "_executor_added",
        "SparkListenerExecutorRemoved": "_executor_removed",
        "SparkListenerBlockManagerAdded": "_block_manager",
        "SparkListenerJobStart": "_job_start",
        "SparkListenerJobEnd": "_job_end",
        "SparkListenerStageSubmitted": "_stage_submitted",
        "SparkListenerStageCompleted": "_stage_completed",
        "SparkListenerTaskEnd": "_task_end",
    }

    def __init__(self) -> None:
        self.app_id = self.app_name = self.spark_version = None
        self.start_ms = self.end_ms = None
        self.complete = False
        self.last_ms: int | None = None
        self.properties: dict[str, str] = {}
        self.executors: dict[str, ExecutorRecord] = {}
        self.jobs: dict[int, JobRecord] = {}
        self.stages: dict[tuple[int, int], StageRecord] = {}
        self.stage_parents: dict[int, list[int]] = {}
        self.stage_jobs: dict[int, list[int]] = {}
        self.tasks: list[TaskRecord] = []
        self._handlers = {name: getattr(self, method) for name, method in self.HANDLERS.items()}

    def add(self, event: dict) -> None:
        handler = self._handlers.get(event.get("Event", ""))
        if handler is not None:
            handler(event)

    def _seen(self, ms) -> None:
        """The latest time of application work (executor events are left out: fixtures and shutdown
        hooks stamp them far from the work, and a truncated log must end at its last work)."""
        if isinstance(ms, int) and ms > 0 and (self.last_ms is None or ms > self.last_ms):
            self.last_ms = ms

    # -- application and environment ---------------------------------------------------------------
    def _log_start(self, e: dict) -> None:
        self.spark_version = e.get("Spark Version")

    def _app_start(self, e: dict) -> None:
        self.app_id = e.get("App ID")
        self.app_name = e.get("App Name")
        self.start_ms = e.get("Timestamp")
        self._seen(self.start_ms)

    def _app_end(self, e: dict) -> None:
        self.end_ms = e.get("Timestamp")
        self.complete = True
        self._seen(self.end_ms)

    def _environment(self, e: dict) -> None:
        if self.properties:  # Databricks repeats the environment; the first carries the cluster facts
            return
        props = e.get("Spark Properties") or {}
        if isinstance(props, list):  # Spark 2.x wrote [[key, value], ...] in some versions
            props = dict(props)
        self.properties = {
            k: str(v)
            for k, v in props.items()
            if k.startswith(_KEPT_PROPERTY_PREFIXES) and not _SECRET.search(k) and "redacted" not in str(v)
        }

    # -- executors -----------------------------------------------------------------------------------
    def _executor_added(self, e: dict) -> None:
        info = e.get("Executor Info") or {}
        eid = str(e.get("Executor ID"))
        self.executors[eid] = ExecutorRecord(eid, info.get("Host", ""), int(info.get("Total Cores", 0)), e["Timestamp"])

    def _executor_removed(self, e: dict) -> None:
        ex = self.executors.get(str(e.get("Executor ID")))
        if ex is not None:
            ex.removed_ms = e.get("Timestamp")
            ex.removed_reason = e.get("Removed Reason")

    def _block_manager(self, e: dict) -> None:
        bm = e.get("Block Manager ID") or {}
        eid = str(bm.get("Executor ID"))
        if eid == "driver" and eid not in self.executors:
            # the driver's block manager: in local mode it is where tasks run
            self.executors[eid] = ExecutorRecord(eid, bm.get("Host", ""), 0, e.get("Timestamp") or 0)
        if eid in self.executors:
            self.executors[eid].max_memory_bytes = e.get("Maximum Memory")

    # -- jobs and stages -----------------------------------------------------------------------------
    def _job_start(self, e: dict) -> None:
        props = e.get("Properties") or {}
        sql = props.get("spark.sql.execution.id")
        job = JobRecord(
            job_id=e["Job ID"],
            submit_ms=e.get("Submission Time") or 0,
            stage_ids=list(e.get("Stage IDs") or []),
            sql_execution_id=int(sql) if sql not in (None, "") else None,
            job_group=props.get("spark.jobGroup.id"),
        )
        self.jobs[job.job_id] = job
        for info in e.get("Stage Infos") or []:
            self.stage_parents[info["Stage ID"]] = list(info.get("Parent IDs") or [])
        for sid in job.stage_ids:
            self.stage_jobs.setdefault(sid, []).append(job.job_id)
        self._seen(job.submit_ms)

    def _job_end(self, e: dict) -> None:
        job = self.jobs.get(e.get("Job ID"))
        if job is not None:
            job.end_ms = e.get("Completion Time")
            job.result = (e.get("Job Result") or {}).get("Result")
        self._seen(e.get("Completion Time"))

    def _stage(self, info: dict) -> StageRecord:
        key = (info["Stage ID"], info.get("Stage Attempt ID", 0))
        st = self.stages.get(key)
        if st is None:
            parents = list(info.get("Parent IDs") or self.stage_parents.get(key[0], []))
            st = StageRecord(key[0], key[1], info.get("Stage Name", ""), info.get("Number of Tasks", 0), parents)
            st.job_ids = list(self.stage_jobs.get(key[0], []))
            self.stages[key] = st
        return st

    def _stage_submitted(self, e: dict) -> None:
        info = e.get("Stage Info") or {}
        st = self._stage(info)
        st.submit_ms = info.get("Submission Time") or st.submit_ms
        self._seen(st.submit_ms)

    def _stage_completed(self, e: dict) -> None:
        info = e.get("Stage Info") or {}
        st = self._stage(info)
        st.submit_ms = info.get("Submission Time") or st.submit_ms
        st.complete_ms = info.get("Completion Time")
        st.failure = info.get("Failure Reason")
        self._seen(st.complete_ms)

    # -- tasks ---------------------------------------------------------------------------------------
    def _task_end(self, e: dict) -> None:
        info = e.get("Task Info") or {}
        launch, finish = info.get("Launch Time") or 0, info.get("Finish Time") or 0
        if not launch or not finish:
            return
        m = e.get("Task Metrics") or _metrics_from_accumulables(info.get("Accumulables") or [])
        reason = e.get("Task End Reason") or {}
        status = "killed" if info.get("Killed") else ("failed" if info.get("Failed") else "success")
        duration = finish - launch
        run = int(m.get("Executor Run Time", 0) or 0)
        deser = int(m.get("Executor Deserialize Time", 0) or 0)
        ser = int(m.get("Result Serialization Time", 0) or 0)
        fetch_start = int(info.get("Getting Result Time", 0) or 0)
        read = m.get("Shuffle Read Metrics") or {}
        write = m.get("Shuffle Write Metrics") or {}
        remote = int(read.get("Remote Bytes Read", 0) or 0)
        cpu_ns = m.get("Executor CPU Time")
        cpu_ms = min(run, cpu_ns / 1e6) if isinstance(cpu_ns, int | float) and cpu_ns >= 0 else float(run)
        self.tasks.append(
            TaskRecord(
                stage_id=e.get("Stage ID", -1),
                stage_attempt=e.get("Stage Attempt ID", 0),
                task_id=info.get("Task ID", -1),
                index=info.get("Index", 0),
                attempt=info.get("Attempt", 0),
                executor_id=str(info.get("Executor ID")),
                launch_ms=launch,
                finish_ms=finish,
                status=status,
                speculative=bool(info.get("Speculative")),
                run_ms=run,
                cpu_ms=cpu_ms,
                gc_ms=int(m.get("JVM GC Time", 0) or 0),
                deserialize_ms=deser,
                result_serialize_ms=ser,
                getting_result_ms=getting_result_ms(launch, fetch_start, duration),
                scheduler_delay_ms=scheduler_delay_ms(launch, fetch_start, duration, deser, ser, run),
                shuffle_fetch_ms=int(read.get("Fetch Wait Time", 0) or 0),
                shuffle_write_ms=(write.get("Shuffle Write Time", 0) or 0) / 1e6,
                input_bytes=int((m.get("Input Metrics") or {}).get("Bytes Read", 0) or 0),
                output_bytes=int((m.get("Output Metrics") or {}).get("Bytes Written", 0) or 0),
                shuffle_read_bytes=remote + int(read.get("Local Bytes Read", 0) or 0),
                shuffle_remote_bytes=remote,
                shuffle_write_bytes=int(write.get("Shuffle Bytes Written", 0) or 0),
                memory_spill_bytes=int(m.get("Memory Bytes Spilled", 0) or 0),
                disk_spill_bytes=int(m.get("Disk Bytes Spilled", 0) or 0),
                peak_memory_bytes=int(m.get("Peak Execution Memory", 0) or 0),
                failure=None if status == "success" else str(reason.get("Reason", "unknown")),
            )
        )
        self._seen(finish)

    # -- result --------------------------------------------------------------------------------------
    def build(self, warnings: Iterable[str] = ()) -> ApplicationProfile:
        warns = list(warnings)
        start = self.start_ms
        if start is None:
            candidates = [j.submit_ms for j in self.jobs.values()] + [t.launch_ms for t in self.tasks]
            start = min(candidates) if candidates else None
            warns.append("no ApplicationStart event: the run is taken to start at its first job")
        end = self.end_ms
        if not self.complete:
            end = self.last_ms
            warns.append(
                "no ApplicationEnd event (truncated or still running): the run is taken to end at its last event"
            )
        for t in self.tasks:  # stages whose submit/complete events are missing still have parents
            if (t.stage_id, t.stage_attempt) not in self.stages:
                self._stage({"Stage ID": t.stage_id, "Stage Attempt ID": t.stage_attempt})
        stage_end: dict[int, int] = {}
        for t in self.tasks:
            stage_end[t.stage_id] = max(t.finish_ms, stage_end.get(t.stage_id, t.finish_ms))
        for job in self.jobs.values():
            if job.end_ms is None:
                job.end_ms = max((stage_end[s] for s in job.stage_ids if s in stage_end), default=job.submit_ms)
        platform = platform_facts(self.properties, self.spark_version, self.executors)
        version = self.spark_version or platform.runtime_version
        return ApplicationProfile(
            app_id=self.app_id,
            app_name=self.app_name or self.properties.get("spark.app.name"),
            spark_version=version,
            start_ms=start,
            end_ms=end,
            complete=self.complete,
            properties=self.properties,
            platform=platform,
            executors=self.executors,
            jobs=self.jobs,
            stages=self.stages,
            tasks=self.tasks,
            warnings=warns,
        )


# names of task metrics in the accumulables, for logs without a "Task Metrics" object
_ACCUMULABLE_METRICS = {
    "internal.metrics.executorRunTime": ("Executor Run Time", None),
    "internal.metrics.executorCpuTime": ("Executor CPU Time", None),
    "internal.metrics.executorDeserializeTime": ("Executor Deserialize Time", None),
    "internal.metrics.resultSerializationTime": ("Result Serialization Time", None),
    "internal.metrics.jvmGCTime": ("JVM GC Time", None),
    "internal.metrics.memoryBytesSpilled": ("Memory Bytes Spilled", None),
    "internal.metrics.diskBytesSpilled": ("Disk Bytes Spilled", None),
    "internal.metrics.peakExecutionMemory": ("Peak Execution Memory", None),
    "internal.metrics.input.bytesRead": ("Bytes Read", "Input Metrics"),
    "internal.metrics.output.bytesWritten": ("Bytes Written", "Output Metrics"),
    "internal.metrics.shuffle.read.remoteBytesRead": ("Remote Bytes Read", "Shuffle Read Metrics"),
    "internal.metrics.shuffle.read.localBytesRead": ("Local Bytes Read", "Shuffle Read Metrics"),
    "internal.metrics.shuffle.read.fetchWaitTime": ("Fetch Wait Time", "Shuffle Read Metrics"),
    "internal.metrics.shuffle.write.bytesWritten": ("Shuffle Bytes Written", "Shuffle Write Metrics"),
    "internal.metrics.shuffle.write.writeTime": ("Shuffle Write Time", "Shuffle Write Metrics"),
}


def _metrics_from_accumulables(accumulables: list[dict]) -> dict:
    out: dict = {}
    for acc in accumulables:
        spec = _ACCUMULABLE_METRICS.get(acc.get("Name", ""))
        if spec is None:
            continue
        key, group = spec
        value = acc.get("Update", acc.get("Value", 0))
        try:
            value = int(value)
        except (TypeError, ValueError):
            continue
        (out.setdefault(group, {}) if group else out)[key] = value
    return out


def platform_facts(props: dict[str, str], spark_version: str | None, executors: dict) -> PlatformFacts:
    """Databricks from ``clusterUsageTags``; EMR from ``-amzn-`` versions or EMR paths; else the master."""

    def tag(name: str) -> str | None:
        v = props.get(_TAG + name)
        return v if v not in (None, "") else None

    def as_int(v: str | None) -> int | None:
        try:
            return int(v) if v is not None else None
        except ValueError:
            return None

    if any(k.startswith(_TAG) for k in props):
        availability = tag("clusterAvailability") or ""
        return PlatformFacts(
            platform="databricks",
            worker_node_type=tag("clusterNodeType"),
            driver_node_type=tag("driverNodeType") or tag("clusterNodeType"),
            workers=as_int(tag("clusterWorkers") or tag("clusterTargetWorkers")),
            min_workers=as_int(tag("clusterMinWorkers")),
            max_workers=as_int(tag("clusterMaxWorkers")),
            photon=(tag("runtimeEngine") or "").upper() == "PHOTON" or "photon" in (tag("sparkVersion") or ""),
            spot="SPOT" in availability.upper() if availability else None,
            first_on_demand=as_int(tag("clusterFirstOnDemand")),
            region=tag("dataPlaneRegion") or tag("region"),
            cloud=tag("cloudProvider"),
            runtime_version=tag("sparkVersion") or tag("effectiveSparkVersion"),
            cluster_id=tag("clusterId"),
        )
    master = props.get("spark.master", "")
    joined = " ".join(props.values())
    workers = len({e.host for e in executors.values() if e.executor_id != "driver"}) or None
    if "amzn" in (spark_version or "") or "/usr/lib/hadoop-lzo" in joined or "emrfs" in joined.lower():
        return PlatformFacts(platform="emr", workers=workers, runtime_version=spark_version)
    if master.startswith("yarn"):
        return PlatformFacts(platform="yarn", workers=workers, runtime_version=spark_version)
    if master.startswith("local"):
        return PlatformFacts(platform="local", workers=0, runtime_version=spark_version)
    if master.startswith("spark://"):
        return PlatformFacts(platform="standalone", workers=workers, runtime_version=spark_version)
    return PlatformFacts(platform="unknown", workers=workers, runtime_version=spark_version)


PROFILE_EVENTS = frozenset(ProfileBuilder.HANDLERS)


def build_profile(location: str, **read_options) -> ApplicationProfile:
    """Read the log at ``location`` (see ``eventlog.read_events``) into a profile."""
    from airflow_agora.prediction.eventlog import read_events

    stream = read_events(location, wanted=PROFILE_EVENTS, **read_options)
    builder = ProfileBuilder()
    for event in stream:
        builder.add(event)
    return builder.build(stream.report.warnings())

"""What the overhead analysis reads: a DAG run's task instances as Airflow recorded them, and, where
the history holds one, the timings of the Spark application a task ran.

Times are seconds since the epoch (floats), so the analysis is plain arithmetic whatever the source
(Airflow's REST API gives ISO text, its metadata database datetimes).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime

from airflow_agora.domain.errors import InvalidInputError
from airflow_agora.domain.project import RunRecord


@dataclass(frozen=True)
class TaskInstanceRecord:
    """One task instance of a DAG run (its latest try): when it was queued, started and ended, how
    many tries it took (and when the first was queued and started) and which tasks it waited for.
    ``key`` is the task id, with ``[i]`` for a mapped task's ``i``-th instance."""

    key: str
    task_id: str
    state: str
    try_number: int
    queued_at: float | None
    started_at: float | None
    ended_at: float | None
    upstream: tuple[str, ...] = ()  # task ids
    first_queued_at: float | None = None  # the first try's, when there were several
    first_started_at: float | None = None
    executing_at: float | None = None  # the last try's code started and ended (the plugin's listener)
    executed_at: float | None = None

    @property
    def failed_tries(self) -> int:
        """Tries that failed: every try before the last, and the last one too when the task failed."""
        return max(0, self.try_number - 1) + (1 if self.state in ("failed", "upstream_failed") else 0)


@dataclass(frozen=True)
class DagRunRecord:
    """A finished (or running) DAG run and its task instances."""

    dag_id: str
    run_id: str
    state: str
    started_at: float | None
    ended_at: float | None
    tasks: tuple[TaskInstanceRecord, ...]
    queued_at: float | None = None

    def __post_init__(self) -> None:
        keys = [t.key for t in self.tasks]
        if len(set(keys)) != len(keys):
            raise InvalidInputError(f"DAG run {self.dag_id} {self.run_id} lists a task instance twice")


@dataclass(frozen=True)
class SparkTimings:
    """Where a task's Spark run spent its time, in seconds (None where the record does not say):
    ``cluster_startup`` (cluster creating to running, from the platform), ``session_start``,
    ``compute`` and ``tail`` (from the event log's timeline), ``io`` (the part of compute the
    event log's task metrics attribute to reading and writing), and the run's ``cost_usd``."""

    cluster_startup: float | None = None
    session_start: float | None = None
    compute: float | None = None
    tail: float | None = None
    io: float | None = None
    cost_usd: float | None = None


def instance_key(task_id: str, map_index: int | None) -> str:
    """A task instance's key: the task id, with ``[i]`` for a mapped task's ``i``-th instance."""
    return task_id if map_index is None or map_index < 0 else f"{task_id}[{map_index}]"


def epoch_s(value: datetime | str | None) -> float | None:
    """Seconds since the epoch of an aware datetime or ISO-8601 text (``Z`` allowed); None stays
    None. A naive datetime is taken as UTC, as Airflow stores it."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise InvalidInputError(f"not an ISO-8601 time: {value!r}") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.timestamp()


def timings_from_run(run: RunRecord) -> SparkTimings:
    """The Spark timings of one recorded run: start-up from its cluster report's ``activity``, the
    timeline and I/O share from its profiled event log (absent until the log was read)."""
    summary = run.profile_summary or {}
    timeline = summary.get("timeline_s") or {}
    compute = timeline.get("compute")
    split = summary.get("task_time_split_s") or {}
    task_s = sum(v for v in split.values() if isinstance(v, int | float))
    io = compute * split.get("io_other_ms", 0.0) / task_s if compute and task_s else None
    return SparkTimings(
        cluster_startup=((run.cluster_report or {}).get("activity") or {}).get("startup_s"),
        session_start=timeline.get("session_start"),
        compute=compute,
        tail=timeline.get("tail"),
        io=round(io, 3) if io is not None else None,
        cost_usd=run.cost_usd,
    )


def spark_timings_by_task(dag_id: str, run_id: str, runs: list[RunRecord]) -> dict[str, SparkTimings]:
    """Task instance key → the Spark timings of its last recorded try, from the history's runs of one
    DAG run (run keys ``DAG/RUN/TASK/MAP_INDEX/tryN``; others are ignored)."""
    prefix = f"{dag_id}/{run_id}/"
    found: dict[str, SparkTimings] = {}
    for run in runs:
        parts = run.run_key.removeprefix(prefix).rsplit("/", 2) if run.run_key.startswith(prefix) else []
        if len(parts) != 3 or not parts[2].startswith("try"):
            continue
        task_id, map_index = parts[0], int(parts[1]) if parts[1].lstrip("-").isdigit() else -1
        found[instance_key(task_id, map_index)] = timings_from_run(run)
    return found


def with_task_timings(run: DagRunRecord, timings: list[dict]) -> DagRunRecord:
    """``run`` with each task instance's code start and end from the listener's records (dicts as
    ``HistoryStore.task_timings`` returns them), where one exists for its last try."""
    found = {(instance_key(t["task_id"], t["map_index"]), t["try_number"]): t for t in timings}
    tasks = []
    for ti in run.tasks:
        hit = found.get((ti.key, ti.try_number))
        tasks.append(replace(ti, executing_at=hit["executing_at"], executed_at=hit["executed_at"]) if hit else ti)
    return replace(run, tasks=tuple(tasks))

"""Where a DAG run's time went: per task, the wait for Airflow (scheduler delay, pre-execution) and,
inside the task, cluster start-up, Spark session start, compute and the rest; per run, the DAG's
shape and the overhead on its critical path.

A task's segments add up to the time from when it became ready (its last upstream task ended, or
the run started) to when it ended:

* ``scheduler_delay``: ready → queued (the scheduler noticing and queueing it);
* ``pre_execution``: queued → running (an executor slot, the task process starting), for each try,
  and, when the plugin's listener recorded it, running → the task's code starting (importing, parsing
  the DAG file);
* ``retries``: a retried task's first try started → its last try queued (the failed tries and
  the retry delay);
* ``cluster_startup``, ``session_start``, ``compute``, ``tail``: the Spark run's timeline, when the
  history holds it (see :class:`~airflow_agora.overhead.records.SparkTimings`);
* ``other``: the rest of the running time (submitting, platform queueing, polling, fetching the
  result, and the task process finishing after the code). Without Spark timings the code's whole
  running time counts as ``compute``: the split is unknown.

``overhead = scheduler_delay + pre_execution + cluster_startup + session_start + tail + other``;
``io`` (save/load seen in the event log) is a part of ``compute`` and is reported beside it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, fields

from airflow_agora.domain.errors import InvalidInputError
from airflow_agora.overhead.records import DagRunRecord, SparkTimings, TaskInstanceRecord

SEGMENTS = (
    "scheduler_delay", "pre_execution", "retries", "cluster_startup", "session_start", "compute", "tail", "other",
)  # fmt: skip
OVERHEAD_SEGMENTS = tuple(s for s in SEGMENTS if s != "compute")


@dataclass(frozen=True)
class TaskOverhead:
    """One task instance's time split, in seconds (see the module docstring)."""

    key: str
    task_id: str
    state: str
    try_number: int
    failed_tries: int
    ready_at: float | None
    scheduler_delay: float
    pre_execution: float
    retries: float
    cluster_startup: float
    session_start: float
    compute: float
    tail: float
    other: float
    io: float | None
    spark_known: bool
    cost_usd: float | None = None

    @property
    def overhead(self) -> float:
        return sum(getattr(self, s) for s in OVERHEAD_SEGMENTS)

    @property
    def total(self) -> float:
        return self.overhead + self.compute

    def to_dict(self) -> dict:
        out = {f.name: getattr(self, f.name) for f in fields(self)}  # flat: faster than asdict
        return {**out, "overhead": round(self.overhead, 3), "total": round(self.total, 3)}


@dataclass(frozen=True)
class RunOverhead:
    """A DAG run's overhead: its tasks, shape and critical path."""

    dag_id: str
    run_id: str
    state: str
    duration_s: float | None
    tasks: tuple[TaskOverhead, ...]
    depth: int
    width: int
    critical_path: tuple[str, ...]  # task keys, first to last
    critical_overhead_s: float  # overhead of the critical path's tasks plus the run's lead-out
    critical_compute_s: float
    edges: tuple[tuple[str, str], ...]  # (upstream key, downstream key)
    warnings: tuple[str, ...] = ()

    def totals(self) -> dict:
        """Each segment summed over the run's tasks, plus ``overhead`` and ``io``."""
        sums = {s: round(sum(getattr(t, s) for t in self.tasks), 3) for s in SEGMENTS}
        sums["overhead"] = round(sum(t.overhead for t in self.tasks), 3)
        sums["io"] = round(sum(t.io or 0.0 for t in self.tasks), 3)
        return sums

    def to_dict(self) -> dict:
        return {
            "dag_id": self.dag_id,
            "run_id": self.run_id,
            "state": self.state,
            "duration_s": self.duration_s,
            "tasks": len(self.tasks),
            "depth": self.depth,
            "width": self.width,
            "critical_path": list(self.critical_path),
            "critical_overhead_s": round(self.critical_overhead_s, 3),
            "critical_compute_s": round(self.critical_compute_s, 3),
            "critical_overhead_pct": _pct(self.critical_overhead_s, self.critical_overhead_s + self.critical_compute_s),
            "totals_s": self.totals(),
            "per_task": [t.to_dict() for t in self.tasks],
            "warnings": list(self.warnings),
        }


def _pct(part: float, whole: float) -> float | None:
    return round(100 * part / whole, 1) if whole > 0 else None


def _span(start: float | None, end: float | None) -> float:
    return max(0.0, end - start) if start is not None and end is not None else 0.0


def instance_edges(run: DagRunRecord) -> list[tuple[str, str]]:
    """(upstream key, downstream key) between the run's task instances (a mapped task's every
    instance stands for its task id)."""
    by_task: dict[str, list[str]] = {}
    for t in run.tasks:
        by_task.setdefault(t.task_id, []).append(t.key)
    return [(up, t.key) for t in run.tasks for parent in t.upstream for up in by_task.get(parent, [])]


def split_task(t: TaskInstanceRecord, ready_at: float | None, spark: SparkTimings | None) -> TaskOverhead:
    """One task instance's segments from its Airflow times and, if known, its Spark timings."""
    queued = t.queued_at if t.queued_at is not None else t.started_at
    first_started = t.first_started_at if t.first_started_at is not None else t.started_at
    first_queued = t.first_queued_at if t.first_started_at is not None else queued
    first_queued = first_queued if first_queued is not None else first_started
    scheduler_delay = _span(ready_at, first_queued)
    pre_execution = _span(first_queued, first_started) + (_span(queued, t.started_at) if t.first_started_at else 0.0)
    retries = _span(first_started, queued) if t.first_started_at is not None else 0.0
    code_from, code_to, after_code = t.started_at, t.ended_at, 0.0
    if t.executing_at is not None and t.executed_at is not None and t.started_at is not None:
        pre_execution += _span(t.started_at, t.executing_at)  # the task process starting, parsing the DAG
        code_from = t.executing_at
        # the listener's "done" comes after Airflow set the end (it runs in the try's finalizers)
        code_to = min(t.executed_at, t.ended_at) if t.ended_at is not None else t.executed_at
        after_code = _span(t.executed_at, t.ended_at)
    running = _span(code_from, code_to)
    parts = {"cluster_startup": 0.0, "session_start": 0.0, "tail": 0.0}
    compute, io, known = running, None, spark is not None and spark.compute is not None
    if spark is not None:  # laid end to end inside the running time; what does not fit is cut off
        left = running
        for name in ("cluster_startup", "session_start"):
            parts[name] = min(left, getattr(spark, name) or 0.0)
            left -= parts[name]
        compute = min(spark.compute, left) if known else left  # an unread log: start-up is still known
        parts["tail"] = min(spark.tail or 0.0, left - compute)
        io = min(spark.io, compute) if spark.io is not None else None
    other = max(0.0, running - compute - sum(parts.values())) + after_code
    return TaskOverhead(
        key=t.key, task_id=t.task_id, state=t.state, try_number=t.try_number, failed_tries=t.failed_tries,
        ready_at=ready_at, scheduler_delay=scheduler_delay, pre_execution=pre_execution, retries=retries,
        compute=compute, other=other, io=io, spark_known=known, cost_usd=spark.cost_usd if spark else None, **parts,
    )  # fmt: skip


def levels(keys: list[str], edges: list[tuple[str, str]]) -> dict[str, int]:
    """Each task's level (1 for tasks without upstream, else 1 + its upstream's deepest), in
    topological order (Kahn); raises on a cycle."""
    parents: dict[str, list[str]] = {k: [] for k in keys}
    children: dict[str, list[str]] = {k: [] for k in keys}
    for up, down in edges:
        parents[down].append(up)
        children[up].append(down)
    waiting = {k: len(parents[k]) for k in keys}
    ready = [k for k in keys if waiting[k] == 0]
    level: dict[str, int] = {}
    while ready:
        k = ready.pop()
        level[k] = 1 + max((level[p] for p in parents[k]), default=0)
        for c in children[k]:
            waiting[c] -= 1
            if waiting[c] == 0:
                ready.append(c)
    if len(level) != len(keys):
        raise InvalidInputError("the DAG's task dependencies form a cycle")
    return level


def analyse_run(run: DagRunRecord, spark: dict[str, SparkTimings] | None = None) -> RunOverhead:
    """The overhead of one DAG run; ``spark`` maps task keys (or task ids) to their Spark timings."""
    spark = spark or {}
    by_key = {t.key: t for t in run.tasks}
    edges = instance_edges(run)
    parents: dict[str, list[str]] = {k: [] for k in by_key}
    for up, down in edges:
        parents[down].append(up)
    warnings = []
    tasks = []
    for t in run.tasks:
        ends = [by_key[p].ended_at for p in parents[t.key]]
        ready = max((e for e in ends if e is not None), default=None) if ends else run.started_at
        if ends and None in ends and t.started_at is not None:
            warnings.append(f"{t.key}: an upstream task has no end time; its scheduler delay is unknown")
            ready = None
        tasks.append(split_task(t, ready, spark.get(t.key) or spark.get(t.task_id)))
    split = {t.key: t for t in tasks}
    level = levels(list(by_key), edges)
    width = max(Counter(level.values()).values(), default=0)
    path = _critical_path(run, parents)
    lead_out = _span(by_key[path[-1]].ended_at, run.ended_at) if path else 0.0  # the path's last task to the run's end
    return RunOverhead(
        dag_id=run.dag_id,
        run_id=run.run_id,
        state=run.state,
        duration_s=_span(run.started_at, run.ended_at) if None not in (run.started_at, run.ended_at) else None,
        tasks=tuple(tasks),
        depth=max(level.values(), default=0),
        width=width,
        critical_path=tuple(path),
        critical_overhead_s=sum(split[k].overhead for k in path) + lead_out,
        critical_compute_s=sum(split[k].compute for k in path),
        edges=tuple(edges),
        warnings=tuple(warnings),
    )


def _critical_path(run: DagRunRecord, parents: dict[str, list[str]]) -> list[str]:
    """From the task that ended last, back through the upstream task that ended last each time: the
    chain of waits that set the run's length."""
    ended = {t.key: t.ended_at for t in run.tasks if t.ended_at is not None}
    if not ended:
        return []
    key = max(ended, key=lambda k: ended[k])
    path = [key]
    while True:
        ups = [p for p in parents[key] if p in ended]
        if not ups:
            return path[::-1]
        key = max(ups, key=lambda k: ended[k])
        path.append(key)

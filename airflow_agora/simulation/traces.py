"""Trace DAGs: what the simulator replays, and the loader of Alibaba 2018 ``batch_task`` rows.

A :class:`TraceDag` is one DAG job arriving at ``arrival_s`` with tasks, each observed once at a
recorded size (vCPUs) and runtime. Alibaba rows (columns ``task_name, instance_num, job_name,
task_type, status, start_time, end_time, plan_cpu, plan_mem``, header optional, extra columns
ignored):

* the DAG comes from the task names: ``M1`` is task 1, ``R2_1`` task 2 after task 1, ``J3_1_2``
  task 3 after tasks 1 and 2 (letters, a ``_Stg<k>`` suffix and a trailing ``_`` mean nothing);
  other names (``task_…``, ``MergeTask``) are tasks without edges;
* a task's runtime is ``end_time - max(start_time, its parents' end_time)``, because ``start_time``
  in these rows is often the job's creation time, not the task's start;
* its recorded size is ``plan_cpu / 100 × instance_num`` vCPUs (``plan_cpu`` 100 is one core);
* the job arrives at its earliest ``start_time``.

Jobs that cannot be replayed (a task not ``Terminated``, a time missing or zero, a cycle) are
skipped and counted in :class:`LoadReport`; edges to a parent the job does not hold are dropped and
counted.
"""

from __future__ import annotations

import csv
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from airflow_agora.domain.errors import InvalidInputError
from airflow_agora.domain.graph import CycleError, topological_order

ALIBABA_COLUMNS = ("task_name", "instance_num", "job_name", "task_type", "status", "start_time", "end_time",
                   "plan_cpu", "plan_mem")  # fmt: skip
_DAG_NAME = re.compile(r"^[A-Za-z]+(\d+)((?:_\d*)*)(?:_Stg\d+_?)?$")


@dataclass(frozen=True)
class TraceTask:
    """One task as the trace recorded it: ``runtime_s`` at ``vcpus``; ``curve``, ``(vCPUs, seconds)``
    by vCPUs ascending, when the trace measured it at several sizes (TPC-H), else empty."""

    task_id: str
    vcpus: float
    runtime_s: float
    parents: tuple[str, ...] = ()
    curve: tuple[tuple[float, float], ...] = ()


@dataclass(frozen=True)
class TraceDag:
    dag_id: str
    arrival_s: float
    tasks: tuple[TraceTask, ...]

    @property
    def edges(self) -> list[tuple[str, str]]:
        return [(p, t.task_id) for t in self.tasks for p in t.parents]


@dataclass
class LoadReport:
    """What a loader read and what it had to leave out, by reason."""

    read: str = ""
    dags: int = 0
    tasks: int = 0
    skipped_dags: Counter = field(default_factory=Counter)
    dropped_edges: int = 0

    def summary(self) -> str:
        skipped = ", ".join(f"{n} {why}" for why, n in sorted(self.skipped_dags.items())) or "none"
        return (f"{self.read}: {self.dags} DAGs with {self.tasks} tasks; skipped DAGs: {skipped}; "
                f"edges to missing parents dropped: {self.dropped_edges}")  # fmt: skip


def parse_task_name(name: str) -> tuple[str, tuple[str, ...]] | None:
    """``(task number, parent numbers)`` of a DAG task name, or None for a task outside any DAG."""
    match = _DAG_NAME.match(name.strip())
    if not match:
        return None
    parents = tuple(p for p in match.group(2).split("_") if p)
    return match.group(1), parents


def load_alibaba(path: str | Path) -> tuple[list[TraceDag], LoadReport]:
    """The replayable DAG jobs of an Alibaba ``batch_task`` file, by arrival, and the load report."""
    path = Path(path)
    if not path.is_file():
        raise InvalidInputError(f"no trace file {path}", fix="give the path of a batch_task CSV file")
    jobs: dict[str, list[dict]] = defaultdict(list)
    report, rows = LoadReport(), 0
    with path.open(newline="") as handle:
        reader = csv.reader(handle)
        for line_no, row in enumerate(reader, start=1):
            if line_no == 1 and row[:1] == ["task_name"]:
                continue
            if len(row) < len(ALIBABA_COLUMNS):
                raise InvalidInputError(
                    f"{path}:{line_no}: {len(row)} fields, expected at least {len(ALIBABA_COLUMNS)}",
                    fix="give Alibaba 2018 batch_task rows: " + ",".join(ALIBABA_COLUMNS),
                )
            rows += 1
            jobs[row[2]].append(dict(zip(ALIBABA_COLUMNS, row, strict=False)) | {"line": line_no})
    dags = []
    for job_name, job_rows in jobs.items():
        dag = _alibaba_job(job_name, job_rows, report, path)
        if dag is not None:
            dags.append(dag)
    dags.sort(key=lambda d: (d.arrival_s, d.dag_id))
    report.read = f"{rows} rows of {path.name}"
    report.dags = len(dags)
    report.tasks = sum(len(d.tasks) for d in dags)
    return dags, report


def _number(value: str, what: str, path: Path, line: int) -> float | None:
    if value == "":
        return None
    try:
        return float(value)
    except ValueError:
        raise InvalidInputError(
            f"{path}:{line}: {what} {value!r} is not a number", fix="fix or remove the row"
        ) from None


def _alibaba_job(job_name: str, rows: list[dict], report: LoadReport, path: Path) -> TraceDag | None:
    tasks: dict[str, dict] = {}
    for row in rows:
        line = row["line"]
        start, end = (
            _number(row["start_time"], "start_time", path, line),
            _number(row["end_time"], "end_time", path, line),
        )
        cpu, instances = (
            _number(row["plan_cpu"], "plan_cpu", path, line),
            _number(row["instance_num"], "instance_num", path, line),
        )
        if row["status"] != "Terminated":
            report.skipped_dags["with a task not Terminated"] += 1
            return None
        if not start or not end or end < start or not cpu or not instances:
            report.skipped_dags["with a time or size missing"] += 1
            return None
        parsed = parse_task_name(row["task_name"])
        task_id, parents = parsed if parsed else (row["task_name"], ())
        if task_id in tasks:
            report.skipped_dags["with a task named twice"] += 1
            return None
        tasks[task_id] = {"start": start, "end": end, "vcpus": cpu / 100 * instances, "parents": parents}
    for task in tasks.values():
        kept = tuple(p for p in task["parents"] if p in tasks)
        report.dropped_edges += len(task["parents"]) - len(kept)
        task["parents"] = kept
    try:
        order = topological_order(list(tasks), [(p, t) for t, v in tasks.items() for p in v["parents"]])
    except CycleError:
        report.skipped_dags["with a cycle"] += 1
        return None
    out = []
    for task_id in order:
        task = tasks[task_id]
        ready = max([task["start"], *(tasks[p]["end"] for p in task["parents"])])
        out.append(TraceTask(task_id, task["vcpus"], max(0.0, task["end"] - ready), task["parents"]))
    return TraceDag(job_name, min(t["start"] for t in tasks.values()), tuple(out))

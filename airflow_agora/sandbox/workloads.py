"""How long a sandbox job runs on a given cluster: measured runtime-vs-workers points per instance
type, interpolated, with an Amdahl curve ``serial_s + parallel_s / workers`` beyond them.

The points come from a workflow file's ``curves`` (the shipped ``four_jobs`` file carries CherryPick
measurements), so the sandbox's jobs behave like the real jobs they stand for, including the
non-Amdahl ones (a job that spills on a small cluster). Between measured worker counts the runtime
is interpolated linearly in ``1/workers``; outside them the nearest measured point is scaled by the
Amdahl curve fitted to all points. A type without a curve borrows the curve of the measured type
nearest in vCPUs per node at the same total vCPUs; a job the model does not know runs the
``default`` workload.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from importlib import resources
from pathlib import Path

from airflow_agora.domain.errors import InvalidInputError

DEFAULT_WORKLOAD = "default"
FAILURES = {
    "out_of_memory": "java.lang.OutOfMemoryError: Java heap space",
    "lost_executors": "org.apache.spark.SparkException: Job aborted: ExecutorLostFailure (executor 3 exited)",
    "nodes_lost": "org.apache.spark.SparkException: Job aborted due to stage failure: ShuffleMapStage 7 has "
    "failed the maximum allowable number of times: 4. Most recent failure reason: "
    "org.apache.spark.shuffle.FetchFailedException: Failed to connect to /10.139.64.17:4048",
}
INPUT_BYTES_AT_SCALE_1 = 40 << 30


@dataclass(frozen=True)
class Amdahl:
    """``runtime_s = serial_s + parallel_s / workers`` on nodes of ``vcpus_per_worker`` vCPUs."""

    serial_s: float
    parallel_s: float
    vcpus_per_worker: int

    def runtime_s(self, workers: int) -> float:
        return self.serial_s + self.parallel_s / max(1, workers)

    @classmethod
    def fit(cls, runtime_s_by_workers: dict[int, float], vcpus_per_worker: int) -> Amdahl:
        """Least squares in ``1/workers`` with both parts kept non-negative."""
        xs = [1.0 / w for w in runtime_s_by_workers]
        ys = list(runtime_s_by_workers.values())
        n = len(xs)
        if n == 1:
            return cls(0.0, ys[0] * next(iter(runtime_s_by_workers)), vcpus_per_worker)
        mx, my = sum(xs) / n, sum(ys) / n
        sxx = sum((x - mx) ** 2 for x in xs)
        slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sxx if sxx else 0.0
        slope = max(0.0, slope)
        serial = max(0.0, my - slope * mx)
        return cls(serial, slope, vcpus_per_worker)


@dataclass(frozen=True)
class MeasuredCurve:
    """Measured ``runtime_s_by_workers`` of one instance type and the Amdahl curve fitted to them."""

    points: dict[int, float]
    vcpus_per_worker: int

    @cached_property
    def amdahl(self) -> Amdahl:
        return Amdahl.fit(self.points, self.vcpus_per_worker)

    @property
    def serial_s(self) -> float:
        return self.amdahl.serial_s

    def runtime_s(self, workers: float) -> float:
        workers = max(1.0, workers)
        counts = sorted(self.points)
        if workers <= counts[0] or workers >= counts[-1]:
            edge = counts[0] if workers <= counts[0] else counts[-1]
            at_edge = self.amdahl.runtime_s(edge)
            return self.points[edge] * (self.amdahl.runtime_s(workers) / at_edge if at_edge > 0 else 1.0)
        high = next(c for c in counts if c >= workers)
        low = max(c for c in counts if c <= workers)
        if high == low:
            return self.points[low]
        share = (1 / low - 1 / workers) / (1 / low - 1 / high)
        return self.points[low] + share * (self.points[high] - self.points[low])


@dataclass(frozen=True)
class WorkloadModel:
    """Per workload, per instance type, its measured curve."""

    curves: dict[str, dict[str, MeasuredCurve]]

    def runtime_s(self, workload: str, instance_type: str, workers: int, vcpus_per_node: int) -> float:
        by_type = self.curves.get(workload) or self.curves[DEFAULT_WORKLOAD]
        curve = by_type.get(instance_type)
        if curve is not None:
            return curve.runtime_s(workers)
        nearest = min(by_type.values(), key=lambda c: abs(c.vcpus_per_worker - vcpus_per_node))
        return nearest.runtime_s(workers * vcpus_per_node / nearest.vcpus_per_worker)

    def curve(self, workload: str, instance_type: str) -> MeasuredCurve | None:
        return (self.curves.get(workload) or {}).get(instance_type)

    def knows(self, workload: str) -> bool:
        return workload in self.curves

    @classmethod
    def from_workflow(cls, data: dict, where: str = "workflow") -> WorkloadModel:
        """Curves of every task of a workflow file (``tasks[].curves``), keyed by task id; the
        default workload is the first task's."""
        tasks = [t for wf in data.get("workflows", [data]) for t in wf.get("tasks", []) if t.get("curves")]
        if not tasks:
            raise InvalidInputError(
                "no task with runtime curves", where=where, fix="give a workflow file whose tasks have 'curves'"
            )
        curves: dict[str, dict[str, MeasuredCurve]] = {}
        for task in tasks:
            curves[task["task_id"]] = {
                c["instance_type"]: MeasuredCurve(
                    {int(w): float(t) for w, t in c["runtime_s_by_workers"].items()}, int(c["vcpus_per_worker"])
                )
                for c in task["curves"]
            }
        curves.setdefault(DEFAULT_WORKLOAD, curves[tasks[0]["task_id"]])
        return cls(curves)

    @classmethod
    def load(cls, path: str | Path | None = None) -> WorkloadModel:
        """From a workflow file, or the shipped ``four_jobs`` workflow."""
        if path is None:
            text = resources.files("airflow_agora").joinpath("data/workflows/four_jobs.json").read_text()
            return cls.from_workflow(json.loads(text), "four_jobs.json")
        p = Path(path)
        try:
            return cls.from_workflow(json.loads(p.read_text()), str(p))
        except (OSError, json.JSONDecodeError) as exc:
            raise InvalidInputError(f"cannot read the workload file ({exc})", where=str(p)) from None


@dataclass(frozen=True)
class JobTiming:
    """How one sandbox job runs on its cluster: runtime, its serial (driver) part and the parallel
    work in worker-seconds, and what the job's arguments asked for."""

    workload: str
    runtime_s: float
    serial_s: float
    parallel_s: float
    input_scale: float
    code_version: str
    failure: str | None  # a Spark error text: the job dies half-way


def job_args(tokens: list) -> dict[str, str]:
    """``--name value`` / ``--name=value`` pairs of a job's command-line arguments."""
    out: dict[str, str] = {}
    tokens = [str(t) for t in tokens]
    for i, token in enumerate(tokens):
        if token.startswith("--"):
            name, eq, value = token[2:].partition("=")
            if not eq and i + 1 < len(tokens) and not tokens[i + 1].startswith("--"):
                value = tokens[i + 1]
            out[name] = value
    return out


def job_timing(model: WorkloadModel, workload: str, instance_type: str, workers: int, vcpus_per_node: int,
               args: dict[str, str]) -> JobTiming:  # fmt: skip
    """The job's timing from the model and the arguments that drive it as a real job's would:
    ``--input-scale X`` (data grown X-fold, runtime too), ``--code-version v2`` (a changed stage
    structure, 10% slower), ``--fail out_of_memory|lost_executors|<text>`` (the job dies half-way)."""
    scale = float(args.get("input-scale", 1.0))
    version = args.get("code-version", "v1")
    runtime = model.runtime_s(workload, instance_type, workers, vcpus_per_node) * scale
    runtime *= 1.1 if version != "v1" else 1.0
    curve = model.curve(workload, instance_type)
    serial_share = min(0.9, curve.serial_s / curve.runtime_s(workers)) if curve else 0.2
    serial = runtime * serial_share
    failure = FAILURES.get(args["fail"], args["fail"]) if args.get("fail") else None
    if failure:
        runtime, serial = runtime / 2, serial / 2
    return JobTiming(workload, runtime, serial, max(0.0, runtime - serial) * workers, scale, version, failure)

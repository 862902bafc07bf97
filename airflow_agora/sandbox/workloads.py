"""How long a sandbox job runs on a given cluster: Amdahl curves ``serial_s + parallel_s / workers``
fitted per instance type to measured runtime-vs-workers points.

The points come from a workflow file's ``curves`` (the shipped ``four_jobs`` file carries CherryPick
measurements), so the sandbox's jobs behave like the real jobs they stand for. A type without a
curve borrows the curve of the measured type nearest in vCPUs per node, with its parallel part
scaled by the vCPU ratio; a job the model does not know runs the ``default`` workload.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from airflow_agora.domain.errors import InvalidInputError

DEFAULT_WORKLOAD = "default"


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
class WorkloadModel:
    """Per workload, per instance type, its Amdahl curve."""

    curves: dict[str, dict[str, Amdahl]]

    def runtime_s(self, workload: str, instance_type: str, workers: int, vcpus_per_node: int) -> float:
        by_type = self.curves.get(workload) or self.curves[DEFAULT_WORKLOAD]
        curve = by_type.get(instance_type)
        if curve is None:
            nearest = min(by_type.values(), key=lambda c: abs(c.vcpus_per_worker - vcpus_per_node))
            scale = nearest.vcpus_per_worker / max(1, vcpus_per_node)
            curve = Amdahl(nearest.serial_s, nearest.parallel_s * scale, vcpus_per_node)
        return curve.runtime_s(workers)

    def curve(self, workload: str, instance_type: str) -> Amdahl | None:
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
        curves: dict[str, dict[str, Amdahl]] = {}
        for task in tasks:
            curves[task["task_id"]] = {
                c["instance_type"]: Amdahl.fit(
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

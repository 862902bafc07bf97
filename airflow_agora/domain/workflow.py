"""Workflows (DAGs of Spark tasks) and the candidate configurations ("modes") of each task."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from airflow_agora.domain.cluster import ClusterConfig
from airflow_agora.domain.goals import Goals

VCPUS = "vcpus"
MEMORY_GB = "memory_gb"


@dataclass(frozen=True)
class Mode:
    """One way to run a task: a configuration with its duration, resource demand and cost.

    ``demands`` are renewable resources held while the task runs (``vcpus``, ``memory_gb`` or any name
    that has a capacity). ``consumes`` are non-renewable amounts used once per run and capped by a
    problem-wide budget (PSPLIB's non-renewable resources; the cost budget is handled by ``cost_usd``).
    """

    duration_s: float
    demands: Mapping[str, float]
    cost_usd: float = 0.0
    consumes: Mapping[str, float] = field(default_factory=dict)
    config: ClusterConfig | None = None
    name: str | None = None

    @classmethod
    def of(
        cls,
        duration_s: float,
        vcpus: float,
        cost_usd: float = 0.0,
        *,
        memory_gb: float | None = None,
        config: ClusterConfig | None = None,
        name: str | None = None,
    ) -> Mode:
        demands = {VCPUS: vcpus}
        if memory_gb is not None:
            demands[MEMORY_GB] = memory_gb
        return cls(duration_s=duration_s, demands=demands, cost_usd=cost_usd, config=config, name=name)

    @property
    def vcpus(self) -> float:
        return float(self.demands.get(VCPUS, 0.0))

    @property
    def label(self) -> str:
        if self.name:
            return self.name
        if self.config is not None:
            return self.config.label
        return ", ".join(f"{k}={v:g}" for k, v in self.demands.items()) or "no resources"


@dataclass(frozen=True)
class Estimate:
    """Predicted runtime and cost of one task on one configuration, with a low/mid/high range."""

    config: ClusterConfig
    runtime_s: float
    cost_usd: float
    vcpus: float
    runtime_low_s: float | None = None
    runtime_high_s: float | None = None
    cost_low_usd: float | None = None
    cost_high_usd: float | None = None
    memory_gb: float | None = None

    def to_mode(self) -> Mode:
        """The planner plans on the mid estimate."""
        return Mode.of(self.runtime_s, self.vcpus, self.cost_usd, memory_gb=self.memory_gb, config=self.config)


@dataclass(frozen=True)
class TaskSpec:
    """A task of a workflow and the modes it may run in."""

    task_id: str
    modes: tuple[Mode, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "modes", tuple(self.modes))


@dataclass(frozen=True)
class Workflow:
    """A DAG: tasks, finish-to-start edges ``(upstream, downstream)``, its goals and release time."""

    dag_id: str
    tasks: tuple[TaskSpec, ...]
    edges: tuple[tuple[str, str], ...] = ()
    goals: Goals = field(default_factory=Goals)
    release_s: float = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "tasks", tuple(self.tasks))
        object.__setattr__(self, "edges", tuple((str(u), str(v)) for u, v in self.edges))

    def task(self, task_id: str) -> TaskSpec:
        for spec in self.tasks:
            if spec.task_id == task_id:
                return spec
        raise KeyError(f"workflow {self.dag_id!r} has no task {task_id!r}")

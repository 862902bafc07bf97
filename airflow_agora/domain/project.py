"""A *project* is one recurring Spark task under closed-loop control; a *run* is one execution of it.

These are the values the history store keeps and the controller reasons about. They hold no
behaviour beyond validation and (de)serialisation to plain JSON-able dicts.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum

from airflow_agora.domain.cluster import ClusterConfig
from airflow_agora.domain.errors import InvalidInputError


class Phase(StrEnum):
    """Where a project's controller is: exploring a new job, converging, or re-learning after drift."""

    LEARNING = "learning"
    OPTIMIZING = "optimizing"
    RELEARNING = "relearning"


class RunStatus(StrEnum):
    SUCCESS = "success"
    FAILED = "failed"


class FailureReason(StrEnum):
    """Why a run failed, as far as the controller cares: these mark a configuration unsafe."""

    OUT_OF_MEMORY = "out_of_memory"
    LOST_EXECUTORS = "lost_executors"
    TIMEOUT = "timeout"
    OTHER = "other"


@dataclass(frozen=True)
class SetPoint:
    """What a project aims for: a runtime SLA, a cost target per run, or both.

    With both, the controller looks for the cheapest configuration within the SLA and reports
    whether that also meets the cost target. With neither, it minimises cost.
    """

    sla_s: float | None = None
    cost_target_usd: float | None = None

    def __post_init__(self) -> None:
        for name in ("sla_s", "cost_target_usd"):
            value = getattr(self, name)
            if value is not None and not value > 0:
                raise InvalidInputError(f"set point {name} must be positive, got {value}")

    @property
    def kind(self) -> str:
        if self.sla_s is not None:
            return "sla"
        return "cost" if self.cost_target_usd is not None else "min_cost"

    def to_dict(self) -> dict:
        return {"sla_s": self.sla_s, "cost_target_usd": self.cost_target_usd}

    @classmethod
    def from_dict(cls, data: dict | None) -> SetPoint:
        data = data or {}
        return cls(data.get("sla_s"), data.get("cost_target_usd"))


@dataclass(frozen=True)
class AllowedConfigs:
    """The configurations the controller may choose among: an instance-type allow-list (empty: keep
    the observed type) and a worker range."""

    instance_types: tuple[str, ...] = ()
    min_workers: int = 1
    max_workers: int = 64

    def __post_init__(self) -> None:
        if not 1 <= self.min_workers <= self.max_workers:
            raise InvalidInputError(
                f"allowed workers {self.min_workers}..{self.max_workers} is empty",
                fix="give 1 <= min_workers <= max_workers",
            )

    def to_dict(self) -> dict:
        return {
            "instance_types": list(self.instance_types),
            "min_workers": self.min_workers,
            "max_workers": self.max_workers,
        }

    @classmethod
    def from_dict(cls, data: dict | None) -> AllowedConfigs:
        data = data or {}
        return cls(
            tuple(data.get("instance_types") or ()), int(data.get("min_workers", 1)), int(data.get("max_workers", 64))
        )


def _name_ok(name: str) -> bool:
    return bool(name) and len(name) <= 250 and not name.isspace()


@dataclass(frozen=True)
class Project:
    """One recurring task under control. ``name`` is unique; by default ``<dag_id>.<task_id>``.

    ``state`` is the controller's own memory (calibration, unsafe configurations, fingerprints): the
    store keeps it opaque.
    """

    name: str
    platform: str = "generic"
    dag_id: str | None = None
    task_id: str | None = None
    tags: tuple[str, ...] = ()
    set_point: SetPoint = field(default_factory=SetPoint)
    allowed: AllowedConfigs = field(default_factory=AllowedConfigs)
    phase: Phase = Phase.LEARNING
    initial_config: ClusterConfig | None = None
    state: dict = field(default_factory=dict)
    created_at: datetime | None = None
    updated_at: datetime | None = None

    def __post_init__(self) -> None:
        if not _name_ok(self.name):
            raise InvalidInputError(f"project name {self.name!r} must be 1 to 250 characters")
        if self.platform == "emr-serverless":  # a ClusterConfig's spelling
            object.__setattr__(self, "platform", "emr_serverless")
        if self.platform not in ("generic", "databricks", "emr", "emr_serverless"):
            raise InvalidInputError(
                f"project {self.name}: unknown platform {self.platform!r}",
                fix="use databricks, emr, emr_serverless or generic",
            )

    @classmethod
    def for_task(cls, dag_id: str, task_id: str, **kwargs) -> Project:
        return cls(f"{dag_id}.{task_id}", dag_id=dag_id, task_id=task_id, **kwargs)

    def with_changes(self, **changes) -> Project:
        return replace(self, **changes)

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "platform": self.platform,
            "dag_id": self.dag_id,
            "task_id": self.task_id,
            "tags": list(self.tags),
            "set_point": self.set_point.to_dict(),
            "allowed": self.allowed.to_dict(),
            "phase": str(self.phase),
            "initial_config": self.initial_config.to_dict() if self.initial_config else None,
            "created_at": _iso(self.created_at),
            "updated_at": _iso(self.updated_at),
        }


@dataclass(frozen=True)
class RunRecord:
    """One finished execution of a project's task. ``run_key`` identifies it (for Airflow: the DAG
    run id and try number, or the platform's run id), so recording the same run twice is a no-op."""

    project: str
    run_key: str
    config: ClusterConfig
    runtime_s: float
    status: RunStatus = RunStatus.SUCCESS
    cost_usd: float | None = None
    failure_reason: FailureReason | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    eventlog_uri: str | None = None
    profile_summary: dict = field(default_factory=dict)
    cluster_report: dict = field(default_factory=dict)  # the platform's, with its ``activity`` summary
    fingerprint: str | None = None
    input_bytes: int | None = None
    recorded_at: datetime | None = None

    def __post_init__(self) -> None:
        if not _name_ok(self.run_key):
            raise InvalidInputError(f"run key {self.run_key!r} must be 1 to 250 characters")
        if not self.runtime_s >= 0:
            raise InvalidInputError(f"run {self.run_key}: runtime_s must be >= 0, got {self.runtime_s}")
        if self.status == RunStatus.FAILED and self.failure_reason is None:
            object.__setattr__(self, "failure_reason", FailureReason.OTHER)

    @property
    def succeeded(self) -> bool:
        return self.status == RunStatus.SUCCESS

    def to_dict(self) -> dict:
        return {
            "project": self.project,
            "run_key": self.run_key,
            "config": self.config.to_dict(),
            "runtime_s": self.runtime_s,
            "cost_usd": self.cost_usd,
            "status": str(self.status),
            "failure_reason": str(self.failure_reason) if self.failure_reason else None,
            "started_at": _iso(self.started_at),
            "ended_at": _iso(self.ended_at),
            "eventlog_uri": self.eventlog_uri,
            "fingerprint": self.fingerprint,
            "input_bytes": self.input_bytes,
            "profile_summary": self.profile_summary,
            "cluster_report": self.cluster_report,
            "recorded_at": _iso(self.recorded_at),
        }


@dataclass(frozen=True)
class Recommendation:
    """The configuration a project's next run should use, why, and what it is predicted to do."""

    project: str
    config: ClusterConfig
    reason: str
    phase: Phase
    predicted_runtime_s: float | None = None
    predicted_runtime_high_s: float | None = None
    predicted_cost_usd: float | None = None
    based_on_run: str | None = None
    created_at: datetime | None = None

    def to_dict(self) -> dict:
        return {
            "project": self.project,
            "config": self.config.to_dict(),
            "label": self.config.label,
            "reason": self.reason,
            "phase": str(self.phase),
            "predicted_runtime_s": self.predicted_runtime_s,
            "predicted_runtime_high_s": self.predicted_runtime_high_s,
            "predicted_cost_usd": self.predicted_cost_usd,
            "based_on_run": self.based_on_run,
            "created_at": _iso(self.created_at),
        }


def utc_now() -> datetime:
    return datetime.now(UTC)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None

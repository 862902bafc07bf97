"""The agora tables, in their own metadata so Airflow's migrations and ours never meet.

Times that only order or expire things (lease priorities and expiries) are epoch seconds; times users
read are timezone-aware ``DateTime`` columns written in UTC.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    true,
)

VERSION_TABLE = "agora_alembic_version"

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def _when(name: str, nullable: bool = True) -> Column:
    return Column(name, DateTime(timezone=True), nullable=nullable)


def _project_fk() -> Column:
    return Column("project_id", Integer, ForeignKey("agora_project.id", ondelete="CASCADE"), nullable=False)


project = Table(
    "agora_project",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(250), nullable=False, unique=True),
    Column("platform", String(32), nullable=False),
    Column("dag_id", String(250)),
    Column("task_id", String(250)),
    Column("tags", JSON, nullable=False),
    Column("set_point", JSON, nullable=False),
    Column("allowed", JSON, nullable=False),
    Column("phase", String(32), nullable=False),
    Column("initial_config", JSON),
    Column("state", JSON, nullable=False),
    _when("created_at", False),
    _when("updated_at", False),
    Index("ix_agora_project_dag_id", "dag_id"),
)

run = Table(
    "agora_run",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    _project_fk(),
    Column("run_key", String(250), nullable=False),
    Column("config", JSON, nullable=False),
    Column("runtime_s", Float, nullable=False),
    Column("cost_usd", Float),
    Column("status", String(32), nullable=False),
    Column("failure_reason", String(64)),
    _when("started_at"),
    _when("ended_at"),
    Column("eventlog_uri", Text),
    Column("profile_summary", JSON, nullable=False),
    Column("cluster_report", JSON),
    Column("fingerprint", String(128)),
    Column("input_bytes", BigInteger),
    _when("recorded_at", False),
    UniqueConstraint("project_id", "run_key", name="uq_agora_run_project_run_key"),
    Index("ix_agora_run_project", "project_id", "id"),
)

prediction = Table(
    "agora_prediction",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    _project_fk(),
    Column("run_id", Integer, ForeignKey("agora_run.id", ondelete="SET NULL")),
    Column("model", String(64), nullable=False),
    Column("payload", JSON, nullable=False),
    _when("created_at", False),
    Index("ix_agora_prediction_project", "project_id", "id"),
)

recommendation = Table(
    "agora_recommendation",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    _project_fk(),
    Column("based_on_run", String(250)),
    Column("config", JSON, nullable=False),
    Column("reason", Text, nullable=False),
    Column("phase", String(32), nullable=False),
    Column("predicted_runtime_s", Float),
    Column("predicted_runtime_high_s", Float),
    Column("predicted_cost_usd", Float),
    _when("created_at", False),
    Index("ix_agora_recommendation_project", "project_id", "id"),
)

plan = Table(
    "agora_plan",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("dag_id", String(250), nullable=False),
    Column("run_id", String(250), nullable=False),
    Column("status", String(32), nullable=False),
    Column("makespan_s", Float),
    Column("cost_usd", Float),
    Column("payload", JSON, nullable=False),
    _when("created_at", False),
    UniqueConstraint("dag_id", "run_id", name="uq_agora_plan_dag_run"),
)

task_timing = Table(
    "agora_task_timing",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("dag_id", String(250), nullable=False),
    Column("run_id", String(250), nullable=False),
    Column("task_id", String(250), nullable=False),
    Column("map_index", Integer, nullable=False),
    Column("try_number", Integer, nullable=False),
    Column("executing_at", Float, nullable=False),  # epoch s: the task's code about to run
    Column("executed_at", Float, nullable=False),  # epoch s: its code done
    Column("state", String(32), nullable=False),
    UniqueConstraint("dag_id", "run_id", "task_id", "map_index", "try_number", name="uq_agora_task_timing_try"),
)

capacity_pool = Table(
    "agora_capacity_pool",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("capacity_vcpus", Float, nullable=False),
)

lease = Table(
    "agora_lease",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("pool", String(64), ForeignKey("agora_capacity_pool.name", ondelete="CASCADE"), nullable=False),
    Column("owner", String(250), nullable=False),
    Column("vcpus", Float, nullable=False),
    Column("priority", Float, nullable=False),
    Column("requested_at", Float, nullable=False),
    Column("granted_at", Float),
    Column("expires_at", Float, nullable=False),
    Column("claimed", Boolean, nullable=False, server_default=true()),
    UniqueConstraint("pool", "owner", name="uq_agora_lease_pool_owner"),
)

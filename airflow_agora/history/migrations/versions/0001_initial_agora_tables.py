"""The initial agora tables: projects, runs, predictions, recommendations, plans, capacity pools and leases.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "agora_capacity_pool",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("capacity_vcpus", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_agora_capacity_pool")),
    )
    op.create_table(
        "agora_plan",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("dag_id", sa.String(length=250), nullable=False),
        sa.Column("run_id", sa.String(length=250), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("makespan_s", sa.Float(), nullable=True),
        sa.Column("cost_usd", sa.Float(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agora_plan")),
        sa.UniqueConstraint("dag_id", "run_id", name="uq_agora_plan_dag_run"),
    )
    op.create_table(
        "agora_project",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=250), nullable=False),
        sa.Column("platform", sa.String(length=32), nullable=False),
        sa.Column("dag_id", sa.String(length=250), nullable=True),
        sa.Column("task_id", sa.String(length=250), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("set_point", sa.JSON(), nullable=False),
        sa.Column("allowed", sa.JSON(), nullable=False),
        sa.Column("phase", sa.String(length=32), nullable=False),
        sa.Column("initial_config", sa.JSON(), nullable=True),
        sa.Column("state", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agora_project")),
        sa.UniqueConstraint("name", name=op.f("uq_agora_project_name")),
    )
    op.create_index("ix_agora_project_dag_id", "agora_project", ["dag_id"])
    op.create_table(
        "agora_lease",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("pool", sa.String(length=64), nullable=False),
        sa.Column("owner", sa.String(length=250), nullable=False),
        sa.Column("vcpus", sa.Float(), nullable=False),
        sa.Column("priority", sa.Float(), nullable=False),
        sa.Column("requested_at", sa.Float(), nullable=False),
        sa.Column("granted_at", sa.Float(), nullable=True),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["pool"],
            ["agora_capacity_pool.name"],
            name=op.f("fk_agora_lease_pool_agora_capacity_pool"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agora_lease")),
        sa.UniqueConstraint("pool", "owner", name="uq_agora_lease_pool_owner"),
    )
    op.create_table(
        "agora_recommendation",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("based_on_run", sa.String(length=250), nullable=True),
        sa.Column("config", sa.JSON(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("phase", sa.String(length=32), nullable=False),
        sa.Column("predicted_runtime_s", sa.Float(), nullable=True),
        sa.Column("predicted_runtime_high_s", sa.Float(), nullable=True),
        sa.Column("predicted_cost_usd", sa.Float(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["agora_project.id"],
            name=op.f("fk_agora_recommendation_project_id_agora_project"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agora_recommendation")),
    )
    op.create_index("ix_agora_recommendation_project", "agora_recommendation", ["project_id", "id"])
    op.create_table(
        "agora_run",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("run_key", sa.String(length=250), nullable=False),
        sa.Column("config", sa.JSON(), nullable=False),
        sa.Column("runtime_s", sa.Float(), nullable=False),
        sa.Column("cost_usd", sa.Float(), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("failure_reason", sa.String(length=64), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("eventlog_uri", sa.Text(), nullable=True),
        sa.Column("profile_summary", sa.JSON(), nullable=False),
        sa.Column("fingerprint", sa.String(length=128), nullable=True),
        sa.Column("input_bytes", sa.BigInteger(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"], ["agora_project.id"], name=op.f("fk_agora_run_project_id_agora_project"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agora_run")),
        sa.UniqueConstraint("project_id", "run_key", name="uq_agora_run_project_run_key"),
    )
    op.create_table(
        "agora_prediction",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("model", sa.String(length=64), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["agora_project.id"],
            name=op.f("fk_agora_prediction_project_id_agora_project"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["agora_run.id"], name=op.f("fk_agora_prediction_run_id_agora_run"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agora_prediction")),
    )
    op.create_index("ix_agora_prediction_project", "agora_prediction", ["project_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_agora_prediction_project", table_name="agora_prediction")
    op.drop_table("agora_prediction")
    op.drop_table("agora_run")
    op.drop_index("ix_agora_recommendation_project", table_name="agora_recommendation")
    op.drop_table("agora_recommendation")
    op.drop_table("agora_lease")
    op.drop_index("ix_agora_project_dag_id", table_name="agora_project")
    op.drop_table("agora_project")
    op.drop_table("agora_plan")
    op.drop_table("agora_capacity_pool")

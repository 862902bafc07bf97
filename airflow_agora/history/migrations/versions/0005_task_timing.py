"""Task timings: when each task instance's code started and ended, recorded by the plugin's listener
in the task's own process, so the overhead analysis can tell the task runner's start-up from the
work (Airflow records only when the try began and ended).

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "agora_task_timing",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("dag_id", sa.String(250), nullable=False),
        sa.Column("run_id", sa.String(250), nullable=False),
        sa.Column("task_id", sa.String(250), nullable=False),
        sa.Column("map_index", sa.Integer, nullable=False),
        sa.Column("try_number", sa.Integer, nullable=False),
        sa.Column("executing_at", sa.Float, nullable=False),
        sa.Column("executed_at", sa.Float, nullable=False),
        sa.Column("state", sa.String(32), nullable=False),
        sa.UniqueConstraint("dag_id", "run_id", "task_id", "map_index", "try_number", name="uq_agora_task_timing_try"),
    )


def downgrade() -> None:
    op.drop_table("agora_task_timing")

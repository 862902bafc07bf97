"""Runs keep the platform's cluster report (sizing, state, start-up, lost nodes, resizes).

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("agora_run") as batch:
        batch.add_column(sa.Column("cluster_report", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("agora_run") as batch:
        batch.drop_column("cluster_report")

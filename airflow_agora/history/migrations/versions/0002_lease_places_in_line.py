"""Leases a plan books before its tasks ask: ``claimed`` is false until the task itself asks.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("agora_lease") as batch:
        batch.add_column(sa.Column("claimed", sa.Boolean(), nullable=False, server_default=sa.true()))


def downgrade() -> None:
    with op.batch_alter_table("agora_lease") as batch:
        batch.drop_column("claimed")

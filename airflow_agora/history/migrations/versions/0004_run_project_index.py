"""Runs are indexed by project and id: a project's last runs and every project's latest run (the
UI's overview) are read without scanning the table.

Revision ID: 0004
Revises: 0003
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_agora_run_project", "agora_run", ["project_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_agora_run_project", table_name="agora_run")

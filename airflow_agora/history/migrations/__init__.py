"""Alembic migrations of the agora tables (own version table ``agora_alembic_version``)."""

"""Alembic environment: runs on the connection :func:`airflow_agora.history.schema.migrate` passes in."""

from alembic import context

from airflow_agora.history.tables import VERSION_TABLE, metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    version_table=VERSION_TABLE,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()

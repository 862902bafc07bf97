"""Create and upgrade the agora tables with Alembic, and refuse to run on a schema this version does
not know (with the command that fixes it)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, column, inspect, select, table

from airflow_agora.history.engine import shown_url, translated_errors
from airflow_agora.history.errors import HistorySchemaError
from airflow_agora.history.tables import VERSION_TABLE

MIGRATIONS = Path(__file__).parent / "migrations"


def _config(connection=None):
    from alembic.config import Config  # Alembic only for migrating: opening a store stays cheap

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def known_revisions() -> list[str]:
    """Every migration's revision, oldest first. Each file is named after its revision and revises the
    one before (``0005_task_timing.py`` is ``0005``), so no Alembic import is needed to check a
    schema: every task process that opens the store is spared it (``tests/test_history.py`` checks
    the naming against Alembic's own view)."""
    return sorted(p.name.split("_", 1)[0] for p in (MIGRATIONS / "versions").glob("[0-9]*_*.py"))


def head_revision() -> str:
    return known_revisions()[-1]


def current_revision(engine: Engine) -> str | None:
    with translated_errors(engine), engine.connect() as connection:
        if not inspect(connection).has_table(VERSION_TABLE):
            return None
        return connection.execute(select(column("version_num")).select_from(table(VERSION_TABLE))).scalar()


def migrate(engine: Engine, revision: str = "head") -> tuple[str | None, str]:
    """Upgrade to ``revision`` in one transaction; returns (revision before, revision after). Safe to
    run repeatedly."""
    from alembic import command

    before = current_revision(engine)
    with translated_errors(engine), engine.begin() as connection:
        command.upgrade(_config(connection), revision)
    return before, current_revision(engine)


def check_schema(engine: Engine) -> None:
    current, head = current_revision(engine), head_revision()
    where = shown_url(engine)
    if current is None:
        raise HistorySchemaError("the agora tables do not exist yet", fix="run `agora db migrate`", url=where)
    if current != head:
        if current in known_revisions():
            raise HistorySchemaError(
                f"the schema is at revision {current}; this version of airflow-agora needs {head}",
                fix="run `agora db migrate`",
                url=where,
            )
        raise HistorySchemaError(
            f"the schema is at revision {current}, newer than this version of airflow-agora knows ({head})",
            fix="upgrade airflow-provider-agora to the version that migrated this database",
            url=where,
        )

"""Create and upgrade the agora tables with Alembic, and refuse to run on a schema this version does
not know (with the command that fixes it)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from airflow_agora.history.engine import shown_url, translated_errors
from airflow_agora.history.errors import HistorySchemaError
from airflow_agora.history.tables import VERSION_TABLE

MIGRATIONS = Path(__file__).parent / "migrations"


def _config(connection=None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    return ScriptDirectory.from_config(_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with translated_errors(engine), engine.connect() as connection:
        return MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE}).get_current_revision()


def migrate(engine: Engine, revision: str = "head") -> tuple[str | None, str]:
    """Upgrade to ``revision`` in one transaction; returns (revision before, revision after). Safe to
    run repeatedly."""
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
        known = {s.revision for s in ScriptDirectory.from_config(_config()).walk_revisions()}
        if current in known:
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

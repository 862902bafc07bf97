"""Where the history database is and how to connect to it.

The URL comes from, in order: the caller, ``AGORA_SQL_ALCHEMY_CONN``, Airflow's
``AIRFLOW__AGORA__SQL_ALCHEMY_CONN``, ``[agora] sql_alchemy_conn`` in ``$AIRFLOW_HOME/airflow.cfg``
(read as a plain INI file: the core never imports Airflow), and finally a SQLite file
``$AIRFLOW_HOME/agora_history.db``.

SQLite runs in WAL mode with a busy timeout, and every transaction starts with ``BEGIN IMMEDIATE``
so that concurrent writers queue on the database lock instead of failing on a lock upgrade.
"""

from __future__ import annotations

import configparser
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, Insert, Select, Table, create_engine, event, exc
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url

from airflow_agora.history.errors import HistorySchemaError, HistoryUnavailableError

SQLITE_BUSY_TIMEOUT_S = 60.0
ENV_VARS = ("AGORA_SQL_ALCHEMY_CONN", "AIRFLOW__AGORA__SQL_ALCHEMY_CONN")


def airflow_home() -> Path:
    return Path(os.environ.get("AIRFLOW_HOME") or Path.home() / "airflow").expanduser()


def resolve_url(url: str | None = None) -> str:
    if url:
        return url
    for name in ENV_VARS:
        if os.environ.get(name):
            return os.environ[name]
    cfg = airflow_home() / "airflow.cfg"
    if cfg.exists():
        parser = configparser.ConfigParser(interpolation=None)
        try:
            parser.read(cfg)
        except configparser.Error:
            parser = configparser.ConfigParser()
        value = parser.get("agora", "sql_alchemy_conn", fallback="").strip()
        if value:
            return value
    return f"sqlite:///{airflow_home() / 'agora_history.db'}"


def shown_url(engine: Engine) -> str:
    """The engine's URL with any password masked, for messages and logs."""
    return engine.url.render_as_string(hide_password=True)


def make_engine(url: str | None = None) -> Engine:
    url = resolve_url(url)
    try:
        parsed = make_url(url)
    except exc.ArgumentError:
        raise HistoryUnavailableError(
            "the URL cannot be parsed",
            fix="set [agora] sql_alchemy_conn or AGORA_SQL_ALCHEMY_CONN to a SQLAlchemy URL such as "
            "sqlite:////path/agora.db or postgresql+psycopg2://user@host/db",
        ) from None
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S})  # the busy timeout
        _configure_sqlite(engine)
        return engine
    try:
        return create_engine(parsed, pool_pre_ping=True, pool_size=2, max_overflow=4)
    except ModuleNotFoundError as err:
        raise HistoryUnavailableError(
            f"the database driver {err.name} is not installed",
            fix="pip install 'airflow-provider-agora[postgres]' (or the driver your URL names)",
            url=parsed.render_as_string(hide_password=True),
        ) from None


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # let the "begin" hook below issue BEGIN itself
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE")


@contextmanager
def translated_errors(engine: Engine) -> Iterator[None]:
    """Turn driver errors into :class:`HistoryError` subclasses that say what to do."""
    where = shown_url(engine)
    try:
        yield
    except (exc.OperationalError, exc.ProgrammingError) as err:
        text = str(err.orig).lower()
        if "no such table" in text or ("relation" in text and "does not exist" in text):
            raise HistorySchemaError("the agora tables do not exist", fix="run `agora db migrate`", url=where) from None
        if isinstance(err, exc.ProgrammingError):
            raise
        if "locked" in text or "busy" in text:
            raise HistoryUnavailableError(
                f"the database stayed locked for over {SQLITE_BUSY_TIMEOUT_S:.0f} s",
                fix="find the process holding a long transaction on it, or move the history to PostgreSQL "
                "([agora] sql_alchemy_conn) for many concurrent writers",
                url=where,
            ) from None
        first_line = (str(err.orig).strip().splitlines() or ["unknown error"])[0]
        raise HistoryUnavailableError(
            f"cannot reach or use it ({first_line})",
            fix="check that the database is running and that [agora] sql_alchemy_conn / AGORA_SQL_ALCHEMY_CONN "
            "points at it",
            url=where,
        ) from None


def for_update(conn: Connection, query: Select) -> Select:
    """Lock the selected rows until the transaction ends (PostgreSQL; SQLite's ``BEGIN IMMEDIATE``
    already holds the database lock)."""
    return query.with_for_update() if conn.dialect.name == "postgresql" else query


def insert_ignoring_duplicates(conn: Connection, table: Table) -> Insert:
    """``INSERT ... ON CONFLICT DO NOTHING`` on the dialects the store supports."""
    dialect = {"sqlite": sqlite, "postgresql": postgresql}.get(conn.dialect.name)
    if dialect is None:
        raise NotImplementedError(f"the history store supports SQLite and PostgreSQL, not {conn.dialect.name}")
    return dialect.insert(table).on_conflict_do_nothing()

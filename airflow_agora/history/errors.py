"""Errors of the history store. Each says what went wrong and what to run about it; Airflow-side
callers catch :class:`HistoryError` and carry on (recording is advisory)."""

from __future__ import annotations

from airflow_agora.domain.errors import AgoraError


class HistoryError(AgoraError):
    """Base: the history database cannot serve the request."""

    def __init__(self, problem: str, *, fix: str | None = None, url: str | None = None) -> None:
        self.problem = problem
        self.fix = fix
        self.url = url
        text = f"history database {url}: {problem}" if url else f"history database: {problem}"
        super().__init__(f"{text} Fix: {fix}" if fix else text)


class HistoryUnavailableError(HistoryError):
    """The database is down, unreachable, locked for too long or refuses the credentials."""


class HistorySchemaError(HistoryError):
    """The database has no agora tables yet, or an older (or newer) schema than this version needs."""


class NotFoundError(HistoryError, LookupError):
    """A named project (or other record) does not exist."""


class ConflictError(HistoryError):
    """A record that must be unique already exists (creating a project twice)."""


class LeaseTimeoutError(HistoryError):
    """A blocking capacity acquire gave up waiting."""

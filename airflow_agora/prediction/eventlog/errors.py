"""The one error reading an event log raises on purpose: it says what, where and how to fix it."""

from __future__ import annotations

from airflow_agora.domain.errors import InvalidInputError


class EventLogError(InvalidInputError):
    """An event log that cannot be read: missing, empty, of an unknown format, or unsafe to expand."""


class ExpansionLimitError(EventLogError):
    """Decompressing would pass the configured limit: always fatal, never skipped as a broken part."""

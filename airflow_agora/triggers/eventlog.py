"""Waiting in the triggerer for a run's Spark event log: platforms deliver logs minutes after the run
(Databricks copies them to ``cluster_log_conf`` late), so the prediction step defers here instead of
holding a worker slot while it waits."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

from airflow.triggers.base import BaseTrigger, TriggerEvent

from airflow_agora.domain.errors import AgoraError
from airflow_agora.hooks import log_reader


class EventLogTrigger(BaseTrigger):
    """Fires ``{"status": "ready", "location": ...}`` once the log at ``location`` is complete,
    ``{"status": "timeout"}`` after ``timeout_s``, or ``{"status": "error", "message": ...}`` when it
    cannot be read at all. ``reader`` names the platform reader (see :func:`airflow_agora.hooks.log_reader`)."""

    def __init__(self, *, location: str, reader: dict, poll_s: float = 30.0, timeout_s: float = 900.0) -> None:
        super().__init__()
        self.location = location
        self.reader = reader
        self.poll_s = poll_s
        self.timeout_s = timeout_s

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            "airflow_agora.triggers.eventlog.EventLogTrigger",
            {"location": self.location, "reader": self.reader, "poll_s": self.poll_s, "timeout_s": self.timeout_s},
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        deadline = time.monotonic() + self.timeout_s
        try:
            read = log_reader(self.reader)
        except AgoraError as exc:
            yield TriggerEvent({"status": "error", "message": str(exc)})
            return
        while True:
            try:
                profile = await asyncio.to_thread(read, self.location)
                if profile.complete:
                    yield TriggerEvent({"status": "ready", "location": self.location})
                    return
            except AgoraError:
                pass  # not there yet
            except Exception as exc:  # an unreachable workspace: give up, the next run's step retries
                yield TriggerEvent({"status": "error", "message": f"{type(exc).__name__}: {exc}"})
                return
            if time.monotonic() >= deadline:
                yield TriggerEvent({"status": "timeout"})
                return
            await asyncio.sleep(self.poll_s)

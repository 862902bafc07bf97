"""Waiting for capacity without holding a worker slot: the task defers to this trigger, which keeps
asking the capacity ledger (each ask is a heartbeat) until the lease is granted."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from airflow.triggers.base import BaseTrigger, TriggerEvent


class CapacityLeaseTrigger(BaseTrigger):
    """Fires ``{"status": "granted", ...}`` once ``owner``'s lease of ``vcpus`` is granted, or
    ``{"status": "error", "message": ...}`` when the history database cannot be reached (the task
    then runs without a lease rather than fail: dispatch is advisory). ``payload`` is echoed back so
    the resumed task knows its assignment. The database URL is not a kwarg (it may hold a password):
    the triggerer resolves it from its own configuration."""

    def __init__(
        self,
        *,
        owner: str,
        vcpus: float,
        priority: float,
        pool: str = "default",
        poll_s: float = 10.0,
        ttl_s: float = 120.0,
        capacity_vcpus: float = 256.0,
        payload: dict | None = None,
    ) -> None:
        super().__init__()
        self.owner, self.vcpus, self.priority, self.pool = owner, vcpus, priority, pool
        self.poll_s, self.ttl_s, self.capacity_vcpus = poll_s, ttl_s, capacity_vcpus
        self.payload = payload or {}

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "owner": self.owner,
                "vcpus": self.vcpus,
                "priority": self.priority,
                "pool": self.pool,
                "poll_s": self.poll_s,
                "ttl_s": self.ttl_s,
                "capacity_vcpus": self.capacity_vcpus,
                "payload": self.payload,
            },
        )

    def _ask(self) -> bool:
        from airflow_agora.history.store import HistoryStore

        ledger = HistoryStore.shared().ledger(self.pool, default_capacity_vcpus=self.capacity_vcpus, ttl_s=self.ttl_s)
        return ledger.request(self.owner, self.vcpus, self.priority).granted

    async def run(self) -> AsyncIterator[TriggerEvent]:
        from airflow_agora.domain.errors import AgoraError

        while True:
            # The task asked just before deferring, so wait first. A trigger that fires at once can
            # resume the task before the scheduler has seen it defer, and Airflow 3.3 then fails the
            # task (apache/airflow#71580).
            await asyncio.sleep(self.poll_s)
            try:
                granted = await asyncio.to_thread(self._ask)
            except AgoraError as exc:  # database down or the ask cannot fit the pool
                yield TriggerEvent({"status": "error", "message": str(exc), "payload": self.payload})
                return
            if granted:
                yield TriggerEvent({"status": "granted", "payload": self.payload})
                return
            self.log.info("waiting for %g vCPUs in pool %s (lease %s)", self.vcpus, self.pool, self.owner)

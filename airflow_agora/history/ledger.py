"""The capacity ledger: vCPU leases shared by every Agora DAG, through the history database.

A task asks for a lease of its planned vCPUs with a *priority* (its planned start, epoch seconds)
and keeps asking (each ask is also a heartbeat) until it is granted. Every ask runs one
transaction that holds the pool's lock: it drops leases whose holder stopped heart-beating
(``expires_at`` passed), refreshes the caller's own lease, and grants waiters in priority order
(earliest planned start, then earliest request) while the head of the queue fits. Waiters never
overtake the head, so a large request is not starved by a stream of small ones.

A plan also *books* its tasks' places in line when it is made (:meth:`CapacityLedger.book`): a
booked place is not granted (nobody runs on it yet) but keeps its vCPUs free of later-planned
waiters until its task asks, so tasks start in the planned order even when Airflow starts a
later-planned one first. A place its task never claims expires at the end of its booking.

The lock is the pool row (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite's ``BEGIN IMMEDIATE``
takes the database lock), so the capacity is never exceeded across processes and hosts. Times are
the callers' clocks: hosts must agree to well within the lease TTL (NTP does).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, delete, insert, select, update

from airflow_agora.domain.errors import InvalidInputError
from airflow_agora.history import tables
from airflow_agora.history.engine import for_update, insert_ignoring_duplicates, translated_errors
from airflow_agora.history.errors import LeaseTimeoutError

DEFAULT_POOL = "default"
DEFAULT_TTL_S = 120.0


@dataclass(frozen=True)
class Lease:
    owner: str
    vcpus: float
    priority: float
    granted: bool
    expires_at: float
    claimed: bool = True


class CapacityLedger:
    """vCPU leases of one pool. ``default_capacity_vcpus`` creates the pool on first use."""

    def __init__(
        self,
        engine: Engine,
        pool: str = DEFAULT_POOL,
        *,
        default_capacity_vcpus: float = 256.0,
        ttl_s: float = DEFAULT_TTL_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if ttl_s <= 0:
            raise InvalidInputError(f"lease ttl_s must be positive, got {ttl_s}")
        self.engine = engine
        self.pool = pool
        self.default_capacity_vcpus = default_capacity_vcpus
        self.ttl_s = ttl_s
        self.clock = clock

    @contextmanager
    def _locked(self) -> Iterator[tuple[Connection, float, float]]:
        """One transaction holding the pool's lock, expired leases already dropped:
        yields (connection, capacity in vCPUs, now)."""
        now = self.clock()
        with translated_errors(self.engine), self.engine.begin() as conn:
            capacity = self._lock_pool(conn)
            conn.execute(delete(tables.lease).where(tables.lease.c.pool == self.pool, tables.lease.c.expires_at < now))
            yield conn, capacity, now

    def set_capacity(self, vcpus: float) -> None:
        """Change the pool's capacity; waiters that now fit are granted at once."""
        if vcpus <= 0:
            raise InvalidInputError(f"capacity must be positive, got {vcpus} vCPUs")
        with self._locked() as (conn, _, now):
            pool = tables.capacity_pool
            conn.execute(update(pool).where(pool.c.name == self.pool).values(capacity_vcpus=vcpus))
            self._grant(conn, vcpus, now)

    def capacity_vcpus(self) -> float:
        with self._locked() as (_, capacity, _now):
            return capacity

    def request(self, owner: str, vcpus: float, priority: float) -> Lease:
        """Ask for (or keep, or keep waiting for) a lease; returns whether it is granted now."""
        with self._locked() as (conn, capacity, now):
            if vcpus > capacity:
                raise InvalidInputError(
                    f"{owner} asks for {vcpus:g} vCPUs but pool {self.pool} holds {capacity:g}",
                    fix="plan the task on fewer workers or raise [agora] capacity_vcpus",
                )
            if not self._renew(conn, owner, now, claim_vcpus=vcpus):
                conn.execute(
                    insert(tables.lease).values(
                        pool=self.pool,
                        owner=owner,
                        vcpus=vcpus,
                        priority=priority,
                        requested_at=now,
                        expires_at=now + self.ttl_s,
                    )
                )
            self._grant(conn, capacity, now)
            return _as_lease(self._lease(conn, owner))

    def drop_bookings(self, owner_prefix: str) -> int:
        """Give up the unclaimed places booked for owners starting with ``owner_prefix`` (a DAG run
        whose tasks run one at a time cannot claim them before the task asking now ends); returns
        how many were dropped."""
        with self._locked() as (conn, capacity, now):
            lease = tables.lease
            dropped = conn.execute(
                delete(lease).where(
                    lease.c.pool == self.pool,
                    lease.c.claimed.is_(False),
                    lease.c.owner.startswith(owner_prefix, autoescape=True),
                )
            ).rowcount
            self._grant(conn, capacity, now)
            return dropped

    def book(self, owner: str, vcpus: float, priority: float, *, hold_s: float) -> bool:
        """Book ``owner``'s place in line for ``hold_s`` (see the module docstring) unless it already
        has a lease or a booking; True when booked now."""
        with self._locked() as (conn, capacity, now):
            if self._lease(conn, owner) is not None:
                return False
            conn.execute(
                insert(tables.lease).values(
                    pool=self.pool,
                    owner=owner,
                    vcpus=min(vcpus, capacity),
                    priority=priority,
                    requested_at=now,
                    expires_at=now + hold_s,
                    claimed=False,
                )
            )
            return True

    def heartbeat(self, owner: str, *, hold_s: float | None = None) -> Lease | None:
        """Renew a lease (granted or waiting) for the TTL, or for ``hold_s`` when its holder goes quiet
        for a known while (a deferred task whose run the triggerer watches); None when it expired or
        was never requested."""
        with self._locked() as (conn, capacity, now):
            self._renew(conn, owner, now, hold_s)
            self._grant(conn, capacity, now)
            row = self._lease(conn, owner)
            return _as_lease(row) if row else None

    def release(self, owner: str) -> bool:
        """Give the lease back (granted or still waiting); False when there was none."""
        with self._locked() as (conn, capacity, now):
            gone = conn.execute(
                delete(tables.lease).where(tables.lease.c.pool == self.pool, tables.lease.c.owner == owner)
            ).rowcount
            self._grant(conn, capacity, now)
            return gone > 0

    def acquire(self, owner: str, vcpus: float, priority: float, *, timeout_s: float, poll_s: float = 1.0) -> Lease:
        """Block until granted (for callers that may hold a process; Airflow tasks defer instead)."""
        deadline = self.clock() + timeout_s
        while True:
            lease = self.request(owner, vcpus, priority)
            if lease.granted:
                return lease
            if self.clock() >= deadline:
                self.release(owner)
                raise LeaseTimeoutError(
                    f"{owner} waited {timeout_s:g} s for {vcpus:g} vCPUs in pool {self.pool}",
                    fix="raise the capacity, or the wait timeout",
                )
            time.sleep(poll_s)

    def leases(self) -> list[Lease]:
        with translated_errors(self.engine), self.engine.begin() as conn:
            rows = conn.execute(
                select(tables.lease)
                .where(tables.lease.c.pool == self.pool)
                .order_by(tables.lease.c.priority, tables.lease.c.requested_at, tables.lease.c.id)
            ).mappings()
            return [_as_lease(r) for r in rows]

    def _lock_pool(self, conn: Connection) -> float:
        """Take the pool's lock (creating the pool if needed) and return its capacity."""
        pool = tables.capacity_pool
        query = for_update(conn, select(pool.c.capacity_vcpus).where(pool.c.name == self.pool))
        capacity = conn.execute(query).scalar()
        if capacity is None:
            conn.execute(
                insert_ignoring_duplicates(conn, pool).values(
                    name=self.pool, capacity_vcpus=self.default_capacity_vcpus
                )
            )
            capacity = conn.execute(query).scalar_one()
        return float(capacity)

    def _renew(
        self, conn: Connection, owner: str, now: float, hold_s: float | None = None, *, claim_vcpus: float | None = None
    ) -> bool:
        """Extend ``owner``'s lease; ``claim_vcpus``: its task asks now, for that many vCPUs."""
        lease = tables.lease
        values: dict = {"expires_at": now + max(self.ttl_s, hold_s or 0.0)}
        if claim_vcpus is not None:
            values |= {"claimed": True, "vcpus": claim_vcpus}
        renewed = conn.execute(update(lease).where(lease.c.pool == self.pool, lease.c.owner == owner).values(values))
        return renewed.rowcount > 0

    def _lease(self, conn: Connection, owner: str):
        return (
            conn.execute(select(tables.lease).where(tables.lease.c.pool == self.pool, tables.lease.c.owner == owner))
            .mappings()
            .first()
        )

    def _grant(self, conn: Connection, capacity: float, now: float) -> None:
        rows = conn.execute(
            select(tables.lease.c.id, tables.lease.c.vcpus, tables.lease.c.granted_at, tables.lease.c.claimed)
            .where(tables.lease.c.pool == self.pool)
            .order_by(tables.lease.c.priority, tables.lease.c.requested_at, tables.lease.c.id)
        ).all()
        used = sum(r.vcpus for r in rows if r.granted_at is not None)
        for r in rows:
            if r.granted_at is not None:
                continue
            if used + r.vcpus > capacity + 1e-9:
                break
            if not r.claimed:  # a booked place: keep its room, grant nothing
                used += r.vcpus
                continue
            conn.execute(update(tables.lease).where(tables.lease.c.id == r.id).values(granted_at=now))
            used += r.vcpus


def _as_lease(row) -> Lease:
    return Lease(
        row["owner"], row["vcpus"], row["priority"], row["granted_at"] is not None, row["expires_at"], row["claimed"]
    )

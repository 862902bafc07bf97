"""The capacity ledger: order among waiters, expiry, and 16 processes never over capacity."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor

import history_workers
import pytest

from airflow_agora.domain.errors import InvalidInputError
from airflow_agora.history import HistoryStore
from airflow_agora.history.engine import make_engine
from airflow_agora.history.errors import LeaseTimeoutError
from airflow_agora.history.schema import migrate


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def store(history_url):
    migrate(make_engine(history_url))
    return HistoryStore.open(history_url)


def test_earliest_planned_start_is_served_first_and_no_one_overtakes_the_head(store):
    clock = FakeClock()
    ledger = store.ledger("p", default_capacity_vcpus=16, ttl_s=60, clock=clock)
    assert ledger.request("big-running", 12, priority=0).granted
    assert not ledger.request("early", 8, priority=100).granted  # does not fit yet
    assert not ledger.request("late", 4, priority=200).granted  # would fit, but does not overtake the earlier start
    assert ledger.request("earliest", 4, priority=50).granted  # an earlier planned start that fits goes first
    assert [lease.owner for lease in ledger.leases()] == ["big-running", "earliest", "early", "late"]
    assert ledger.release("big-running")
    assert ledger.heartbeat("early").granted and ledger.heartbeat("late").granted  # 4 + 8 + 4 <= 16
    assert not ledger.release("never-asked")


def test_booked_places_keep_the_planned_order_until_claimed_or_expired(store):
    clock = FakeClock()
    ledger = store.ledger("p", default_capacity_vcpus=16, ttl_s=60, clock=clock)
    assert ledger.book("first", 8, priority=0, hold_s=300)
    assert ledger.book("second", 8, priority=10, hold_s=300)
    assert not ledger.book("first", 8, priority=0, hold_s=300)  # booked once
    assert not any(lease.granted for lease in ledger.leases())  # a booking runs nothing
    # Airflow starts a later-planned task first: it may not take the room booked for earlier ones
    assert not ledger.request("third", 4, priority=20).granted
    assert ledger.request("second", 8, priority=10).granted  # fits beside first's booked 8
    lease = ledger.request("first", 6, priority=0)  # claims its booking, with what it really needs
    assert lease.granted and lease.claimed and lease.vcpus == 6
    assert not ledger.heartbeat("third").granted  # 6 + 8 + 4 > 16
    assert ledger.release("second") and ledger.heartbeat("third").granted
    # a booking its task never claims (say its upstream failed) stops blocking when it expires
    assert ledger.book("orphan", 16, priority=30, hold_s=100)
    assert not ledger.request("after", 2, priority=40).granted
    clock.now += 101
    assert ledger.request("first", 6, priority=0).granted and ledger.request("third", 4, priority=20).granted
    assert ledger.request("after", 2, priority=40).granted
    assert "orphan" not in {lease.owner for lease in ledger.leases()}


def test_a_serial_run_drops_its_own_bookings_and_keeps_everyone_elses(store):
    ledger = store.ledger("p", default_capacity_vcpus=16, ttl_s=60, clock=FakeClock())
    assert ledger.book("dag/run_1/early/-1", 16, priority=0, hold_s=300)
    assert ledger.book("dag/run%1/early/-1", 8, priority=1, hold_s=300)  # another run, a LIKE wildcard apart
    assert ledger.request("dag/run_1/late/-1", 8, priority=5).granted is False
    assert ledger.request("other/r/t/-1", 4, priority=9).granted is False
    assert ledger.drop_bookings("dag/run_1/") == 1  # the waiter's own run's unclaimed booking only
    owners = {lease.owner: lease for lease in ledger.leases()}
    assert "dag/run%1/early/-1" in owners and owners["dag/run_1/late/-1"].granted
    assert ledger.drop_bookings("dag/run_1/") == 0 and "dag/run_1/late/-1" in {x.owner for x in ledger.leases()}


def test_a_dead_holders_lease_is_reclaimed_after_its_ttl(store):
    clock = FakeClock()
    ledger = store.ledger("p", default_capacity_vcpus=8, ttl_s=60, clock=clock)
    assert ledger.request("dies", 8, priority=0).granted
    clock.now += 30
    assert not ledger.request("waits", 8, priority=1).granted
    clock.now += 45  # the holder's heartbeat is 75 s old, the waiter's 45 s
    assert ledger.request("waits", 8, priority=1).granted
    assert ledger.heartbeat("dies") is None


def test_capacity_changes_and_impossible_requests(store):
    ledger = store.ledger("p", default_capacity_vcpus=8)
    with pytest.raises(InvalidInputError, match=r"holds 8 .* raise \[agora\] capacity_vcpus"):
        ledger.request("huge", 9, priority=0)
    assert ledger.request("a", 8, priority=0).granted
    assert not ledger.request("b", 4, priority=1).granted
    ledger.set_capacity(12)
    assert ledger.capacity_vcpus() == 12 and ledger.heartbeat("b").granted
    with pytest.raises(LeaseTimeoutError, match="waited"):
        ledger.acquire("c", 4, priority=2, timeout_s=0.05, poll_s=0.01)
    assert "c" not in [lease.owner for lease in ledger.leases()]  # a timed-out waiter leaves the queue


@pytest.mark.slow
def test_sixteen_processes_never_exceed_capacity_and_all_are_granted(store, history_url):
    capacity, workers, cycles = 24.0, 16, 25
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        holds = list(
            pool.map(
                history_workers.churn_leases,
                [history_url] * workers,
                range(workers),
                [cycles] * workers,
                [capacity] * workers,
                range(workers),
                timeout=600,
            )
        )
    assert [len(h) for h in holds] == [cycles] * workers  # every request was granted
    events = sorted((t, +v if kind == 0 else -v) for h in holds for s, e, v in h for t, kind in ((s, 0), (e, 1)))
    in_use, peak = 0.0, 0.0
    for _t, delta in sorted(events, key=lambda ev: (ev[0], ev[1])):  # releases first on ties
        in_use += delta
        peak = max(peak, in_use)
    assert peak <= capacity
    assert peak > capacity / 2  # the processes really did overlap
    assert store.ledger("churn").leases() == []


def test_a_short_wait_is_spent_asking_in_the_worker_and_a_long_one_gives_up_to_defer(store):
    from airflow_agora.operators.agora_task import wait_in_worker

    ledger = store.ledger("w", default_capacity_vcpus=16, ttl_s=60)
    assert ledger.request("running", 12, priority=0).granted
    clock, asks = FakeClock(), []

    def sleep(seconds: float) -> None:
        clock.now += seconds
        if clock.now >= 1_000_000.0 + 3.5:
            ledger.release("running")  # the running task ends 3.5 s into the wait

    def ask():
        asks.append(clock.now)
        return ledger.request("waiting", 8, priority=10)

    lease = wait_in_worker(ask, ask(), wait_s=30, poll_s=1.0, sleep=sleep, clock=clock)
    assert lease.granted and len(asks) == 5  # asked at once, then once a second until the capacity was free

    assert ledger.request("running", 8, priority=0).granted
    asks.clear()
    blocked = ledger.request("blocked", 8, priority=20)
    lease = wait_in_worker(lambda: ledger.request("blocked", 8, priority=20), blocked, wait_s=5, poll_s=1.0,
                           sleep=lambda s: setattr(clock, "now", clock.now + s), clock=clock)  # fmt: skip
    assert lease is not None and not lease.granted  # gave up after 5 s: the task defers now
    assert wait_in_worker(lambda: None, blocked, wait_s=5, poll_s=1.0, sleep=lambda s: None, clock=clock) is None


def test_the_lease_trigger_fires_once_the_capacity_is_free(store, history_url, monkeypatch):
    import asyncio

    from airflow_agora.triggers.lease import CapacityLeaseTrigger

    monkeypatch.setenv("AGORA_SQL_ALCHEMY_CONN", history_url)
    ledger = store.ledger("t", default_capacity_vcpus=16, ttl_s=60)
    assert ledger.request("running", 12, priority=0).granted
    assert not ledger.request("deferred", 8, priority=10).granted
    trigger = CapacityLeaseTrigger(owner="deferred", vcpus=8, priority=10, pool="t", poll_s=0.05,
                                   capacity_vcpus=16, payload={"config": "x"})  # fmt: skip
    kind, kwargs = trigger.serialize()
    assert kind.endswith("CapacityLeaseTrigger") and "url" not in str(kwargs).lower()

    async def first_event_after_release():
        events = trigger.run()
        waiting = asyncio.ensure_future(events.__anext__())
        await asyncio.sleep(0.3)
        assert not waiting.done()  # still held back by the running lease
        ledger.release("running")
        return await asyncio.wait_for(waiting, timeout=10)

    event = asyncio.run(first_event_after_release())
    assert event.payload == {"status": "granted", "payload": {"config": "x"}}
    assert [lease.owner for lease in ledger.leases() if lease.granted] == ["deferred"]

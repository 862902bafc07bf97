"""Functions the history tests run in separate processes (spawned, so each builds its own engine)."""

from __future__ import annotations

import random
import time

from airflow_agora.domain.cluster import ClusterConfig
from airflow_agora.domain.project import RunRecord
from airflow_agora.history.store import HistoryStore


def record_runs(url: str, project: str, keys: list[int]) -> int:
    """Record one run per key; returns how many this process created (the rest were already there)."""
    store = HistoryStore.open(url)
    created = 0
    for k in keys:
        run = RunRecord(project, f"run-{k:05d}", ClusterConfig("m5.xlarge", 1 + k % 16), runtime_s=float(k))
        created += store.record_run(run)[1]
    store.close()
    return created


def churn_leases(url: str, worker: int, cycles: int, capacity: float, seed: int) -> list[tuple[float, float, float]]:
    """Acquire and release leases at random; returns (held_from, held_until, vcpus) as seen from outside
    the ledger: after the grant was observed and before the release was asked (inside the real hold)."""
    rng = random.Random(seed)
    ledger = HistoryStore.open(url).ledger("churn", default_capacity_vcpus=capacity, ttl_s=300)
    held = []
    for cycle in range(cycles):
        owner = f"w{worker}-c{cycle}"
        vcpus = float(rng.choice([1, 2, 4, 8, 16]))
        priority = time.time() + rng.uniform(-5, 5)
        while not ledger.request(owner, vcpus, priority).granted:
            time.sleep(0.05)
        start = time.time()
        time.sleep(rng.uniform(0, 0.01))
        end = time.time()
        ledger.release(owner)
        held.append((start, end, vcpus))
    return held

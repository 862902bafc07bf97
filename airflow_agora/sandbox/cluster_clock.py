"""A DAG run's schedule on the sandbox's cluster clock, without Airflow's own latency.

The sandbox runs jobs ``speedup`` times faster than real time, so the second or two Airflow takes
to start a task after its upstream finished would count as minutes of cluster time. To report a
DAG run's runtime as a real workspace would see it, :func:`replay` takes what was measured (each
run's duration on the cluster clock, its vCPUs, the order in which Airflow actually started the
runs) and starts each run, in that order, as soon as its upstream runs have finished and the shared
capacity has room: the schedule a latency-free Airflow would have produced from the same decisions.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ObservedRun:
    """One task's run as measured: ``order`` ranks when Airflow submitted it; ``duration_s`` is
    cluster start-up plus job on the cluster clock; ``vcpus`` is what it held of the capacity."""

    task_id: str
    order: float
    duration_s: float
    vcpus: float


def replay(
    runs: list[ObservedRun], upstream: dict[str, tuple[str, ...]], capacity_vcpus: float
) -> dict[str, tuple[float, float]]:
    """Start and end (s from the DAG run's start) of each run; see the module docstring.

    Runs start in their observed order and never before a run submitted earlier; a run larger than
    the whole capacity starts when the capacity is empty.
    """
    placed: dict[str, tuple[float, float]] = {}
    windows: list[tuple[float, float, float]] = []  # start, end, vcpus
    earliest = 0.0
    for run in sorted(runs, key=lambda r: r.order):
        start = max([earliest] + [placed[u][1] for u in upstream.get(run.task_id, ()) if u in placed])
        start = _first_fit(start, run.duration_s, min(run.vcpus, capacity_vcpus), windows, capacity_vcpus)
        placed[run.task_id] = (start, start + run.duration_s)
        windows.append((start, start + run.duration_s, min(run.vcpus, capacity_vcpus)))
        earliest = start
    return placed


def _first_fit(
    start: float, duration_s: float, vcpus: float, windows: list[tuple[float, float, float]], capacity: float
) -> float:
    """The earliest time from ``start`` at which ``vcpus`` fit for ``duration_s`` beside ``windows``."""
    candidates = sorted({start} | {end for _, end, _ in windows if end > start})
    for t in candidates:
        points = {t} | {s for s, _, _ in windows if t < s < t + duration_s}
        if all(sum(v for s, e, v in windows if s <= p < e) + vcpus <= capacity + 1e-9 for p in points):
            return t
    return max([start] + [end for _, end, _ in windows])

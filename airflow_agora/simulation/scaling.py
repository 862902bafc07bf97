"""How a trace task's runtime changes with the vCPUs it is given, from one observation.

A task observed to take ``r0`` seconds on ``k0`` vCPUs takes, on ``k`` vCPUs,

    r(k) = r0 · (s + (1 − s) · (k / k0) ** (α − 1))

``s`` is the serial fraction of the observed runtime (Amdahl). ``α`` is the growth of the parallel
work with parallelism: the work on ``k`` vCPUs is proportional to ``k ** α``, so it is spread
over ``k`` vCPUs but grows with them (shuffle, coordination, stragglers). With ``α = 0`` this is
Amdahl's law. The cost of a run is proportional to ``k · r(k)``, which grows with ``k`` whenever
``s > 0`` or ``α > 0``: a bigger size buys time with money.

The default ``s`` and ``α`` are fitted by :func:`fit_on_curves` on Decima's TPC-H stages. Those
were measured at 2 to 100 executors. See ``docs/simulation.md`` for the figures and their limits.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable
from dataclasses import dataclass

from airflow_agora.simulation.traces import TraceTask

# Fitted on the TPC-H stages of ../shared/data/tpch_decima (all sizes and queries) by
# `agora simulate --calibrate`; see docs/simulation.md.
DEFAULT_SERIAL_FRACTION = 0.0
DEFAULT_WORK_GROWTH = 0.22
DEFAULT_SIZE_FACTORS = (0.125, 0.25, 0.5, 1.0, 2.0, 4.0)


@dataclass(frozen=True)
class ScalingModel:
    """The runtime model and the sizes a policy may give a task (factors of its recorded size,
    never below ``min_vcpus``)."""

    serial_fraction: float = DEFAULT_SERIAL_FRACTION
    work_growth: float = DEFAULT_WORK_GROWTH
    size_factors: tuple[float, ...] = DEFAULT_SIZE_FACTORS
    min_vcpus: float = 0.5

    def __post_init__(self) -> None:
        if not 0 <= self.serial_fraction < 1:
            raise ValueError(f"serial fraction {self.serial_fraction} must be in [0, 1)")
        if not 0 <= self.work_growth < 1:
            raise ValueError(f"work growth {self.work_growth} must be in [0, 1)")
        if not self.size_factors or min(self.size_factors) <= 0:
            raise ValueError(f"size factors {self.size_factors} must be positive")

    def runtime_s(self, recorded_vcpus: float, recorded_runtime_s: float, vcpus: float) -> float:
        ratio = vcpus / recorded_vcpus
        s = self.serial_fraction
        return recorded_runtime_s * (s + (1 - s) * ratio ** (self.work_growth - 1))

    def sizes(self, recorded_vcpus: float, capacity_vcpus: float) -> list[float]:
        """The sizes offered for a task recorded at ``recorded_vcpus``: the factors of its recorded
        size clamped to the capacity (the size default scheduling gives it), within the capacity,
        smallest first."""
        base = min(capacity_vcpus, recorded_vcpus)
        offered = {min(capacity_vcpus, max(self.min_vcpus, base * f)) for f in self.size_factors}
        offered.add(base)
        return sorted(offered)


def fit_on_curves(curves: Iterable[list[tuple[float, float]]]) -> tuple[float, float, float]:
    """``(serial_fraction, work_growth, rms_log_error)`` fitted on measured curves, each a list of
    ``(vcpus, runtime_s)`` points. Every point is predicted from every other point of its curve, as
    the simulator predicts a size from the one observed; the pair minimising the mean squared log
    error on a grid of steps of 0.01 wins. (``s`` is relative to the observed runtime, so with
    ``s > 0`` the predictions from different points of one curve disagree a little; with ``s = 0``
    the model is a power law and they agree.) Each curve weighs as its work (vCPU-seconds at its
    smallest size), so that the many tiny stages, which hardly scale, do not outweigh the few that
    hold most of the work, and so of the cost."""
    import numpy as np

    ratios, logs, weights = [], [], []
    for curve in curves:
        points = sorted((k, r) for k, r in curve if k > 0 and r > 0)
        pairs = [(k0, r0, k, r) for k0, r0 in points for k, r in points if k != k0]
        for k0, r0, k, r in pairs:
            ratios.append(k / k0)
            logs.append(math.log(r / r0))
            weights.append(points[0][0] * points[0][1] / len(pairs))
    if not ratios:
        raise ValueError("no curve with two or more measured sizes to fit on")
    ratio, observed, weight = np.array(ratios), np.array(logs), np.array(weights) / sum(weights)
    best = (math.inf, 0.0, 0.0)
    for a in np.arange(0, 1, 0.01):
        scaled = ratio ** (a - 1)
        for s in np.arange(0, 1, 0.01):
            error = float(np.sum(weight * (np.log(s + (1 - s) * scaled) - observed) ** 2))
            best = min(best, (error, round(float(s), 2), round(float(a), 2)))
    error, s, a = best
    return s, a, math.sqrt(error)


def runtime_at(task: TraceTask, vcpus: float, model: ScalingModel) -> float:
    """The task's runtime on ``vcpus``: from its measured curve when it has one (log-log
    interpolation between measured sizes; the model from the nearest end beyond them), else from
    the model and its one observation."""
    if not task.curve:
        return model.runtime_s(task.vcpus, task.runtime_s, vcpus)
    points = task.curve
    if vcpus <= points[0][0]:
        return model.runtime_s(points[0][0], points[0][1], vcpus)
    if vcpus >= points[-1][0]:
        return model.runtime_s(points[-1][0], points[-1][1], vcpus)
    for (k0, r0), (k1, r1) in itertools.pairwise(points):
        if k0 <= vcpus <= k1:
            share = math.log(vcpus / k0) / math.log(k1 / k0)
            return math.exp(math.log(r0) + share * (math.log(r1) - math.log(r0)))
    raise AssertionError("unreachable")

"""Runtime of a recurring job on any candidate cluster, fitted to the job's own successful runs.

The model is the runtime-only prior of :mod:`airflow_agora.prediction.runtime_prior` (Amdahl over
parallel capacity ``P = nodes × vCPUs × cpu_speed``) generalised to many observations on many
instance types:

    T(type, n) = B_type × (σ + (1 − σ) × P_ref / P(type, n))

``B_type`` is the job's runtime at the reference capacity on that type; ``σ`` the share that does not
shrink with capacity. Each σ on a grid gives every run an implied ``B``; σ is chosen to make the runs
of each type agree (least squares in log space), falling back to the prior 0.1 when they cannot
tell (a single worker count per type). Types never run use the geometric mean of the observed
``B`` of their family's other sizes, else of all types (the catalogue's CPU speed is already in
``P``), and a wider band. The *high* estimate adds the spread of the fit plus ``min_margin``, or the
prior's σ band when σ is not identified.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from airflow_agora.domain.errors import InvalidInputError
from airflow_agora.prediction.runtime_prior import NodeSpec, Observation, PriorEstimate

SIGMA_GRID = np.linspace(0.0, 1.0, 41)  # σ = 1: no speed-up at all (short jobs dominated by fixed costs)


@dataclass
class FittedRunModel:
    prior_sigma: float = 0.1
    prior_sigma_high: float = 0.5
    prior_weight: float = 1e-6  # only breaks ties: where the runs cannot tell σ, stay near the prior
    other_type_pct: float = 10.0
    memory_drop_factor: float = 1.5
    min_margin: float = 0.03  # log-space band kept even when the runs fit exactly (run-to-run noise)

    def fit(self, observations: list[Observation]) -> FittedRunModel:
        if not observations:
            raise InvalidInputError("the model needs at least one successful run")
        self.reference = observations[-1]
        self.ref_capacity = self.reference.node.capacity(self.reference.nodes)
        by_type: dict[str, list[Observation]] = {}
        for o in observations:
            by_type.setdefault(o.node.name, []).append(o)
        self.identified = any(len({o.nodes for o in obs}) >= 2 for obs in by_type.values())
        best = None
        for sigma in SIGMA_GRID if self.identified else [self.prior_sigma]:
            residuals, bases = [], {}
            for name, obs in by_type.items():
                logs = np.log([o.runtime_s / self._shape(sigma, o.node, o.nodes) for o in obs])
                bases[name] = float(logs.mean())
                residuals.extend(logs - logs.mean())
            loss = float(np.mean(np.square(residuals))) + self.prior_weight * (sigma - self.prior_sigma) ** 2
            if best is None or loss < best[0]:
                best = (loss, sigma, bases, residuals)
        _, self.sigma, self.log_base, residuals = best
        self.spread = float(np.sqrt(np.mean(np.square(residuals)))) if len(residuals) > len(by_type) else 0.0
        self.types = {o.node.name: o.node for o in observations}
        self.observed = {(o.node.name, o.nodes): o.runtime_s for o in observations}
        return self

    def _untried_log_base(self, node: NodeSpec) -> float:
        """An untried type's base: that of the tried types of its family in other sizes (same CPU and
        memory per vCPU, so the job should use them alike), else the mean of every tried type."""
        family = [b for name, b in self.log_base.items() if self.types[name].family == node.family]
        return float(np.mean(family or list(self.log_base.values())))

    def _shape(self, sigma: float, node: NodeSpec, nodes: int) -> float:
        return sigma + (1 - sigma) * self.ref_capacity / node.capacity(nodes)

    def predict(self, node: NodeSpec, nodes: int) -> PriorEstimate:
        known = node.name in self.log_base
        log_base = self.log_base[node.name] if known else self._untried_log_base(node)
        mid = math.exp(log_base) * self._shape(self.sigma, node, nodes)
        if (node.name, nodes) in self.observed:
            mid = self.observed[(node.name, nodes)]  # what was seen beats what is fitted
        if self.identified:
            band = math.exp(2 * self.spread + self.min_margin)
            high, low = mid * band, mid / band
        else:
            base = math.exp(log_base)
            bounds = [base * self._shape(s, node, nodes) for s in (0.0, self.prior_sigma_high)]
            low, high = min([mid, *bounds]), max([mid, *bounds])
        if not known:
            high *= 1 + self.other_type_pct / 100
            low /= 1 + self.other_type_pct / 100
            ref = self.reference.node
            if node.memory_gib / node.vcpus < 0.99 * ref.memory_gib / ref.vcpus:
                high *= self.memory_drop_factor
        return PriorEstimate(low, mid, max(mid, high))

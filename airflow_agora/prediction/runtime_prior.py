"""Runtime on other clusters when only (configuration, runtime) observations exist: no event log.

The prior is Amdahl's law over *parallel capacity* ``P = nodes × vCPUs × cpu_speed`` (an Ernest-style
serial term plus a term falling as 1/P):

    T(P) = T_obs × (σ + (1 − σ) × P_obs / P)

``σ`` is the share of the observed runtime that does not shrink with more capacity. One observation
cannot tell σ, so the model keeps a band: the *mid* estimate uses ``serial_fraction`` (0.1: most
Spark batch work parallelises), while the *high* estimate takes whichever of σ = 0 (shrinking the
cluster slows the job in full proportion) and σ = ``serial_fraction_high`` (growing it helps only
partly) is slower. Moving to another instance type widens the high estimate by ``other_type_pct``,
and by ``memory_drop_factor`` when the type has less memory per vCPU (spill and GC cliffs are where
one-run predictions fail most). With two or more observations on one instance type σ is fitted by
least squares instead of assumed.

``choose`` recommends the cheapest candidate by the mid estimate whose *high* estimate meets the
SLA, and the fastest by the high estimate when none does: an SLA is never knowingly risked.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from airflow_agora.domain.errors import InvalidInputError
from airflow_agora.prediction.catalogue import InstanceType, family_of


@dataclass(frozen=True)
class NodeSpec:
    """What the prior needs of a node type: vCPUs, memory and relative CPU speed."""

    name: str
    vcpus: int
    memory_gib: float
    cpu_speed: float = 1.0

    @classmethod
    def of(cls, instance: InstanceType) -> NodeSpec:
        return cls(instance.name, instance.vcpus, instance.memory_gib, instance.cpu_speed)

    @property
    def family(self) -> str:
        return family_of(self.name)

    def capacity(self, nodes: int) -> float:
        return nodes * self.vcpus * self.cpu_speed


@dataclass(frozen=True)
class Observation:
    node: NodeSpec
    nodes: int
    runtime_s: float


@dataclass(frozen=True)
class PriorEstimate:
    runtime_low_s: float
    runtime_s: float
    runtime_high_s: float


@dataclass
class PriorScalingModel:
    serial_fraction: float = 0.1
    serial_fraction_high: float = 0.5
    other_type_pct: float = 10.0
    memory_drop_factor: float = 1.5

    def __post_init__(self) -> None:
        for name in ("serial_fraction", "serial_fraction_high"):
            if not 0 <= getattr(self, name) < 1:
                raise InvalidInputError(f"{name} must lie in [0, 1), got {getattr(self, name)}")
        self.reference: Observation | None = None
        self.fitted_serial_fraction: float | None = None

    def fit(self, observations: list[Observation]) -> PriorScalingModel:
        """Anchor on the last (most recent) observation; fit σ when two or more observations share its
        node type at different counts."""
        if not observations:
            raise InvalidInputError("the prior needs at least one (configuration, runtime) observation")
        for o in observations:
            if o.runtime_s <= 0 or o.nodes < 1:
                raise InvalidInputError(f"observation {o.node.name} x {o.nodes}: runtime and nodes must be positive")
        self.reference = observations[-1]
        same = [o for o in observations if o.node.name == self.reference.node.name]
        self.fitted_serial_fraction = None
        if len({o.nodes for o in same}) >= 2:
            inv = np.array([1.0 / o.node.capacity(o.nodes) for o in same])
            t = np.array([o.runtime_s for o in same])
            slope, intercept = np.polyfit(inv, t, 1)
            slope, intercept = max(slope, 0.0), max(intercept, 0.0)
            ref_t = intercept + slope / self.reference.node.capacity(self.reference.nodes)
            if ref_t > 0:
                self.fitted_serial_fraction = min(0.95, intercept / ref_t)
        return self

    def predict(self, node: NodeSpec, nodes: int) -> PriorEstimate:
        ref = self.reference
        if ref is None:
            raise InvalidInputError("fit the prior on an observation before predicting")
        ratio = ref.node.capacity(ref.nodes) / node.capacity(nodes)
        if self.fitted_serial_fraction is not None:
            sigma = self.fitted_serial_fraction
            mid = ref.runtime_s * (sigma + (1 - sigma) * ratio)
            low = high = mid
        else:
            sigma, hi = self.serial_fraction, self.serial_fraction_high
            mid = ref.runtime_s * (sigma + (1 - sigma) * ratio)
            bounds = (ratio, hi + (1 - hi) * ratio)
            low, high = ref.runtime_s * min(bounds), ref.runtime_s * max(bounds)
        if node.name != ref.node.name:
            high *= 1 + self.other_type_pct / 100
            low /= 1 + self.other_type_pct / 100
            if node.memory_gib / node.vcpus < 0.99 * ref.node.memory_gib / ref.node.vcpus:
                high *= self.memory_drop_factor
        return PriorEstimate(low, mid, max(mid, high))


@dataclass(frozen=True)
class PricedCandidate:
    node: NodeSpec
    nodes: int
    usd_per_node_hour: float


def choose(model: PriorScalingModel, candidates: list[PricedCandidate], sla_s: float | None) -> PricedCandidate:
    """The cheapest candidate (mid estimate) whose high estimate meets ``sla_s``; the fastest (high
    estimate) when none does; the cheapest when there is no SLA."""
    if not candidates:
        raise InvalidInputError("no candidate configurations to choose from")
    scored = []
    for c in candidates:
        estimate = model.predict(c.node, c.nodes)
        cost = estimate.runtime_s * c.nodes * c.usd_per_node_hour / 3600
        scored.append((c, estimate, cost))
    meeting = [s for s in scored if sla_s is None or s[1].runtime_high_s <= sla_s]
    if meeting:
        return min(meeting, key=lambda s: (s[2], s[1].runtime_s))[0]
    return min(scored, key=lambda s: (s[1].runtime_high_s, s[2]))[0]

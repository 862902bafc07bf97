"""Recommend a cluster for a profiled run: search candidates, keep the cost/runtime Pareto front,
pick ``performance``, ``balanced`` and ``economy`` solutions and, given an SLA, the cheapest
configuration predicted to meet it.

The search: worker counts on a ladder for every allowed instance type (runtime is predicted once per
type, count and driver; spot only changes the price), then every count between the ladder's steps
around the points that reached the front, so the front is exact on the ladder's neighbourhood
without replaying every count.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from airflow_agora.domain.cluster import ClusterConfig
from airflow_agora.domain.errors import InvalidInputError
from airflow_agora.prediction.catalogue import Catalogue
from airflow_agora.prediction.cost import CostRates, cost_range_usd
from airflow_agora.prediction.scaling import RuntimePredictor, WillNotFitError

DEFAULT_FAMILIES = ["m5", "r5", "c5", "m6g", "r6g", "i3"]
DEFAULT_SIZES = ["xlarge", "2xlarge", "4xlarge", "8xlarge"]
WORKER_LADDER = [1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128]
PREFERENCES = ("performance", "balanced", "economy")


@dataclass(frozen=True)
class SearchSpace:
    """What may be recommended. ``instance_types``: shell patterns (default: the observed family and
    DEFAULT_FAMILIES in DEFAULT_SIZES); ``driver_types``: None = the observed driver and the worker type;
    ``spot_options``: worker spot shares to try, None = only the observed one (spot is a risk the user
    takes on, so it is never introduced unasked)."""

    instance_types: list[str] | None = None
    max_workers: int = 64
    max_total_vcpus: int = 1024
    driver_types: list[str] | None = None
    spot_options: tuple[float, ...] | None = None


@dataclass
class Candidate:
    config: ClusterConfig
    runtime_s: float
    runtime_low_s: float
    runtime_high_s: float
    cost_usd: float
    cost_usd_low: float
    cost_usd_high: float
    warnings: list[str] = field(default_factory=list)

    def metrics(self) -> dict:
        return {
            "runtime_s": round(self.runtime_s, 1),
            "runtime_s_low": round(self.runtime_low_s, 1),
            "runtime_s_high": round(self.runtime_high_s, 1),
            "cost_usd": round(self.cost_usd, 4),
            "cost_usd_low": round(self.cost_usd_low, 4),
            "cost_usd_high": round(self.cost_usd_high, 4),
        }


def pareto_front(candidates: list[Candidate]) -> list[Candidate]:
    """Candidates no other is at least as fast and as cheap as (and better in one), fastest first."""
    front: list[Candidate] = []
    for c in sorted(candidates, key=lambda c: (c.runtime_s, c.cost_usd)):
        if not front or c.cost_usd < front[-1].cost_usd - 1e-12:
            front.append(c)
    return front


def choose_balanced(front: list[Candidate]) -> Candidate:
    """The front point with the least product of runtime and cost relative to the best of each
    (a knee: a step that halves one and doubles the other is neutral)."""
    fastest = min(c.runtime_s for c in front)
    cheapest = min(c.cost_usd for c in front)
    return min(front, key=lambda c: (c.runtime_s / fastest) * (c.cost_usd / max(cheapest, 1e-9)))


class Recommender:
    def __init__(self, predictor: RuntimePredictor, catalogue: Catalogue, rates: CostRates, space: SearchSpace):
        self.predictor = predictor
        self.catalogue = catalogue
        self.rates = rates
        self.space = space
        self.platform = predictor.observed.platform if predictor.observed.platform != "generic" else "databricks"
        self.refused: dict[str, str] = {}
        self._evaluated: dict[tuple, list[Candidate]] = {}

    def instance_types(self) -> list[str]:
        patterns = self.space.instance_types
        if not patterns:
            families = [self.predictor.worker.family, *DEFAULT_FAMILIES]
            patterns = [f"{f}.{s}" for f in dict.fromkeys(families) for s in DEFAULT_SIZES]
            patterns = [self.predictor.worker.name] + [p for p in patterns if p in self.catalogue]
        databricks = self.platform == "databricks"
        types = [t.name for t in self.catalogue.select(patterns, databricks=databricks)]
        if not types:
            raise InvalidInputError(
                "no allowed instance type is offered on this platform", fix="widen --instance-types"
            )
        return types

    def driver_types(self, worker_type: str) -> list[str]:
        if self.space.driver_types:
            return list(self.space.driver_types)
        observed = self.predictor.observed.driver_instance_type or self.predictor.observed.instance_type
        small = f"{worker_type.split('.', 1)[0]}.xlarge"
        options = [observed, small, worker_type] if small in self.catalogue else [observed, worker_type]
        return list(dict.fromkeys(options))

    def evaluate(self, instance_type: str, workers: int, driver_type: str) -> list[Candidate]:
        key = (instance_type, workers, driver_type)
        if key in self._evaluated:
            return self._evaluated[key]
        base = ClusterConfig(
            instance_type, workers, driver_type, platform=self.platform, photon=self.predictor.observed.photon
        )
        out: list[Candidate] = []
        try:
            prediction = self.predictor.predict(base)
        except WillNotFitError as exc:
            self.refused[instance_type] = exc.problem
        else:
            for spot in self.space.spot_options or (self.predictor.observed.spot_share,):
                config = replace(base, spot_share=spot)
                low, mid, high = cost_range_usd(
                    config,
                    prediction.runtime_low_s,
                    prediction.runtime_s,
                    prediction.runtime_high_s,
                    self.catalogue,
                    self.rates,
                )
                out.append(
                    Candidate(
                        config,
                        prediction.runtime_s,
                        prediction.runtime_low_s,
                        prediction.runtime_high_s,
                        mid,
                        low,
                        high,
                        list(prediction.warnings),
                    )
                )
        self._evaluated[key] = out
        return out

    def search(self) -> list[Candidate]:
        """Every evaluated candidate after the ladder pass and the refinement around the front."""
        allowed: dict[str, list[int]] = {}
        for name in self.instance_types():
            vcpus = self.catalogue.get(name).vcpus
            cap = min(self.space.max_workers, self.space.max_total_vcpus // vcpus)
            ladder = [n for n in WORKER_LADDER if n <= cap]
            if cap >= 1 and cap not in ladder:
                ladder.append(cap)
            allowed[name] = ladder
            for n in ladder:
                for driver in self.driver_types(name):
                    self.evaluate(name, n, driver)
        front = pareto_front(self.all())
        for c in front:
            ladder = allowed[c.config.instance_type]
            i = ladder.index(c.config.num_workers)
            lo = ladder[i - 1] + 1 if i > 0 else 1
            hi = ladder[i + 1] - 1 if i + 1 < len(ladder) else c.config.num_workers
            for n in range(lo, hi + 1):
                self.evaluate(c.config.instance_type, n, c.config.driver_instance_type)
        return self.all()

    def all(self) -> list[Candidate]:
        return [c for cs in self._evaluated.values() for c in cs]

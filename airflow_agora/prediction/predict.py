"""One call from a profile to a recommendation: the ``agora predict`` JSON.

``predict_from_profile`` ties the pieces together: the observed configuration (given, from a cluster
report, or rebuilt from the log's platform facts), the runtime predictor, the candidate search, and
the answer ``{basis, solutions, recommended, pareto, model_error_pct, warnings}``.
``platforms.reports.with_fragments`` then adds each configuration's Databricks ``new_cluster`` or
EMR instance groups.
"""

from __future__ import annotations

from dataclasses import replace

from airflow_agora.domain.cluster import ClusterConfig
from airflow_agora.domain.errors import InvalidInputError
from airflow_agora.prediction.catalogue import Catalogue
from airflow_agora.prediction.cluster_report import config_from_profile
from airflow_agora.prediction.cost import CostRates, cost_range_usd
from airflow_agora.prediction.profile import ApplicationProfile
from airflow_agora.prediction.recommend import (
    PREFERENCES,
    Candidate,
    Recommender,
    SearchSpace,
    choose_balanced,
    pareto_front,
)
from airflow_agora.prediction.scaling import RuntimePredictor, ScalingParameters

MODEL_ERROR_WARN_PCT = 15.0


def describe(candidate: Candidate) -> dict:
    config = candidate.config
    out = {"configuration": config.to_dict(), "label": config.label, "metrics": candidate.metrics()}
    if candidate.warnings:
        out["warnings"] = candidate.warnings
    return out


def runtime_curves(candidates: list[Candidate]) -> dict[str, list[list[float]]]:
    """Predicted runtime against workers per instance type (the fastest driver choice at each count):
    ``{"m5.xlarge": [[workers, runtime_s], ...]}``, workers ascending."""
    best: dict[tuple[str, int], float] = {}
    for c in candidates:
        key = (c.config.instance_type, c.config.num_workers)
        best[key] = min(best.get(key, float("inf")), c.runtime_s)
    curves: dict[str, list[list[float]]] = {}
    for (instance_type, workers), runtime_s in sorted(best.items()):
        curves.setdefault(instance_type, []).append([workers, round(runtime_s, 1)])
    return curves


def predict_from_profile(
    profile: ApplicationProfile,
    *,
    catalogue: Catalogue,
    rates: CostRates | None = None,
    observed: ClusterConfig | None = None,
    platform: str | None = None,
    sla_s: float | None = None,
    preference: str = "balanced",
    space: SearchSpace | None = None,
    params: ScalingParameters | None = None,
) -> dict:
    if preference not in PREFERENCES:
        raise InvalidInputError(f"unknown preference {preference!r}", fix=f"use one of {', '.join(PREFERENCES)}")
    if sla_s is not None and sla_s <= 0:
        raise InvalidInputError(f"the SLA must be a positive number of seconds, got {sla_s}")
    if not profile.tasks:
        raise InvalidInputError(
            "the event log holds no task: nothing to scale (a driver-only application runs the same on any workers)",
            fix="predict from a run that executed Spark jobs",
        )
    rates = rates or CostRates()
    warnings = list(profile.warnings)
    if observed is None:
        observed, rebuilt = config_from_profile(profile, catalogue)
        warnings += rebuilt
    if platform:
        observed = replace(observed, platform=platform)
    predictor = RuntimePredictor(profile, observed, catalogue, params)
    recommender = Recommender(predictor, catalogue, rates, space or SearchSpace())
    candidates = recommender.search()
    if not candidates:
        raise InvalidInputError(
            "no candidate configuration can run this job: " + "; ".join(recommender.refused.values()),
            fix="allow larger or memory-optimised instance types (--instance-types)",
        )
    front = pareto_front(candidates)
    solutions = {
        "performance": front[0],
        "balanced": choose_balanced(front),
        "economy": front[-1],
    }
    observed_wall_s = predictor.replay.observed_wall_ms / 1000
    low, mid, high = cost_range_usd(observed, observed_wall_s, observed_wall_s, observed_wall_s, catalogue, rates)
    basis = Candidate(observed, observed_wall_s, observed_wall_s, observed_wall_s, mid, low, high)
    answer = {
        "basis": describe(basis),
        "solutions": {name: describe(c) for name, c in solutions.items()},
        "recommended": preference,
        "pareto": [describe(c) for c in front],
        "curves": runtime_curves(candidates),
        "model_error_pct": round(predictor.model_error_pct, 2),
        "candidates_evaluated": len(candidates),
        "rates": rates.to_dict(),
        "catalogue": {"region": catalogue.region, "effective_date": catalogue.effective_date},
        "warnings": warnings,
    }
    if sla_s is not None:
        meeting = [c for c in candidates if c.runtime_s <= sla_s]
        if meeting:
            best = min(meeting, key=lambda c: (c.cost_usd, c.runtime_s))
            answer["solutions"]["sla"] = {**describe(best), "sla_s": sla_s, "meets_sla": True}
            if best.runtime_high_s > sla_s:
                warnings.append(
                    f"the SLA solution is predicted at {best.runtime_s:.0f} s but its range reaches "
                    f"{best.runtime_high_s:.0f} s: the SLA of {sla_s:.0f} s may be missed"
                )
        else:
            answer["solutions"]["sla"] = {**describe(front[0]), "sla_s": sla_s, "meets_sla": False}
            warnings.append(
                f"no allowed configuration is predicted to meet the SLA of {sla_s:.0f} s; the fastest "
                f"({front[0].config.label}) is predicted at {front[0].runtime_s:.0f} s"
            )
        answer["recommended"] = "sla"
    if abs(predictor.model_error_pct) > MODEL_ERROR_WARN_PCT:
        warnings.append(
            f"the replay misses the observed run by {predictor.model_error_pct:+.1f}%: treat the ranges as wide"
        )
    for name, reason in recommender.refused.items():
        warnings.append(f"{name} refused: {reason}")
    return answer

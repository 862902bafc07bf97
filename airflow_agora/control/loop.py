"""One turn of the closed loop against the history store: record a run, propose the next
configuration, keep the recommendation and the project's phase.

This is what the Airflow side calls after each run (and what the story tests drive); the decision
itself is the pure :func:`airflow_agora.control.controller.propose`.
"""

from __future__ import annotations

from airflow_agora.control.controller import Candidate, ControllerOptions, Decision, propose
from airflow_agora.domain.cluster import ClusterConfig
from airflow_agora.domain.project import Project, Recommendation, RunRecord
from airflow_agora.history.store import HistoryStore
from airflow_agora.prediction.catalogue import Catalogue
from airflow_agora.prediction.cost import CostRates, run_cost
from airflow_agora.prediction.runtime_prior import NodeSpec


def candidates_for(
    project: Project, catalogue: Catalogue, rates: CostRates, *, seen_types: tuple[str, ...] = ()
) -> list[Candidate]:
    """Every allowed (instance type, worker count), priced per cluster-hour on the project's platform.
    Without an allow-list, the types the project has run on (or was written with)."""
    types = list(project.allowed.instance_types) or list(dict.fromkeys(seen_types))
    if not types and project.initial_config:
        types = [project.initial_config.instance_type]
    platform = {"databricks": "databricks", "emr_serverless": "emr-serverless"}.get(project.platform, "emr")
    driver = project.initial_config.driver_instance_type if project.initial_config else None
    out = []
    for name in types:
        node = NodeSpec.of(catalogue.get(name))
        for workers in range(project.allowed.min_workers, project.allowed.max_workers + 1):
            config = ClusterConfig(name, workers, driver_instance_type=driver, platform=platform)
            usd_per_hour = run_cost(config, 3600.0, catalogue, rates, include_startup=False).total_usd
            out.append(Candidate(node, workers, usd_per_hour, rates.startup_s(platform)))
    return out


def record_and_propose(
    store: HistoryStore,
    run: RunRecord,
    catalogue: Catalogue,
    rates: CostRates | None = None,
    options: ControllerOptions | None = None,
) -> Recommendation:
    """Record ``run`` (a no-op when already recorded) and return the project's next recommendation."""
    _, created = store.record_run(run)
    if not created:
        current = store.latest_recommendation(run.project)
        if current is not None:
            return current
    return propose_next(store, run.project, catalogue, rates, options)


def propose_next(
    store: HistoryStore,
    project_name: str,
    catalogue: Catalogue,
    rates: CostRates | None = None,
    options: ControllerOptions | None = None,
) -> Recommendation:
    """Propose from the project's recorded runs (after a new run, or a late event log) and keep it."""
    project = store.get_project(project_name)
    runs = store.list_runs(project_name)
    run = runs[-1]
    candidates = candidates_for(
        project, catalogue, rates or CostRates(), seen_types=tuple(r.config.instance_type for r in runs)
    )
    decision = propose(runs, candidates, project.set_point, initial=project.initial_config, options=options)
    store.update_project(run.project, phase=decision.phase, state=_state(project.state, decision))
    return store.add_recommendation(
        Recommendation(
            run.project,
            decision.config,
            decision.reason if not decision.drift else f"{decision.drift}; {decision.reason}",
            decision.phase,
            decision.predicted_runtime_s,
            decision.predicted_runtime_high_s,
            decision.predicted_cost_usd,
            based_on_run=run.run_key,
        )
    )


def _state(previous: dict, decision: Decision) -> dict:
    state = dict(previous)
    state["unsafe"] = [list(k) for k in decision.unsafe]
    if decision.drift:
        state.setdefault("drifts", []).append(decision.drift)
    return state

"""A finished run enters the loop: recorded, profiled from its event log when the log is there,
predicted on other hardware, and the project's next configuration proposed.

Event logs arrive late (Databricks delivers them minutes after the cluster ends). A run whose log
is not complete yet is recorded with ``profile_summary = {"log": "pending", ...}``; whoever next
holds a reader for the log (the DAG's next planning step, the prediction step) calls
:func:`attach_log`, which adds the profile, the prediction and a fresh proposal. Nobody waits for it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from airflow_agora.control.loop import propose_next
from airflow_agora.domain.cluster import ClusterConfig
from airflow_agora.domain.errors import AgoraError
from airflow_agora.domain.project import FailureReason, Recommendation, RunRecord, RunStatus
from airflow_agora.history.store import HistoryStore
from airflow_agora.platforms.reports import classify_failure
from airflow_agora.prediction.catalogue import Catalogue
from airflow_agora.prediction.cost import CostRates, run_cost
from airflow_agora.prediction.predict import predict_from_profile
from airflow_agora.prediction.profile import ApplicationProfile

PENDING = "pending"
ProfileReader = Callable[[str], ApplicationProfile]


def intake_run(
    store: HistoryStore,
    *,
    project: str,
    run_key: str,
    config: ClusterConfig,
    runtime_s: float,
    succeeded: bool,
    message: str,
    started_at: datetime | None,
    ended_at: datetime | None,
    eventlog_uri: str | None,
    read_profile: ProfileReader | None,
    pending_marker: dict | None = None,
    cluster_report: dict | None = None,
    catalogue: Catalogue,
    rates: CostRates | None = None,
) -> tuple[RunRecord, Recommendation, list[str]]:
    """Record the run and propose the next configuration; returns the record, the recommendation and
    notes for the task log (a log that is not ready, a prediction that failed)."""
    rates = rates or CostRates()
    notes: list[str] = []
    activity = (cluster_report or {}).get("activity")
    cost = run_cost(config, runtime_s, catalogue, rates).total_usd if config.platform != "generic" else None
    run = RunRecord(
        project=project,
        run_key=run_key,
        config=config,
        runtime_s=runtime_s,
        status=RunStatus.SUCCESS if succeeded else RunStatus.FAILED,
        cost_usd=cost,
        failure_reason=None if succeeded else FailureReason(classify_failure(message, activity)),
        started_at=started_at,
        ended_at=ended_at,
        eventlog_uri=eventlog_uri,
        cluster_report=cluster_report or {},
    )
    profile = _ready_profile(eventlog_uri, read_profile, notes)
    if profile is not None:
        run = replace(run, **_profile_fields(profile))
    elif eventlog_uri:
        run = replace(run, profile_summary={"log": PENDING, **(pending_marker or {})})
    _, created = store.record_run(run)
    if created and profile is not None:
        _predict(store, run, profile, catalogue, rates, notes)
    recommendation = propose_next(store, project, catalogue, rates) if created else store.latest_recommendation(project)
    return run, recommendation, notes


def attach_log(
    store: HistoryStore,
    run: RunRecord,
    read_profile: ProfileReader,
    catalogue: Catalogue,
    rates: CostRates | None = None,
) -> Recommendation | None:
    """Profile a pending run's log if it is complete now; None (nothing changed) if it is not."""
    rates = rates or CostRates()
    notes: list[str] = []
    profile = _ready_profile(run.eventlog_uri, read_profile, notes)
    if profile is None:
        return None
    updated = store.attach_profile(run.project, run.run_key, **_profile_fields(profile))
    _predict(store, updated, profile, catalogue, rates, notes)
    return propose_next(store, run.project, catalogue, rates)


def pending_runs(store: HistoryStore, project: str, *, last: int = 10) -> list[RunRecord]:
    return [r for r in store.list_runs(project, limit=last) if r.profile_summary.get("log") == PENDING]


def _ready_profile(uri: str | None, read_profile: ProfileReader | None, notes: list[str]) -> ApplicationProfile | None:
    if not uri or read_profile is None:
        return None
    try:
        profile = read_profile(uri)
    except AgoraError as exc:
        notes.append(f"event log not readable yet ({exc}); it will be read when it arrives")
        return None
    if not profile.complete:
        notes.append("event log still being delivered; it will be read when complete")
        return None
    return profile


def _profile_fields(profile: ApplicationProfile) -> dict:
    summary = profile.summary()
    return {
        "profile_summary": summary,
        "fingerprint": profile.fingerprint(),
        "input_bytes": summary["input_bytes"] or None,
    }


def _predict(store, run: RunRecord, profile, catalogue, rates, notes: list[str]) -> None:
    if not profile.tasks:
        return
    try:
        sla = store.get_project(run.project).set_point.sla_s
        answer = predict_from_profile(profile, catalogue=catalogue, rates=rates, observed=run.config, sla_s=sla)
        store.add_prediction(run.project, answer, model="replay", run_key=run.run_key)
    except AgoraError as exc:
        notes.append(f"no prediction from this run: {exc}")

"""One entry for the CLI and the UI: read a DAG's runs from a source of Airflow's record, add what the
history knows (code timings, Spark timings), analyse each run and build the report."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from airflow_agora.domain.errors import AgoraError, InvalidInputError
from airflow_agora.overhead.advice import DEFAULT_THRESHOLD_PCT, overhead_report
from airflow_agora.overhead.analysis import analyse_run
from airflow_agora.overhead.records import DagRunRecord, spark_timings_by_task, with_task_timings


class RunSource(Protocol):
    """Airflow's record: its REST API (``AirflowApi``) or, inside Airflow, its metadata database."""

    def upstream_of_tasks(self, dag_id: str) -> dict[str, list[str]]: ...
    def finished_run_ids(self, dag_id: str, last: int) -> list[str]: ...
    def dag_run(self, dag_id: str, run_id: str, upstream: dict[str, list[str]]) -> DagRunRecord: ...


HISTORY_NOTE = "no task or Spark timings from the history"


def from_history(store, record: DagRunRecord, notes: list[str]) -> tuple[DagRunRecord, dict]:
    """``record`` with its tasks' code timings (the plugin's listener) and the tasks' Spark timings
    from the history ``store``; unchanged, with a note, when there is no store or it cannot answer:
    the analysis of Airflow's own record does not need them."""
    if store is None:
        return record, {}
    try:
        timings = store.task_timings(record.dag_id, record.run_id)
        runs = store.runs_of_dag_run(record.dag_id, record.run_id)
    except AgoraError as exc:
        notes.append(f"{HISTORY_NOTE} ({exc})")
        return record, {}
    return with_task_timings(record, timings), spark_timings_by_task(record.dag_id, record.run_id, runs)


def analyse_dag(
    source: RunSource,
    dag_id: str,
    *,
    run_id: str | None = None,
    last: int = 1,
    open_store: Callable[[], Any] | None = None,
    threshold_pct: float = DEFAULT_THRESHOLD_PCT,
    progress: Callable[[int, int, str], None] | None = None,
) -> dict:
    """The overhead report (see :func:`~airflow_agora.overhead.advice.overhead_report`) of one run,
    or of the DAG's ``last`` finished runs, with ``notes`` on what the history could not add
    (``open_store`` returns the history store, or raises while it is down)."""
    if last < 1:
        raise InvalidInputError("--last must be at least 1", fix="e.g. --last 5")
    upstream = source.upstream_of_tasks(dag_id)
    run_ids = [run_id] if run_id else source.finished_run_ids(dag_id, last)
    if not run_ids:
        raise InvalidInputError(f"DAG {dag_id} has no finished run yet", fix="run it, or name a run with --run-id")
    notes: list[str] = []
    store = None
    if open_store is not None:
        try:
            store = open_store()
        except AgoraError as exc:
            notes.append(f"{HISTORY_NOTE} ({exc})")
    runs = []
    for i, rid in enumerate(run_ids, 1):
        if progress:
            progress(i, len(run_ids), rid)
        record, spark = from_history(store, source.dag_run(dag_id, rid, upstream), notes)
        runs.append(analyse_run(record, spark))
    return {**overhead_report(runs, threshold_pct=threshold_pct), "notes": sorted(set(notes))}

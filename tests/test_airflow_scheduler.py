"""The operators under Airflow's scheduler with the LocalExecutor, Airflow's metadata and the history
on PostgreSQL: tasks run side by side, and the capacity ledger never lets them exceed the capacity."""

from __future__ import annotations

from pathlib import Path

from airflow_agora.history.engine import make_engine
from airflow_agora.history.schema import migrate
from airflow_agora.history.store import HistoryStore
from airflow_agora.sandbox.databricks import DatabricksSandbox
from airflow_agora.sandbox.local_airflow import AirflowStack, airflow_env, migrate_airflow

DAGS = Path(__file__).parent / "dags"
CAPACITY_VCPUS = 80


def peak_vcpus(intervals: list[tuple[int, int, int]]) -> int:
    """The most vCPUs held at any instant by clusters alive over [start, end)."""
    events = sorted([(s, v) for s, _, v in intervals] + [(e, -v) for _, e, v in intervals], key=lambda x: (x[0], x[1]))
    peak = held = 0
    for _, change in events:
        held += change
        peak = max(peak, held)
    return peak


def test_peak_vcpus_counts_overlaps_only():
    assert peak_vcpus([(0, 10, 32), (10, 20, 32)]) == 32
    assert peak_vcpus([(0, 10, 32), (5, 20, 32), (6, 7, 8)]) == 72


def test_scheduler_runs_tasks_side_by_side_within_the_capacity(tmp_path, new_postgres_database):
    history_url = new_postgres_database()
    migrate(make_engine(history_url))
    with DatabricksSandbox(tmp_path / "ws", token="dapi-scheduler-test", speedup=100, startup_s=20) as ws:
        env = airflow_env(
            tmp_path / "airflow",
            dags_folder=DAGS,
            history_url=history_url,
            databricks_connection=ws.airflow_connection(),
            metadata_url=new_postgres_database(),  # Airflow's own tables, in a database of their own
        )
        env["AIRFLOW__AGORA__CAPACITY_VCPUS"] = str(CAPACITY_VCPUS)
        migrate_airflow(env)
        with AirflowStack(env, tmp_path / "processes") as airflow:
            airflow.wait_for_dag("agora_test_wide")
            run_id = airflow.trigger("agora_test_wide")
            run = airflow.wait_for_run("agora_test_wide", run_id, timeout_s=300)
            assert run["state"] == "success", airflow.tail()
    intervals = [
        (task.queued_ms, task.finished_ms, int(task.cluster["num_workers"]) * 8)
        for r in ws.runs.values()
        for task in r.tasks
    ]
    assert len(intervals) == 4
    assert peak_vcpus(intervals) <= CAPACITY_VCPUS  # the ledger held the other tasks back
    assert peak_vcpus(intervals) >= 2 * 32  # and let two run side by side
    store = HistoryStore.open(history_url)
    assert store.get_plan("agora_test_wide", run_id) is not None
    assert store.ledger().leases() == []  # every lease and booking was given back or claimed
    for script in ("index_analysis", "airline_delay", "movie_rec", "sentiment_analysis"):
        assert len(store.list_runs(f"agora_test_wide.{script}")) == 1

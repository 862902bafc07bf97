"""The operators under Airflow's scheduler with the LocalExecutor, Airflow's metadata and the history
on PostgreSQL: tasks run side by side, and the capacity ledger never lets them exceed the capacity; a
killed task cancels its remote run and gives its lease back; a retry after a worker crash reconnects
to the run the crashed try submitted (durable runs); a run past its SLA fires the DAG's Deadline Alert."""

from __future__ import annotations

import time
from pathlib import Path

import psutil
import pytest

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


@pytest.fixture(scope="module")
def scheduler(tmp_path_factory, new_postgres_database):
    """(Airflow stack, fast sandbox, slow sandbox, history URL): one stack for the module's tests."""
    tmp = tmp_path_factory.mktemp("scheduler")
    history_url = new_postgres_database()
    migrate(make_engine(history_url))
    with (
        DatabricksSandbox(tmp / "ws", token="dapi-scheduler-test", speedup=100, startup_s=20) as ws,
        DatabricksSandbox(tmp / "slow", token="dapi-slow-test", speedup=20) as slow,
    ):
        env = airflow_env(
            tmp / "airflow",
            dags_folder=DAGS,
            history_url=history_url,
            databricks_connection=ws.airflow_connection(),
            metadata_url=new_postgres_database(),  # Airflow's own tables, in a database of their own
        )
        env["AIRFLOW_CONN_DATABRICKS_SLOW"] = slow.airflow_connection()
        env["AIRFLOW__AGORA__CAPACITY_VCPUS"] = str(CAPACITY_VCPUS)
        migrate_airflow(env)
        with AirflowStack(env, tmp / "processes") as airflow:
            yield airflow, ws, slow, history_url


def test_scheduler_runs_tasks_side_by_side_within_the_capacity(scheduler):
    airflow, ws, _, history_url = scheduler
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


def start_long_run(airflow, ws, *, timeout_s: float = 120.0):
    """Trigger ``agora_test_long`` and wait until its task runs with a remote run in ``ws``; returns
    (the DAG run id, the task instance, the sandbox run)."""
    airflow.wait_for_dag("agora_test_long")
    before = set(ws.runs)
    run_id = airflow.trigger("agora_test_long")
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        ti = airflow.api("GET", f"/dags/agora_test_long/dagRuns/{run_id}/taskInstances/job")
        new = [run for key, run in list(ws.runs.items()) if key not in before]
        if ti["state"] == "running" and new:
            return run_id, ti, new[0]
        time.sleep(0.3)
    raise AssertionError(f"no running remote run for {run_id}\n{airflow.tail()}")


def test_a_killed_task_cancels_its_run_and_releases_its_lease(scheduler):
    airflow, _, slow, history_url = scheduler
    run_id, _, remote = start_long_run(airflow, slow)
    store = HistoryStore.open(history_url)
    assert [lease.owner for lease in store.ledger().leases()] == [f"agora_test_long/{run_id}/job/-1"]
    # a user marks the running task failed: Airflow kills it, which runs on_kill
    airflow.api("PATCH", f"/dags/agora_test_long/dagRuns/{run_id}/taskInstances/job", json={"new_state": "failed"})
    assert airflow.wait_for_run("agora_test_long", run_id, timeout_s=120)["state"] == "failed"
    deadline = time.monotonic() + 30
    while store.ledger().leases() and time.monotonic() < deadline:
        time.sleep(0.5)
    assert store.ledger().leases() == [], airflow.tail()
    assert all(task.cancelled_ms is not None for task in remote.tasks)  # on_kill cancelled the remote run


def test_a_retry_after_a_worker_crash_reconnects_to_the_submitted_run(scheduler):
    airflow, _, slow, history_url = scheduler
    before = set(slow.runs)
    run_id, ti, remote = start_long_run(airflow, slow)
    title = f"airflow worker -- {ti['id']}"  # the task process's title (Airflow's task runner)
    crashed = [p for p in psutil.process_iter(["cmdline"]) if title in " ".join(p.info["cmdline"] or [])]
    assert crashed, "the task's process was not found"
    for process in crashed:
        process.kill()  # the worker dies without running on_kill or releasing anything
    assert airflow.wait_for_run("agora_test_long", run_id, timeout_s=300)["state"] == "success", airflow.tail()
    assert airflow.api("GET", f"/dags/agora_test_long/dagRuns/{run_id}/taskInstances/job")["try_number"] == 2
    submitted = [run for key, run in slow.runs.items() if key not in before]
    assert submitted == [remote]  # the retry polled the crashed try's run instead of submitting again
    assert all(task.cancelled_ms is None for task in remote.tasks)
    store = HistoryStore.open(history_url)
    runs = [r for r in store.list_runs("agora_test_long.job") if r.succeeded]
    assert len(runs) == 1
    assert store.ledger().leases() == []  # the retry took over the crashed try's lease and gave it back


def test_a_dag_run_past_its_sla_fires_the_deadline_alert(scheduler):
    airflow, _, _, _ = scheduler
    airflow.wait_for_dag("agora_test_deadline")
    run_id = airflow.trigger("agora_test_deadline")
    run = airflow.wait_for_run("agora_test_deadline", run_id, timeout_s=300)
    assert run["state"] == "success", airflow.tail()
    deadline = time.monotonic() + 60
    while f"DAG agora_test_deadline run {run_id} missed its SLA of 5 s" not in airflow.tail("triggerer", lines=400):
        assert time.monotonic() < deadline, airflow.tail("triggerer", "scheduler")
        time.sleep(1)

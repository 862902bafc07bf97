"""The larger example DAGs run end to end under ``dag.test()`` against the sandboxes: the TPC-H-shaped
pipeline (30 Agora tasks, run one at a time, which must not wait on places the plan booked for
tasks that cannot start before it ends) and the EMR pipeline."""

from __future__ import annotations

import pytest
from airflow_harness import run_in_airflow

from airflow_agora.history.engine import make_engine
from airflow_agora.history.schema import migrate
from airflow_agora.history.store import HistoryStore
from airflow_agora.sandbox.databricks import DatabricksSandbox
from airflow_agora.sandbox.emr import EmrSandbox
from airflow_agora.sandbox.local_airflow import REPO_EXAMPLE_DAGS, airflow_env, migrate_airflow


@pytest.fixture(scope="module")
def airflow_home(tmp_path_factory):
    home = tmp_path_factory.mktemp("airflow")
    migrate_airflow(
        airflow_env(home, dags_folder=REPO_EXAMPLE_DAGS, history_url="sqlite://", databricks_connection=None)
    )
    return home


def history(tmp_path) -> str:
    url = f"sqlite:///{tmp_path / 'agora.db'}"
    migrate(make_engine(url))
    return url


def test_the_tpch_pipeline_runs_serially_without_waiting_on_its_own_bookings(airflow_home, tmp_path):
    url = history(tmp_path)
    with DatabricksSandbox(tmp_path / "ws", token="dapi-example", speedup=1000) as ws:
        env = airflow_env(airflow_home, dags_folder=REPO_EXAMPLE_DAGS, history_url=url,
                          databricks_connection=ws.airflow_connection())  # fmt: skip
        (result,), output = run_in_airflow(env, "agora_tpch_pipeline", timeout_s=600)
    assert result["state"] == "success", output[-3000:]
    assert len(ws.runs) == 30
    store = HistoryStore.open(url)
    plan = store.get_plan("agora_tpch_pipeline", result["run_id"])
    assert len(plan["tasks"]) == 30
    assert plan["tasks"]["q08"]["start_s"] >= plan["tasks"]["load_lineitem"]["end_s"]  # q08 reads lineitem
    assert all(len(store.list_runs(f"agora_tpch_pipeline.{task}")) == 1 for task in plan["tasks"])
    assert store.ledger().leases() == []


def test_the_emr_pipeline_runs_against_the_emr_sandbox(airflow_home, tmp_path):
    url = history(tmp_path)
    with EmrSandbox(speedup=500, startup_s=300) as aws:
        env = airflow_env(airflow_home, dags_folder=REPO_EXAMPLE_DAGS, history_url=url, databricks_connection=None)
        env["AIRFLOW_CONN_AWS_DEFAULT"] = aws.airflow_connection()
        (result,), output = run_in_airflow(env, "agora_emr_pipeline")
        assert len(aws.flows) == 4 and all(flow.eventlogs for flow in aws.flows.values())
    assert result["state"] == "success", output[-3000:]
    store = HistoryStore.open(url)
    for task in ("ingest", "sessions", "recommendations", "report"):
        (run,) = store.list_runs(f"agora_emr_pipeline.{task}")
        assert run.succeeded and run.fingerprint  # recorded and profiled from S3

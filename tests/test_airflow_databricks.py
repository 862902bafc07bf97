"""The Databricks operators and ``@agora_dag`` under real Airflow 3.3 (``dag.test()`` in a child
process), the upstream hook over HTTP against the sandbox workspace."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from airflow_harness import run_in_airflow

from airflow_agora.history.engine import make_engine
from airflow_agora.history.schema import migrate
from airflow_agora.history.store import HistoryStore
from airflow_agora.sandbox.databricks import DatabricksSandbox
from airflow_agora.sandbox.local_airflow import airflow_env, migrate_airflow

TOKEN = "dapi-sandbox-secret-7f3e"
DAGS = Path(__file__).parent / "dags"


@pytest.fixture(scope="module")
def airflow_home(tmp_path_factory):
    home = tmp_path_factory.mktemp("airflow")
    env = airflow_env(home, dags_folder=DAGS, history_url="sqlite://", databricks_connection=None)
    migrate_airflow(env)
    return home


def run_dag(airflow_home, tmp_path, *, broken_logs=False, history_url=None, extra_env=None, speedup=1000,
            dag_id="agora_test_pair", dbfs_files=None):  # fmt: skip
    """Run ``dag_id`` once; returns (result, output, sandbox, history url)."""
    url = history_url or f"sqlite:///{tmp_path / 'agora.db'}"
    if history_url is None:
        migrate(make_engine(url))
    with DatabricksSandbox(tmp_path / "ws", token=TOKEN, speedup=speedup, broken_logs=broken_logs) as ws:
        for path, text in (dbfs_files or {}).items():
            ws.local_path(path).parent.mkdir(parents=True, exist_ok=True)
            ws.local_path(path).write_text(text)
        env = airflow_env(
            airflow_home, dags_folder=DAGS, history_url=url, databricks_connection=ws.airflow_connection()
        )
        results, output = run_in_airflow({**env, **(extra_env or {})}, dag_id)
    return results[0], output, ws, url


def test_planned_configuration_reaches_the_payload_and_the_run_is_recorded(airflow_home, tmp_path):
    result, output, ws, url = run_dag(airflow_home, tmp_path)
    assert result["state"] == "success", output[-3000:]
    store = HistoryStore.open(url)
    plan = store.get_plan("agora_test_pair", result["run_id"])
    assert plan is not None and set(plan["tasks"]) == {"first", "second", "third"}
    submitted = {s["run_name"]: s for s in ws.submissions}
    for task_id, entry in plan["tasks"].items():
        cluster = submitted[task_id]["new_cluster"]
        assert cluster["node_type_id"] == entry["config"]["instance_type"]
        assert int(cluster["num_workers"]) == entry["config"]["num_workers"]  # the hook sends numbers as strings
        assert "autoscale" not in cluster  # the planned size replaces autoscaling
        assert cluster["cluster_log_conf"]["dbfs"]["destination"].endswith(f"agora_test_pair.{task_id}")
        assert cluster["custom_tags"]["agora_project"] == f"agora_test_pair.{task_id}"
        runs = store.list_runs(f"agora_test_pair.{task_id}")
        assert len(runs) == 1 and runs[0].succeeded
        assert runs[0].fingerprint and runs[0].profile_summary["tasks"] > 0  # the event log was read
        assert runs[0].runtime_s > 0 and runs[0].cost_usd > 0
        report = runs[0].cluster_report  # clusters/get and clusters/events
        assert report["node_type_id"] == cluster["node_type_id"] and "spark_conf" not in report
        assert report["activity"]["startup_s"] == pytest.approx(ws.startup_s, abs=0.01)
        assert store.latest_recommendation(f"agora_test_pair.{task_id}") is not None
        assert store.latest_prediction(f"agora_test_pair.{task_id}") is not None
    # first >> second: the plan starts second after first ends
    assert plan["tasks"]["second"]["start_s"] >= plan["tasks"]["first"]["end_s"]
    assert store.ledger().leases() == []  # every lease was released
    assert TOKEN not in output
    assert "first/run_id" in result["xcoms"] and TOKEN not in json.dumps(result["xcoms"])
    assert TOKEN not in json.dumps(ws.submissions)
    assert TOKEN not in Path(url.removeprefix("sqlite:///")).read_bytes().decode("latin-1")


def test_a_failed_run_releases_its_lease_and_is_recorded_with_its_reason(airflow_home, tmp_path):
    # Spark reports a shuffle fetch failure; the cluster events say the cluster lost nodes
    result, _output, _, url = run_dag(airflow_home, tmp_path, extra_env={"AGORA_TEST_FAIL": "nodes_lost"})
    assert result["tasks"]["second"] == "failed"
    assert result["tasks"]["first"] == "success" and result["tasks"]["third"] == "success"
    store = HistoryStore.open(url)
    assert store.ledger().leases() == []
    (run,) = store.list_runs("agora_test_pair.second")
    assert not run.succeeded and run.failure_reason == "lost_executors"
    assert run.cluster_report["activity"]["nodes_lost"] >= 1


def test_a_history_database_that_is_down_leaves_the_tasks_green(airflow_home, tmp_path):
    down = "postgresql+psycopg2://agora@127.0.0.1:1/agora"
    result, output, ws, _ = run_dag(airflow_home, tmp_path, history_url=down)
    assert result["state"] == "success", output[-3000:]
    assert "running the configuration as written" in output
    assert len(ws.submissions) == 3  # the jobs ran, as written
    assert int(ws.submissions[0]["new_cluster"]["autoscale"]["max_workers"]) in (6, 8)


def test_a_broken_event_log_leaves_the_task_green_with_a_warning(airflow_home, tmp_path):
    result, output, _, url = run_dag(airflow_home, tmp_path, broken_logs=True)
    assert result["state"] == "success", output[-3000:]
    assert "event log not readable yet" in output
    (run,) = HistoryStore.open(url).list_runs("agora_test_pair.first")
    assert run.succeeded and run.profile_summary.get("log") == "pending" and run.fingerprint is None


def test_deferrable_runs_are_watched_by_the_triggerer_and_still_recorded(airflow_home, tmp_path):
    info = {"AGORA_TEST_DEFERRABLE": "1", "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO"}
    # slow enough that no run has finished when its operator decides whether to defer
    result, output, ws, url = run_dag(airflow_home, tmp_path, extra_env=info, speedup=200)
    assert result["state"] == "success", output[-3000:]
    assert output.count("Pausing task as DEFERRED") >= 3  # each Agora task deferred to the upstream trigger
    assert "DatabricksExecutionTrigger" in output
    store = HistoryStore.open(url)
    plan = store.get_plan("agora_test_pair", result["run_id"])
    submitted = {s["run_name"]: s for s in ws.submissions}
    for task_id, entry in plan["tasks"].items():
        assert int(submitted[task_id]["new_cluster"]["num_workers"]) == entry["config"]["num_workers"]
        (run,) = store.list_runs(f"agora_test_pair.{task_id}")
        assert run.succeeded and run.runtime_s > 0
    assert store.ledger().leases() == []


def run_predict_dag(airflow_home, tmp_path, *, history_url=None, **extra_env):
    """Run ``agora_test_predict`` (upstream operator, then Agora's prediction step) with a workspace
    that delivers event logs late; returns (result, output, history URL)."""
    url = history_url or f"sqlite:///{tmp_path / 'agora.db'}"
    if history_url is None:
        migrate(make_engine(url))
    with DatabricksSandbox(tmp_path / "ws", token=TOKEN, speedup=1000, log_delay_s=6000) as ws:
        connection = ws.airflow_connection()
        env = airflow_env(airflow_home, dags_folder=DAGS, history_url=url, databricks_connection=connection)
        (result,), output = run_in_airflow({**env, **extra_env}, "agora_test_predict")
    return result, output, url


def test_the_prediction_step_records_the_upstream_run_and_waits_deferred_for_its_late_log(airflow_home, tmp_path):
    result, output, url = run_predict_dag(airflow_home, tmp_path, AIRFLOW__LOGGING__LOGGING_LEVEL="INFO")
    assert result["tasks"] == {"etl": "success", "recommend": "success"}, output[-3000:]
    assert "waiting (deferred)" in output and "Pausing task as DEFERRED" in output  # the log came late
    store = HistoryStore.open(url)
    (run,) = store.list_runs("agora_test_predict.etl")
    assert run.succeeded and run.config.num_workers == 8
    assert run.fingerprint and run.profile_summary["tasks"] > 0  # read once delivered
    assert store.latest_prediction("agora_test_predict.etl") is not None
    recommendation = store.latest_recommendation("agora_test_predict.etl")
    assert recommendation is not None
    assert f"next run of agora_test_predict.etl: {recommendation.config.label}" in output


def test_the_prediction_step_records_failed_runs_and_stays_green_when_history_is_down(airflow_home, tmp_path):
    result, output, url = run_predict_dag(airflow_home, tmp_path, AGORA_TEST_FAIL="out_of_memory")
    assert result["tasks"] == {"etl": "failed", "recommend": "success"}, output[-3000:]
    (run,) = HistoryStore.open(url).list_runs("agora_test_predict.etl")
    assert not run.succeeded and run.failure_reason == "out_of_memory"
    down = "postgresql+psycopg2://agora@127.0.0.1:1/agora"
    result, output, _ = run_predict_dag(airflow_home, tmp_path / "down", history_url=down)
    assert result["tasks"] == {"etl": "success", "recommend": "success"}, output[-3000:]
    assert "recording the run skipped" in output


REAL_JOB = """
import argparse
from pyspark.sql import SparkSession

parser = argparse.ArgumentParser()
parser.add_argument("--rows", type=int)
args = parser.parse_args()
spark = SparkSession.builder.getOrCreate()
spark.range(0, args.rows).selectExpr("id % 53 AS k", "id AS v").groupBy("k").sum("v").collect()
spark.stop()
"""


@pytest.mark.slow
def test_a_real_pyspark_job_is_planned_run_recorded_and_profiled_from_its_own_log(airflow_home, tmp_path):
    result, output, ws, url = run_dag(
        airflow_home, tmp_path, dag_id="agora_test_real", speedup=100, dbfs_files={"dbfs:/jobs/real_job.py": REAL_JOB}
    )
    assert result["state"] == "success", output[-3000:]
    (task,) = [t for run in ws.runs.values() for t in run.tasks]
    assert task.spark is not None and task.spark.returncode == 0  # really ran, not modelled
    (run,) = HistoryStore.open(url).list_runs("agora_test_real.real_job")
    assert run.succeeded and run.runtime_s == pytest.approx(task.spark.elapsed_s, abs=1)
    assert run.fingerprint and run.profile_summary["tasks"] > 0  # Spark's own log, profiled
    assert run.profile_summary["spark_version"].startswith("4.")

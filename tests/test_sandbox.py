"""The sandbox workspace speaks the Databricks REST subset the upstream hook uses."""

from __future__ import annotations

import time

import pytest
import requests

from airflow_agora.platforms import databricks
from airflow_agora.prediction.eventlog.stores import DatabricksRestApi
from airflow_agora.prediction.profile import build_profile
from airflow_agora.sandbox.databricks import DatabricksSandbox
from airflow_agora.sandbox.workloads import WorkloadModel

TOKEN = "tok-sandbox"
JOB = {
    "run_name": "index",
    "new_cluster": {
        "node_type_id": "c4.2xlarge",
        "num_workers": "4",
        "cluster_log_conf": {"dbfs": {"destination": "dbfs:/logs"}},
    },
    "spark_python_task": {"python_file": "dbfs:/jobs/index_analysis.py"},
}


@pytest.fixture
def ws(tmp_path):
    with DatabricksSandbox(tmp_path, token=TOKEN, speedup=2000) as sandbox:
        yield sandbox


def call(ws, method, path, **payload):
    headers = {"Authorization": f"Bearer {TOKEN}"}
    if method == "GET":
        return requests.get(f"{ws.url}/api/2.2/{path}", params=payload, headers=headers, timeout=10).json()
    return requests.post(f"{ws.url}/api/2.2/{path}", json=payload, headers=headers, timeout=10).json()


def wait_terminal(ws, run_id, timeout_s=10):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        run = call(ws, "GET", "jobs/runs/get", run_id=run_id)
        if run["state"]["life_cycle_state"] == "TERMINATED":
            return run
        time.sleep(0.05)
    raise AssertionError("run did not finish")


def test_requests_without_the_token_are_refused(ws):
    answer = requests.post(f"{ws.url}/api/2.2/jobs/runs/submit", json=JOB, timeout=10)
    assert answer.status_code == 401


def test_a_run_lasts_what_its_cluster_gives_and_leaves_a_profileable_log(ws):
    small = call(ws, "POST", "jobs/runs/submit", **JOB)["run_id"]
    big = call(ws, "POST", "jobs/runs/submit", **{**JOB, "new_cluster": {**JOB["new_cluster"], "num_workers": 12}})
    small_run, big_run = wait_terminal(ws, small), wait_terminal(ws, big["run_id"])
    assert small_run["state"]["result_state"] == "SUCCESS"
    succeeded, _, small_s, setup_s = databricks.run_outcome(small_run)
    _, _, big_s, _ = databricks.run_outcome(big_run)
    assert succeeded and setup_s == pytest.approx(ws.startup_s, abs=1)
    assert 400 < small_s < 600 and big_s < small_s * 0.6  # the measured curve: 503 s on 4, ~240 s on 12
    cluster = call(ws, "GET", "clusters/get", cluster_id=databricks.run_cluster_id(small_run))
    assert databricks.config_from_cluster_spec(cluster).num_workers == 4
    events = call(ws, "POST", "clusters/events", cluster_id=cluster["cluster_id"])["events"]
    assert {e["type"] for e in events} >= {"CREATING", "RUNNING", "TERMINATED"}
    profile = build_profile(databricks.eventlog_location(cluster), databricks_api=DatabricksRestApi(ws.url, TOKEN))
    assert profile.complete and profile.platform.worker_node_type == "c4.2xlarge" and profile.platform.workers == 4
    assert profile.wall_ms / 1000 == pytest.approx(small_s, rel=0.05)


def test_cancel_and_failures(ws):
    run_id = call(ws, "POST", "jobs/runs/submit", **JOB)["run_id"]
    call(ws, "POST", "jobs/runs/cancel", run_id=run_id)
    assert wait_terminal(ws, run_id)["state"]["result_state"] == "CANCELED"
    failing = {**JOB, "spark_python_task": {**JOB["spark_python_task"], "parameters": ["--fail", "out_of_memory"]}}
    run = wait_terminal(ws, call(ws, "POST", "jobs/runs/submit", **failing)["run_id"])
    assert run["state"]["result_state"] == "FAILED" and "OutOfMemoryError" in run["state"]["state_message"]
    output = call(ws, "GET", "jobs/runs/get-output", run_id=run["tasks"][0]["run_id"])
    assert "OutOfMemoryError" in output["error"]


def test_run_now_runs_the_job_as_updated(ws):
    job_id = call(ws, "POST", "jobs/create", name="nightly", tasks=[{**JOB, "task_key": "index"}])["job_id"]
    resized = databricks.apply_to_payload(
        call(ws, "GET", "jobs/get", job_id=job_id)["settings"],
        databricks.config_from_cluster_spec({"node_type_id": "m4.2xlarge", "num_workers": 6}),
        log_destination=None,
        tags={"agora_project": "nightly.index"},
    )
    call(ws, "POST", "jobs/update", job_id=job_id, new_settings={"tasks": resized["tasks"]})
    run = wait_terminal(ws, call(ws, "POST", "jobs/run-now", job_id=job_id)["run_id"])
    cluster = call(ws, "GET", "clusters/get", cluster_id=databricks.run_cluster_id(run))
    assert (cluster["node_type_id"], int(cluster["num_workers"])) == ("m4.2xlarge", 6)
    assert cluster["custom_tags"] == {"agora_project": "nightly.index"}


def test_cluster_clock_replay_keeps_order_dependencies_and_capacity():
    from airflow_agora.sandbox.cluster_clock import ObservedRun, replay

    runs = [
        ObservedRun("a", order=1, duration_s=100, vcpus=64),
        ObservedRun("b", order=2, duration_s=50, vcpus=64),
        ObservedRun("c", order=3, duration_s=30, vcpus=64),  # no room beside a and b: waits for b
        ObservedRun("d", order=4, duration_s=10, vcpus=16),  # after a (its upstream), not before c started
    ]
    times = replay(runs, {"d": ("a",)}, capacity_vcpus=160)
    assert times == {"a": (0, 100), "b": (0, 50), "c": (50, 80), "d": (100, 110)}
    # a run larger than the capacity waits until the capacity is empty
    assert replay([ObservedRun("x", 1, 10, 100), ObservedRun("y", 2, 10, 500)], {}, 160)["y"] == (10, 20)


def test_measured_curves_interpolate_between_points_and_extrapolate_beyond():
    model = WorkloadModel.load()
    at = lambda workers: model.runtime_s("sentiment_analysis", "m4.2xlarge", workers, 8)  # noqa: E731
    assert at(10) == pytest.approx(518.21) and at(14) == pytest.approx(500.51)  # measured points exactly
    assert 518.21 < at(8) < 1427.25  # between 6 and 10 workers
    assert at(20) < at(14) and at(2) > at(4)  # Amdahl beyond the points
    # a type without measurements borrows the nearest type's curve at the same total vCPUs
    assert model.runtime_s("index_analysis", "c5.4xlarge", 4, 16) == pytest.approx(
        model.runtime_s("index_analysis", "c4.2xlarge", 8, 8)
    )


def test_cluster_events_page_through_the_hook_and_say_when_nodes_were_lost(ws, monkeypatch):
    from airflow_agora.hooks.databricks import DatabricksApi

    monkeypatch.setenv("AIRFLOW_CONN_DATABRICKS_DEFAULT", ws.airflow_connection())
    lossy = {**JOB, "spark_python_task": {**JOB["spark_python_task"], "parameters": ["--fail", "nodes_lost"]}}
    run_id = call(ws, "POST", "jobs/runs/submit", **lossy)["run_id"]
    run = wait_terminal(ws, run_id)
    time.sleep(0.05)  # the cluster's TERMINATED event comes 5 s (virtual) after the run ends
    api = DatabricksApi.for_connection("databricks_default")
    events = api.cluster_events(databricks.run_cluster_id(run), page_size=2)  # three pages
    assert [e["type"] for e in events] == ["CREATING", "RUNNING", "NODES_LOST", "TERMINATING", "TERMINATED"]
    finished = api.finished_run(run_id)
    activity = finished.cluster_report["activity"]
    assert activity["startup_s"] == pytest.approx(ws.startup_s, abs=0.01) and activity["nodes_lost"] == 1
    assert activity["termination"] == "JOB_FINISHED"
    assert 3 < activity["mean_workers"] < 4  # 4 workers, 3 for the last fifth
    assert not finished.succeeded and "FetchFailedException" in finished.message  # Spark does not say why
    assert databricks.config_from_cluster_spec(finished.cluster_report).num_workers == 4


REAL_JOB = """
import sys
from pyspark.sql import SparkSession

spark = SparkSession.builder.getOrCreate()  # the cluster's session, as on Databricks
if "--fail" in sys.argv:
    spark.sql("SELECT * FROM no_such_table").collect()
rows = spark.range(0, 200_000).selectExpr("id % 31 AS k", "id AS v").groupBy("k").sum("v").count()
assert rows == 31 and spark.conf.get("spark.agora.test") == "from-the-cluster-spec"
spark.stop()
"""


@pytest.mark.slow
def test_a_real_pyspark_script_runs_as_long_as_it_takes_and_its_own_log_is_delivered(tmp_path):
    with DatabricksSandbox(tmp_path, token=TOKEN, speedup=100, startup_s=60) as ws:
        assert ws.spark_submit is not None, "pyspark and Java 17 are needed"
        script = ws.local_path("dbfs:/jobs/real_job.py")
        script.parent.mkdir(parents=True)
        script.write_text(REAL_JOB)
        cluster = {**JOB["new_cluster"], "spark_conf": {"spark.agora.test": "from-the-cluster-spec"}}
        job = {**JOB, "new_cluster": cluster, "spark_python_task": {"python_file": "dbfs:/jobs/real_job.py"}}
        ok = call(ws, "POST", "jobs/runs/submit", **job)["run_id"]
        failing = {**job, "spark_python_task": {"python_file": "dbfs:/jobs/real_job.py", "parameters": ["--fail"]}}
        bad = call(ws, "POST", "jobs/runs/submit", **failing)["run_id"]
        run, failed = wait_terminal(ws, ok, timeout_s=240), wait_terminal(ws, bad, timeout_s=240)
        assert run["state"]["result_state"] == "SUCCESS", run["state"]
        assert failed["state"]["result_state"] == "FAILED" and "no_such_table" in failed["state"]["state_message"]
        _, _, runtime_s, setup_s = databricks.run_outcome(run)
        assert setup_s == pytest.approx(60, abs=1) and 1 < runtime_s < 240  # real seconds, not modelled
        cluster_id = databricks.run_cluster_id(run)
        location = databricks.eventlog_location(call(ws, "GET", "clusters/get", cluster_id=cluster_id))
        profile = build_profile(location, databricks_api=DatabricksRestApi(ws.url, TOKEN))
        assert profile.complete and profile.spark_version.startswith("4.")  # the real Spark's own log
        assert profile.platform.worker_node_type == "c4.2xlarge" and profile.platform.workers == 4
        assert profile.summary()["tasks"] > 0 and profile.wall_ms / 1000 <= runtime_s
        cancelled = call(ws, "POST", "jobs/runs/submit", **job)["run_id"]
        call(ws, "POST", "jobs/runs/cancel", run_id=cancelled)
        assert wait_terminal(ws, cancelled)["state"]["result_state"] == "CANCELED"
        assert ws.runs[cancelled].tasks[0].spark.process.poll() is not None  # the script was stopped
        task = {"new_cluster": cluster, "spark_python_task": {"python_file": "dbfs:/jobs/real_job.py"}}
        two = {"run_name": "two", "tasks": [{**task, "task_key": "a"}, {**task, "task_key": "b"}]}
        assert "single task" in call(ws, "POST", "jobs/runs/submit", **two)["message"]

"""The sandbox workspace speaks the Databricks REST subset the upstream hook uses."""

from __future__ import annotations

import time

import pytest
import requests

from airflow_agora.platforms import databricks
from airflow_agora.prediction.eventlog.stores import DatabricksRestApi
from airflow_agora.prediction.profile import build_profile
from airflow_agora.sandbox.databricks import DatabricksSandbox

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


def wait_terminal(ws, run_id):
    for _ in range(200):
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

"""The EMR operator under real Airflow 3.3 (``dag.test()`` in a child process): the Amazon provider's
hooks over HTTP against the EMR sandbox (moto's EMR and S3, with job flows that run their steps)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from airflow_harness import run_in_airflow

from airflow_agora.history.engine import make_engine
from airflow_agora.history.schema import migrate
from airflow_agora.history.store import HistoryStore
from airflow_agora.sandbox.emr import SECRET_KEY, EmrSandbox
from airflow_agora.sandbox.local_airflow import airflow_env, migrate_airflow

DAGS = Path(__file__).parent / "dags"


@pytest.fixture(scope="module")
def airflow_home(tmp_path_factory):
    home = tmp_path_factory.mktemp("airflow")
    migrate_airflow(airflow_env(home, dags_folder=DAGS, history_url="sqlite://", databricks_connection=None))
    return home


def run_emr_dag(airflow_home, tmp_path, **extra_env):
    """Run ``agora_test_emr`` once; returns (result, output, sandbox, history store)."""
    url = f"sqlite:///{tmp_path / 'agora.db'}"
    migrate(make_engine(url))
    with EmrSandbox(speedup=200, startup_s=300) as aws:
        env = airflow_env(airflow_home, dags_folder=DAGS, history_url=url, databricks_connection=None)
        env["AIRFLOW_CONN_AWS_DEFAULT"] = aws.airflow_connection()
        (result,), output = run_in_airflow({**env, **extra_env}, "agora_test_emr")
        described = {cid: aws.client("emr").describe_cluster(ClusterId=cid)["Cluster"] for cid in aws.flows}
        for cid, cluster in described.items():  # a cluster of fleets: with list_instance_fleets' answer
            if cluster.get("InstanceCollectionType") == "INSTANCE_FLEET":
                cluster["InstanceFleets"] = aws.client("emr").list_instance_fleets(ClusterId=cid)["InstanceFleets"]
    return result, output, aws, described, HistoryStore.open(url)


def test_the_planned_cluster_runs_its_steps_and_the_run_is_recorded_with_its_event_log(airflow_home, tmp_path):
    result, output, aws, described, store = run_emr_dag(airflow_home, tmp_path)
    assert result["state"] == "success", output[-3000:]
    plan = store.get_plan("agora_test_emr", result["run_id"])
    assert plan is not None and set(plan["tasks"]) == {"first", "second"}
    by_task = {}
    for cluster_id, cluster in described.items():
        tags = {t["Key"]: t["Value"] for t in cluster["Tags"]}
        assert tags["team"] == "data-platform"  # the user's tags are kept
        by_task[tags["agora_task_id"]] = (aws.flows[cluster_id], cluster)
    assert set(by_task) == {"first", "second"}
    for task_id, entry in plan["tasks"].items():
        flow, cluster = by_task[task_id]
        assert flow.config.instance_type == entry["config"]["instance_type"]
        assert flow.config.num_workers == entry["config"]["num_workers"]
        assert cluster["Status"]["State"] == "TERMINATED"  # the task waited for the steps
        (spark,) = [c for c in cluster["Configurations"] if c["Classification"] == "spark-defaults"]
        folder = spark["Properties"]["spark.eventLog.dir"]
        assert (
            folder == f"s3://agora-test-logs/emr/agora-eventlogs/agora_test_emr.{task_id}/" + folder.rsplit("/", 1)[1]
        )
        assert folder.endswith("-try1") and flow.eventlogs[0].startswith(folder + "/application_")
        (run,) = store.list_runs(f"agora_test_emr.{task_id}")
        assert run.succeeded and run.config.platform == "emr"
        assert run.runtime_s == pytest.approx((flow.steps[0].end_ms - flow.steps[0].start_ms) / 1000, abs=1)
        assert run.fingerprint and run.profile_summary["tasks"] > 0  # the event log was read from S3
        assert run.cost_usd > 0 and store.latest_recommendation(f"agora_test_emr.{task_id}") is not None
        report = run.cluster_report  # describe_cluster, instance groups or fleets, and steps
        assert report["Cluster"]["Id"] == flow.cluster_id
        assert report["activity"]["startup_s"] == pytest.approx(300, abs=1)
    _, fleets_cluster = by_task["second"]  # the job flow of instance fleets
    assert fleets_cluster["InstanceCollectionType"] == "INSTANCE_FLEET"
    core = next(f for f in fleets_cluster["InstanceFleets"] if f["InstanceFleetType"] == "CORE")
    planned = plan["tasks"]["second"]["config"]
    assert [t["InstanceType"] for t in core["InstanceTypeSpecifications"]] == [planned["instance_type"]]
    assert core["TargetOnDemandCapacity"] == planned["num_workers"]  # one unit per planned worker
    (run,) = store.list_runs("agora_test_emr.second")
    assert {f["InstanceFleetType"] for f in run.cluster_report["InstanceFleets"]} == {"MASTER", "CORE"}
    assert len(run.cluster_report["Instances"]) == planned["num_workers"] + 1
    assert plan["tasks"]["second"]["start_s"] >= plan["tasks"]["first"]["end_s"]
    assert store.ledger().leases() == []
    assert SECRET_KEY not in output
    assert "first/return_value" in result["xcoms"] and SECRET_KEY not in json.dumps(result["xcoms"])


def test_a_failed_step_fails_the_task_releases_the_lease_and_is_recorded_with_its_reason(airflow_home, tmp_path):
    result, output, aws, _, store = run_emr_dag(airflow_home, tmp_path, AGORA_TEST_FAIL="out_of_memory")
    assert result["tasks"] == {"agora_plan": "success", "first": "success", "second": "failed"}, output[-3000:]
    assert store.ledger().leases() == []
    (run,) = store.list_runs("agora_test_emr.second")
    assert not run.succeeded and run.failure_reason == "out_of_memory"
    assert sorted(flow.steps[0].state for flow in aws.flows.values()) == ["COMPLETED", "FAILED"]


def test_deferrable_job_flows_are_watched_by_the_triggerer_and_recorded(airflow_home, tmp_path):
    result, output, _, _, store = run_emr_dag(
        airflow_home, tmp_path, AGORA_TEST_DEFERRABLE="1", AIRFLOW__LOGGING__LOGGING_LEVEL="INFO"
    )
    assert result["state"] == "success", output[-3000:]
    assert output.count("Pausing task as DEFERRED") >= 2
    for task_id in ("first", "second"):
        (run,) = store.list_runs(f"agora_test_emr.{task_id}")
        assert run.succeeded and run.runtime_s > 0
    assert store.ledger().leases() == []


def run_serverless_dag(airflow_home, tmp_path, **extra_env):
    """Run ``agora_test_emr_serverless`` once; returns (result, output, sandbox, job runs, history store)."""
    url = f"sqlite:///{tmp_path / 'agora.db'}"
    migrate(make_engine(url))
    with EmrSandbox(speedup=200, serverless_startup_s=60) as aws:
        serverless = aws.client("emr-serverless")
        app = serverless.create_application(name="agora-test", releaseLabel="emr-7.2.0", type="SPARK")
        env = airflow_env(airflow_home, dags_folder=DAGS, history_url=url, databricks_connection=None)
        env |= {"AIRFLOW_CONN_AWS_DEFAULT": aws.airflow_connection(), "AGORA_TEST_APPLICATION_ID": app["applicationId"]}
        (result,), output = run_in_airflow({**env, **extra_env}, "agora_test_emr_serverless")
        job_runs = {
            r: serverless.get_job_run(applicationId=app["applicationId"], jobRunId=r)["jobRun"] for r in aws.serverless
        }
    return result, output, aws, job_runs, HistoryStore.open(url)


def test_serverless_jobs_run_the_planned_executors_and_are_recorded_with_their_event_logs(airflow_home, tmp_path):
    result, output, aws, job_runs, store = run_serverless_dag(airflow_home, tmp_path)
    assert result["state"] == "success", output[-3000:]
    plan = store.get_plan("agora_test_emr_serverless", result["run_id"])
    assert plan is not None and set(plan["tasks"]) == {"first", "second"}
    by_task = {job_run["tags"]["agora_task_id"]: job_run for job_run in job_runs.values()}
    for task_id, entry in plan["tasks"].items():
        job_run = by_task[task_id]
        params = job_run["jobDriver"]["sparkSubmit"]["sparkSubmitParameters"]
        assert f"spark.executor.instances={entry['config']['num_workers']}" in params
        assert "spark.dynamicAllocation.enabled=false" in params and "maxExecutors" not in params
        assert "spark.sql.shuffle.partitions=400" in params  # the user's own parameters are kept
        assert f"s3://agora-test-logs/serverless/agora-eventlogs/agora_test_emr_serverless.{task_id}/" in params
        ran = aws.serverless[job_run["jobRunId"]]
        assert ran.config.num_workers == entry["config"]["num_workers"] and ran.eventlogs
        (run,) = store.list_runs(f"agora_test_emr_serverless.{task_id}")
        assert run.succeeded and run.config.platform == "emr-serverless"
        assert run.runtime_s == pytest.approx(ran.timing.runtime_s, abs=1)
        assert run.fingerprint and run.profile_summary["tasks"] > 0  # the event log was read from S3
        assert run.cost_usd > 0 and run.cluster_report["activity"]["startup_s"] == pytest.approx(60, abs=1)
    assert plan["tasks"]["second"]["start_s"] >= plan["tasks"]["first"]["end_s"]
    assert store.ledger().leases() == []
    assert SECRET_KEY not in output


def test_deferrable_serverless_jobs_are_watched_by_the_triggerer_and_failures_recorded(airflow_home, tmp_path):
    result, output, _, _, store = run_serverless_dag(
        airflow_home, tmp_path, AGORA_TEST_DEFERRABLE="1", AGORA_TEST_FAIL="out_of_memory",
        AIRFLOW__LOGGING__LOGGING_LEVEL="INFO",
    )  # fmt: skip
    assert result["tasks"] == {"agora_plan": "success", "first": "success", "second": "failed"}, output[-3000:]
    assert output.count("Pausing task as DEFERRED") >= 2
    (first,) = store.list_runs("agora_test_emr_serverless.first")
    (second,) = store.list_runs("agora_test_emr_serverless.second")
    assert first.succeeded and first.runtime_s > 0
    assert not second.succeeded and second.failure_reason == "out_of_memory"
    assert store.ledger().leases() == []

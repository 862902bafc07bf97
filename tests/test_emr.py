"""EMR job flows: the pure helpers (written configuration, the assignment applied, the outcome) and
the EMR sandbox (moto's EMR and S3, with job flows that run their steps)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from airflow_agora.domain.cluster import ClusterConfig
from airflow_agora.domain.errors import InvalidInputError
from airflow_agora.platforms import emr, emr_serverless
from airflow_agora.platforms.reports import config_from_report
from airflow_agora.prediction.profile import build_profile
from airflow_agora.sandbox.emr import EmrSandbox

GROUPS = [
    {"Name": "Primary", "InstanceRole": "MASTER", "InstanceType": "m5.xlarge", "InstanceCount": 1},
    {"Name": "Core", "InstanceRole": "CORE", "InstanceType": "c5.2xlarge", "InstanceCount": 4,
     "EbsConfiguration": {"EbsBlockDeviceConfigs": []}, "AutoScalingPolicy": {"Rules": []}},
]  # fmt: skip


def test_written_config_reads_instance_groups_and_the_uniform_form():
    config = emr.written_config({"Instances": {"InstanceGroups": GROUPS}})
    assert (config.instance_type, config.num_workers, config.driver_instance_type) == ("c5.2xlarge", 4, "m5.xlarge")
    uniform = emr.written_config({"Instances": {"MasterInstanceType": "m5.xlarge", "SlaveInstanceType": "r5.xlarge",
                                                "InstanceCount": 5}})  # fmt: skip
    assert (uniform.instance_type, uniform.num_workers, uniform.platform) == ("r5.xlarge", 4, "emr")


def test_the_assignment_replaces_the_groups_and_keeps_what_the_user_set():
    job_flow = {
        "Instances": {"InstanceGroups": GROUPS, "Ec2SubnetId": "subnet-1"},
        "Tags": [{"Key": "team", "Value": "data"}],
        "Configurations": [{"Classification": "spark-defaults", "Properties": {"spark.sql.shuffle.partitions": "64"}}],
    }
    config = ClusterConfig("c5.4xlarge", 6, "m5.xlarge", platform="emr", spot_share=0.5)
    out = emr.apply_to_job_flow(job_flow, config, eventlog_dir="s3://b/ev/p/run-try1", tags={"agora_project": "p"})
    groups = {g["Name"]: g for g in out["Instances"]["InstanceGroups"]}
    assert groups["Core"]["InstanceType"] == "c5.4xlarge" and groups["Core"]["InstanceCount"] == 3
    assert groups["Core"]["EbsConfiguration"] == {"EbsBlockDeviceConfigs": []}  # kept
    assert "AutoScalingPolicy" not in groups["Core"]  # a fixed size replaces autoscaling
    assert groups["Task spot"]["Market"] == "SPOT" and groups["Task spot"]["InstanceCount"] == 3
    assert out["Instances"]["Ec2SubnetId"] == "subnet-1"
    props = out["Configurations"][0]["Properties"]
    assert props == {"spark.sql.shuffle.partitions": "64", "spark.eventLog.enabled": "true",
                     "spark.eventLog.dir": "s3://b/ev/p/run-try1"}  # fmt: skip
    assert out["Tags"] == [{"Key": "team", "Value": "data"}, {"Key": "agora_project", "Value": "p"}]
    assert job_flow["Instances"]["InstanceGroups"] is GROUPS and len(GROUPS[1]) == 6  # the input is untouched
    own = {**job_flow, "Configurations": [{"Classification": "spark-defaults",
                                           "Properties": {"spark.eventLog.dir": "s3://mine/"}}]}  # fmt: skip
    kept = emr.apply_to_job_flow(own, None, eventlog_dir="s3://b/ev", tags={})
    assert emr.eventlog_dir_of(kept["Configurations"]) == "s3://mine"  # the user's folder wins
    assert kept["Instances"]["InstanceGroups"] == GROUPS  # no resize without a configuration


EBS = {"EbsBlockDeviceConfigs": [{"VolumeSpecification": {"VolumeType": "gp3", "SizeInGB": 64}}]}
SPOT_SPEC = {"SpotSpecification": {"TimeoutDurationMinutes": 20, "TimeoutAction": "SWITCH_TO_ON_DEMAND"}}
FLEETS = [
    {"Name": "Primary", "InstanceFleetType": "MASTER", "TargetOnDemandCapacity": 1,
     "InstanceTypeConfigs": [{"InstanceType": "m5.xlarge"}]},
    {"Name": "Core", "InstanceFleetType": "CORE", "TargetOnDemandCapacity": 16, "TargetSpotCapacity": 8,
     "LaunchSpecifications": SPOT_SPEC,
     "InstanceTypeConfigs": [
         {"InstanceType": "c5.2xlarge", "WeightedCapacity": 8, "Priority": 2, "EbsConfiguration": EBS},
         {"InstanceType": "c5.xlarge", "WeightedCapacity": 4, "Priority": 1, "EbsConfiguration": EBS,
          "BidPrice": "0.1", "Configurations": [{"Classification": "spark-env", "Properties": {"K": "v"}}]}]},
]  # fmt: skip


def test_written_config_reads_a_fleet_as_its_first_type_by_priority_in_weighted_units():
    config = emr.written_config({"Instances": {"InstanceFleets": FLEETS}})
    assert config == ClusterConfig("c5.xlarge", 6, driver_instance_type="m5.xlarge", platform="emr", spot_share=2 / 6)
    no_core = {"Instances": {"InstanceFleets": FLEETS[:1]}}
    with pytest.raises(InvalidInputError, match="no CORE or TASK instance fleet"):
        emr.written_config(no_core)
    with pytest.raises(InvalidInputError, match="names no instance type"):
        emr.written_config({"Instances": {"InstanceFleets": [{**FLEETS[1], "InstanceTypeConfigs": []}]}})


def test_the_assignment_pins_each_fleet_to_the_planned_type_and_keeps_what_the_user_set():
    job_flow = {
        "Instances": {"InstanceFleets": FLEETS, "Ec2SubnetIds": ["subnet-1", "subnet-2"]},
        "ManagedScalingPolicy": {"ComputeLimits": {"UnitType": "InstanceFleetUnits", "MinimumCapacityUnits": 8,
                                                   "MaximumCapacityUnits": 96}},
    }  # fmt: skip
    config = ClusterConfig("c5.xlarge", 6, "m5.2xlarge", platform="emr", spot_share=0.5)
    out = emr.apply_to_job_flow(job_flow, config, eventlog_dir=None, tags={})
    master, core, task = out["Instances"]["InstanceFleets"]
    assert master["InstanceTypeConfigs"] == [{"InstanceType": "m5.2xlarge", "WeightedCapacity": 1}]
    assert (master["TargetOnDemandCapacity"], master["TargetSpotCapacity"]) == (1, 0)
    (core_type,) = core["InstanceTypeConfigs"]
    assert core_type["InstanceType"] == "c5.xlarge" and core_type["WeightedCapacity"] == 1
    assert core_type["BidPrice"] == "0.1" and core_type["EbsConfiguration"] == EBS  # the user's, for this type
    assert (core["Name"], core["TargetOnDemandCapacity"], core["TargetSpotCapacity"]) == ("Core", 3, 0)
    assert (task["InstanceFleetType"], task["TargetOnDemandCapacity"], task["TargetSpotCapacity"]) == ("TASK", 0, 3)
    assert task["LaunchSpecifications"] == SPOT_SPEC and task["Name"] == "Task spot"  # the spot timeout kept
    assert out["Instances"]["Ec2SubnetIds"] == ["subnet-1", "subnet-2"]
    assert "ManagedScalingPolicy" not in out  # the planned size is fixed
    assert emr.written_config(out) == config  # what runs is what was planned
    other = emr.apply_to_job_flow(job_flow, ClusterConfig("r5.xlarge", 4, platform="emr", spot_share=1.0),
                                  eventlog_dir=None, tags={})  # fmt: skip
    (_, core) = other["Instances"]["InstanceFleets"]  # every worker spot: in the CORE fleet
    assert (core["InstanceFleetType"], core["TargetOnDemandCapacity"], core["TargetSpotCapacity"]) == ("CORE", 0, 4)
    (r5,) = core["InstanceTypeConfigs"]
    assert r5["EbsConfiguration"] == EBS and "BidPrice" not in r5  # a bid price is not carried to another type
    assert job_flow["Instances"]["InstanceFleets"] is FLEETS and len(FLEETS[1]["InstanceTypeConfigs"]) == 2


def test_a_fleets_cluster_is_read_from_the_instances_emr_launched():
    fleets = [{"Id": "if-m", "InstanceFleetType": "MASTER"}, {"Id": "if-c", "InstanceFleetType": "CORE"},
              {"Id": "if-t", "InstanceFleetType": "TASK"}]  # fmt: skip
    instances = [{"InstanceFleetId": "if-m", "InstanceType": "m5.xlarge", "Market": "ON_DEMAND"}]
    instances += [{"InstanceFleetId": "if-c", "InstanceType": "c5.2xlarge", "Market": "ON_DEMAND"}] * 3
    instances += [{"InstanceFleetId": "if-t", "InstanceType": t, "Market": "SPOT"} for t in ("c5.2xlarge", "c5.xlarge")]
    config = emr.config_from_nodes({"InstanceFleets": fleets, "Instances": instances})
    assert config == ClusterConfig("c5.2xlarge", 5, driver_instance_type="m5.xlarge", platform="emr", spot_share=0.4)


def test_run_outcome_spans_the_steps_and_takes_the_failed_steps_reason():
    t0 = datetime(2026, 1, 1, tzinfo=UTC)

    def step(state, start_s, end_s, reason=None):
        status = {"State": state, "Timeline": {"StartDateTime": t0 + timedelta(seconds=start_s),
                                               "EndDateTime": t0 + timedelta(seconds=end_s)}}  # fmt: skip
        if reason:
            status["FailureDetails"] = {"Message": reason}
        return {"Status": status}

    done = {"Status": {"State": "TERMINATED", "StateChangeReason": {"Message": "Steps completed"}}}
    ok, message, runtime, start, end = emr.run_outcome(done, [step("COMPLETED", 300, 500), step("COMPLETED", 100, 290)])
    assert ok and runtime == 400 and start == t0 + timedelta(seconds=100) and end == t0 + timedelta(seconds=500)
    failed = {"Status": {"State": "TERMINATED_WITH_ERRORS", "StateChangeReason": {"Message": "Shut down"}}}
    ok, message, *_ = emr.run_outcome(failed, [step("FAILED", 0, 50, "java.lang.OutOfMemoryError")])
    assert not ok and message == "java.lang.OutOfMemoryError"
    assert not emr.run_outcome(done, [])[0]  # no step ran: nothing succeeded


def wait_terminated(client, cluster_ids, timeout_s=30):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        states = [client.describe_cluster(ClusterId=c)["Cluster"]["Status"]["State"] for c in cluster_ids]
        if all(s.startswith("TERMINATED") for s in states):
            return states
        time.sleep(0.1)
    raise AssertionError(f"job flows still {states}")


def test_the_emr_sandbox_runs_steps_for_the_modelled_time_and_writes_their_logs_to_s3():
    with EmrSandbox(speedup=1000, startup_s=300) as aws:
        client = aws.client("emr")
        core = {k: v for k, v in GROUPS[1].items() if k != "AutoScalingPolicy"} | {"InstanceType": "c4.2xlarge"}

        def job_flow(*args, action="TERMINATE_CLUSTER"):
            return client.run_job_flow(
                Name="t", ReleaseLabel="emr-7.2.0", JobFlowRole="r", ServiceRole="s",
                Instances={"InstanceGroups": [GROUPS[0], core]},
                Steps=[{"Name": "s", "ActionOnFailure": action,
                        "HadoopJarStep": {"Jar": "command-runner.jar", "Args": ["spark-submit", *args]}}],
                Configurations=[{"Classification": "spark-defaults", "Properties": {
                    "spark.eventLog.enabled": "true", "spark.eventLog.dir": "s3://sandbox-logs/ev"}}],
            )["JobFlowId"]  # fmt: skip

        ok = job_flow("s3://code/index_analysis.py")
        grown = job_flow("s3://code/index_analysis.py", "--input-scale", "2")
        oom = job_flow("s3://code/movie_rec.py", "--fail", "out_of_memory")
        killed = job_flow("s3://code/airline_delay.py")
        client.terminate_job_flows(JobFlowIds=[killed])  # at once: before or after the driver first sees it
        states = wait_terminated(client, [ok, grown, oom, killed])
        assert states == ["TERMINATED", "TERMINATED", "TERMINATED_WITH_ERRORS", "TERMINATED"]
        runtime = {c: aws.flows[c].steps[0].end_ms - aws.flows[c].steps[0].start_ms for c in (ok, grown)}
        assert runtime[grown] == pytest.approx(2 * runtime[ok], rel=0.01)
        assert aws.flows[ok].steps[0].start_ms - aws.flows[ok].created_ms >= 300_000  # the cluster's start-up
        (failed,) = client.list_steps(ClusterId=oom)["Steps"]
        assert (
            failed["Status"]["State"] == "FAILED"
            and "OutOfMemoryError" in failed["Status"]["StateChangeReason"]["Message"]
        )
        assert aws.flows[killed].terminated_by_user and aws.flows[killed].steps[0].state == "CANCELLED"
        assert aws.flows[killed].eventlogs == []
        profile = build_profile(aws.flows[ok].eventlogs[0], s3_client=aws.client("s3"))
        assert profile.platform.platform == "emr" and profile.platform.workers == 4 and profile.complete


def test_the_cluster_report_keeps_sizing_states_and_start_up_but_not_step_arguments():
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    timeline = {"CreationDateTime": t0, "ReadyDateTime": t0 + timedelta(seconds=412)}
    cluster = {"Id": "j-1", "Name": "nightly", "ReleaseLabel": "emr-7.2.0",
               "Configurations": [{"Classification": "spark-env", "Properties": {"TOKEN": "s3cr3t"}}],
               "Status": {"State": "TERMINATED", "StateChangeReason": {"Code": "ALL_STEPS_COMPLETED"},
                          "Timeline": timeline}}  # fmt: skip
    groups = [{"InstanceGroupType": "MASTER", "InstanceType": "m5.xlarge", "RequestedInstanceCount": 1},
              {"InstanceGroupType": "CORE", "InstanceType": "c5.2xlarge", "RequestedInstanceCount": 4,
               "Market": "ON_DEMAND"}]  # fmt: skip
    steps = [{"Id": "s-1", "Name": "etl", "Config": {"Args": ["--password", "s3cr3t"]},
              "Status": {"State": "COMPLETED"}}]  # fmt: skip
    report = emr.cluster_report(cluster, {"InstanceGroups": groups}, steps)
    assert report["activity"]["startup_s"] == 412 and report["activity"]["termination"] == "ALL_STEPS_COMPLETED"
    assert report["Cluster"]["Status"]["Timeline"]["CreationDateTime"] == t0.isoformat()  # JSON as stored
    assert "s3cr3t" not in str(report)
    observed = config_from_report(report)  # a stored report is one agora predict reads
    assert observed == ClusterConfig("c5.2xlarge", 4, driver_instance_type="m5.xlarge", platform="emr")


def test_the_sandbox_runs_fleet_job_flows_on_the_types_it_provisioned_and_reports_them():
    with EmrSandbox(speedup=1000, startup_s=300) as aws:
        client = aws.client("emr")
        cluster_id = client.run_job_flow(
            Name="fleets", ReleaseLabel="emr-7.2.0", JobFlowRole="r", ServiceRole="s",
            Instances={"InstanceFleets": FLEETS},
            Steps=[{"Name": "s", "ActionOnFailure": "TERMINATE_CLUSTER",
                    "HadoopJarStep": {"Jar": "command-runner.jar", "Args": ["s3://code/index_analysis.py"]}}],
        )["JobFlowId"]  # fmt: skip
        assert client.describe_cluster(ClusterId=cluster_id)["Cluster"]["InstanceCollectionType"] == "INSTANCE_FLEET"
        fleets = client.list_instance_fleets(ClusterId=cluster_id)["InstanceFleets"]
        core = next(f for f in fleets if f["InstanceFleetType"] == "CORE")
        assert (core["ProvisionedOnDemandCapacity"], core["ProvisionedSpotCapacity"]) == (16, 8)
        launched = client.list_instances(ClusterId=cluster_id, InstanceFleetId=core["Id"])["Instances"]
        assert sorted(i["Market"] for i in launched) == ["ON_DEMAND"] * 4 + ["SPOT"] * 2
        assert {i["InstanceType"] for i in launched} == {"c5.xlarge"}  # priority 1 comes first
        (state,) = wait_terminated(client, [cluster_id])
        assert state == "TERMINATED" and aws.flows[cluster_id].config == emr.written_config(
            {"Instances": {"InstanceFleets": FLEETS}}
        )
        nodes = {"InstanceFleets": client.list_instance_fleets(ClusterId=cluster_id)["InstanceFleets"],
                 "Instances": client.list_instances(ClusterId=cluster_id)["Instances"]}  # fmt: skip
        assert {f["Status"]["State"] for f in nodes["InstanceFleets"]} == {"TERMINATED"}
        report = emr.cluster_report(
            client.describe_cluster(ClusterId=cluster_id)["Cluster"],
            nodes,
            client.list_steps(ClusterId=cluster_id)["Steps"],
        )
    assert len(report["Instances"]) == 7 and "spark-env" not in str(report)  # per-type configurations left out
    assert config_from_report(report) == aws.flows[cluster_id].config


# -- EMR Serverless --------------------------------------------------------------------------------------

SERVERLESS_JOB = {
    "sparkSubmit": {
        "entryPoint": "s3://code/index_analysis.py",
        "entryPointArguments": ["--input-scale", "1"],
        "sparkSubmitParameters": "--conf spark.executor.cores=4 --executor-memory 14g "
        "--conf spark.dynamicAllocation.maxExecutors=12 --conf spark.dynamicAllocation.minExecutors=2 "
        "--conf 'spark.driver.extraJavaOptions=-Dx=1 -Dy=2' --conf spark.sql.shuffle.partitions=200",
    }
}


def test_serverless_written_config_reads_sizes_in_either_notation_and_maps_them_to_worker_shapes():
    config = emr_serverless.written_config(SERVERLESS_JOB)
    assert config == ClusterConfig("m5.xlarge", 12, driver_instance_type="m5.xlarge", platform="emr-serverless")
    overrides = {"applicationConfiguration": [{"classification": "spark-defaults", "properties": {
        "spark.executor.cores": "8", "spark.executor.memory": "14g", "spark.dynamicAllocation.enabled": "false",
        "spark.executor.instances": "5", "spark.driver.cores": "2", "spark.driver.memory": "7g"}}]}  # fmt: skip
    fixed = emr_serverless.written_config({"sparkSubmit": {"entryPoint": "s3://code/x.py"}}, overrides)
    assert (fixed.instance_type, fixed.num_workers, fixed.driver_instance_type) == ("c5.2xlarge", 5, "m5.large")
    defaults = emr_serverless.written_config({"sparkSubmit": {"entryPoint": "s3://code/x.py"}})
    assert (defaults.instance_type, defaults.num_workers) == ("m5.xlarge", emr_serverless.DEFAULT_EXECUTORS)
    assert emr_serverless.shape_of(16, 100) == "m5.4xlarge" and emr_serverless.shape_of(4, 28) == "m5.xlarge"
    assert emr_serverless.shape_of(3, 10) in ("m5.large", "c5.xlarge")  # 11 GB with overhead, 2 or 4 vCPUs


def test_serverless_assignment_fixes_the_executors_and_keeps_the_users_parameters():
    config = ClusterConfig("c5.2xlarge", 7, driver_instance_type="m5.large", platform="emr-serverless")
    out = emr_serverless.apply_to_job_driver(SERVERLESS_JOB, config, eventlog_dir="s3://logs/agora/p/run-try1")
    props = emr_serverless.submit_properties(out)
    assert props["spark.executor.instances"] == "7" and props["spark.dynamicAllocation.enabled"] == "false"
    assert not any(k.startswith("spark.dynamicAllocation.m") for k in props)  # min/max gave way
    assert (props["spark.executor.cores"], props["spark.executor.memory"]) == ("8", "14g")  # 16 GB with overhead
    assert (props["spark.driver.cores"], props["spark.driver.memory"]) == ("2", "7g")
    assert props["spark.driver.extraJavaOptions"] == "-Dx=1 -Dy=2" and props["spark.sql.shuffle.partitions"] == "200"
    assert props["spark.eventLog.dir"] == "s3://logs/agora/p/run-try1"
    assert emr_serverless.written_config(out) == config  # what runs is what was assigned
    assert out["sparkSubmit"]["entryPointArguments"] == ["--input-scale", "1"]
    own = {
        "sparkSubmit": {**SERVERLESS_JOB["sparkSubmit"], "sparkSubmitParameters": "--conf spark.eventLog.dir=s3://mine"}
    }
    kept = emr_serverless.apply_to_job_driver(own, None, eventlog_dir="s3://logs/agora/p/run-try1")
    assert emr_serverless.eventlog_dir_of(kept) == "s3://mine"


def test_the_sandbox_runs_serverless_jobs_for_the_modelled_time_and_cancels_them():
    with EmrSandbox(speedup=1000, serverless_startup_s=60) as aws:
        client = aws.client("emr-serverless")
        app = client.create_application(name="t", releaseLabel="emr-7.2.0", type="SPARK")["applicationId"]
        logged = emr_serverless.apply_to_job_driver(SERVERLESS_JOB, None, eventlog_dir="s3://sandbox-logs/sl")

        def start(driver):
            return client.start_job_run(applicationId=app, executionRoleArn="arn:aws:iam::123456789012:role/r",
                                        jobDriver=driver)["jobRunId"]  # fmt: skip

        ok = start(logged)
        failing = start({"sparkSubmit": {**logged["sparkSubmit"], "entryPointArguments": ["--fail", "out_of_memory"]}})
        cancelled = start(logged)
        time.sleep(0.1)
        client.cancel_job_run(applicationId=app, jobRunId=cancelled)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            runs = {r: client.get_job_run(applicationId=app, jobRunId=r)["jobRun"] for r in (ok, failing, cancelled)}
            if all(r["state"] in emr_serverless.TERMINAL_STATES for r in runs.values()):
                break
            time.sleep(0.1)
        assert [runs[r]["state"] for r in (ok, failing, cancelled)] == ["SUCCESS", "FAILED", "CANCELLED"]
        succeeded, _, runtime_s, _, _ = emr_serverless.run_outcome(runs[ok])
        assert succeeded and runtime_s == pytest.approx(aws.serverless[ok].timing.runtime_s, abs=1)
        assert (
            runs[ok]["queuedDurationMilliseconds"] == 60_000 and runs[ok]["billedResourceUtilization"]["vCPUHour"] > 0
        )
        assert "OutOfMemoryError" in runs[failing]["stateDetails"] and aws.serverless[cancelled].eventlogs == []
        profile = build_profile(aws.serverless[ok].eventlogs[0], s3_client=aws.client("s3"))
        assert profile.complete and profile.platform.workers == 12
        report = emr_serverless.cluster_report(runs[ok])
        assert config_from_report(report) == emr_serverless.written_config(SERVERLESS_JOB)
        assert report["activity"]["startup_s"] == 60 and "sparkSubmitParameters" not in str(report)

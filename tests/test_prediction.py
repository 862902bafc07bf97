"""Catalogue, cost, hardware scaling and recommendation, on synthetic runs whose answer is known."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from airflow_agora.cli.main import main
from airflow_agora.domain.cluster import ClusterConfig
from airflow_agora.domain.errors import InvalidInputError
from airflow_agora.platforms.databricks import cluster_activity, new_cluster_spec
from airflow_agora.platforms.emr import instance_groups
from airflow_agora.platforms.reports import classify_failure, config_from_report, with_fragments
from airflow_agora.prediction.catalogue import Catalogue
from airflow_agora.prediction.cluster_report import config_from_profile
from airflow_agora.prediction.cost import CostRates, photon_break_even_speedup, run_cost
from airflow_agora.prediction.predict import predict_from_profile
from airflow_agora.prediction.profile import ProfileBuilder
from airflow_agora.prediction.recommend import Candidate, choose_balanced, pareto_front
from airflow_agora.prediction.scaling import RuntimePredictor, WillNotFitError

FIXTURE = Path(__file__).parent / "fixtures" / "eventlogs" / "pyspark-4.3.0-local"
GIB = 1 << 30


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return Catalogue.packaged()


def cpu_bound_run(
    tasks: int = 64, task_ms: int = 1_000, cores: int = 4, hosts: int = 1, peak_bytes: int = 0, delay_ms: int = 0
):
    """One stage of identical CPU-bound tasks run in waves on ``hosts`` x ``cores`` slots, as Spark would log it."""
    t0 = 1_700_000_000_000
    b = ProfileBuilder()
    b.add({"Event": "SparkListenerApplicationStart", "App ID": "a", "App Name": "synthetic", "Timestamp": t0})
    for h in range(hosts):
        b.add(
            {
                "Event": "SparkListenerExecutorAdded",
                "Timestamp": t0,
                "Executor ID": str(h),
                "Executor Info": {"Host": f"h{h}", "Total Cores": cores},
            }
        )
    b.add(
        {
            "Event": "SparkListenerJobStart",
            "Job ID": 0,
            "Submission Time": t0,
            "Stage IDs": [0],
            "Stage Infos": [{"Stage ID": 0, "Parent IDs": [], "Number of Tasks": tasks}],
        }
    )
    slots = cores * hosts
    end = t0
    for i in range(tasks):
        launch = t0 + (i // slots) * (task_ms + delay_ms)
        finish = launch + task_ms + delay_ms
        end = max(end, finish)
        info = {
            "Task ID": i,
            "Index": i,
            "Attempt": 0,
            "Launch Time": launch,
            "Finish Time": finish,
            "Executor ID": str(i % hosts),
        }
        metrics = {
            "Executor Run Time": task_ms,
            "Executor CPU Time": task_ms * 1_000_000,
            "Peak Execution Memory": peak_bytes,
        }
        b.add(
            {
                "Event": "SparkListenerTaskEnd",
                "Stage ID": 0,
                "Stage Attempt ID": 0,
                "Task Info": info,
                "Task Metrics": metrics,
            }
        )
    b.add({"Event": "SparkListenerJobEnd", "Job ID": 0, "Completion Time": end})
    b.add({"Event": "SparkListenerApplicationEnd", "Timestamp": end})
    return b.build()


# --- catalogue ---------------------------------------------------------------------------------
def test_packaged_catalogue_carries_sources_and_known_figures(catalogue):
    m5 = catalogue.get("m5.xlarge")
    assert (m5.vcpus, m5.memory_gib, m5.ondemand_usd_per_hour, m5.dbu_per_hour) == (4, 16.0, 0.192, 0.69)
    assert 0.9 < m5.cpu_speed < 1.1  # the reference family
    assert catalogue.get("m7g.xlarge").cpu_speed > 1.5 * catalogue.get("i3.xlarge").cpu_speed
    assert catalogue.effective_date and "ondemand_usd_per_hour" in catalogue.sources


def test_catalogue_override_and_typo_errors(catalogue, tmp_path):
    override = tmp_path / "prices.csv"
    override.write_text("instance_type,ondemand_usd_per_hour,vcpus,memory_gib\nm5.xlarge,0.1,,\nmy.big,1.0,64,512\n")
    merged = Catalogue.load(override)
    assert merged.get("m5.xlarge").ondemand_usd_per_hour == 0.1 and merged.get("m5.xlarge").vcpus == 4
    assert merged.get("my.big").vcpus == 64
    with pytest.raises(InvalidInputError, match=r"Did you mean m5\.xlarge"):
        catalogue.get("m5.xlarg")
    bad = tmp_path / "bad.csv"
    bad.write_text("type,price\nx,1\n")
    with pytest.raises(InvalidInputError, match="instance_type column"):
        Catalogue.load(bad)
    assert [t.name for t in catalogue.select(["r5.*"], databricks=True)][:2] == ["r5.large", "r5.xlarge"]


# --- cost ----------------------------------------------------------------------------------------
def test_databricks_cost_is_ec2_plus_dbus_and_photon_multiplies_dbus(catalogue):
    rates = CostRates(databricks_startup_s=0)
    config = ClusterConfig("m5.xlarge", 4, "m5.xlarge", platform="databricks")
    cost = run_cost(config, 3600, catalogue, rates)
    assert cost.ec2_usd == pytest.approx(5 * 0.192)
    assert cost.dbu_usd == pytest.approx(5 * 0.69 * 0.15)
    photon = run_cost(ClusterConfig("m5.xlarge", 4, platform="databricks", photon=True), 3600, catalogue, rates)
    assert photon.dbu_usd == pytest.approx(2 * cost.dbu_usd) and photon.ec2_usd == pytest.approx(cost.ec2_usd)


def test_emr_fee_spot_startup_and_minimum_billing(catalogue):
    rates = CostRates()
    config = ClusterConfig("m5.4xlarge", 2, "m5.xlarge", platform="emr", spot_share=1.0)
    cost = run_cost(config, 3600 - rates.emr_startup_s, catalogue, rates)
    assert cost.billed_s == 3600
    assert cost.emr_fee_usd == pytest.approx(0.048 + 2 * 0.192)  # 25% of on-demand, not discounted on spot
    assert cost.ec2_usd == pytest.approx(0.192 + 2 * 0.768 * (1 - 0.65))
    tiny = run_cost(config, 1, catalogue, CostRates(emr_startup_s=0))
    assert tiny.ec2_usd == pytest.approx((0.192 + 2 * 0.768 * 0.35) * 60 / 3600)  # EC2's 60 s minimum
    serverless = run_cost(
        ClusterConfig("m5.xlarge", 1, platform="emr-serverless"), 3600, catalogue, CostRates(emr_serverless_startup_s=0)
    )
    assert serverless.total_usd == pytest.approx(8 * 0.052624 + 32 * 0.0057785)


def test_photon_break_even_matches_the_design_example():
    assert photon_break_even_speedup(1, 1, 2) == pytest.approx(1.5)
    assert photon_break_even_speedup(1, 0, 2) == pytest.approx(1.0)  # no DBUs: Photon costs nothing extra


# --- scaling -------------------------------------------------------------------------------------
def test_observed_configuration_reproduces_the_observed_run(catalogue):
    profile = cpu_bound_run()
    predictor = RuntimePredictor(profile, ClusterConfig("m5.xlarge", 1), catalogue)
    assert predictor.predict(ClusterConfig("m5.xlarge", 1)).runtime_s == pytest.approx(16.0, rel=0.01)


def test_more_workers_and_faster_cpus_shorten_a_cpu_bound_run(catalogue):
    predictor = RuntimePredictor(cpu_bound_run(), ClusterConfig("m5.xlarge", 1), catalogue)
    four = predictor.predict(ClusterConfig("m5.xlarge", 4))
    assert four.runtime_s == pytest.approx(4.0, rel=0.02) and four.slots == 16
    assert four.runtime_low_s < four.runtime_s < four.runtime_high_s
    m5, m7g = catalogue.get("m5.xlarge"), catalogue.get("m7g.xlarge")
    graviton = predictor.predict(ClusterConfig("m7g.xlarge", 1)).runtime_s
    assert graviton == pytest.approx(16.0 * m5.cpu_speed / m7g.cpu_speed, rel=0.02)


def test_a_task_larger_than_the_node_will_not_fit_and_smaller_memory_spills(catalogue):
    profile = cpu_bound_run(peak_bytes=3 * GIB)
    predictor = RuntimePredictor(profile, ClusterConfig("r5.2xlarge", 1), catalogue)
    with pytest.raises(WillNotFitError, match=r"c5\.large"):
        predictor.predict(ClusterConfig("c5.large", 1))
    spilled = predictor.predict(ClusterConfig("c5.2xlarge", 2))  # 2 GiB per core instead of 8
    assert spilled.warnings and spilled.runtime_s > predictor.predict(ClusterConfig("r5.2xlarge", 2)).runtime_s


def test_a_small_driver_inflates_scheduler_delay_as_workers_grow(catalogue):
    profile = cpu_bound_run(tasks=512, delay_ms=200)
    predictor = RuntimePredictor(profile, ClusterConfig("m5.xlarge", 1, "m5.xlarge"), catalogue)
    small = predictor.predict(ClusterConfig("m5.xlarge", 32, "m5.large")).runtime_s
    big = predictor.predict(ClusterConfig("m5.xlarge", 32, "m5.8xlarge")).runtime_s
    assert small > 1.5 * big


# --- observed configuration -----------------------------------------------------------------------
def test_cluster_report_shapes():
    databricks = {
        "cluster_spec": {
            "new_cluster": {
                "node_type_id": "r5.xlarge",
                "num_workers": 8,
                "aws_attributes": {"availability": "SPOT_WITH_FALLBACK", "first_on_demand": 1},
            }
        }
    }
    c = config_from_report(databricks)
    assert (c.instance_type, c.num_workers, c.spot_share, c.platform) == ("r5.xlarge", 8, 1.0, "databricks")
    emr = {
        "InstanceGroups": [
            {"InstanceGroupType": "MASTER", "InstanceType": "m5.xlarge", "RunningInstanceCount": 1},
            {
                "InstanceGroupType": "CORE",
                "InstanceType": "r5.2xlarge",
                "RunningInstanceCount": 3,
                "Market": "ON_DEMAND",
            },
            {"InstanceGroupType": "TASK", "InstanceType": "r5.2xlarge", "RunningInstanceCount": 1, "Market": "SPOT"},
        ]
    }
    c = config_from_report(emr)
    assert (c.instance_type, c.num_workers, c.driver_instance_type, c.spot_share) == (
        "r5.2xlarge",
        4,
        "m5.xlarge",
        0.25,
    )
    with pytest.raises(InvalidInputError, match="not recognised"):
        config_from_report({"foo": 1})


def test_cluster_activity_of_an_autoscaled_cluster_that_lost_spot_nodes():
    t = 1_700_000_000_000

    def size(current, target):
        return {"current_num_workers": current, "target_num_workers": target}

    events = [  # newest first, as the Clusters API answers by default
        {"timestamp": t + 700_000, "type": "TERMINATING", "details": {"reason": {"code": "JOB_FINISHED"}}},
        {"timestamp": t + 600_000, "type": "NODES_LOST", "details": size(6, 8)},
        {"timestamp": t + 400_000, "type": "UPSIZE_COMPLETED", "details": size(8, 8)},
        {"timestamp": t + 300_000, "type": "RESIZING", "details": size(2, 8)},
        {"timestamp": t + 100_000, "type": "RUNNING", "details": size(2, 2)},
        {"timestamp": t, "type": "CREATING", "details": {"cluster_size": {"autoscale": {"min_workers": 2}}}},
    ]
    activity = cluster_activity(events)
    assert activity["startup_s"] == 100 and activity["nodes_lost"] == 2 and activity["resizes"] == 2
    # 2 workers for 300 s, 8 for 200 s, 6 for 100 s over 600 s running
    assert activity["mean_workers"] == pytest.approx((2 * 300 + 8 * 200 + 6 * 100) / 600, abs=0.01)
    assert activity["termination"] == "JOB_FINISHED" and activity["events"] == 6
    still_running = cluster_activity(events[-2:])
    assert still_running["mean_workers"] is None and still_running["termination"] is None


def test_failures_are_classified_from_the_message_then_from_the_clusters_activity():
    assert classify_failure("java.lang.OutOfMemoryError: Java heap space") == "out_of_memory"
    assert classify_failure("ExecutorLostFailure (executor 3 exited)") == "lost_executors"
    fetch_failed = "org.apache.spark.shuffle.FetchFailedException: Failed to connect to /10.0.0.7:4048"
    assert classify_failure(fetch_failed) == "other"
    assert classify_failure(fetch_failed, {"nodes_lost": 2}) == "lost_executors"
    assert classify_failure("java.lang.OutOfMemoryError", {"nodes_lost": 2}) == "out_of_memory"  # the text first


def test_fragments_round_trip_through_the_report_parser():
    config = ClusterConfig("r5.xlarge", 6, "m5.xlarge", platform="databricks", spot_share=0.5)
    again = config_from_report({"new_cluster": new_cluster_spec(config)})
    assert (again.instance_type, again.num_workers, again.driver_instance_type) == ("r5.xlarge", 6, "m5.xlarge")
    assert again.spot_share == pytest.approx(0.5)
    emr = ClusterConfig("r5.xlarge", 4, "m5.xlarge", platform="emr", spot_share=0.5)
    groups = [
        {**g, "InstanceGroupType": g["InstanceRole"], "RunningInstanceCount": g["InstanceCount"]}
        for g in instance_groups(emr)
    ]
    back = config_from_report({"InstanceGroups": groups})
    assert (back.num_workers, back.spot_share) == (4, 0.5)


def test_unknown_instance_types_are_assumed_with_a_warning(catalogue):
    config, warnings = config_from_profile(cpu_bound_run(hosts=3), catalogue)
    assert (config.instance_type, config.num_workers) == ("m5.xlarge", 3)
    assert "assumed 3 x m5.xlarge" in warnings[0]


# --- recommendation --------------------------------------------------------------------------------
def _candidate(runtime_s, cost_usd):
    return Candidate(ClusterConfig("m5.xlarge", 1), runtime_s, runtime_s, runtime_s, cost_usd, cost_usd, cost_usd)


def test_pareto_front_and_balanced_knee():
    points = [_candidate(100, 10), _candidate(110, 4), _candidate(120, 5), _candidate(400, 3), _candidate(90, 30)]
    front = pareto_front(points)
    assert [(c.runtime_s, c.cost_usd) for c in front] == [(90, 30), (100, 10), (110, 4), (400, 3)]
    assert (choose_balanced(front).runtime_s, choose_balanced(front).cost_usd) == (110, 4)


def test_recommendation_meets_the_sla_at_least_cost(catalogue):
    profile = cpu_bound_run(tasks=256)  # 64 s on 1 x m5.xlarge
    answer = predict_from_profile(
        profile,
        catalogue=catalogue,
        observed=ClusterConfig("m5.xlarge", 1, platform="databricks"),
        sla_s=20,
    )
    sla = answer["solutions"]["sla"]
    assert sla["meets_sla"] and sla["metrics"]["runtime_s"] <= 20
    assert answer["recommended"] == "sla"
    with_fragments(answer)
    assert sla["new_cluster"]["num_workers"] == sla["configuration"]["num_workers"]
    fronts = [(p["metrics"]["runtime_s"], p["metrics"]["cost_usd"]) for p in answer["pareto"]]
    meeting = [c for r, c in fronts if r <= 20]
    assert sla["metrics"]["cost_usd"] == pytest.approx(min(meeting), abs=1e-4)
    perf, eco = answer["solutions"]["performance"]["metrics"], answer["solutions"]["economy"]["metrics"]
    assert perf["runtime_s"] <= eco["runtime_s"] and perf["cost_usd"] >= eco["cost_usd"]
    impossible = predict_from_profile(profile, catalogue=catalogue, sla_s=0.5)
    assert not impossible["solutions"]["sla"]["meets_sla"] and any("SLA" in w for w in impossible["warnings"])


def test_agora_predict_cli_on_a_real_log(capsys):
    assert main(["predict", str(FIXTURE), "--json", "--instance-types", "m5.*", "--sla-s", "30"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert set(answer["solutions"]) == {"performance", "balanced", "economy", "sla"}
    assert abs(answer["model_error_pct"]) < 5 and answer["basis"]["metrics"]["runtime_s"] > 0
    for sol in answer["solutions"].values():
        m = sol["metrics"]
        assert m["cost_usd_low"] <= m["cost_usd"] <= m["cost_usd_high"]
        assert sol["configuration"]["instance_type"].startswith("m5.")
    assert main(["photon-roi", "--instance-type", "m5.xlarge", "--json"]) == 0
    roi = json.loads(capsys.readouterr().out)["rows"][0]
    assert 1 < roi["break_even_speedup"] < 2


# --- runtime-only prior and the grid benchmark ------------------------------------------------------
def test_prior_recovers_amdahl_from_two_runs_and_keeps_a_band_from_one():
    from airflow_agora.prediction.runtime_prior import NodeSpec, Observation, PriorScalingModel

    node = NodeSpec("x", 4, 16.0)
    truth = lambda n: 100 + 6400 / (4 * n)  # noqa: E731 - 20% serial at 4 nodes
    model = PriorScalingModel().fit([Observation(node, 2, truth(2)), Observation(node, 4, truth(4))])
    assert model.fitted_serial_fraction == pytest.approx(0.2)
    assert model.predict(node, 8).runtime_s == pytest.approx(truth(8))
    one = PriorScalingModel().fit([Observation(node, 4, truth(4))])
    grow, shrink = one.predict(node, 8), one.predict(node, 2)
    assert grow.runtime_low_s < truth(8) < grow.runtime_high_s
    assert shrink.runtime_high_s == pytest.approx(2 * truth(4))  # shrinking: full slowdown is the worst case
    other = one.predict(NodeSpec("small-memory", 4, 4.0), 4)
    assert other.runtime_high_s > 1.5 * other.runtime_s  # less memory per vCPU: much wider


def test_grid_benchmark_on_a_grid_that_follows_the_prior(tmp_path, catalogue):
    from airflow_agora.prediction.grid_bench import load_grid, run_benchmark

    lines = ["workload,instance_type,nodes,runtime_s,completed,usd_per_node_hour,runs"]
    for w, serial in (("flat", 0.05), ("steep", 0.15)):
        for n in (2, 4, 6, 8, 12, 16):
            runtime = 1000 * (serial + (1 - serial) * 2 / n)
            lines.append(f"{w},m5.xlarge,{n},{runtime:.1f},True,0.192,1")
        lines.append(f"{w},m5.xlarge,1,0,False,0.192,1")  # did not complete: never a good child
    path = tmp_path / "grid.csv"
    path.write_text("\n".join(lines) + "\n")
    summary = run_benchmark(load_grid(path), catalogue)
    assert summary["parents"] == 12 and summary["improvable_parents"] > 0
    assert summary["sla_violation_pct"] == 0
    assert summary["improved_pct"] >= 50
    assert summary["oracle_median_cost_change_pct"] <= summary["median_cost_change_pct"] < 10
    bad = tmp_path / "bad.csv"
    bad.write_text("workload,nodes\nx,1\n")
    with pytest.raises(InvalidInputError, match="header lacks"):
        load_grid(bad)

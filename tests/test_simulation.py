"""Trace loaders, the runtime-vs-resources model and the shared-cluster simulator, on small traces
written here in the real formats (the real rows stay in ../shared/data, for the benchmarks)."""

from __future__ import annotations

import itertools
import json
import math
import os
import pickle

import numpy as np
import pytest

from airflow_agora.cli.main import main
from airflow_agora.domain.errors import InvalidInputError
from airflow_agora.simulation.agora_policy import AgoraPlanning
from airflow_agora.simulation.profile import UsageProfile
from airflow_agora.simulation.scaling import ScalingModel, fit_on_curves, runtime_at
from airflow_agora.simulation.simulator import Assignment, FastestSize, RecordedSize, offered_sizes, simulate
from airflow_agora.simulation.tpch import load_query, load_tpch, read_npy, stage_runtime_s
from airflow_agora.simulation.traces import TraceDag, TraceTask, load_alibaba, parse_task_name

HEADER = "task_name,instance_num,job_name,task_type,status,start_time,end_time,plan_cpu,plan_mem\n"


def test_task_names_give_the_dag():
    assert parse_task_name("M1") == ("1", ())
    assert parse_task_name("R2_1") == ("2", ("1",))
    assert parse_task_name("J3_1_2") == ("3", ("1", "2"))
    assert parse_task_name("R4_2_Stg9") == ("4", ("2",))
    assert parse_task_name("J30_4_5_6_8_") == ("30", ("4", "5", "6", "8"))
    assert parse_task_name("task_Nzg3ODAwNDgzMTAwNTc2NTQ2Mw==") is None
    assert parse_task_name("MergeTask") is None


def test_alibaba_rows_give_runtimes_after_the_parents_and_sizes_from_plan_cpu(tmp_path):
    trace = tmp_path / "batch_task.csv"
    trace.write_text(
        HEADER
        # j_1: both tasks "start" at the job's creation (100); task 2 really starts when 1 ends (130)
        + "M1,4,j_1,,Terminated,100,130,50,0.2\n"
        + "R2_1,1,j_1,,Terminated,100,190,200,0.2\n"
        + "R3_9,1,j_1,,Terminated,100,200,100,0.2\n"  # parent 9 is not in the job: edge dropped
        + "M1,1,j_2,,Running,50,0,100,0.2\n"  # not finished: the job cannot be replayed
        + "task_abc,2,j_3,,Terminated,40,45,100,0.2\n"
    )
    dags, report = load_alibaba(trace)
    assert [d.dag_id for d in dags] == ["j_3", "j_1"]  # by arrival
    j1 = {t.task_id: t for t in dags[1].tasks}
    assert dags[1].arrival_s == 100
    assert (j1["1"].vcpus, j1["1"].runtime_s) == (2.0, 30.0)  # 4 instances of half a core
    assert (j1["2"].vcpus, j1["2"].runtime_s, j1["2"].parents) == (2.0, 60.0, ("1",))
    assert j1["3"].parents == () and j1["3"].runtime_s == 100.0
    assert dags[0].tasks[0].task_id == "task_abc" and dags[0].tasks[0].vcpus == 2.0
    assert report.skipped_dags == {"with a task not Terminated": 1} and report.dropped_edges == 1
    assert "5 rows" in report.summary() and "2 DAGs with 4 tasks" in report.summary()


def test_broken_alibaba_rows_are_named_with_their_line(tmp_path):
    short = tmp_path / "short.csv"
    short.write_text(HEADER + "M1,4,j_1\n")
    with pytest.raises(InvalidInputError, match=r"short.csv:2: 3 fields"):
        load_alibaba(short)
    word = tmp_path / "word.csv"
    word.write_text(HEADER + "M1,four,j_1,,Terminated,1,2,100,0.1\n")
    with pytest.raises(InvalidInputError, match=r"word.csv:2: instance_num 'four' is not a number"):
        load_alibaba(word)
    with pytest.raises(InvalidInputError, match="no trace file"):
        load_alibaba(tmp_path / "missing.csv")


def test_the_model_trades_time_for_money_and_its_fit_recovers_known_parameters():
    amdahl = ScalingModel(serial_fraction=0.0, work_growth=0.0)
    assert amdahl.runtime_s(4, 100, 8) == pytest.approx(50)  # perfect scaling: same cost
    model = ScalingModel(serial_fraction=0.1, work_growth=0.3)
    sizes = [1, 2, 4, 8, 16]
    runtimes = [model.runtime_s(4, 100, k) for k in sizes]
    costs = [k * r for k, r in zip(sizes, runtimes, strict=True)]
    assert runtimes == sorted(runtimes, reverse=True) and costs == sorted(costs)
    power_law = ScalingModel(serial_fraction=0.0, work_growth=0.3)
    curves = [[(k, power_law.runtime_s(1, r0, k)) for k in sizes] for r0 in (10, 100, 1000)]
    s, a, error = fit_on_curves(curves)
    assert (s, a) == (0.0, 0.3) and error < 1e-6
    assert model.sizes(8, 20) == [1.0, 2.0, 4.0, 8.0, 16.0, 20.0]  # the 4x size clamped to the capacity
    with pytest.raises(ValueError, match="serial fraction"):
        ScalingModel(serial_fraction=1.0)


def test_a_measured_curve_wins_over_the_model_between_its_points():
    task = TraceTask("s", 10, 50, curve=((2, 200.0), (10, 50.0), (20, 30.0)))
    model = ScalingModel(0.0, 0.0)
    assert runtime_at(task, 10, model) == pytest.approx(50.0)
    assert 30.0 < runtime_at(task, 15, model) < 50.0
    assert runtime_at(task, 40, model) == pytest.approx(15.0)  # beyond the curve: the model from its end


def _write_npy_object(path, value) -> None:
    np.save(path, np.array(value, dtype=object), allow_pickle=True)


def test_tpch_stages_become_curves_and_a_hostile_pickle_is_refused(tmp_path):
    folder = tmp_path / "tpch" / "2g"
    folder.mkdir(parents=True)
    np.save(folder / "adj_mat_1.npy", np.array([[0.0, 1.0], [0.0, 0.0]]))
    stage0 = {"first_wave": {2: [4000, 4000], 4: [4000] * 4}, "rest_wave": {2: [2000, 2000], 4: []},
              "fresh_durations": {2: [], 4: []}}  # fmt: skip
    stage1 = {"first_wave": {2: [1000], 4: [1000]}, "rest_wave": {2: [], 4: []}, "fresh_durations": {2: [], 4: []}}
    _write_npy_object(folder / "task_duration_1.npy", {0: stage0, 1: stage1})
    dag = load_query(tmp_path / "tpch", "2g", 1, vcpus_per_executor=1, executors=4, dag_id="q1", arrival_s=0)
    first, second = dag.tasks
    assert first.curve == ((2, 6.0), (4, 4.0)) and (first.vcpus, first.runtime_s) == (4, 4.0)
    assert second.parents == ("0",) and second.curve == ((2, 1.0),)  # one task: flat beyond 2 executors
    assert stage_runtime_s([3000, 1000], [1000, 1000, 1000], 2) == 4.0
    dags, _ = load_tpch(tmp_path / "tpch", jobs=5, interarrival_s=10, seed=1)
    arrivals = [d.arrival_s for d in dags]
    assert len(dags) == 5 and arrivals[0] == 0 and arrivals == sorted(set(arrivals))

    class Boom:
        def __reduce__(self):
            return (os.system, ("echo pwned",))

    hostile = folder / "task_duration_2.npy"
    header = np.lib.format
    with hostile.open("wb") as handle:
        header.write_array_header_1_0(handle, {"descr": "|O", "fortran_order": False, "shape": ()})
        handle.write(pickle.dumps(Boom()))
    with pytest.raises(InvalidInputError, match=r"(posix|os)\.system is not allowed"):
        read_npy(hostile)


def test_a_task_that_does_not_fit_lets_a_later_smaller_one_start():
    dags = [TraceDag("a", 0, (TraceTask("t", 8, 100),)), TraceDag("b", 1, (TraceTask("t", 6, 10),)),
            TraceDag("c", 2, (TraceTask("t", 2, 10),))]  # fmt: skip
    result = simulate(dags, RecordedSize(ScalingModel(), 10), capacity_vcpus=10, keep_runs=True)
    assert {d: s for d, _, s, _, _ in result.runs} == {"a": 0, "c": 2, "b": 100}


def _check_schedule(dags: list[TraceDag], runs, capacity: float) -> None:
    """Capacity at every instant and precedence, from the simulator's own log of runs."""
    ends = {(d, t): end for d, t, _, end, _ in runs}
    starts = {(d, t): start for d, t, start, _, _ in runs}
    for dag in dags:
        for parent, child in dag.edges:
            assert starts[dag.dag_id, child] >= ends[dag.dag_id, parent] - 1e-9
        assert min(starts[dag.dag_id, t.task_id] for t in dag.tasks) >= dag.arrival_s
    for _, _, start, _, _ in runs:
        in_use = sum(v for _, _, s, e, v in runs if s <= start < e)
        assert in_use <= capacity + 1e-9


def test_the_simulator_shares_the_capacity_first_fit_and_keeps_precedence():
    model = ScalingModel(0.0, 0.2)
    big = TraceDag("big", 0, (TraceTask("a", 8, 100), TraceTask("b", 8, 50, ("a",))))
    small = TraceDag("small", 10, (TraceTask("x", 2, 30), TraceTask("y", 6, 20, ("x",))))
    late = TraceDag("late", 20, (TraceTask("z", 4, 10),))
    dags = [big, small, late]
    result = simulate(dags, RecordedSize(model, 10), capacity_vcpus=10, usd_per_vcpu_hour=3600, keep_runs=True)
    _check_schedule(dags, result.runs, 10)
    starts = {(d, t): s for d, t, s, _, _ in result.runs}
    assert starts["small", "x"] == 10  # fits beside a (8 + 2)
    # at 100, a's end frees the cluster: z (waiting since 20) and y (since 40) start, b waits for y
    assert (starts["late", "z"], starts["small", "y"], starts["big", "b"]) == (100, 100, 120)
    assert result.completion_s == {"big": 170, "small": 110, "late": 90}
    assert result.cost_usd["big"] == 8 * 100 + 8 * 50  # $1 per vCPU-second here
    summary = result.summary()
    assert summary["dags"] == 3 and summary["tasks"] == 5 and summary["makespan_s"] == 170
    assert summary["mean_dag_completion_s"] == round((170 + 110 + 90) / 3, 1)
    fastest = simulate(dags, FastestSize(model, 10), capacity_vcpus=10, keep_runs=True)
    _check_schedule(dags, fastest.runs, 10)
    used = {(d, t): v for d, t, _, _, v in fastest.runs}
    assert used == {("big", "a"): 10, ("big", "b"): 10, ("small", "x"): 8, ("small", "y"): 10, ("late", "z"): 10}


def test_agora_simulate_on_the_command_line(tmp_path, capsys):
    trace = tmp_path / "batch_task.csv"
    trace.write_text(HEADER + "M1,4,j_1,,Terminated,100,130,100,0.2\nR2_1,2,j_1,,Terminated,100,190,100,0.2\n")
    assert main(["simulate", str(trace), "--json", "--capacity-vcpus", "8"]) == 0
    summary = json.loads(capsys.readouterr().out)
    keys = {"dags", "tasks", "total_cost_usd", "mean_dag_completion_s", "p95_dag_completion_s", "makespan_s"}
    assert keys <= set(summary) and summary["dags"] == 1 and summary["mean_dag_completion_s"] == 90.0
    assert main(["simulate", str(trace), "--capacity-vcpus", "-1"]) == 2
    assert main(["simulate", str(trace), "--work-growth", "1.5"]) == 2
    assert "must be positive" in capsys.readouterr().err


def test_the_usage_profile_finds_the_first_gap_that_lasts():
    profile = UsageProfile(10)
    profile.add(0, 10, 8)
    profile.add(20, 30, 6)
    assert profile.earliest_fit(0, 5, 2) == 0  # beside the 8
    assert profile.earliest_fit(0, 5, 4) == 10  # after the 8, before the 6
    assert profile.earliest_fit(0, 15, 5) == 30  # 10..25 would overlap the 6
    assert profile.earliest_fit(12, 5, 4) == 12
    profile.forget_before(25)
    assert profile.times[0] == 20 and profile.earliest_fit(0, 1, 5) == 30
    with pytest.raises(ValueError, match="exceed the capacity"):
        profile.earliest_fit(0, 1, 11)


def _contended_trace() -> list[TraceDag]:
    """Two-task chains arriving faster than a 16-vCPU cluster runs them at their recorded 12 vCPUs."""
    return [TraceDag(f"d{n}", 20 * n, (TraceTask("a", 12, 60), TraceTask("b", 12, 40, ("a",)))) for n in range(6)]


def test_agora_plans_fit_the_capacity_and_beat_default_within_its_bars():
    model = ScalingModel(0.0, 0.22)
    dags = _contended_trace()
    base = simulate(dags, RecordedSize(model, 16), capacity_vcpus=16, keep_runs=True)
    _check_schedule(dags, base.runs, 16)
    for goal in ("cost", "makespan", "balanced"):
        policy = AgoraPlanning(model, 16, goal, base.completion_s, base.cost_usd)
        result = simulate(dags, policy, capacity_vcpus=16, keep_runs=True)
        _check_schedule(dags, result.runs, 16)
        if goal == "cost":  # cheaper, and no DAG later than by default
            assert sum(result.cost_usd.values()) < sum(base.cost_usd.values())
            assert all(result.completion_s[d] <= base.completion_s[d] + 1e-6 for d in base.completion_s)
        if goal == "makespan":  # faster on average, and no DAG dearer than by default
            assert result.summary()["mean_dag_completion_s"] < base.summary()["mean_dag_completion_s"]
            assert all(result.cost_usd[d] <= base.cost_usd[d] * (1 + 1e-9) for d in base.cost_usd)
    with pytest.raises(ValueError, match="goal 'cheap'"):
        AgoraPlanning(model, 16, "cheap", {}, {})


def test_the_makespan_goal_keeps_the_fastest_size_on_an_idle_cluster_and_shrinks_when_it_is_booked():
    model = ScalingModel(0.0, 0.22)
    dags = _contended_trace()
    base = simulate(dags, RecordedSize(model, 16), capacity_vcpus=16)
    policy = AgoraPlanning(model, 16, "makespan", base.completion_s, base.cost_usd)
    result = simulate(dags, policy, capacity_vcpus=16, keep_runs=True)
    sizes = {(dag, task): vcpus for dag, task, _, _, vcpus in result.runs}
    # the first DAG finds the cluster idle: nothing waits behind it, so its fastest size within its
    # default cost (the recorded 12 vCPUs) wins
    assert sizes["d0", "a"] == sizes["d0", "b"] == 12
    # later DAGs arrive every 20 s while the cluster is booked ~100 s ahead: their vCPU-seconds
    # delay the DAGs still to come, so they take fewer vCPUs and the mean completion falls
    assert all(sizes[f"d{n}", "a"] < 12 for n in range(2, 6))
    assert policy._delay_per_vcpu_s(dags[-1].arrival_s) > 0
    assert result.summary()["mean_dag_completion_s"] < base.summary()["mean_dag_completion_s"]
    assert all(result.cost_usd[d] <= base.cost_usd[d] * (1 + 1e-9) for d in base.cost_usd)


def test_the_cost_goal_moves_a_dag_due_later_out_of_the_way_of_one_due_sooner():
    model = ScalingModel(0.0, 0.22)
    # "later" books the whole cluster: a over 0..10, b over 10..20, due at 25 (too tight to shrink)
    later = TraceDag("later", 0, (TraceTask("a", 16, 10), TraceTask("b", 16, 10, ("a",))))
    # "sooner" arrives at 5 and is due at 15; behind b it would end at 24
    sooner = TraceDag("sooner", 5, (TraceTask("c", 16, 4),))
    dags = [later, sooner]
    policy = AgoraPlanning(model, 16, "cost", {"later": 25, "sooner": 10}, {})
    result = simulate(dags, policy, capacity_vcpus=16, keep_runs=True)
    _check_schedule(dags, result.runs, 16)
    starts = {(d, t): s for d, t, s, _, _ in result.runs}
    # b had not started when "sooner" arrived: it gives way, c runs as soon as a is done, and both
    # DAGs meet their deadlines
    assert starts["later", "a"] == 0 and starts["sooner", "c"] == 10 and starts["later", "b"] == 14
    assert result.completion_s == {"later": 24, "sooner": 9}
    assert max(policy.profile.used) <= 16  # the planned use never books more than the cluster
    assert policy.take_revisions() == {}  # the simulator took them


def test_a_revised_task_is_released_at_its_new_start_and_never_after_release():
    model = ScalingModel(0.0, 0.22)
    first = TraceDag("first", 0, (TraceTask("x", 16, 10),))  # the whole cluster over 0..10
    later = TraceDag("later", 1, (TraceTask("y", 16, 10),))  # planned to start at 10, due at 31
    sooner = TraceDag("sooner", 2, (TraceTask("z", 16, 4),))  # due at 14: needs 10..14
    dags = [first, later, sooner]
    policy = AgoraPlanning(model, 16, "cost", {"first": 10, "later": 30, "sooner": 12}, {})
    result = simulate(dags, policy, capacity_vcpus=16, keep_runs=True)
    _check_schedule(dags, result.runs, 16)
    starts = {t: s for _, t, s, _, _ in result.runs}
    # y's release at 10 was superseded: z takes 10..14 and y follows at full size to stay on time
    assert (starts["x"], starts["z"], starts["y"]) == (0, 10, 14)
    assert {t: v for _, t, _, _, v in result.runs}["y"] == 16
    assert max(policy.profile.used) <= 16

    class Reviser:
        name = "reviser"

        def assign(self, dag, now_s):
            return {t.task_id: Assignment(t.vcpus, t.runtime_s) for t in dag.tasks}

        def take_revisions(self):  # x: allowed on its DAG's arrival, refused once it has started
            return {"first": {"x": Assignment(8, 20)}}

    with pytest.raises(ValueError, match="'x', which was already released"):
        simulate([first, later], Reviser(), capacity_vcpus=16)


def test_dags_of_three_tasks_or_more_get_the_cp_sat_planners_per_task_sizes():
    model = ScalingModel(0.0, 0.22)
    # c has 80 s of slack beside b; the cheapest plan by the deadline shrinks each task on its own
    fork = TraceDag(
        "fork", 0, (TraceTask("a", 16, 10), TraceTask("b", 16, 100, ("a",)), TraceTask("c", 16, 20, ("a",)))
    )
    options = [offered_sizes(t, model, 1000) for t in fork.tasks]
    best = math.inf
    for sizes in itertools.product(*options):  # every size of every task, on an empty cluster
        a, b, c = (runtime_at(t, v, model) for t, v in zip(fork.tasks, sizes, strict=True))
        if a + max(b, c) <= 110:
            best = min(best, sum(v * runtime_at(t, v, model) for t, v in zip(fork.tasks, sizes, strict=True)))
    costs = {}
    for min_tasks in (3, 4):  # with the planner, then with the uniform sizes only
        policy = AgoraPlanning(
            model, 1000, "cost", {"fork": 110}, {}, usd_per_vcpu_hour=3600, planner_min_tasks=min_tasks
        )
        result = simulate([fork], policy, capacity_vcpus=1000, usd_per_vcpu_hour=3600)
        assert result.completion_s["fork"] <= 110 + 1e-6
        costs[min_tasks] = result.cost_usd["fork"]
    assert costs[3] == pytest.approx(best, rel=1e-6)  # the optimum (cost is vCPU-seconds at $3600/h)
    assert costs[4] > best * 1.01


def test_agora_simulate_compares_every_policy(tmp_path, capsys):
    trace = tmp_path / "batch_task.csv"
    rows = [f"M1,12,j_{n},,Terminated,{1 + 20 * n},{61 + 20 * n},100,0.2\n" for n in range(6)]
    rows += [f"R2_1,12,j_{n},,Terminated,{1 + 20 * n},{101 + 20 * n},100,0.2\n" for n in range(6)]
    trace.write_text(HEADER + "".join(rows))
    out = tmp_path / "report"
    assert main(["simulate", str(trace), "--compare", "--capacity-vcpus", "16", "--json", "--out", str(out)]) == 0
    compared = json.loads(capsys.readouterr().out)
    assert json.loads((out / "summary.json").read_text()) == compared
    assert "<polyline" in (out / "completion_cdf.svg").read_text()
    assert "class='task'" in (out / "gantt_agora-cost.svg").read_text()
    assert (out / "report.html").read_text().count("<svg") == 6  # the CDF and a Gantt per policy
    assert set(compared["policies"]) == {"airflow-default", "per-job-fastest", "agora-cost", "agora-makespan",
                                         "agora-balanced"}  # fmt: skip
    assert set(compared["agora"]) == {"cost", "makespan", "balanced"}
    cost = compared["agora"]["cost"]
    assert cost["cost_reduction_pct"] > 0 and cost["violations"] == cost["dags_later_than_default"] == 0
    assert compared["agora"]["makespan"]["dags_costlier_than_default"] == 0
    single = ["simulate", str(trace), "--policy", "agora", "--goal", "makespan", "--capacity-vcpus", "16"]
    assert main([*single, "--out", str(tmp_path / "one")]) == 0
    assert "policy=agora-makespan" in capsys.readouterr().out
    assert (tmp_path / "one" / "report.html").read_text().count("<svg") == 2  # the CDF and its Gantt


def test_a_dag_due_sooner_with_slack_also_gives_way():
    # d2 arrives at 2 to a cluster the cost goal has booked for d0 and d1 (due sooner than d2 and
    # both frugal): only when they may move too, within their own deadlines, is every DAG on time
    model = ScalingModel(0.0, 0.22)
    dags = [
        TraceDag("d0", 0, (TraceTask("t0", 8, 10), TraceTask("t1", 8, 10, ("t0",)))),
        TraceDag("d1", 0, (TraceTask("t0", 8, 20), TraceTask("t1", 4, 4, ("t0",)))),
        TraceDag("d2", 2, (TraceTask("t0", 4, 20),)),
    ]
    default = simulate(dags, RecordedSize(model, 16), capacity_vcpus=16)
    policy = AgoraPlanning(model, 16, "cost", default.completion_s, default.cost_usd)
    result = simulate(dags, policy, capacity_vcpus=16, keep_runs=True)
    _check_schedule(dags, result.runs, 16)
    assert all(result.completion_s[d] <= default.completion_s[d] + 1e-6 for d in default.completion_s), (
        result.completion_s,
        default.completion_s,
    )
    assert sum(result.cost_usd.values()) < sum(default.cost_usd.values())
    assert max(policy.profile.used) <= 16

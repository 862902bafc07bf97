"""The application profile and the replay, on a real PySpark 4.3 log and on constructed runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from airflow_agora.prediction.profile import ProfileBuilder, build_profile, getting_result_ms, scheduler_delay_ms
from airflow_agora.prediction.replay import ReplayModel

FIXTURE = Path(__file__).parent / "fixtures" / "eventlogs" / "pyspark-4.3.0-local"


def test_scheduler_delay_matches_spark_formula():
    # duration 1000, run 700, deserialise 50, serialise 20; result fetch started 80 ms before the end
    launch, duration = 10_000, 1_000
    assert getting_result_ms(launch, launch + 920, duration) == 80
    assert scheduler_delay_ms(launch, launch + 920, duration, 50, 20, 700) == 1000 - 700 - 50 - 20 - 80
    assert scheduler_delay_ms(launch, 0, duration, 50, 20, 700) == 230  # no result fetch
    assert scheduler_delay_ms(launch, 0, duration, 600, 20, 700) == 0  # clamped, never negative


def test_real_pyspark_log_profile():
    p = build_profile(str(FIXTURE))
    raw = [json.loads(line) for line in FIXTURE.read_text().splitlines()]
    task_ends = [e for e in raw if e["Event"] == "SparkListenerTaskEnd"]
    assert len(p.tasks) == len(task_ends) > 0
    assert len(p.jobs) == sum(e["Event"] == "SparkListenerJobStart" for e in raw)
    assert p.complete and p.spark_version == "4.3.0" and p.platform.platform == "local"
    assert p.executor_cores() == 2
    first = task_ends[0]
    t = next(t for t in p.tasks if t.task_id == first["Task Info"]["Task ID"])
    assert t.run_ms == first["Task Metrics"]["Executor Run Time"]
    assert t.duration_ms == first["Task Info"]["Finish Time"] - first["Task Info"]["Launch Time"]
    parts = t.cpu_ms + t.gc_ms + t.shuffle_fetch_ms + t.shuffle_write_ms + t.io_other_ms
    assert parts == pytest.approx(t.run_ms)
    assert all(v is None or "secret" not in k.lower() for k, v in p.properties.items())


def test_secrets_in_properties_are_not_kept():
    b = ProfileBuilder()
    b.add(
        {
            "Event": "SparkListenerEnvironmentUpdate",
            "Spark Properties": {
                "spark.executor.memory": "4g",
                "spark.hadoop.fs.s3a.secret.key": "AKIA-SECRET",
                "spark.databricks.clusterUsageTags.clusterNodeType": "m5.xlarge",
                "spark.executor.extraJavaOptions.token": "abc",
            },
        }
    )
    profile = b.build()
    assert "AKIA-SECRET" not in json.dumps(profile.summary()) + json.dumps(profile.properties)
    assert profile.platform.platform == "databricks" and profile.platform.worker_node_type == "m5.xlarge"


def _run(
    jobs: list[list[tuple[int, list[int], list[int]]]], cores: int = 2, gap_ms: int = 1_000, end: bool = True
) -> ProfileBuilder:
    """A synthetic run: jobs one after another; each stage (id, parents, task durations) runs its tasks."""
    b = ProfileBuilder()
    b.add({"Event": "SparkListenerApplicationStart", "App ID": "a", "App Name": "t", "Timestamp": 0})
    b.add(
        {
            "Event": "SparkListenerExecutorAdded",
            "Timestamp": 0,
            "Executor ID": "1",
            "Executor Info": {"Host": "h", "Total Cores": cores},
        }
    )
    now, task_id = gap_ms, 0
    for job_id, stages in enumerate(jobs):
        infos = [{"Stage ID": s, "Parent IDs": ps, "Number of Tasks": len(d)} for s, ps, d in stages]
        b.add(
            {
                "Event": "SparkListenerJobStart",
                "Job ID": job_id,
                "Submission Time": now,
                "Stage IDs": [s for s, _, _ in stages],
                "Stage Infos": infos,
            }
        )
        start = now
        for s, _, durations in stages:  # serial on one slot: the log's own timing does not matter here
            for d in durations:
                info = {
                    "Task ID": task_id,
                    "Index": 0,
                    "Attempt": 0,
                    "Launch Time": now,
                    "Finish Time": now + d,
                    "Executor ID": "1",
                }
                b.add(
                    {
                        "Event": "SparkListenerTaskEnd",
                        "Stage ID": s,
                        "Stage Attempt ID": 0,
                        "Task Info": info,
                        "Task Metrics": {"Executor Run Time": d},
                    }
                )
                now += d
                task_id += 1
        b.add({"Event": "SparkListenerJobEnd", "Job ID": job_id, "Completion Time": now})
        now += gap_ms
        assert now > start
    if end:
        b.add({"Event": "SparkListenerApplicationEnd", "Timestamp": now})
    return b


def test_replay_follows_slots_and_stage_dependencies():
    # stage 1 and 2 independent (4 x 100 ms each), stage 3 after both (2 x 50 ms)
    model = ReplayModel.from_profile(_run([[(1, [], [100] * 4), (2, [], [100] * 4), (3, [1, 2], [50, 50])]]).build())
    assert model.driver_ms == 2_000  # the gaps before and after the job
    assert model.run(slots=1).groups_ms == 900
    assert model.run(slots=2).groups_ms == 450
    assert model.run(slots=8).groups_ms == 150  # all eight first-stage tasks at once, then stage 3
    assert model.run(slots=100).groups_ms == 150


def test_replay_never_gets_slower_with_more_slots():
    model = ReplayModel.from_profile(build_profile(str(FIXTURE)))
    times = [model.run(slots=n).wall_ms for n in (1, 2, 4, 8, 16)]
    assert times == sorted(times, reverse=True)
    assert abs(model.self_check_error_pct()) < 5


def test_overlapping_jobs_form_one_group_and_driver_time_is_never_negative():
    b = _run([[(1, [], [500])]])
    # a second job submitted while the first runs (a notebook thread pool)
    b.add(
        {"Event": "SparkListenerJobStart", "Job ID": 9, "Submission Time": 1_100, "Stage IDs": [7], "Stage Infos": []}
    )
    info = {"Task ID": 99, "Index": 0, "Attempt": 0, "Launch Time": 1_100, "Finish Time": 1_600, "Executor ID": "1"}
    b.add(
        {
            "Event": "SparkListenerTaskEnd",
            "Stage ID": 7,
            "Stage Attempt ID": 0,
            "Task Info": info,
            "Task Metrics": {"Executor Run Time": 500},
        }
    )
    b.add({"Event": "SparkListenerJobEnd", "Job ID": 9, "Completion Time": 1_600})
    model = ReplayModel.from_profile(b.build())
    assert len(model.groups) == 1 and model.driver_ms >= 0
    assert model.run(slots=2).groups_ms == pytest.approx(600)  # the second job starts 100 ms in


def test_truncated_log_ends_at_its_last_work_with_a_warning():
    p = _run([[(1, [], [100, 100])]], end=False).build()
    assert p.end_ms == 1_200 and any("no ApplicationEnd" in w for w in p.warnings)


def test_stage_replay_by_hand_with_a_slot_per_task_and_with_too_few_slots():
    from airflow_agora.prediction.replay import _Group, _simulate, _Stage

    # stage 0 (tasks of 4 and 2 ms) and stage 1 (3 ms, released at 1 ms) feed stage 2 (5 and 5 ms)
    durations = [4.0, 2.0, 3.0, 5.0, 5.0]
    group = _Group(0, 0, [_Stage((0, 0), 0, [], [0, 1]), _Stage((1, 0), 1, [], [2]), _Stage((2, 0), 0, [0, 1], [3, 4])])
    assert _simulate(group, 5, durations) == 4.0 + 5.0  # every task starts when its stage is ready
    assert _simulate(group, 100, durations) == 9.0
    # two slots: tasks 0 and 1 at 0; task 2 waits for the slot free at 2, ends at 5; stage 2 at 5 and 5
    assert _simulate(group, 2, durations) == 5.0 + 5.0
    assert _simulate(group, 1, durations) == sum(durations)

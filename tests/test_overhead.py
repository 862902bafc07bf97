"""Pipeline overhead analysis: the split of a task's time, chains and merge advice on hand-built
runs; Spark timings from recorded runs; and real Airflow runs of a DAG of deliberately tiny tasks,
where what the analysis reports (through the REST API, the CLI and the UI page) matches what the
tasks measured around themselves."""

from __future__ import annotations

import itertools
import json
import os
from pathlib import Path

import httpx
import pytest

from airflow_agora.cli.main import main
from airflow_agora.domain.cluster import ClusterConfig
from airflow_agora.domain.errors import InvalidInputError
from airflow_agora.domain.project import Project, RunRecord
from airflow_agora.history.engine import make_engine
from airflow_agora.history.schema import migrate
from airflow_agora.history.store import HistoryStore
from airflow_agora.overhead.advice import linear_chains, overhead_report
from airflow_agora.overhead.analysis import analyse_run
from airflow_agora.overhead.records import (
    DagRunRecord,
    TaskInstanceRecord,
    spark_timings_by_task,
    with_task_timings,
)
from airflow_agora.prediction.profile import build_profile
from airflow_agora.sandbox.local_airflow import AirflowStack, airflow_env, migrate_airflow
from tests.conftest import CHROMIUM, logged_in_chromium

DAGS = Path(__file__).parent / "dags"
EVENTLOG = Path(__file__).parent / "fixtures" / "eventlogs" / "pyspark-4.3.0-local"


def ti(key, queued, started, ended, *, upstream=(), tries=1):
    """A task instance that succeeded on its ``tries``-th try."""
    return TaskInstanceRecord(key, key, "success", tries, queued, started, ended, tuple(upstream))


def chain_run(failed_tries_of_c: int = 0) -> DagRunRecord:
    """a → b → c → d, then d → e and d → f; every task takes 1 s of code after 2 s of waiting."""
    tasks = [ti("a", 1.0, 2.0, 3.0)]
    previous, t = "a", 3.0
    for name in "bcd":
        tries = 1 + (failed_tries_of_c if name == "c" else 0)
        tasks.append(ti(name, t + 1, t + 2, t + 3, upstream=[previous], tries=tries))
        previous, t = name, t + 3
    tasks += [ti("e", t + 1, t + 2, t + 3, upstream=["d"]), ti("f", t + 0.5, t + 1, t + 4, upstream=["d"])]
    return DagRunRecord("etl", "r1", "success", 0.0, t + 4.5, tuple(tasks))


def test_a_tasks_segments_add_up_to_ready_to_end_and_the_critical_path_to_the_run():
    run = chain_run()
    result = analyse_run(run)
    b = next(t for t in result.tasks if t.key == "b")
    assert (b.scheduler_delay, b.pre_execution, b.compute, b.overhead) == (1.0, 1.0, 1.0, 2.0)
    for t, record in zip(result.tasks, run.tasks, strict=True):
        assert t.total == pytest.approx(record.ended_at - t.ready_at)
    assert result.critical_path == ("a", "b", "c", "d", "f")
    assert result.critical_overhead_s + result.critical_compute_s == pytest.approx(result.duration_s)
    assert (result.depth, result.width) == (5, 2)


def test_code_timings_move_the_task_runners_start_up_out_of_compute():
    run = chain_run()
    timed = with_task_timings(run, [{"task_id": "b", "map_index": -1, "try_number": 1,
                                     "executing_at": 5.6, "executed_at": 6.5}])  # fmt: skip
    b = next(t for t in analyse_run(timed).tasks if t.key == "b")
    assert (b.pre_execution, b.compute, b.other) == pytest.approx((1.6, 0.4, 0.0))
    assert b.total == pytest.approx(3.0)


def test_a_retried_task_counts_its_failed_tries_as_retries_not_scheduler_delay():
    run = chain_run()
    c = TaskInstanceRecord("c", "c", "success", 2, 9.0, 9.5, 10.0, ("b",), first_queued_at=7.0, first_started_at=8.0)
    result = analyse_run(DagRunRecord("etl", "r", "success", 0, 10, (run.tasks[0], run.tasks[1], c)))
    got = next(t for t in result.tasks if t.key == "c")
    assert (got.scheduler_delay, got.pre_execution, got.retries, got.compute) == (1.0, 1.5, 1.0, 0.5)


def test_linear_chains_stop_at_forks_and_joins():
    edges = [("a", "b"), ("b", "c"), ("c", "d"), ("c", "x"), ("d", "e"), ("x", "y"), ("e", "j"), ("y", "j")]
    assert linear_chains(list("abcdexyj"), edges) == [["a", "b", "c"], ["d", "e"], ["x", "y"]]
    # a mapped task m joins no chain, yet a → b is no link while a also feeds m
    assert linear_chains(list("abm"), [("a", "b"), ("a", "m")], {"m"}) == []
    with pytest.raises(InvalidInputError, match="cycle"):
        analyse_run(DagRunRecord("d", "r", "success", 0, 1, (ti("a", 0, 0, 1, upstream=["b"]),
                                                             ti("b", 0, 0, 1, upstream=["a"]))))  # fmt: skip


def test_merge_advice_weighs_saved_overhead_against_retries():
    report = overhead_report([analyse_run(chain_run())])
    (chain,) = report["chains"]
    assert chain["tasks"] == ["a", "b", "c", "d"] and chain["merge"]
    assert chain["saving_s"] == pytest.approx(6.0)  # b, c, d each wait 2 s for Airflow
    assert chain["overhead_pct"] == pytest.approx(100 * 8 / 4)
    assert report["grouping"][0] == {"entry_point": "a", "tasks": ["a", "b", "c", "d"]}
    assert {"entry_point": "e", "tasks": ["e"]} in report["grouping"]
    # c failing 9 of 10 tries: a merged task would re-run a and b 0.9 × 2 s a run
    flaky = overhead_report([analyse_run(chain_run(failed_tries_of_c=9))])["chains"][0]
    assert flaky["added_retry_s"] == pytest.approx(0.9 * 2.0)
    # with 1 s of waiting per 100 s of compute, merging is not worth it
    slow = DagRunRecord("s", "r", "success", 0, 400, (ti("a", 0, 0.5, 100.5), ti("b", 101, 101.5, 201.5,
                                                      upstream=["a"])))  # fmt: skip
    assert not overhead_report([analyse_run(slow)])["chains"][0]["merge"]


def test_spark_timings_come_from_the_recorded_run_and_its_event_log():
    profile = build_profile(str(EVENTLOG))
    summary = profile.summary()
    timeline = summary["timeline_s"]
    assert sum(timeline.values()) == pytest.approx(summary["wall_s"], abs=0.01)
    assert timeline["compute"] > 0
    record = RunRecord("etl.b", "etl/r1/b/-1/try1", ClusterConfig("m5.xlarge", 2), runtime_s=5,
                       profile_summary=summary, cluster_report={"activity": {"startup_s": 0.7}})  # fmt: skip
    other_run = RunRecord("etl.b", "etl/r2/b/-1/try1", ClusterConfig("m5.xlarge", 2), runtime_s=5)
    spark = spark_timings_by_task("etl", "r1", [record, other_run])
    assert set(spark) == {"b"} and spark["b"].cluster_startup == 0.7
    b = next(t for t in analyse_run(chain_run(), spark).tasks if t.key == "b")
    assert b.spark_known and b.cluster_startup == pytest.approx(0.7)
    assert b.compute + b.session_start + b.tail + b.other + b.cluster_startup == pytest.approx(1.0)
    unread = RunRecord("etl.b", "etl/r1/b/-1/try1", ClusterConfig("m5.xlarge", 2), runtime_s=5,
                       cluster_report={"activity": {"startup_s": 0.25}})  # fmt: skip
    b = next(t for t in analyse_run(chain_run(), spark_timings_by_task("etl", "r1", [unread])).tasks if t.key == "b")
    assert (b.spark_known, b.cluster_startup, b.compute) == (False, 0.25, 0.75)  # the log not read yet


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_the_history_keeps_task_timings_once_and_finds_a_dag_runs_spark_runs(backend, tmp_path, new_postgres_database):
    url = f"sqlite:///{tmp_path / 'h.db'}" if backend == "sqlite" else new_postgres_database()
    migrate(make_engine(url))
    store = HistoryStore.open(url)
    for executing in (1.0, 2.0):  # a second record of the same try is ignored
        store.record_task_timing("etl", "r_1", "b", -1, 1, executing_at=executing, executed_at=3.0, state="success")
    expected = {"task_id": "b", "map_index": -1, "try_number": 1, "executing_at": 1.0, "executed_at": 3.0}
    assert store.task_timings("etl", "r_1") == [{**expected, "state": "success"}]
    store.create_project(Project("etl.b", platform="databricks", dag_id="etl", task_id="b"))
    for key in ("etl/r_1/b/-1/try1", "etl/r_10/b/-1/try1", "etl/r%1/b/-1/try1"):
        store.record_run(RunRecord("etl.b", key, ClusterConfig("m5.xlarge", 2), runtime_s=5))
    assert [r.run_key for r in store.runs_of_dag_run("etl", "r_1")] == ["etl/r_1/b/-1/try1"]


# -- real Airflow ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_runs(tmp_path_factory):
    """Two runs of ``agora_test_tiny`` under Airflow's scheduler; (stack, history URL, run ids, the
    tasks' own timings by (run id, task, try))."""
    home = tmp_path_factory.mktemp("overhead")
    url = f"sqlite:///{home / 'agora.db'}"
    migrate(make_engine(url))
    env = airflow_env(home, dags_folder=DAGS, history_url=url, databricks_connection=None)
    env["AGORA_TINY_TIMINGS"] = str(home / "timings.jsonl")
    migrate_airflow(env)
    with AirflowStack(env, home / "airflow") as stack:
        stack.wait_for_dag("agora_test_tiny", timeout_s=180)
        run_ids = []
        for _ in range(2):
            run_id = stack.trigger("agora_test_tiny")
            assert stack.wait_for_run("agora_test_tiny", run_id, timeout_s=300)["state"] == "success", stack.tail()
            run_ids.append(run_id)
        lines = (home / "timings.jsonl").read_text().splitlines()
        measured = {(m["run_id"], m["task"], m["try"]): m for m in map(json.loads, lines)}
        yield stack, url, run_ids, measured


def run_cli(stack, *args, password: str | None = None) -> tuple[int, str, str]:
    import contextlib
    import io

    out, err = io.StringIO(), io.StringIO()
    env = {"AGORA_AIRFLOW_USERNAME": "agora", "AGORA_AIRFLOW_PASSWORD": password or stack.admin_password()}
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(["overhead", *args, "--airflow-url", stack.url])
    finally:
        for k, v in old.items():
            os.environ.pop(k) if v is None else os.environ.__setitem__(k, v)
    return code, out.getvalue(), err.getvalue()


def test_the_reported_overhead_matches_what_the_tiny_tasks_measured(tiny_runs):
    stack, url, run_ids, measured = tiny_runs
    code, out, err = run_cli(stack, "agora_test_tiny", "--last", "2", "--db-url", url, "--json")
    assert code == 0, err
    report = json.loads(out)
    assert [r["run_id"] for r in report["runs"]] == run_ids and report["notes"] == []
    chain = ["extract", "clean", "enrich", "load"]
    for run in report["runs"]:
        tasks = {t["key"]: t for t in run["per_task"]}
        for name, t in tasks.items():  # the code's own time, as the task measured it
            body = measured[(run["run_id"], name, t["try_number"])]
            assert t["compute"] == pytest.approx(body["end"] - body["start"], abs=0.1), name
        for up, down in itertools.pairwise(chain):  # the wait between two tasks' code
            gap = measured[(run["run_id"], down, tasks[down]["try_number"])]["start"] - measured[
                (run["run_id"], up, tasks[up]["try_number"])]["end"]  # fmt: skip
            reported = tasks[down]["scheduler_delay"] + tasks[down]["pre_execution"] + tasks[down]["retries"]
            assert reported + tasks[up]["other"] == pytest.approx(gap, abs=0.1), (up, down)
        assert tasks["enrich"]["retries"] > 0 and tasks["enrich"]["try_number"] == 2
        assert run["critical_path"][:4] == chain and (run["depth"], run["width"]) == (5, 2)
        assert run["critical_overhead_s"] + run["critical_compute_s"] == pytest.approx(run["duration_s"], abs=0.05)
    (advice,) = report["chains"]
    assert advice["tasks"] == chain and advice["merge"] and advice["on_critical_path"]
    enrich = next(t for t in report["tasks"] if t["task_id"] == "enrich")
    assert (enrich["tries"], enrich["failed_tries"]) == (4, 2)
    assert advice["added_retry_s"] > 0  # enrich fails half its tries: a merged task re-runs extract and clean
    assert report["grouping"][0] == {"entry_point": "extract", "tasks": chain}

    code, text, _ = run_cli(stack, "agora_test_tiny", "--run-id", run_ids[0], "--db-url", url)
    assert code == 0 and "MERGE: extract → clean → enrich → load" in text and "depth 5, width 2" in text


def test_the_cli_says_what_is_wrong(tiny_runs, tmp_path):
    stack, url, _, _ = tiny_runs
    code, _, err = run_cli(stack, "no_such_dag", "--db-url", url)
    assert code == 2 and "no_such_dag" in err
    code, _, err = run_cli(stack, "agora_test_tiny", password="wrong-password")
    assert code == 3 and "refused" in err
    code, _, err = run_cli(stack, "agora_test_tiny", "--db-url", f"sqlite:///{tmp_path / 'none.db'}")
    assert code == 0 and "no task or Spark timings from the history" in err  # advisory: Airflow's record suffices


def test_the_ui_overhead_page_shows_the_timeline_and_the_advice(tiny_runs, tmp_path):
    stack, _, run_ids, _ = tiny_runs
    page_url = f"{stack.url}/agora/dags/agora_test_tiny/overhead?last=2"
    assert httpx.get(page_url).status_code == 401
    html = httpx.get(page_url, headers={"Authorization": f"Bearer {stack.token()}"}, timeout=30).text
    assert run_ids[-1] in html and "extract → clean → enrich → load" in html
    missing = httpx.get(f"{stack.url}/agora/dags/nope/overhead", headers={"Authorization": f"Bearer {stack.token()}"})
    assert missing.status_code == 200 and "Airflow has no DAG nope" in missing.text
    from playwright.sync_api import sync_playwright

    if CHROMIUM is None:
        pytest.fail("the UI tests need Debian's chromium (apt-get install chromium); scripts/test installs it")
    with sync_playwright() as p:
        chromium, page = logged_in_chromium(p, stack)
        page.goto(page_url)
        assert page.locator("table.advice tr.merge").count() == 1
        assert page.locator("svg.timeline rect[data-segment=compute]").count() == 6
        assert page.locator("[data-fact='depth'] b").inner_text() == "5"
        folder = Path(os.environ.get("AGORA_SCREENSHOTS") or tmp_path)
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(folder / "overhead.png"), full_page=True)
        chromium.close()

"""The history store on SQLite and PostgreSQL: schema, projects, runs, concurrency and the CLI."""

from __future__ import annotations

import json
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace

import history_workers
import pytest
from sqlalchemy import text

from airflow_agora.cli.main import main
from airflow_agora.domain.cluster import ClusterConfig
from airflow_agora.domain.project import (
    AllowedConfigs,
    FailureReason,
    Phase,
    Project,
    Recommendation,
    RunRecord,
    RunStatus,
    SetPoint,
)
from airflow_agora.history import HistoryStore
from airflow_agora.history.engine import make_engine, resolve_url
from airflow_agora.history.errors import ConflictError, HistorySchemaError, HistoryUnavailableError, NotFoundError
from airflow_agora.history.schema import head_revision, migrate


@pytest.fixture
def store(history_url):
    migrate(make_engine(history_url))
    s = HistoryStore.open(history_url)
    yield s
    s.close()


def test_unmigrated_database_says_to_migrate_and_migrate_is_idempotent(history_url):
    with pytest.raises(HistorySchemaError, match="agora db migrate"):
        HistoryStore.open(history_url)
    engine = make_engine(history_url)
    assert migrate(engine) == (None, head_revision())
    assert migrate(engine) == (head_revision(), head_revision())
    with engine.connect() as conn:  # our own version table, nothing of Airflow's
        names = set(engine.dialect.get_table_names(conn))
    assert "agora_alembic_version" in names and "alembic_version" not in names
    assert all(n.startswith("agora_") for n in names)


def test_revisions_read_without_alembic_agree_with_alembic(history_url):
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from airflow_agora.history.schema import _config, current_revision, known_revisions

    script = ScriptDirectory.from_config(_config())
    assert known_revisions() == [s.revision for s in reversed(list(script.walk_revisions()))]
    assert head_revision() == script.get_current_head()
    engine = make_engine(history_url)
    migrate(engine, known_revisions()[-2])
    with engine.connect() as conn:
        alembic_view = MigrationContext.configure(conn, opts={"version_table": "agora_alembic_version"})
        assert current_revision(engine) == alembic_view.get_current_revision() == known_revisions()[-2]
    with pytest.raises(HistorySchemaError, match="agora db migrate"):
        HistoryStore.open(history_url)


def test_a_newer_schema_is_refused_with_the_fix(history_url):
    engine = make_engine(history_url)
    migrate(engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE agora_alembic_version SET version_num = '9999'"))
    with pytest.raises(HistorySchemaError, match="newer than this version") as info:
        HistoryStore.open(history_url)
    assert "upgrade airflow-provider-agora" in str(info.value)


def test_database_down_is_a_clear_error_and_cli_exit_3(capsys):
    url = "postgresql+psycopg2://agora:secret@127.0.0.1:1/nothing"
    with pytest.raises(HistoryUnavailableError, match="cannot reach") as info:
        HistoryStore.open(url)
    assert "secret" not in str(info.value) and "***" in str(info.value)
    assert main(["projects", "list", "--db-url", url]) == 3
    err = capsys.readouterr().err
    assert "check that the database is running" in err and "secret" not in err


def test_url_comes_from_env_then_airflow_cfg_then_airflow_home(monkeypatch, tmp_path):
    for name in ("AGORA_SQL_ALCHEMY_CONN", "AIRFLOW__AGORA__SQL_ALCHEMY_CONN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AIRFLOW_HOME", str(tmp_path))
    assert resolve_url() == f"sqlite:///{tmp_path / 'agora_history.db'}"
    (tmp_path / "airflow.cfg").write_text(
        "[core]\ndags_folder = x\n[agora]\nsql_alchemy_conn = sqlite:////from/cfg.db\n"
    )
    assert resolve_url() == "sqlite:////from/cfg.db"
    monkeypatch.setenv("AIRFLOW__AGORA__SQL_ALCHEMY_CONN", "sqlite:////from/airflow-env.db")
    assert resolve_url() == "sqlite:////from/airflow-env.db"
    monkeypatch.setenv("AGORA_SQL_ALCHEMY_CONN", "sqlite:////from/agora-env.db")
    assert resolve_url() == "sqlite:////from/agora-env.db"
    assert resolve_url("sqlite:////given.db") == "sqlite:////given.db"


def test_sqlite_runs_in_wal_mode(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'h.db'}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def test_projects_round_trip_update_groups_reset_and_delete(store):
    daily = Project.for_task(
        "sales",
        "daily",
        platform="databricks",
        tags=("nightly",),
        set_point=SetPoint(sla_s=800),
        allowed=AllowedConfigs(("m5.xlarge", "r5.xlarge"), 2, 32),
        initial_config=ClusterConfig("m5.xlarge", 8, platform="databricks"),
    )
    created = store.create_project(daily)
    assert created.with_changes(created_at=None, updated_at=None) == daily
    with pytest.raises(ConflictError, match="already exists"):
        store.create_project(daily)
    assert store.ensure_project(Project("sales.daily", tags=("other",))).tags == ("nightly",)  # kept, not replaced
    store.create_project(Project.for_task("sales", "weekly", tags=("nightly",)))
    store.create_project(Project.for_task("ads", "hourly"))

    assert [p.name for p in store.list_projects(tag="nightly")] == ["sales.daily", "sales.weekly"]
    assert [p.name for p in store.list_projects(pattern="ads.*")] == ["ads.hourly"]
    assert [p.name for p in store.list_projects(dag_id="sales")] == ["sales.daily", "sales.weekly"]

    updated = store.update_project("sales.daily", set_point=SetPoint(sla_s=600, cost_target_usd=30), state={"k": 1})
    assert updated.set_point == SetPoint(600, 30) and updated.state == {"k": 1}
    assert updated.updated_at >= created.updated_at

    store.record_run(RunRecord("sales.daily", "r1", ClusterConfig("m5.xlarge", 8), 100.0))
    store.add_recommendation(Recommendation("sales.daily", ClusterConfig("m5.xlarge", 4), "cheaper", Phase.OPTIMIZING))
    reset = store.reset_project("sales.daily")
    assert reset.state == {} and reset.phase == Phase.LEARNING and reset.set_point == SetPoint(600, 30)
    assert store.latest_recommendation("sales.daily") is None and store.count_runs("sales.daily") == 1

    store.delete_project("sales.daily")
    assert store.find_project("sales.daily") is None and store.count_runs() == 0
    with pytest.raises(NotFoundError, match=r"did you mean sales\.weekly"):
        store.get_project("sales.dayly")


def test_recording_the_same_run_twice_is_a_no_op(store):
    store.create_project(Project("p"))
    run = RunRecord(
        "p",
        "manual__2026-11-21T00:00:00+00:00#1",
        ClusterConfig("r5.2xlarge", 6, driver_instance_type="r5.xlarge", platform="databricks"),
        812.5,
        status=RunStatus.FAILED,
        failure_reason=FailureReason.OUT_OF_MEMORY,
        cost_usd=3.25,
        eventlog_uri="s3://logs/p/1",
        profile_summary={"stages": 12},
        fingerprint="abc",
        input_bytes=10**12,
    )
    stored, created = store.record_run(run)
    again, created_again = store.record_run(replace(run, runtime_s=1.0))
    assert created and not created_again
    assert again == stored and again.runtime_s == 812.5  # the first record stands
    assert stored.to_dict() | {"recorded_at": None} == run.to_dict() | {"recorded_at": None}
    with pytest.raises(NotFoundError):
        store.record_run(RunRecord("nope", "x", ClusterConfig("m5.xlarge", 1), 1.0))


def test_an_import_of_many_runs_skips_the_recorded_ones(store):
    for name in ("a", "b"):
        store.create_project(Project(name))
    config = ClusterConfig("m5.xlarge", 2)
    store.record_run(RunRecord("a", "r0", config, 5.0))
    store.record_runs(RunRecord(name, f"r{n}", config, 10.0 + n) for name in ("a", "b") for n in range(3))
    assert [r.runtime_s for r in store.list_runs("a")] == [5.0, 11.0, 12.0]  # r0 was already recorded
    assert [r.run_key for r in store.list_runs("b")] == ["r0", "r1", "r2"]
    with pytest.raises(NotFoundError):  # all or nothing
        store.record_runs([RunRecord("b", "r9", config, 1.0), RunRecord("nope", "x", config, 1.0)])
    assert store.count_runs("b") == 3


def test_plans_predictions_and_recommendations(store):
    store.create_project(Project("p"))
    store.save_plan("dag", "run1", {"status": "optimal", "makespan_s": 700.0, "tasks": [{"task_id": "a"}]})
    store.save_plan("dag", "run1", {"status": "feasible", "makespan_s": 750.0, "tasks": []})  # a retried planning step
    assert store.get_plan("dag", "run1")["status"] == "feasible" and store.get_plan("dag", "run2") is None
    store.record_run(RunRecord("p", "r1", ClusterConfig("m5.xlarge", 2), 10.0))
    store.add_prediction("p", {"basis": {"runtime_s": 10.0}}, model="replay", run_key="r1")
    assert store.latest_prediction("p") == {"basis": {"runtime_s": 10.0}}
    for n in (8, 6, 5):
        store.add_recommendation(Recommendation("p", ClusterConfig("m5.xlarge", n), f"step to {n}", Phase.LEARNING))
    assert [r.config.num_workers for r in store.recommendations("p")] == [8, 6, 5]
    assert store.latest_recommendation("p").reason == "step to 5"


@pytest.mark.slow
def test_eight_processes_recording_500_runs_each_lose_and_duplicate_nothing(store, history_url):
    """8 × 500 recordings; every key is recorded by two processes, so half the calls must be no-ops."""
    store.create_project(Project("busy"))
    keys = [list(range(250 * i, 250 * i + 500)) for i in range(8)]  # neighbours overlap by 250
    keys[-1] = [k % 2000 for k in keys[-1]]
    with ProcessPoolExecutor(8, mp_context=multiprocessing.get_context("spawn")) as pool:
        created = list(pool.map(history_workers.record_runs, [history_url] * 8, ["busy"] * 8, keys))
    runs = store.list_runs("busy")
    assert sum(created) == len(runs) == 2000
    assert sorted(r.run_key for r in runs) == [f"run-{k:05d}" for k in range(2000)]
    assert all(r.runtime_s == float(r.run_key[4:]) for r in runs)


def test_cli_projects_and_runs_as_json(history_url, capsys):
    def agora(*argv):
        code = main([*argv, "--db-url", history_url, "--json"])
        out = capsys.readouterr().out
        return code, json.loads(out) if out.strip() else None

    assert agora("db", "migrate")[1]["to_revision"] == head_revision()
    agora(
        "projects",
        "create",
        "etl.a",
        "--tag",
        "gold",
        "--sla-s",
        "900",
        "--instance-type",
        "m5.xlarge",
        "--workers",
        "4",
    )
    agora("projects", "create", "etl.b", "--tag", "gold")
    code, updated = agora("projects", "update", "--tag", "gold", "--cost-target-usd", "25", "--max-workers", "16")
    assert code == 0 and [p["set_point"] for p in updated] == [
        {"sla_s": 900.0, "cost_target_usd": 25.0},
        {"sla_s": None, "cost_target_usd": 25.0},
    ]
    assert agora("projects", "update", "etl.a", "--sla-s", "none")[1]["set_point"]["sla_s"] is None
    HistoryStore.open(history_url).record_run(RunRecord("etl.a", "r1", ClusterConfig("m5.xlarge", 4), 300.0))
    assert [r["run_key"] for r in agora("runs", "list", "etl.a")[1]] == ["r1"]
    assert agora("projects", "show", "etl.a")[1]["runs"] == 1
    assert agora("recommendations", "show", "etl.a")[1] == {"current": None, "history": []}
    assert agora("projects", "delete", "etl.b", "--yes")[1] == {"deleted": "etl.b"}
    assert [p["name"] for p in agora("projects", "list")[1]] == ["etl.a"]
    assert main(["projects", "show", "etl.x", "--db-url", history_url]) == 2
    assert "did you mean etl.a" in capsys.readouterr().err

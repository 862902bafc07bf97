"""Answer time of every UI page with 1,000 projects and 100,000 runs: target "each page under 1 s".

Fills a fresh history database (a SQLite file, or with ``--postgres`` a new database on the local
server, dropped afterwards): 100 DAGs of 10 tasks, one project per task, 100 runs each with
failures, 10 recommendations and a real prediction (from the fixture event log) per project, and
1,000 stored plans (a real plan of one 10-task DAG run, saved for 10 runs of every DAG). Then starts
Airflow's real API server with the plugin and times authenticated GETs of each page.

    .venv/bin/python benchmarks/ui_pages.py [--postgres] [--repeat 10]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import httpx

from airflow_agora.control.dag_planning import DagTask, plan_dag_run
from airflow_agora.domain.cluster import ClusterConfig
from airflow_agora.domain.goals import Goals
from airflow_agora.domain.project import FailureReason, Phase, Project, Recommendation, RunRecord, RunStatus, SetPoint
from airflow_agora.history.engine import make_engine
from airflow_agora.history.schema import migrate
from airflow_agora.history.store import HistoryStore
from airflow_agora.prediction.catalogue import Catalogue
from airflow_agora.prediction.predict import predict_from_profile
from airflow_agora.prediction.profile import build_profile
from airflow_agora.sandbox.local_airflow import AirflowStack, airflow_env, migrate_airflow

EVENTLOG = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "eventlogs" / "pyspark-4.3.0-local"
DAGS, TASKS_PER_DAG, RUNS_PER_PROJECT, RECOMMENDATIONS_PER_PROJECT, PLANS_PER_DAG = 100, 10, 100, 10, 10
TYPES = ("m5.xlarge", "m5.2xlarge", "r5.2xlarge", "c5.4xlarge")


def project_name(dag: int, task: int) -> str:
    return f"dag{dag:03d}.t{task}"


def dag_tasks(dag: int) -> list[DagTask]:
    """A 10-task DAG: a chain of fan-outs (task t depends on t // 2)."""
    tasks = []
    for t in range(TASKS_PER_DAG):
        upstream = (f"t{(t - 1) // 2}",) if t else ()
        written = ClusterConfig(TYPES[t % 4], 4 + t, platform="databricks")
        tasks.append(DagTask(f"t{t}", project_name(dag, t), written, upstream, expected_runtime_s=300 + 60 * t))
    return tasks


def random_config(rng: random.Random) -> ClusterConfig:
    return ClusterConfig(rng.choice(TYPES), rng.randint(2, 16), platform="databricks")


def random_run(rng: random.Random, project: str, n: int) -> RunRecord:
    failed = rng.random() < 0.03
    return RunRecord(
        project,
        f"scheduled__{n:04d}",
        random_config(rng),
        runtime_s=rng.uniform(200, 2000),
        cost_usd=rng.uniform(0.5, 30),
        status=RunStatus.FAILED if failed else RunStatus.SUCCESS,
        failure_reason=FailureReason.OUT_OF_MEMORY if failed else None,
    )


def fill(store: HistoryStore) -> dict:
    """The history described in the module docstring; returns what it holds and how long it took."""
    started = time.perf_counter()
    rng = random.Random(7)
    catalogue = Catalogue.packaged()
    goals = Goals("cost", deadline_s=3600)
    plan = plan_dag_run(store, dag_id="dag000", run_id="run00", tasks=dag_tasks(0), goals=goals,
                        capacity_vcpus=256, catalogue=catalogue, time_limit_s=2)  # fmt: skip
    prediction = predict_from_profile(build_profile(str(EVENTLOG)), catalogue=catalogue, sla_s=900,
                                      observed=ClusterConfig("m5.xlarge", 4, platform="databricks"))  # fmt: skip
    for dag in range(DAGS):
        for task in dag_tasks(dag):
            store.ensure_project(Project(task.project, platform="databricks", dag_id=f"dag{dag:03d}",
                                         task_id=task.task_id, tags=(f"team{dag % 7}",),
                                         set_point=SetPoint(sla_s=rng.choice((None, 600, 900, 1800)))))  # fmt: skip
        for n in range(PLANS_PER_DAG):
            store.save_plan(f"dag{dag:03d}", f"run{n:02d}", plan)
        if (dag + 1) % 20 == 0:
            print(f"fill: projects and plans of {dag + 1}/{DAGS} DAGs", flush=True)
    for dag in range(DAGS):
        names = [project_name(dag, task) for task in range(TASKS_PER_DAG)]
        store.record_runs(random_run(rng, name, n) for name in names for n in range(RUNS_PER_PROJECT))
        for name in names:
            store.add_prediction(name, prediction, model="replay", run_key=f"scheduled__{RUNS_PER_PROJECT - 1:04d}")
            for n in range(RECOMMENDATIONS_PER_PROJECT):
                phase = Phase.LEARNING if n < 3 else Phase.OPTIMIZING
                reason = "cheapest predicted to meet the SLA"
                based_on = f"scheduled__{n * 10:04d}"
                store.add_recommendation(
                    Recommendation(name, random_config(rng), reason, phase, 800, 880, 2.1, based_on_run=based_on)
                )
        if (dag + 1) % 20 == 0:
            print(f"fill: runs, predictions and recommendations of {dag + 1}/{DAGS} DAGs", flush=True)
    return {"projects": len(store.list_projects()), "runs": store.count_runs(), "plans": DAGS * PLANS_PER_DAG,
            "fill_s": time.perf_counter() - started}  # fmt: skip


@contextmanager
def history_database(postgres: bool, folder: Path):
    """A URL of an empty history database, removed afterwards."""
    if not postgres:
        yield f"sqlite:///{folder / 'agora.db'}"
        return
    from sqlalchemy import create_engine, text

    admin = create_engine(os.environ.get("AGORA_TEST_POSTGRES_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/test"),
                          isolation_level="AUTOCOMMIT")  # fmt: skip
    name = f"agora_bench_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    try:
        yield admin.url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


def time_pages(stack: AirflowStack, routes: list[str], repeat: int) -> list[dict]:
    """Per route: status, bytes, the first answer's seconds (the server's first use of the page),
    and median and max seconds over ``repeat`` further GETs."""
    out = []
    with httpx.Client(base_url=stack.url, headers={"Authorization": f"Bearer {stack.token()}"}, timeout=60) as client:
        for route in routes:
            times = []
            for _ in range(repeat + 1):
                t0 = time.perf_counter()
                reply = client.get(route)
                times.append(time.perf_counter() - t0)
            first_s, rest = times[0], times[1:]
            out.append({"route": route, "status": reply.status_code, "kB": len(reply.content) / 1000,
                        "first_s": first_s, "median_s": statistics.median(rest), "max_s": max(times)})  # fmt: skip
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", action="store_true", help="fill a new database on the local PostgreSQL")
    parser.add_argument("--repeat", type=int, default=10, help="timed GETs per page (default 10)")
    args = parser.parse_args()
    routes = ["/agora/", f"/agora/projects/{project_name(42, 3)}", f"/agora/projects/{project_name(42, 3)}/prediction",
              "/agora/plans", "/agora/dags/dag042", "/agora/dags/dag042/runs/run05"]  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp, history_database(args.postgres, Path(tmp)) as url:
        folder = Path(tmp)
        migrate(make_engine(url))
        store = HistoryStore.open(url)
        held = fill(store)
        print(f"history: {held['projects']} projects, {held['runs']} runs, {held['plans']} plans "
              f"({'PostgreSQL' if args.postgres else 'SQLite'}), filled in {held['fill_s']:.0f} s")  # fmt: skip
        env = airflow_env(folder, dags_folder=folder, history_url=url, databricks_connection=None)
        migrate_airflow(env)
        with AirflowStack(env, folder / "airflow", processes=("api-server",)) as stack:
            results = time_pages(stack, routes, args.repeat)
    print(f"{'page':<42} {'status':>6} {'kB':>5} {'first_s':>8} {'median_s':>9} {'max_s':>6}")
    for r in results:
        print(f"{r['route']:<42} {r['status']:>6} {r['kB']:>5.0f} {r['first_s']:>8.3f} {r['median_s']:>9.3f} "
              f"{r['max_s']:>6.3f}")  # fmt: skip
    slowest = max(r["max_s"] for r in results)
    ok = all(r["status"] == 200 for r in results) and slowest < 1.0
    print(f"ui_pages: slowest_max_s={slowest:.3f} target=1.0 {'met' if ok else 'NOT met'}")


if __name__ == "__main__":
    main()

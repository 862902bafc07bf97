"""The UI plugin in Airflow's real API server, logged in through Airflow's own login page and looked
at in headless Chromium (Debian's ``chromium``); screenshots go to ``$AGORA_SCREENSHOTS`` (the docs'
images come from there) or the test's folder."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest

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
from airflow_agora.views import pages
from tests.conftest import CHROMIUM, logged_in_chromium

EVENTLOG = Path(__file__).parent / "fixtures" / "eventlogs" / "pyspark-4.3.0-local"
ROUTES = ["/agora/", "/agora/plans", "/agora/projects/etl.sessions", "/agora/projects/etl.sessions/prediction",
          "/agora/dags/etl", "/agora/dags/etl/runs/manual__1"]  # fmt: skip


def fill_history(store: HistoryStore) -> None:
    """Three projects (one without runs), runs through learning, a failure and its revert, a real
    prediction from an event log, and a real plan of a three-task DAG run."""
    store.create_project(Project("etl.sessions", platform="databricks", dag_id="etl", task_id="sessions",
                                 tags=("nightly",), set_point=SetPoint(sla_s=900)))  # fmt: skip
    store.create_project(Project("etl.orders", platform="databricks", dag_id="etl", task_id="orders",
                                 tags=("nightly",), set_point=SetPoint(cost_target_usd=1.5)))  # fmt: skip
    store.create_project(Project("adhoc.report", platform="emr"))
    for n in range(8):
        failed = n == 4
        workers = 12 - n if not failed else 5
        config = ClusterConfig("m5.xlarge", workers, platform="databricks")
        store.record_run(RunRecord("etl.sessions", f"run{n}", config,
                                   runtime_s=500 + 40 * n, cost_usd=4.0 - 0.35 * n,
                                   status=RunStatus.FAILED if failed else RunStatus.SUCCESS,
                                   failure_reason=FailureReason.OUT_OF_MEMORY if failed else None))  # fmt: skip
        reason = "revert to the last good configuration after out_of_memory" if failed else "cheapest predicted"
        next_config = ClusterConfig("m5.xlarge", 11 - n, platform="databricks")
        store.add_recommendation(Recommendation("etl.sessions", next_config,
                                                reason, Phase.LEARNING if n < 3 else Phase.OPTIMIZING, 800, 880, 2.1,
                                                based_on_run=f"run{n}"))  # fmt: skip
    for n in range(3):
        store.record_run(RunRecord("etl.orders", f"run{n}", ClusterConfig("c5.2xlarge", 4, platform="databricks"),
                                   runtime_s=300, cost_usd=1.2 + n * 0.2))  # fmt: skip
    catalogue = Catalogue.packaged()
    answer = predict_from_profile(build_profile(str(EVENTLOG)), catalogue=catalogue, sla_s=900,
                                  observed=ClusterConfig("m5.xlarge", 4, platform="databricks"))  # fmt: skip
    store.add_prediction("etl.sessions", answer, model="replay", run_key="run7")
    tasks = [
        DagTask("extract", "etl.extract", ClusterConfig("m5.xlarge", 8, platform="databricks"), expected_runtime_s=400),
        DagTask("sessions", "etl.sessions", ClusterConfig("m5.xlarge", 8, platform="databricks"), ("extract",), 600),
        DagTask("orders", "etl.orders", ClusterConfig("c5.2xlarge", 4, platform="databricks"), ("extract",), 300),
    ]
    plan_dag_run(store, dag_id="etl", run_id="manual__1", tasks=tasks, goals=Goals("cost", deadline_s=2400),
                 capacity_vcpus=64, catalogue=catalogue, time_limit_s=2)  # fmt: skip


@pytest.fixture(scope="module")
def airflow(tmp_path_factory):
    home = tmp_path_factory.mktemp("ui")
    url = f"sqlite:///{home / 'agora.db'}"
    migrate(make_engine(url))
    store = HistoryStore.open(url)
    fill_history(store)
    env = airflow_env(home, dags_folder=home, history_url=url, databricks_connection=None)
    migrate_airflow(env)
    with AirflowStack(env, home / "airflow", processes=("api-server",)) as stack:
        yield stack, store


@pytest.fixture(scope="module")
def browser(airflow):
    if CHROMIUM is None:
        pytest.fail("the UI tests need Debian's chromium (apt-get install chromium); scripts/test installs it")
    from playwright.sync_api import sync_playwright

    stack, _ = airflow
    with sync_playwright() as p:
        chromium, page = logged_in_chromium(p, stack)
        yield page
        chromium.close()


def screenshot(page, name: str, tmp_path: Path) -> None:
    folder = Path(os.environ.get("AGORA_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def test_every_route_requires_airflow_authentication(airflow):
    stack, _ = airflow
    for route in ROUTES:
        assert httpx.get(stack.url + route).status_code == 401, route
    assert httpx.post(f"{stack.url}/agora/api/goals", json={"tag": "nightly", "sla_s": 1}).status_code == 401
    forged = httpx.get(f"{stack.url}/agora/", cookies={"_token": "not-a-token"})
    assert forged.status_code in (401, 403)


def test_the_overview_scatters_projects_by_goal_and_flags_the_ones_missing_it(browser, tmp_path, airflow):
    page = browser
    page.goto(f"{airflow[0].url}/agora/")
    assert page.inner_text("h1") == "Projects"
    rows = page.locator("table.projects tr[data-project]")
    assert rows.count() == 4  # with etl.extract, which the plan created
    marks = page.locator("circle.mark[data-kind=project]")
    assert marks.count() == 2  # the projects without runs have no point
    sessions = page.locator("circle.mark[data-label^='etl.sessions']")
    assert sessions.get_attribute("fill") != "white"  # its latest run (780 s) met the 900 s SLA
    orders = page.locator("circle.mark[data-label^='etl.orders']")
    assert orders.get_attribute("fill") == "white"  # $1.60 misses the $1.50 target: hollow
    assert "4 projects, 1 meet their goal" in page.inner_text("p.summary")
    assert "no run yet" in page.inner_text("tr[data-project='adhoc.report']")
    screenshot(page, "overview", tmp_path)


def test_the_project_page_shows_runs_against_the_set_point_with_phases_and_reverts(browser, tmp_path, airflow):
    page = browser
    page.goto(f"{airflow[0].url}/agora/projects/etl.sessions")
    assert page.locator("polyline[data-series='runtime s']").get_attribute("data-points") == "8"
    assert page.locator("line.ref[data-kind=sla]").first.get_attribute("data-value") == "900"
    assert page.locator("line.ref[data-kind=revert]").count() == 2  # on the runtime and the cost chart
    assert page.locator("line.ref[data-kind=failure]").count() == 2
    assert page.locator("rect.phase[data-phase=learning]").count() == 2 * 3
    assert "800–880 s" in page.inner_text(".recommendation")
    assert page.inner_text(".self-check").endswith("%")
    screenshot(page, "project", tmp_path)


def test_the_prediction_page_draws_curves_per_type_and_the_pareto_front(browser, tmp_path, airflow):
    page = browser
    page.goto(f"{airflow[0].url}/agora/projects/etl.sessions/prediction")
    curves = page.locator("polyline.series")
    assert curves.count() >= 3 and all(int(c.get_attribute("data-points")) >= 3 for c in curves.all())
    assert page.locator("circle.mark[data-kind=pareto]").count() >= 1
    solutions = {r.get_attribute("data-solution") for r in page.locator("tr[data-solution]").all()}
    assert {"basis", "performance", "balanced", "economy"} <= solutions
    screenshot(page, "prediction", tmp_path)


def test_the_plan_page_draws_the_plan_next_to_default_scheduling(browser, tmp_path, airflow):
    stack, store = airflow
    page = browser
    page.goto(f"{stack.url}/agora/dags/etl/runs/manual__1")
    charts = page.locator("svg.chart")
    assert charts.count() == 2
    payload = store.get_plan("etl", "manual__1")
    for chart in charts.all():
        assert {r.get_attribute("data-task") for r in chart.locator("rect.task").all()} == set(payload["tasks"])
        assert chart.locator("line.ref[data-kind=sla]").get_attribute("data-value") == "2400"
        assert chart.locator("line.ref[data-kind=capacity]").count() == 1
    planned = {r.get_attribute("data-task"): float(r.get_attribute("data-start"))
               for r in charts.first.locator("rect.task").all()}  # fmt: skip
    assert planned == {t: e["start_s"] for t, e in payload["tasks"].items()}
    assert "gap" in page.inner_text("[data-fact=gap]") and "lower bound" in page.inner_text("div.cards")
    screenshot(page, "plan", tmp_path)
    page.goto(f"{stack.url}/agora/dags/etl")
    assert page.locator("table.plans a").inner_text() == "manual__1"


def test_the_goals_form_sets_the_goals_of_a_group(browser, airflow):
    stack, store = airflow
    page = browser
    page.goto(f"{stack.url}/agora/")
    page.select_option("form.goals select[name=by]", "tag")
    page.fill("form.goals input[name=value]", "nightly")
    page.fill("form.goals input[name=sla_s]", "700")
    page.click("form.goals button")
    page.wait_for_function("document.getElementById('goals-result').textContent.includes('updated')")
    assert page.inner_text("#goals-result") == "2 project(s) updated"
    for name in ("etl.sessions", "etl.orders"):
        assert store.get_project(name).set_point == SetPoint(sla_s=700)
    assert store.get_project("adhoc.report").set_point == SetPoint()
    form_post = httpx.post(f"{stack.url}/agora/api/goals", data={"tag": "nightly"},
                           headers={"Authorization": f"Bearer {stack.token()}"})  # fmt: skip
    assert form_post.status_code == 415  # a cross-site HTML form cannot set goals


def test_empty_states_say_what_to_do():
    overview = pages.overview_page([], base="/agora", history_url="sqlite:////home/airflow/agora_history.db")
    assert "No projects yet" in overview and "agora projects create" in overview and "sql_alchemy_conn" in overview
    project = pages.project_page(Project("p", platform="emr"), [], [], None, base="/agora")
    assert "No runs yet" in project
    assert "No prediction yet" in pages.prediction_page(Project("p", platform="emr"), None, base="/agora")
    assert "No plans yet" in pages.plans_page([], base="/agora")
    assert "has no plan" in pages.plan_page(None, dag_id="d", run_id="r", base="/agora")

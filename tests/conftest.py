"""Shared helpers: every plan a test produces goes through the solver-independent validator."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from airflow_agora.domain import Goals, Mode, PlanningProblem, TaskSpec, Workflow
from airflow_agora.domain.plan import PlanReport
from airflow_agora.planning import Planner, PlannerOptions, check_plan

FIXTURES = Path(__file__).parent / "fixtures"


def solve(problem: PlanningProblem, **options) -> PlanReport:
    """Plan deterministically and validate: always against capacity and precedence, and against the
    goals whenever the report claims to meet them."""
    options.setdefault("deterministic", True)
    options.setdefault("time_limit_s", 10.0)
    report = Planner(PlannerOptions(**options)).plan(problem)
    check_plan(problem, report.plan, check_goals=report.goal_met)
    assert report.lower_bound <= report.objective_value + 1e-6
    return report


def chain_problem(capacity: float = 96, **goals) -> PlanningProblem:
    """a and b in parallel, both before c; modes chosen so the answers can be worked out by hand."""
    wf = Workflow(
        "d",
        (
            TaskSpec("a", (Mode.of(100, 32, 1.0), Mode.of(60, 64, 1.3))),
            TaskSpec("b", (Mode.of(200, 16, 0.5), Mode.of(80, 64, 1.0))),
            TaskSpec("c", (Mode.of(50, 64, 0.5),)),
        ),
        (("a", "c"), ("b", "c")),
        Goals(**goals) if goals else Goals(),
    )
    return PlanningProblem((wf,), {"vcpus": capacity})


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES


POSTGRES_ADMIN_URL = "postgresql+psycopg2://postgres@127.0.0.1:5432/test"


@pytest.fixture(scope="session")
def new_postgres_database():
    """Creates fresh PostgreSQL databases on the local server (``new_postgres_database()`` returns the
    URL of one), dropped at the end of the session.

    CI has the server (DESIGN.md §5), so an unreachable one fails the tests rather than skipping them.
    """
    import os
    import uuid

    from sqlalchemy import create_engine, text

    admin = create_engine(os.environ.get("AGORA_TEST_POSTGRES_URL", POSTGRES_ADMIN_URL), isolation_level="AUTOCOMMIT")
    names = []

    def create() -> str:
        name = f"agora_test_{uuid.uuid4().hex[:10]}"
        with admin.connect() as conn:
            conn.execute(text(f"CREATE DATABASE {name}"))
        names.append(name)
        return admin.url.set(database=name).render_as_string(hide_password=False)

    yield create
    with admin.connect() as conn:
        for name in names:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()


@pytest.fixture(scope="session")
def postgres_url(new_postgres_database):
    """A fresh PostgreSQL database for this test session."""
    return new_postgres_database()


@pytest.fixture(params=["sqlite", "postgresql"])
def history_url(request, tmp_path):
    """An empty history database of each supported kind (not yet migrated)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'history.db'}"
    from sqlalchemy import create_engine, text

    url = request.getfixturevalue("postgres_url")
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:  # each test starts from an empty database
        conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()
    return url


CHROMIUM = shutil.which("chromium")


def logged_in_chromium(playwright, stack):
    """Debian's headless Chromium logged in to ``stack`` (an ``AirflowStack``) through Airflow's own
    login page as its ``agora`` admin; returns (browser, page)."""
    chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
    page = chromium.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{stack.url}/auth/login")
    page.fill("input[name=username]", "agora")
    page.fill("input[name=password]", stack.admin_password())
    page.click("button[type=submit]")
    page.wait_for_url(lambda u: "/auth/login" not in u, timeout=30_000)
    return chromium, page

"""The planning step of a DAG run against the real history store (SQLite): when no plan of the sizes a
task has run meets the DAG's deadline, the DAG directs a task to try an untried size that might."""

from __future__ import annotations

import pytest

from airflow_agora.control.controller import planning_choices
from airflow_agora.control.dag_planning import EXPLORE_SOURCE, DagTask, ensure_projects, plan_dag_run
from airflow_agora.control.loop import candidates_for
from airflow_agora.domain.cluster import ClusterConfig
from airflow_agora.domain.goals import Goals
from airflow_agora.domain.project import AllowedConfigs, RunRecord
from airflow_agora.history import HistoryStore
from airflow_agora.history.engine import make_engine
from airflow_agora.history.schema import migrate
from airflow_agora.prediction.catalogue import Catalogue
from airflow_agora.prediction.cost import CostRates
from airflow_agora.views.pages import plan_page

CATALOGUE = Catalogue.packaged()
RATES = CostRates(emr_startup_s=0.0)
TASK = DagTask("etl", "nightly.etl", ClusterConfig("m5.2xlarge", 8, platform="emr"),
               allowed=AllowedConfigs(("m5.2xlarge",), 1, 64))  # fmt: skip


def amdahl_s(workers: int) -> float:
    """How the job ran on the sizes it has tried: an Amdahl curve the model fits exactly."""
    return 100 + 8000 / workers


@pytest.fixture
def store(tmp_path):
    url = f"sqlite:///{tmp_path / 'history.db'}"
    migrate(make_engine(url))
    store = HistoryStore.open(url)
    ensure_projects(store, "nightly", [TASK])
    return store


def record(store: HistoryStore, workers: int, runtime_s: float) -> None:
    config = ClusterConfig("m5.2xlarge", workers, platform="emr")
    store.record_run(RunRecord(TASK.project, f"run-{workers}", config, runtime_s, cost_usd=1.0))


def plan_run(store: HistoryStore, run_id: str, deadline_s: float) -> dict:
    goals = Goals(objective="cost", deadline_s=deadline_s)
    return plan_dag_run(store, dag_id="nightly", run_id=run_id, tasks=[TASK], goals=goals, capacity_vcpus=200,
                        catalogue=CATALOGUE, rates=RATES, time_limit_s=5)  # fmt: skip


def test_the_dag_explores_an_untried_size_when_no_known_one_meets_its_deadline_and_keeps_what_it_learns(store):
    for workers in (4, 6, 8):
        record(store, workers, amdahl_s(workers))
    # the model fits the curve: 16 workers (the largest within a step of 8) take 600 s at mid, a little
    # less at its low estimate; nothing known or predicted meets 590 s
    first = plan_run(store, "r1", deadline_s=590)
    assert first["goal_met"] and first["exploring"] == ["etl"]
    chosen = first["tasks"]["etl"]
    assert chosen["source"] == EXPLORE_SOURCE and chosen["config"]["num_workers"] == 16
    assert "untried sizes of etl" in first["explanation"][-1]
    page = plan_page(first, dag_id="nightly", run_id="r1", base="/agora")
    assert "if the untried sizes run as hoped" in page
    # the job fits in memory from 16 workers on and runs well under its curve there
    record(store, 16, 450)
    second = plan_run(store, "r2", deadline_s=590)
    assert second["goal_met"] and second["exploring"] == [] and second["explanation"] == []
    assert second["tasks"]["etl"]["config"]["num_workers"] == 16 and second["tasks"]["etl"]["end_s"] == 450


def test_a_deadline_not_even_the_low_estimates_meet_keeps_the_fastest_known_plan(store):
    for workers in (4, 6, 8):
        record(store, workers, amdahl_s(workers))
    payload = plan_run(store, "r1", deadline_s=300)
    assert not payload["goal_met"] and payload["exploring"] == []
    assert payload["tasks"]["etl"]["source"] != EXPLORE_SOURCE


def test_a_learning_project_offers_no_hopeful_sizes_its_own_exploration_comes_first(store):
    record(store, 8, amdahl_s(8))
    runs = store.list_runs(TASK.project)
    candidates = candidates_for(store.get_project(TASK.project), CATALOGUE, RATES)
    assert planning_choices(runs, candidates, TASK.written).hopeful == []
    record(store, 4, amdahl_s(4))
    record(store, 6, amdahl_s(6))
    hopeful = planning_choices(store.list_runs(TASK.project), candidates, TASK.written).hopeful
    assert {s.candidate.nodes for s in hopeful} == set(range(3, 13)) - {4, 6, 8}  # a step of 2 around the last, 6
    assert all(s.estimate.runtime_s == s.estimate.runtime_low_s < s.estimate.runtime_high_s for s in hopeful)

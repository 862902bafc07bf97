"""The genetic search beside CP-SAT: valid plans, budgets kept, early stops, runs that repeat."""

import time
from dataclasses import replace

import pytest
from ortools.sat.python import cp_model

from airflow_agora.domain import Goals, Mode, PlanningProblem, Reservation, TaskSpec, Workflow
from airflow_agora.domain.goals import Objective
from airflow_agora.planning import genetic
from airflow_agora.planning.bounds import makespan_lower_bound
from airflow_agora.planning.compiled import compile_problem
from airflow_agora.planning.generator import generate_workflow
from airflow_agora.planning.planner import PlannerOptions, _meets_goals, _solve_until_overtaken, _solver, to_plan
from airflow_agora.planning.psplib import load_psplib
from airflow_agora.planning.validator import check_plan
from tests.conftest import chain_problem, solve


def _search(problem, **kwargs):
    cp = compile_problem(problem)
    kwargs.setdefault("time_limit_s", 30)
    return cp, genetic.GeneticSearch(cp, **kwargs)


@pytest.mark.parametrize(("name", "optimum"), [("j1010_1.mm", 17), ("j3010_1.mm", 26), ("j103_4.mm", 23)])
def test_finds_psplib_optima_within_their_budgets(fixtures, name, optimum):
    problem = load_psplib(fixtures / name)
    cp, search = _search(problem, max_decodes=300_000, target=optimum)
    found = search.run()
    assert found is not None and found.makespan(cp) == optimum
    assert _meets_goals(cp, found)  # the non-renewable budgets
    check_plan(problem, to_plan(problem, cp, found))  # precedence and capacity at every instant


def test_a_capped_run_repeats_itself_and_the_seed_matters(fixtures):
    problem = load_psplib(fixtures / "j3010_1.mm")
    runs = [_search(problem, max_decodes=20_000, seed=seed)[1] for seed in (7, 7, 8)]
    plans = [r.run() for r in runs]
    assert plans[0] == plans[1]
    assert runs[0].decodes == runs[1].decodes >= 20_000
    assert (plans[0].modes, plans[0].starts) != (plans[2].modes, plans[2].starts)


def test_a_cost_budget_is_kept():
    problem = generate_workflow(40, seed=5, capacity_vcpus=64)
    cp = compile_problem(problem, time_unit_s=60)  # durations of a few minutes: a few units each
    assert genetic.applicable(cp, Objective.MAKESPAN)
    cheapest = sum(min(t.costs) for t in cp.tasks)
    fastest = sum(t.costs[t.durations.index(min(t.durations))] for t in cp.tasks)
    budget_usd = (cheapest + (fastest - cheapest) * 0.3) * 1e-4
    budgeted = replace(problem, goals=Goals("makespan", budget_usd=budget_usd))
    cp = compile_problem(budgeted, time_unit_s=60)
    consumes = [[list(row) for row in t.consumes] for t in cp.tasks]
    found = genetic.GeneticSearch(cp, time_limit_s=30, max_decodes=50_000).run()
    assert [t.consumes for t in cp.tasks] == consumes  # the compiled problem is left as it was
    assert found is not None and _meets_goals(cp, found)
    assert found.cost(cp) * 1e-4 <= budget_usd + 1e-9
    check_plan(budgeted, to_plan(budgeted, cp, found))


def test_stops_at_its_target_and_on_request(fixtures):
    problem = load_psplib(fixtures / "j3010_1.mm")
    cp, search = _search(problem, time_limit_s=60, target=10_000)  # any plan reaches it: the first one ends the search
    assert search.run() is not None and search.decodes < 1_000
    cp, search = _search(problem, time_limit_s=60)
    started = time.monotonic()
    search.start()
    time.sleep(0.2)
    found = search.stop()
    assert time.monotonic() - started < 5
    assert found is not None and found.makespan(cp) >= makespan_lower_bound(cp)


def test_applies_to_one_dag_makespan_without_reservations():
    cp = compile_problem(chain_problem(), time_unit_s=10)
    assert genetic.applicable(cp, Objective.MAKESPAN)
    assert not genetic.applicable(compile_problem(chain_problem()), Objective.MAKESPAN)  # 1 s units: too fine
    assert not genetic.applicable(cp, Objective.COST)
    held = replace(chain_problem(), reservations=(Reservation(0, 50, {"vcpus": 10}),))
    assert not genetic.applicable(compile_problem(held, time_unit_s=10), Objective.MAKESPAN)
    wf = chain_problem().workflows[0]
    two = PlanningProblem((wf, replace(wf, dag_id="e")), {"vcpus": 96})
    assert not genetic.applicable(compile_problem(two, time_unit_s=10), Objective.MAKESPAN)


@pytest.mark.parametrize("deterministic", [False, True])
def test_planner_runs_it_beside_cp_sat_which_proves_its_plan(fixtures, deterministic):
    # j103_4: no heuristic plan reaches the lower bound (20), so CP-SAT proves 23 by refuting 22
    problem = load_psplib(fixtures / "j103_4.mm")
    report = solve(problem, deterministic=deterministic, time_limit_s=5)
    assert report.status == "optimal" and report.makespan_s == 23 and report.lower_bound == 23
    assert makespan_lower_bound(compile_problem(problem)) < 23
    assert report.stats["genetic_decodes"] > 0
    assert report.stats["cpsat_rounds"] >= 1 and report.stats["cpsat_status"] == "INFEASIBLE"


def test_a_cp_sat_round_stops_when_the_search_finds_a_shorter_plan():
    class Running:
        running = True

    # 13 pigeons in 12 holes as bare clauses: without presolve, symmetry or LP, a search of minutes
    model = cp_model.CpModel()
    x = [[model.new_bool_var(f"x{p}_{h}") for h in range(12)] for p in range(13)]
    for row in x:
        model.add_bool_or(row)
    for h in range(12):
        for p in range(13):
            for q in range(p + 1, 13):
                model.add_bool_or([~x[p][h], ~x[q][h]])
    solver = _solver(PlannerOptions(num_workers=1), 120)
    solver.parameters.cp_model_presolve = False
    solver.parameters.symmetry_level = 0
    solver.parameters.linearization_level = 0
    found_at = time.monotonic() + 0.3  # the search finds its better plan 0.3 s into the round
    status, overtaken = _solve_until_overtaken(solver, model, Running(), lambda: time.monotonic() > found_at)
    assert overtaken and status == cp_model.UNKNOWN


def test_without_the_extension_cp_sat_plans_alone(fixtures, monkeypatch):
    monkeypatch.setattr(genetic, "_library", lambda: None)
    problem = load_psplib(fixtures / "j3010_1.mm")
    assert not genetic.applicable(compile_problem(problem), Objective.MAKESPAN)
    report = solve(problem, time_limit_s=5)
    assert report.status == "optimal" and report.makespan_s == 26
    assert "genetic_decodes" not in report.stats


def test_zero_length_tasks_keep_their_order():
    # justification sorts by instants; a zero-length task shares its instant with its neighbours
    tasks = (
        TaskSpec("a", (Mode.of(3, 2), Mode.of(5, 1))),
        TaskSpec("z", (Mode.of(0, 2),)),
        TaskSpec("b", (Mode.of(4, 2), Mode.of(6, 1))),
        TaskSpec("c", (Mode.of(2, 2), Mode.of(3, 1))),
    )
    wf = Workflow("d", tasks, (("a", "z"), ("z", "b"), ("z", "c")))
    problem = PlanningProblem((wf,), {"vcpus": 2})
    cp, search = _search(problem, max_decodes=5_000)
    found = search.run()
    check_plan(problem, to_plan(problem, cp, found))
    assert found.makespan(cp) == 9  # a in 3, then b and c in 6 (one after the other, or side by side)
    assert solve(problem).makespan_s == found.makespan(cp)

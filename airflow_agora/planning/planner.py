"""The planner: heuristic first, CP-SAT to improve and prove, fallback when the goals are impossible.

``Planner(...).plan(problem)`` returns a ``PlanReport`` whose plan always respects capacity,
reservations, precedences and non-renewable budgets. When deadlines or cost budgets cannot be met the
report says why and carries the fastest plan instead, with ``goal_met=False``.
"""

from __future__ import annotations

import logging
import math
import os
import threading
import time
from dataclasses import dataclass, replace

from ortools.sat.python import cp_model

from airflow_agora.domain.goals import Objective
from airflow_agora.domain.plan import Plan, PlanReport, PlanStatus, TaskAssignment
from airflow_agora.domain.problem import PlanningProblem
from airflow_agora.planning import genetic
from airflow_agora.planning import heuristic as h
from airflow_agora.planning.bounds import cost_lower_bound, dag_lower_bound, makespan_lower_bound, prune_by_deadline
from airflow_agora.planning.compiled import COST_UNIT_USD, Compiled, compile_problem
from airflow_agora.planning.cpsat_model import ObjectiveTerms, SchedulingModel
from airflow_agora.planning.explain import explain_goals, solver_infeasible_reason

log = logging.getLogger(__name__)

_SCORE_SCALE = 10_000  # integer resolution of normalised objective terms


@dataclass(frozen=True)
class PlannerOptions:
    """How hard and how reproducibly to plan.

    ``deterministic`` uses one worker and a fixed seed (tests); otherwise ``num_workers`` (0 = one per
    core, at most 8). ``lexicographic`` spends leftover time on the tie-break (cheapest among the
    fastest plans, fastest among the cheapest). ``fallback_solve`` lets CP-SAT improve the fastest
    fallback plan when the goals are impossible (else the heuristic's is returned). ``light_solve``
    is for small models solved many times over, as in the trace simulation: CP-SAT without its LP
    relaxation, probing and symmetry detection and with one presolve pass, whose set-up costs more
    than it saves there.
    """

    time_limit_s: float = 10.0
    num_workers: int = 0
    deterministic: bool = False
    random_seed: int = 0
    time_unit_s: float = 1.0
    lexicographic: bool = True
    fallback_solve: bool = True
    light_solve: bool = False
    log_search: bool = False

    def workers(self) -> int:
        if self.deterministic:
            return 1
        return self.num_workers or max(1, min(8, os.cpu_count() or 1))


class Planner:
    def __init__(self, options: PlannerOptions | None = None, **kwargs) -> None:
        self.options = options or PlannerOptions(**kwargs)

    def plan(self, problem: PlanningProblem) -> PlanReport:
        started = time.monotonic()
        opts = self.options
        cp = compile_problem(problem, time_unit_s=opts.time_unit_s, enforce_goals=True)
        stats: dict[str, object] = {"tasks": cp.n, "modes_pruned": cp.pruned_modes}
        reasons = explain_goals(cp)
        if reasons:
            return self._fallback(problem, started, reasons, stats)
        stats["modes_pruned"] = cp.pruned_modes + prune_by_deadline(cp)
        stats["modes"] = sum(len(t.durations) for t in cp.tasks)
        objective = problem.objective
        terms = _objective_terms(cp, objective)

        heur_started = time.monotonic()
        candidates = _heuristic_candidates(cp, opts.time_limit_s, opts.deterministic)
        feasible = [s for s in candidates if _meets_goals(cp, s)]
        best = min(feasible, key=lambda s: _score(cp, terms, s, objective)) if feasible else None
        stats["heuristic_s"] = round(time.monotonic() - heur_started, 4)
        if best is not None:
            stats["first_plan_s"] = round(time.monotonic() - started, 4)
            stats["heuristic"] = best.strategy

        search = _genetic_search(cp, objective, opts, _time_left(opts, opts.time_limit_s, started))
        if search is not None and opts.deterministic:
            # a run capped by schedule passes repeats itself; CP-SAT then asks whether its plan can be beaten
            found = search.run()
            if found is not None and _meets_goals(cp, found):
                feasible.append(found)
                best = min(feasible, key=lambda s: _score(cp, terms, s, objective))
        elif search is not None:
            search.start()
        horizon = _horizon(cp, feasible, objective)
        remaining = _time_left(opts, opts.time_limit_s, started)
        hint = best or _any_candidate(candidates)
        result = _solve(cp, terms, horizon, hint, remaining, opts, objective, search)
        stats.update(result.stats)
        if result.status == cp_model.INFEASIBLE:
            return self._fallback(problem, started, [solver_infeasible_reason(cp)], stats)
        if result.schedule is None:
            if best is None:
                why = "no plan meeting the goals was found within the time limit; raise --time-limit-s"
                return self._fallback(problem, started, [why], stats, status=PlanStatus.TIME_LIMITED)
            sched, status = best, PlanStatus.TIME_LIMITED
        else:
            sched = result.schedule
            status = PlanStatus.OPTIMAL if result.status == cp_model.OPTIMAL else PlanStatus.FEASIBLE
            if best is not None and _score(cp, terms, best, objective) < _score(cp, terms, sched, objective):
                sched = best
        value, bound = _value_and_bound(cp, terms, objective, sched, result.bound)
        if status == PlanStatus.OPTIMAL:
            bound = value
        return _report(problem, cp, sched, status, objective, True, value, bound, started, (), stats)

    def _fallback(
        self,
        problem: PlanningProblem,
        started: float,
        reasons: list[str],
        stats: dict[str, object],
        status: PlanStatus = PlanStatus.INFEASIBLE,
    ) -> PlanReport:
        """The fastest plan ignoring deadlines and cost budgets (non-renewable budgets if possible)."""
        opts = self.options
        cp = compile_problem(problem, time_unit_s=opts.time_unit_s, enforce_goals=False)
        terms = _objective_terms(cp, Objective.MAKESPAN)
        candidates = _heuristic_candidates(cp, opts.time_limit_s, opts.deterministic)
        feasible = [s for s in candidates if _meets_goals(cp, s)]
        best = min(feasible, key=lambda s: s.makespan(cp)) if feasible else None
        sched = best
        solver_bound = 0.0
        remaining = _time_left(opts, opts.time_limit_s, started)
        if opts.fallback_solve and remaining > 0.05:
            horizon = _horizon(cp, feasible, Objective.MAKESPAN)
            hint = best or _any_candidate(candidates)
            result = _solve(cp, terms, horizon, hint, remaining, opts, Objective.MAKESPAN)
            if result.schedule is not None and (sched is None or result.schedule.makespan(cp) <= sched.makespan(cp)):
                sched = result.schedule
                solver_bound = result.bound or 0.0
        if sched is None:
            # the non-renewable budgets themselves cannot be met: show the fastest plan without them
            cp = compile_problem(_without_budgets(problem), time_unit_s=opts.time_unit_s, enforce_goals=False)
            sched = h.serial_schedule(cp, h.fastest_modes(cp), "fastest")
        stats["fallback"] = "fastest plan ignoring the goals that cannot be met"
        value = sched.makespan(cp) * cp.time_unit_s
        lb = max(makespan_lower_bound(cp), math.ceil(solver_bound - 1e-6)) * cp.time_unit_s
        return _report(problem, cp, sched, status, Objective.MAKESPAN, False, value, lb, started, tuple(reasons), stats)


def plan(problem: PlanningProblem, **options) -> PlanReport:
    """Plan ``problem`` with ``PlannerOptions(**options)``."""
    return Planner(PlannerOptions(**options)).plan(problem)


# -- pieces ---------------------------------------------------------------------------------------------


@dataclass
class _SolveResult:
    status: int
    schedule: h.Schedule | None
    bound: float | None
    stats: dict[str, object]


def _genetic_search(cp: Compiled, objective: Objective, opts: PlannerOptions, time_limit_s: float):
    """The genetic search to run beside CP-SAT, where it applies (see ``genetic.applicable``)."""
    if time_limit_s <= 0.05 or not genetic.applicable(cp, objective):
        return None
    target = makespan_lower_bound(cp) - cp.dags[0].release
    if opts.deterministic:
        passes = int(min(_GENETIC_PASSES_PER_S * time_limit_s, _GENETIC_PASSES_PER_TASK * cp.n, _GENETIC_MAX_PASSES))
        time_limit_s = math.inf  # the cap on passes ends the run
    else:
        passes = 0
    return genetic.GeneticSearch(
        cp, time_limit_s=time_limit_s, max_decodes=passes, seed=opts.random_seed, target=target
    )


_GENETIC_PASSES_PER_S = 50_000  # deterministic runs: schedule passes per second of time limit
_GENETIC_PASSES_PER_TASK = 2_000
_GENETIC_MAX_PASSES = 500_000


def _solve(cp, terms, horizon, hint, time_limit_s, opts, objective, search=None) -> _SolveResult:
    """CP-SAT on the model; with a genetic ``search`` (one DAG, makespan), CP-SAT proves or beats its plans
    instead (``_prove_best``)."""
    if search is not None:
        return _prove_best(cp, terms, horizon, hint, time_limit_s, opts, objective, search)
    if time_limit_s <= 0.01:
        return _SolveResult(cp_model.UNKNOWN, None, None, {"cpsat": "skipped: no time left"})
    t0 = time.monotonic()
    sm = SchedulingModel(cp, horizon)
    objective_expr = sm.objective_expr(terms)
    sm.model.minimize(objective_expr)
    if hint is not None:
        sm.add_hint(hint)
    solver = _solver(opts, max(0.01, _time_left(opts, time_limit_s, t0)))
    build_s = time.monotonic() - t0
    status = solver.solve(sm.model)
    stats: dict[str, object] = {
        "model_build_s": round(build_s, 4),
        "cpsat_status": solver.status_name(status),
        "cpsat_s": round(solver.wall_time, 4),
        "horizon": horizon,
    }
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return _SolveResult(status, None, None, stats)
    sched, bound = sm.read(solver), solver.best_objective_bound
    if status == cp_model.OPTIMAL and opts.lexicographic and len(cp.dags) == 1 and _tie_break_matters(cp, objective):
        left = _time_left(opts, time_limit_s, t0, spent_deterministic_s=solver.response_proto.deterministic_time)
        if left > 0.05:
            best_value = round(_score(cp, terms, sched, objective)[0])
            sched = _tie_break(sm, cp, objective, best_value, objective_expr, sched, opts, left)
            stats["tie_break"] = "cost" if objective == Objective.MAKESPAN else "makespan"
    return _SolveResult(status, sched, bound, stats)


def _prove_best(cp, terms, horizon, hint, time_limit_s, opts, objective, search) -> _SolveResult:
    """CP-SAT beside the genetic search: asks "is there a plan ending before the best one known?".

    Each round is a satisfaction model (horizon = best end - 1, no objective): a proof of infeasibility
    makes the best plan optimal; a plan found becomes the best and the next round asks again. A round
    stops early when the search (running on its own core) finds a shorter plan. On the PSPLIB j18/j20
    instances CP-SAT proves slowest, this proved about 90 of 117 instance-seed runs in 1 s on one core
    against 30 when minimising the makespan from the same horizon (docs/benchmarks.md). The bound
    left when time runs out is the analytic one.
    """
    t0 = time.monotonic()
    release = cp.dags[0].release
    deadline = cp.dags[0].deadline
    lower = search.target
    own = hint if hint is not None and _meets_goals(cp, hint) else None  # the best plan in hand
    own_end = own.makespan(cp) if own is not None else None
    stats: dict[str, object] = {"model_build_s": 0.0, "cpsat_s": 0.0, "cpsat_rounds": 0}
    status, spent = cp_model.UNKNOWN, 0.0

    def best_end() -> int | None:
        ends = [] if own_end is None else [own_end]
        if search.best is not None and (deadline is None or release + search.best <= deadline):
            ends.append(release + search.best)  # the search knows no deadlines: only plans that meet it count
        return min(ends, default=None)

    while True:
        target = best_end()
        if target is not None and target - release <= lower:
            status = cp_model.OPTIMAL
            stats["cpsat_status"] = "skipped: a plan at the lower bound was found"
            break
        left = _time_left(opts, time_limit_s, t0, spent_deterministic_s=spent)
        if left <= 0.01:
            break
        built = time.monotonic()
        sm = SchedulingModel(cp, horizon if target is None else target - 1)
        sm.model.add(sm.completions[0] - release >= lower)
        solver = _solver(opts, left)
        if target is not None:
            # no LP relaxation when bettering a plan: it costs more than it prunes there (the same hard
            # instances: 90 of 117 proven in 1 s without it, 50 with it); without a plan, it is what
            # proves budgets that no choice of modes meets
            solver.parameters.linearization_level = 0
        if search.running:
            # the search takes one core, CP-SAT keeps a whole one
            solver.parameters.num_workers = max(1, solver.parameters.num_workers - 1)
        stats["model_build_s"] = round(stats["model_build_s"] + time.monotonic() - built, 4)

        def overtaking(looked_for: int | None = target) -> bool:
            end = best_end()
            return end is not None and (looked_for is None or end < looked_for)

        round_status, overtaken = _solve_until_overtaken(solver, sm.model, search, overtaking)
        spent += solver.response_proto.deterministic_time
        stats["cpsat_s"] = round(stats["cpsat_s"] + solver.wall_time, 4)
        stats["cpsat_rounds"] += 1
        stats["cpsat_status"] = solver.status_name(round_status)
        if round_status == cp_model.INFEASIBLE:
            status = cp_model.OPTIMAL if target is not None else cp_model.INFEASIBLE
            break
        if round_status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            own = sm.read(solver)  # ends before every plan known when the round began
            own_end = own.makespan(cp)
        elif not overtaken:
            break  # out of time
    found = _searched_plan(cp, search)
    stats["genetic_decodes"] = search.decodes
    if status == cp_model.INFEASIBLE:
        return _SolveResult(status, None, None, stats)
    if found is not None and (own_end is None or found.makespan(cp) < own_end):
        own = found
        stats["genetic"] = "found the plan kept"
    if own is None:
        return _SolveResult(status, None, None, stats)
    sched = own
    if status != cp_model.OPTIMAL:
        status = cp_model.FEASIBLE
    elif opts.lexicographic and _tie_break_matters(cp, objective):
        left = _time_left(opts, time_limit_s, t0, spent_deterministic_s=spent)
        if left > 0.05:
            sm = SchedulingModel(cp, sched.makespan(cp))
            best_value = sched.makespan(cp) - release
            sched = _tie_break(sm, cp, objective, best_value, sm.objective_expr(terms), sched, opts, left)
            stats["tie_break"] = "cost"
    return _SolveResult(status, sched, release + lower, stats)


def _solve_until_overtaken(solver, model, search, overtaking) -> tuple[int, bool]:
    """Solve ``model``, stopping early once ``overtaking()`` says the running ``search`` found a better
    plan than the round looks for; returns the status and whether that happened."""
    if not search.running:
        return solver.solve(model), False
    done, overtaken = threading.Event(), []

    def watch() -> None:
        while not done.wait(0.002):
            if overtaking():
                overtaken.append(True)
                solver.stop_search()
                return

    watcher = threading.Thread(target=watch, name="agora-cpsat-watch", daemon=True)
    watcher.start()
    try:
        status = solver.solve(model)
    finally:
        done.set()
        watcher.join()
    return status, bool(overtaken)


def _searched_plan(cp: Compiled, search: genetic.GeneticSearch | None) -> h.Schedule | None:
    """Stop the search and return its plan if it meets the goals (the search knows no deadlines)."""
    found = search.stop() if search is not None else None
    return found if found is not None and _meets_goals(cp, found) else None


def _tie_break_matters(cp: Compiled, objective: Objective) -> bool:
    """Whether the second measure can differ between optimal plans (not when every plan costs the same)."""
    if objective == Objective.BALANCED:
        return False
    return objective != Objective.MAKESPAN or any(len(set(t.costs)) > 1 for t in cp.tasks)


def _tie_break(sm, cp, objective, best_value, objective_expr, sched, opts, time_limit_s):
    """Second phase: keep the optimum of the first and minimise the other measure."""
    sm.model.add(objective_expr <= best_value)
    if objective == Objective.MAKESPAN:
        sm.model.minimize(sum(sm.dag_costs))
    else:
        sm.model.minimize(sum(sm.completions))
    sm.add_hint(sched)
    solver = _solver(opts, time_limit_s)
    status = solver.solve(sm.model)
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return sm.read(solver)
    return sched


def _time_left(opts: PlannerOptions, limit_s: float, since: float, *, spent_deterministic_s: float = 0.0) -> float:
    """What is left of ``limit_s``: by the wall clock since ``since``, or in deterministic mode by
    CP-SAT's work counter only (so that a run repeats itself however busy the machine is)."""
    if opts.deterministic:
        return limit_s - spent_deterministic_s
    return limit_s - (time.monotonic() - since)


def _solver(opts: PlannerOptions, time_limit_s: float) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    p = solver.parameters
    if opts.deterministic:
        # stop on CP-SAT's work counter so that a time-limited run repeats itself; the wall clock
        # only guards against a machine far slower than the counter assumes
        p.max_deterministic_time = time_limit_s
        p.max_time_in_seconds = 10 * time_limit_s
    else:
        p.max_time_in_seconds = time_limit_s
    p.num_workers = opts.workers()
    if opts.light_solve:
        p.linearization_level = 0
        p.cp_model_probing_level = 0
        p.symmetry_level = 0
        p.max_presolve_iterations = 1
    p.random_seed = opts.random_seed
    p.log_search_progress = opts.log_search
    return solver


def _heuristic_candidates(cp: Compiled, time_limit_s: float, deterministic: bool = False) -> list[h.Schedule]:
    # deterministic runs stop the mode searches on their iteration caps only
    budget = math.inf if deterministic else max(0.05, min(2.0, time_limit_s / 10))
    mode_sets = {
        "fastest": h.fastest_modes(cp),
        "cheapest": h.cheapest_modes(cp),
        "cpa": h.cpa_modes(cp, budget),
    }
    out = []
    for name, modes in mode_sets.items():
        repaired = h.repair_budgets(cp, modes)
        if repaired is not None:
            out.append(h.serial_schedule(cp, repaired, name))
    if any(d.deadline is not None for d in cp.dags):
        out.append(h.deadline_modes(cp, budget))
    return out


def _any_candidate(candidates: list[h.Schedule]) -> h.Schedule | None:
    return candidates[0] if candidates else None


def _meets_goals(cp: Compiled, s: h.Schedule) -> bool:
    for b, cap in enumerate(cp.budget_caps):
        if sum(cp.tasks[i].consumes[m][b] for i, m in enumerate(s.modes)) > cap:
            return False
    costs = [cp.tasks[i].costs[m] for i, m in enumerate(s.modes)]
    done = s.dag_completions(cp)
    for d, dag in enumerate(cp.dags):
        if dag.deadline is not None and done[d] > dag.deadline:
            return False
        if dag.budget is not None and sum(costs[i] for i in dag.tasks) > dag.budget:
            return False
    return cp.global_budget is None or sum(costs) <= cp.global_budget


def _objective_terms(cp: Compiled, objective: Objective) -> ObjectiveTerms:
    """Pure objectives for one DAG; otherwise each DAG's own goal, normalised by its lower bounds, or
    in dollars when a balanced DAG prices its time (``usd_per_hour``)."""
    n = len(cp.dags)
    if n == 1 and objective == Objective.MAKESPAN:
        return ObjectiveTerms([1], [0])
    if n == 1 and objective == Objective.COST:
        return ObjectiveTerms([0], [1])
    time_w, cost_w = [], []
    for d, dag in enumerate(cp.dags):
        goal = dag.goals.objective if n > 1 else objective
        if goal == Objective.BALANCED and dag.goals.usd_per_hour is not None:
            time_w.append(dag.goals.weight * dag.goals.usd_per_hour * cp.time_unit_s / 3600)  # $ per time unit
            cost_w.append(dag.goals.weight * COST_UNIT_USD)  # $ per cost unit
            continue
        alpha = {Objective.MAKESPAN: 1.0, Objective.COST: 0.0}.get(goal, dag.goals.balance_weight)
        t_ref = max(1, dag_lower_bound(cp, d) - dag.release)
        c_ref = max(1, cost_lower_bound(cp, dag.tasks))
        time_w.append(dag.goals.weight * alpha / t_ref)
        cost_w.append(dag.goals.weight * (1 - alpha) / c_ref)
    positive = [w for w in time_w + cost_w if w > 0]
    scale = _SCORE_SCALE / min(positive) if positive else 1.0
    scale = min(scale, 1e12 / max(positive))
    return ObjectiveTerms([round(w * scale) for w in time_w], [round(w * scale) for w in cost_w], scale)


def _score(cp: Compiled, terms: ObjectiveTerms, s: h.Schedule, objective: Objective) -> tuple:
    costs = [cp.tasks[i].costs[m] for i, m in enumerate(s.modes)]
    total = 0
    done = s.dag_completions(cp)
    for d, dag in enumerate(cp.dags):
        total += terms.time_coef[d] * (done[d] - dag.release)
        total += terms.cost_coef[d] * sum(costs[i] for i in dag.tasks)
    second = sum(costs) if objective == Objective.MAKESPAN else s.makespan(cp)
    return (total, second)


def _horizon(cp: Compiled, feasible: list[h.Schedule], objective: Objective) -> int:
    """Latest end a plan worth considering needs.

    With one DAG and the makespan objective, the best heuristic makespan (the optimum is no later).
    Otherwise the serial bound: some optimal plan is left-justified, so it ends by the last release or
    reservation plus every task's longest duration (or the latest deadline, if later).
    """
    if objective == Objective.MAKESPAN and len(cp.dags) == 1 and feasible:
        return min(s.makespan(cp) for s in feasible)
    start = max([d.release for d in cp.dags] + [e for _, e, _ in cp.reservations])
    serial = start + sum(max(t.durations) for t in cp.tasks)
    return max([serial] + [d.deadline for d in cp.dags if d.deadline is not None])


def _value_and_bound(cp, terms, objective, sched, solver_bound) -> tuple[float, float]:
    if len(cp.dags) == 1 and objective == Objective.MAKESPAN:
        lb = max(makespan_lower_bound(cp), math.ceil(solver_bound or 0))
        return sched.makespan(cp) * cp.time_unit_s, lb * cp.time_unit_s
    if len(cp.dags) == 1 and objective == Objective.COST:
        lb = max(cost_lower_bound(cp), math.ceil((solver_bound or 0) - 1e-6))
        return sched.cost(cp) * COST_UNIT_USD, lb * COST_UNIT_USD
    # weighted score: no DAG's terms fall below their values at its time and cost lower bounds
    value = _score(cp, terms, sched, objective)[0] / terms.scale
    analytic = sum(
        terms.time_coef[d] * (dag_lower_bound(cp, d) - dag.release)
        + terms.cost_coef[d] * cost_lower_bound(cp, dag.tasks)
        for d, dag in enumerate(cp.dags)
    )
    return value, max(analytic / terms.scale, (solver_bound or 0) / terms.scale)


def _report(problem, cp, sched, status, objective, goal_met, value, bound, started, reasons, stats) -> PlanReport:
    plan_ = to_plan(problem, cp, sched)
    dags = []
    for d, dag in enumerate(cp.dags):
        wf = problem.workflows[d]
        goals = dag.goals
        done = plan_.completion_s(dag.dag_id)
        dags.append(
            {
                "dag_id": dag.dag_id,
                "objective": goals.objective.value,
                "completion_s": done,
                "duration_s": done - wf.release_s,
                "cost_usd": round(plan_.cost_of(dag.dag_id), 6),
                "deadline_s": goals.deadline_s,
                "budget_usd": goals.budget_usd,
                "meets_deadline": goals.deadline_s is None or done <= wf.release_s + goals.deadline_s + 1e-6,
            }
        )
    stats["total_s"] = round(time.monotonic() - started, 4)
    return PlanReport(
        plan=plan_,
        status=status,
        objective=objective,
        goal_met=goal_met,
        objective_value=value,
        lower_bound=min(bound, value),
        makespan_lower_bound_s=makespan_lower_bound(cp) * cp.time_unit_s,
        cost_lower_bound_usd=cost_lower_bound(cp) * COST_UNIT_USD,
        solve_s=time.monotonic() - started,
        explanation=tuple(reasons),
        dags=tuple(dags),
        stats=stats,
    )


def to_plan(problem: PlanningProblem, cp: Compiled, sched: h.Schedule) -> Plan:
    """Map a compiled schedule back to domain assignments (seconds, original mode indices)."""
    out = []
    for i, t in enumerate(cp.tasks):
        wf = problem.workflows[t.dag]
        k = sched.modes[i]
        # compile appends each DAG's tasks contiguously, in declaration order
        mode = wf.tasks[i - cp.dags[t.dag].tasks[0]].modes[t.mode_ids[k]]
        start = sched.starts[i] * cp.time_unit_s
        out.append(
            TaskAssignment(
                dag_id=wf.dag_id,
                task_id=t.task_id,
                mode_index=t.mode_ids[k],
                start_s=start,
                end_s=start + t.durations[k] * cp.time_unit_s,
                demands=dict(mode.demands),
                cost_usd=mode.cost_usd,
                config=mode.config,
                mode_label=mode.label,
            )
        )
    return Plan(tuple(out))


def _without_budgets(problem: PlanningProblem) -> PlanningProblem:
    """The same problem with non-renewable budgets dropped."""
    workflows = tuple(
        replace(wf, tasks=tuple(replace(t, modes=tuple(replace(m, consumes={}) for m in t.modes)) for t in wf.tasks))
        for wf in problem.workflows
    )
    return replace(problem, workflows=workflows, budgets={})


def default_plan(problem: PlanningProblem, *, time_unit_s: float = 1.0) -> Plan:
    """The plan default scheduling gives: each task at its fastest configuration, first come first
    served under the capacity (see ``heuristic.default_scheduling``); the baseline plans are shown against."""
    cp = compile_problem(problem, time_unit_s=time_unit_s, enforce_goals=False)
    return to_plan(problem, cp, h.default_scheduling(cp))

"""Checks that a planning problem can be planned at all, with errors that name the task and the fix."""

from __future__ import annotations

import math

from airflow_agora.domain.errors import InvalidInputError
from airflow_agora.domain.graph import CycleError, topological_order
from airflow_agora.domain.problem import PlanningProblem
from airflow_agora.domain.workflow import Mode, Workflow


def validate_problem(problem: PlanningProblem) -> None:
    """Raise ``InvalidInputError`` for the first thing that makes ``problem`` unplannable."""
    if not problem.workflows:
        raise InvalidInputError("the problem has no workflow", fix="add at least one DAG with tasks")
    dag_ids = [wf.dag_id for wf in problem.workflows]
    if len(set(dag_ids)) != len(dag_ids):
        raise InvalidInputError(f"duplicate dag_id in {dag_ids}", fix="give every DAG its own dag_id")
    for name, cap in problem.capacities.items():
        if not isinstance(cap, int | float) or isinstance(cap, bool) or math.isnan(cap) or cap <= 0:
            raise InvalidInputError(f"capacity {name!r} is {cap!r}", fix="capacities must be positive numbers")
    for wf in problem.workflows:
        _validate_workflow(wf, problem)
    for i, res in enumerate(problem.reservations):
        if not (_is_number(res.start_s) and _is_number(res.end_s)) or res.end_s < res.start_s:
            raise InvalidInputError(
                f"reservation #{i} ({res.owner}) spans [{res.start_s}, {res.end_s})",
                fix="reservations need numeric start_s <= end_s",
            )
        for name, amount in res.demands.items():
            if name not in problem.capacities:
                raise InvalidInputError(
                    f"reservation #{i} ({res.owner}) holds {name!r}, which has no capacity",
                    fix=f"add {name!r} to capacities or drop it from the reservation",
                )
            if not _is_number(amount) or amount < 0:
                raise InvalidInputError(f"reservation #{i} ({res.owner}) holds {amount!r} {name}")


def _validate_workflow(wf: Workflow, problem: PlanningProblem) -> None:
    where = f"DAG {wf.dag_id!r}"
    if not wf.tasks:
        raise InvalidInputError("has no tasks", where=where, fix="add tasks or remove the DAG")
    ids = [t.task_id for t in wf.tasks]
    seen: set[str] = set()
    for task_id in ids:
        if task_id in seen:
            raise InvalidInputError(f"task {task_id!r} appears twice", where=where, fix="task ids must be unique")
        seen.add(task_id)
    for u, v in wf.edges:
        for end in (u, v):
            if end not in seen:
                raise InvalidInputError(
                    f"edge {u!r} -> {v!r} names unknown task {end!r}",
                    where=where,
                    fix=f"declare task {end!r} or fix the edge",
                )
        if u == v:
            raise InvalidInputError(f"task {u!r} depends on itself", where=where, fix="remove the edge")
    try:
        topological_order(ids, wf.edges)
    except CycleError as exc:
        raise InvalidInputError(
            f"the dependencies form a cycle: {exc}", where=where, fix="remove one edge of the cycle"
        ) from None
    for task in wf.tasks:
        twhere = f"{where} task {task.task_id!r}"
        if not task.modes:
            raise InvalidInputError(
                "has no modes", where=twhere, fix="give the task at least one configuration with duration_s"
            )
        for k, mode in enumerate(task.modes):
            _validate_mode(mode, f"{twhere} mode #{k}", problem)
        if not any(fits_capacity(m, problem) for m in task.modes):
            smallest = min(task.modes, key=lambda m: m.vcpus)
            over = {n: v for n, v in smallest.demands.items() if v > problem.capacities.get(n, math.inf)}
            raise InvalidInputError(
                f"every mode needs more than the capacity (smallest: {_fmt(over)}; capacity: "
                f"{_fmt({n: problem.capacities[n] for n in over})})",
                where=twhere,
                fix="raise the capacity or add a smaller configuration for this task",
            )


def _validate_mode(mode: Mode, where: str, problem: PlanningProblem) -> None:
    if not _is_number(mode.duration_s) or mode.duration_s < 0:
        raise InvalidInputError(
            f"duration_s is {mode.duration_s!r}", where=where, fix="duration_s must be a number >= 0 (seconds)"
        )
    if not _is_number(mode.cost_usd) or mode.cost_usd < 0:
        raise InvalidInputError(f"cost_usd is {mode.cost_usd!r}", where=where, fix="cost_usd must be >= 0")
    for name, amount in list(mode.demands.items()) + list(mode.consumes.items()):
        if not _is_number(amount) or amount < 0:
            raise InvalidInputError(f"{name} is {amount!r}", where=where, fix=f"{name} must be a number >= 0")
    for name in mode.demands:
        if name not in problem.capacities:
            raise InvalidInputError(
                f"demands {name!r}, which has no capacity",
                where=where,
                fix=f"add {name!r} to capacities (or drop it from the mode)",
            )
    for name in mode.consumes:
        if name not in problem.budgets:
            raise InvalidInputError(
                f"consumes {name!r}, which has no budget", where=where, fix=f"add {name!r} to budgets"
            )


def fits_capacity(mode: Mode, problem: PlanningProblem) -> bool:
    return all(amount <= problem.capacities.get(name, math.inf) for name, amount in mode.demands.items())


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _fmt(amounts: dict) -> str:
    return ", ".join(f"{v:g} {k}" for k, v in amounts.items())

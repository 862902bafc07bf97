"""The planning step of an Agora DAG run, without Airflow: from the DAG's tasks, their projects'
histories and the plans other DAGs already hold, a plan stored in history for the tasks to read.

Each task offers the planner the configurations its project's controller allows (see
:func:`~airflow_agora.control.controller.planning_choices`): while the project learns, its
recommendation and the sizes it already ran well (before any run, the configuration the user
wrote); once it is optimizing, every safe size within a bounded step, with runtimes from the model
calibrated on its own runs. When no plan of those meets the DAG's deadline, the tasks that are
optimizing also offer the sizes they have not run near their last good one, at their low estimates
(the choices' ``hopeful`` part). If a plan then might meet the deadline, it is the one stored, and its
tasks on untried sizes explore them (``exploring`` in the payload): each such run turns an estimate
into a measurement, so the loop either finds a plan that meets the deadline or runs out of hopeful
sizes and keeps the fastest known plan. A task without history is planned at its written
configuration for ``expected_runtime_s`` (:data:`DEFAULT_RUNTIME_S` unless the task says).

Durations include the cluster's start-up, since it holds capacity and delays successors. A
task's vCPUs are its workers' (the capacity the ledger shares). Other DAGs' plans made in the
last :data:`RESERVATION_LOOKBACK` become reservations over the windows they planned, so a later
plan fits around earlier ones.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from airflow_agora.control.controller import ControllerOptions, Scored, planning_choices
from airflow_agora.control.loop import candidates_for
from airflow_agora.domain.cluster import ClusterConfig
from airflow_agora.domain.goals import Goals
from airflow_agora.domain.plan import PlanReport, TaskAssignment
from airflow_agora.domain.problem import PlanningProblem, Reservation
from airflow_agora.domain.project import AllowedConfigs, Project
from airflow_agora.domain.workflow import VCPUS, Mode, TaskSpec, Workflow
from airflow_agora.history.store import HistoryStore
from airflow_agora.planning.planner import default_plan, plan
from airflow_agora.prediction.catalogue import Catalogue
from airflow_agora.prediction.cost import CostRates, run_cost

DEFAULT_RUNTIME_S = 600.0
RESERVATION_LOOKBACK = timedelta(hours=24)
EXPLORE_SOURCE = "explore: no plan of known sizes meets the deadline; this untried size might"


@dataclass(frozen=True)
class DagTask:
    """One Agora task of a DAG: its project, the configuration the user wrote, its upstream Agora
    tasks (transitively through non-Agora tasks) and an optional runtime hint for its first run."""

    task_id: str
    project: str
    written: ClusterConfig
    upstream: tuple[str, ...] = ()
    expected_runtime_s: float | None = None
    allowed: AllowedConfigs = field(default_factory=AllowedConfigs)
    tags: tuple[str, ...] = ()


def ensure_projects(store: HistoryStore, dag_id: str, tasks: list[DagTask]) -> dict[str, Project]:
    """The project of every task, created on first sight with the written configuration."""
    out = {}
    for task in tasks:
        out[task.task_id] = store.ensure_project(
            Project(
                task.project,
                platform=task.written.platform,
                dag_id=dag_id,
                task_id=task.task_id,
                tags=task.tags,
                allowed=task.allowed,
                initial_config=task.written,
            )
        )
    return out


def task_modes(
    store: HistoryStore,
    project: Project,
    task: DagTask,
    catalogue: Catalogue,
    rates: CostRates,
    options: ControllerOptions | None = None,
) -> tuple[list[Mode], list[Mode], str]:
    """The modes the planner may choose for ``task``, its hopeful modes (untried sizes at their low
    estimates, for when no plan of the former meets the deadline) and where the modes come from."""
    runs = store.list_runs(project.name, limit=50)
    recommendation = store.latest_recommendation(project.name)
    base = recommendation.config if recommendation else task.written
    if runs:
        candidates = candidates_for(project, catalogue, rates, seen_types=tuple(r.config.instance_type for r in runs))
        choices = planning_choices(runs, candidates, base, options)
        if choices.known:
            modes = _modes(choices.known, base, catalogue, rates)
            source = f"{project.phase}: {len(modes)} size(s) from the calibrated model"
            return modes, _modes(choices.hopeful, base, catalogue, rates), source
    runtime = (recommendation and recommendation.predicted_runtime_s) or task.expected_runtime_s or DEFAULT_RUNTIME_S
    source = "recommendation" if recommendation else "as written, no history"
    return [_mode(base, runtime, rates.startup_s(base.platform), catalogue, rates)], [], source


def _modes(choices: list[Scored], base: ClusterConfig, catalogue: Catalogue, rates: CostRates) -> list[Mode]:
    startup_s = rates.startup_s(base.platform)
    return [
        _mode(replace(base, instance_type=s.candidate.node.name, num_workers=s.candidate.nodes),
              s.estimate.runtime_s, startup_s, catalogue, rates)
        for s in choices
    ]  # fmt: skip


def _mode(config: ClusterConfig, runtime_s: float, startup_s: float, catalogue: Catalogue, rates: CostRates) -> Mode:
    vcpus = config.num_workers * catalogue.get(config.instance_type).vcpus
    cost = run_cost(config, runtime_s, catalogue, rates, include_startup=True).total_usd
    return Mode.of(runtime_s + startup_s, vcpus, cost, config=config)


def reservations_from(plans: list[dict], now_epoch_s: float) -> list[Reservation]:
    """Other DAGs' planned windows still ahead of ``now``, relative to now."""
    out = []
    for payload in plans:
        origin = float(payload.get("origin_epoch_s", 0))
        for task_id, entry in (payload.get("tasks") or {}).items():
            start, end = origin + entry["start_s"] - now_epoch_s, origin + entry["end_s"] - now_epoch_s
            if end > 0 and entry.get("vcpus"):
                owner = f"{payload.get('dag_id')}/{payload.get('run_id')}/{task_id}"
                out.append(Reservation(max(0.0, start), end, {VCPUS: float(entry["vcpus"])}, owner))
    return out


def plan_dag_run(
    store: HistoryStore,
    *,
    dag_id: str,
    run_id: str,
    tasks: list[DagTask],
    goals: Goals,
    capacity_vcpus: float,
    catalogue: Catalogue,
    rates: CostRates | None = None,
    time_limit_s: float = 10.0,
    now_epoch_s: float | None = None,
) -> dict:
    """Plan one DAG run, store the plan and return it (the payload tasks read; see module docstring)."""
    rates = rates or CostRates()
    now = time.time() if now_epoch_s is None else now_epoch_s
    projects = ensure_projects(store, dag_id, tasks)
    specs, sources, hopeful = [], {}, {}
    for task in tasks:
        modes, hopeful[task.task_id], sources[task.task_id] = task_modes(
            store, projects[task.task_id], task, catalogue, rates
        )
        specs.append(TaskSpec(task.task_id, modes))
    names = {t.task_id for t in tasks}
    edges = [(u, t.task_id) for t in tasks for u in t.upstream if u in names]
    since = datetime.fromtimestamp(now, UTC) - RESERVATION_LOOKBACK
    reservations = reservations_from(store.plans_since(since, exclude_dag_id=dag_id), now)
    problem = PlanningProblem(
        (Workflow(dag_id, specs, edges, goals),),
        capacities={VCPUS: float(capacity_vcpus)},
        reservations=tuple(reservations),
        goals=goals,
        name=f"{dag_id}/{run_id}",
    )
    report = plan(problem, time_limit_s=time_limit_s)
    exploring: list[str] = []
    if not report.goal_met and goals.deadline_s is not None:
        report, exploring = _hopeful_plan(problem, hopeful, time_limit_s) or (report, [])
        sources.update(dict.fromkeys(exploring, EXPLORE_SOURCE))
    default = default_plan(problem)
    explanation = list(report.explanation)
    if exploring:
        explanation.append(
            f"no plan of the sizes the tasks have run meets the deadline; this one does if the untried sizes of "
            f"{', '.join(exploring)} run as fast as their low estimates"
        )
    payload = {
        "dag_id": dag_id,
        "run_id": run_id,
        "origin_epoch_s": now,
        "capacity_vcpus": capacity_vcpus,
        "goals": goals.to_dict(),
        "reservations": len(reservations),
        **{k: v for k, v in report.to_dict().items() if k not in ("tasks", "dags", "stats")},
        "explanation": explanation,
        "exploring": exploring,
        "tasks": {
            a.task_id: {
                "project": projects[a.task_id].name,
                **_placement(a),
                "priority": now + a.start_s,
                "modes": len(problem.workflows[0].task(a.task_id).modes),
                "source": sources[a.task_id],
            }
            for a in report.plan.assignments
        },
        "edges": [list(e) for e in edges],
        "default": {  # default scheduling of the same tasks, the baseline the plan is shown against
            "makespan_s": default.makespan_s,
            "cost_usd": round(default.cost_usd, 6),
            "tasks": {a.task_id: _placement(a) for a in default.assignments},
        },
    }
    store.save_plan(dag_id, run_id, payload)
    return payload


def _hopeful_plan(
    problem: PlanningProblem, hopeful: dict[str, list[Mode]], time_limit_s: float
) -> tuple[PlanReport, list[str]] | None:
    """When no plan of known sizes meets the deadline: a plan that might, with the untried sizes in
    ``hopeful`` at their low estimates beside the known ones, and the tasks it puts on untried sizes
    (they explore them). None when even that misses."""
    if not any(hopeful.values()):
        return None
    workflow = problem.workflows[0]
    specs = [TaskSpec(s.task_id, [*s.modes, *hopeful[s.task_id]]) for s in workflow.tasks]
    report = plan(replace(problem, workflows=(replace(workflow, tasks=specs),)), time_limit_s=time_limit_s)
    if not report.goal_met:
        return None
    untried = (a.task_id for a in report.plan.assignments if a.mode_index >= len(workflow.task(a.task_id).modes))
    return report, sorted(untried)


def _placement(a: TaskAssignment) -> dict:
    """Where and how a planned task runs, as the payload stores it (and ``views.plans`` reads it)."""
    return {"config": a.config.to_dict() if a.config else None, "start_s": a.start_s, "end_s": a.end_s,
            "vcpus": a.vcpus, "cost_usd": round(a.cost_usd, 6)}  # fmt: skip

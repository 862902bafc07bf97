"""The JSON workflow file: reading and writing planning problems (format ``agora-workflow/1``).

The format is documented in ``docs/workflow-format.md``. A file holds either one DAG (``tasks`` and
``edges`` at the top level) or several (``dags``). Each task lists its ``modes`` directly, or ``curves``:
measured runtime-vs-workers per instance type, expanded into one mode per point with
``cost_usd = workers * usd_per_node_hour * runtime_s / 3600`` and ``vcpus = workers * vcpus_per_worker``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from airflow_agora.domain.cluster import ClusterConfig
from airflow_agora.domain.errors import InvalidInputError
from airflow_agora.domain.goals import Goals, Objective
from airflow_agora.domain.problem import PlanningProblem, Reservation
from airflow_agora.domain.validation import validate_problem
from airflow_agora.domain.workflow import MEMORY_GB, VCPUS, Mode, TaskSpec, Workflow

FORMAT = "agora-workflow/1"
_MODE_KEYS = {"duration_s", "vcpus", "cost_usd", "memory_gb", "demands", "consumes", "config", "name"}


def load_problem(path: str | Path) -> PlanningProblem:
    """Read and validate a workflow file; every error names the file, the task and the fix."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InvalidInputError("file not found", where=str(path), fix="check the path") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInputError(f"cannot read the file ({exc})", where=str(path)) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInputError(
            f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
            where=str(path),
            fix="fix the JSON syntax (see docs/workflow-format.md)",
        ) from None
    try:
        return problem_from_dict(data, name=path.stem)
    except InvalidInputError as exc:
        where = f"{path}: {exc.where}" if exc.where else str(path)
        raise InvalidInputError(exc.problem, where=where, fix=exc.fix) from None


def problem_from_dict(data: Any, *, name: str = "problem") -> PlanningProblem:
    """Build and validate a problem from the parsed JSON of a workflow file."""
    if not isinstance(data, dict):
        raise InvalidInputError("the top level must be a JSON object", fix="see docs/workflow-format.md")
    fmt = data.get("format", FORMAT)
    if fmt != FORMAT:
        raise InvalidInputError(f"unknown format {fmt!r}", fix=f'set "format": "{FORMAT}"')
    if "dags" in data:
        dags = _require(data, "dags", list, "top level")
    elif "tasks" in data:
        dags = [{k: v for k, v in data.items() if k in ("dag_id", "tasks", "edges", "goals", "release_s")}]
        dags[0].setdefault("dag_id", data.get("name", name))
    else:
        raise InvalidInputError('no "tasks" and no "dags"', fix='list the tasks of your DAG under "tasks"')
    capacities = _dict(data, "capacities", "top level")
    problem = PlanningProblem(
        workflows=tuple(_workflow(d, i) for i, d in enumerate(dags)),
        # no capacities: unlimited vCPUs (the only amount a user cannot write in JSON)
        capacities={str(k): _number(v, f"capacities.{k}") for k, v in capacities.items()} or {VCPUS: math.inf},
        budgets={str(k): _number(v, f"budgets.{k}") for k, v in _dict(data, "budgets", "top level").items()},
        reservations=tuple(_reservation(r, i) for i, r in enumerate(_list(data, "reservations", "top level"))),
        goals=_goals(data["goals"], "goals") if "goals" in data and "dags" in data else None,
        name=str(data.get("name", name)),
    )
    validate_problem(problem)
    return problem


def _workflow(data: Any, index: int) -> Workflow:
    if not isinstance(data, dict):
        raise InvalidInputError(f"dags[{index}] must be an object")
    dag_id = str(data.get("dag_id", f"dag_{index}"))
    where = f"DAG {dag_id!r}"
    tasks_raw = _require(data, "tasks", list, where)
    tasks = []
    edges = [tuple(e) if isinstance(e, list | tuple) else e for e in _list(data, "edges", where)]
    for k, raw in enumerate(tasks_raw):
        if not isinstance(raw, dict) or "task_id" not in raw:
            raise InvalidInputError(f'tasks[{k}] needs a "task_id"', where=where)
        task_id = str(raw["task_id"])
        twhere = f"{where} task {task_id!r}"
        modes = [_mode(m, f"{twhere} mode #{j}") for j, m in enumerate(_list(raw, "modes", twhere))]
        for curve in _list(raw, "curves", twhere):
            modes.extend(_curve_modes(curve, twhere))
        tasks.append(TaskSpec(task_id, tuple(modes)))
        edges.extend((str(u), task_id) for u in _list(raw, "upstream", twhere))
    for e in edges:
        if not (isinstance(e, tuple) and len(e) == 2):
            raise InvalidInputError(f"edge {e!r} must be a pair [upstream, downstream]", where=where)
    goals = _goals(data.get("goals", {}), f"{where} goals")
    return Workflow(dag_id, tuple(tasks), tuple(edges), goals, _number(data.get("release_s", 0.0), "release_s"))


def _mode(raw: Any, where: str) -> Mode:
    if not isinstance(raw, dict):
        raise InvalidInputError("a mode must be an object", where=where)
    unknown = set(raw) - _MODE_KEYS
    if unknown:
        raise InvalidInputError(f"unknown keys {sorted(unknown)}", where=where, fix=f"use only {sorted(_MODE_KEYS)}")
    if "duration_s" not in raw:
        raise InvalidInputError("has no duration_s", where=where, fix='add "duration_s": seconds')
    demands = {str(k): _number(v, f"{where} demands.{k}") for k, v in _dict(raw, "demands", where).items()}
    if "vcpus" in raw:
        demands[VCPUS] = _number(raw["vcpus"], f"{where} vcpus")
    if "memory_gb" in raw:
        demands[MEMORY_GB] = _number(raw["memory_gb"], f"{where} memory_gb")
    config = _config(raw["config"], where) if "config" in raw else None
    return Mode(
        duration_s=_number(raw["duration_s"], f"{where} duration_s"),
        demands=demands,
        cost_usd=_number(raw.get("cost_usd", 0.0), f"{where} cost_usd"),
        consumes={str(k): _number(v, f"{where} consumes.{k}") for k, v in _dict(raw, "consumes", where).items()},
        config=config,
        name=raw.get("name"),
    )


def _config(raw: Any, where: str) -> ClusterConfig:
    if not isinstance(raw, dict):
        raise InvalidInputError("config must be an object", where=where)
    try:
        return ClusterConfig.from_dict(raw)
    except KeyError as exc:
        raise InvalidInputError(f"config lacks {exc}", where=where, fix="give instance_type and num_workers") from None
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(f"config is invalid ({exc})", where=where) from None


def _curve_modes(raw: Any, where: str) -> list[Mode]:
    if not isinstance(raw, dict):
        raise InvalidInputError("a curve must be an object", where=where)
    for key in ("instance_type", "vcpus_per_worker", "usd_per_node_hour", "runtime_s_by_workers"):
        _require(raw, key, object, f"{where} curve")
    itype = str(raw["instance_type"])
    vcpus_per = _number(raw["vcpus_per_worker"], f"{where} {itype} vcpus_per_worker")
    usd_h = _number(raw["usd_per_node_hour"], f"{where} {itype} usd_per_node_hour")
    mem_per = raw.get("memory_gb_per_worker")
    points = _require(raw, "runtime_s_by_workers", dict, f"{where} curve {itype}")
    modes = []
    for workers_text, runtime in points.items():
        try:
            workers = int(workers_text)
        except ValueError:
            raise InvalidInputError(
                f"curve {itype}: worker count {workers_text!r} is not an integer", where=where
            ) from None
        runtime_s = _number(runtime, f"{where} {itype} {workers} workers runtime")
        config = ClusterConfig(
            itype, workers, platform=str(raw.get("platform", "generic")), vcpus_per_worker=int(vcpus_per)
        )
        demands = {VCPUS: workers * vcpus_per}
        if mem_per is not None:
            demands[MEMORY_GB] = workers * _number(mem_per, f"{where} memory_gb_per_worker")
        modes.append(Mode(runtime_s, demands, workers * usd_h * runtime_s / 3600.0, config=config))
    return modes


def _reservation(raw: Any, index: int) -> Reservation:
    where = f"reservations[{index}]"
    if not isinstance(raw, dict):
        raise InvalidInputError("must be an object", where=where)
    demands = {str(k): _number(v, f"{where}.{k}") for k, v in _dict(raw, "demands", where).items()}
    if "vcpus" in raw:
        demands[VCPUS] = _number(raw["vcpus"], f"{where}.vcpus")
    return Reservation(
        start_s=_number(_require(raw, "start_s", object, where), f"{where}.start_s"),
        end_s=_number(_require(raw, "end_s", object, where), f"{where}.end_s"),
        demands=demands,
        owner=str(raw.get("owner", f"reservation {index}")),
    )


def _goals(raw: Any, where: str) -> Goals:
    if not isinstance(raw, dict):
        raise InvalidInputError("goals must be an object", where=where)
    objective = raw.get("objective", "makespan")
    if not isinstance(objective, str) or objective not in {o.value for o in Objective}:
        raise InvalidInputError(
            f"objective {objective!r} is unknown", where=where, fix="use makespan, cost or balanced"
        )
    try:
        return Goals(
            objective=Objective(objective),
            deadline_s=_opt_number(raw.get("deadline_s"), f"{where}.deadline_s"),
            budget_usd=_opt_number(raw.get("budget_usd"), f"{where}.budget_usd"),
            weight=_number(raw.get("weight", 1.0), f"{where}.weight"),
            balance_weight=_number(raw.get("balance_weight", 0.5), f"{where}.balance_weight"),
            usd_per_hour=_opt_number(raw.get("usd_per_hour"), f"{where}.usd_per_hour"),
        )
    except ValueError as exc:
        raise InvalidInputError(str(exc), where=where) from None


def _dict(data: dict, key: str, where: str) -> dict:
    """An optional object field (missing: empty)."""
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise InvalidInputError(f'"{key}" must be an object', where=where, fix=f'write "{key}": {{"name": amount}}')
    return value


def _list(data: dict, key: str, where: str) -> list:
    """An optional list field (missing: empty)."""
    value = data.get(key, [])
    if not isinstance(value, list):
        raise InvalidInputError(f'"{key}" must be a list', where=where, fix=f'write "{key}": [...]')
    return value


def _require(data: dict, key: str, kind: type, where: str) -> Any:
    if key not in data:
        raise InvalidInputError(f'missing "{key}"', where=where)
    value = data[key]
    if kind is not object and not isinstance(value, kind):
        raise InvalidInputError(f'"{key}" must be a {kind.__name__}', where=where)
    return value


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidInputError(f"{where} is not a number", fix="write a plain number such as 120 or 0.5")
    if not math.isfinite(value):
        raise InvalidInputError(f"{where} is {value}", fix="write a finite number")
    return float(value)


def _opt_number(value: Any, where: str) -> float | None:
    return None if value is None else _number(value, where)


def problem_to_dict(problem: PlanningProblem) -> dict:
    """The inverse of ``problem_from_dict`` (modes written out, curves expanded)."""

    def mode_dict(m: Mode) -> dict:
        out: dict = {"duration_s": m.duration_s, "demands": dict(m.demands), "cost_usd": m.cost_usd}
        if m.consumes:
            out["consumes"] = dict(m.consumes)
        if m.config is not None:
            out["config"] = m.config.to_dict()
        if m.name:
            out["name"] = m.name
        return out

    out: dict = {
        "format": FORMAT,
        "name": problem.name,
        "capacities": {k: v for k, v in problem.capacities.items() if math.isfinite(v)},
        "dags": [
            {
                "dag_id": wf.dag_id,
                "release_s": wf.release_s,
                "goals": wf.goals.to_dict(),
                "tasks": [{"task_id": t.task_id, "modes": [mode_dict(m) for m in t.modes]} for t in wf.tasks],
                "edges": [list(e) for e in wf.edges],
            }
            for wf in problem.workflows
        ],
    }
    if problem.budgets:
        out["budgets"] = dict(problem.budgets)
    if problem.reservations:
        out["reservations"] = [
            {"start_s": r.start_s, "end_s": r.end_s, "demands": dict(r.demands), "owner": r.owner}
            for r in problem.reservations
        ]
    if problem.goals is not None:
        out["goals"] = problem.goals.to_dict()
    return out

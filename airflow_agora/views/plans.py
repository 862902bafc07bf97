"""Plans on the vCPU-vs-time Gantt: where each task sits on the vCPU axis, and stored plan payloads
(see :func:`control.dag_planning.plan_dag_run`) back as :class:`Plan`."""

from __future__ import annotations

from airflow_agora.domain.cluster import ClusterConfig
from airflow_agora.domain.plan import Plan, TaskAssignment
from airflow_agora.domain.workflow import VCPUS
from airflow_agora.views.charts import PALETTE, Bar


def vcpu_bands(plan: Plan) -> dict[tuple[str, str], list[tuple[float, float]]]:
    """Where each task sits on the vCPU axis: ``(bottom, height)`` pieces, tasks placed by start time.

    A task takes the lowest free vCPUs for its whole run; when those are split by tasks already
    running, it is drawn in several pieces (a plan within capacity always has room for them).
    """
    placed: list[tuple[float, float, float, float]] = []  # start, end, bottom, top
    out: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for a in sorted(plan.assignments, key=lambda a: (a.start_s, a.task_id)):
        busy = sorted((b, t) for s, e, b, t in placed if s < a.end_s and a.start_s < e)
        pieces, need, cursor = [], a.vcpus, 0.0
        for b, t in [*busy, (float("inf"), float("inf"))]:
            if need <= 0:
                break
            if b > cursor:
                take = min(need, b - cursor)
                pieces.append((cursor, take))
                need -= take
            cursor = max(cursor, t)
        out[(a.dag_id, a.task_id)] = pieces
        placed.extend((a.start_s, a.end_s, bottom, bottom + height) for bottom, height in pieces)
    return out


def gantt_bars(plan: Plan, colors: dict[str, str] | None = None) -> list[Bar]:
    """The plan's tasks as Gantt bars; ``colors`` per task id keeps a task's colour across charts."""
    bands = vcpu_bands(plan)
    ordered = sorted(plan.assignments, key=lambda a: (a.start_s, a.task_id))
    colors = colors or {a.task_id: PALETTE[n % len(PALETTE)] for n, a in enumerate(ordered)}
    return [
        Bar(a.task_id, a.start_s, a.end_s, bands[(a.dag_id, a.task_id)],
            f"{a.task_id}: {a.mode_label or (a.config.label if a.config else '')}, {a.vcpus:g} vCPUs, "
            f"{a.start_s:,.0f}-{a.end_s:,.0f} s, ${a.cost_usd:.2f}", colors.get(a.task_id, PALETTE[0]))
        for a in ordered
    ]  # fmt: skip


def plan_from_tasks(dag_id: str, tasks: dict[str, dict]) -> Plan:
    """A :class:`Plan` from a stored payload's ``tasks`` (or its ``default["tasks"]``)."""
    assignments = []
    for task_id, entry in tasks.items():
        config = ClusterConfig.from_dict(entry["config"]) if entry.get("config") else None
        assignments.append(
            TaskAssignment(
                dag_id,
                task_id,
                0,
                float(entry["start_s"]),
                float(entry["end_s"]),
                {VCPUS: float(entry.get("vcpus") or 0.0)},
                float(entry.get("cost_usd") or 0.0),
                config,
                config.label if config else "",
            )
        )
    return Plan(tuple(assignments))

"""Charts of a trace simulation: DAG completion-time CDFs and Gantt excerpts, as SVG and one page."""

from __future__ import annotations

import math
from collections.abc import Sequence

from airflow_agora.domain.plan import Plan, TaskAssignment
from airflow_agora.domain.workflow import VCPUS
from airflow_agora.views.charts import PALETTE, Axis, Frame, Series, esc, gantt, lines
from airflow_agora.views.pages import STYLE
from airflow_agora.views.plans import gantt_bars

MAX_GANTT_TASKS = 400


def completion_cdf(completions: dict[str, Sequence[float]]) -> str:
    """Per policy, the share of DAGs completed within a time (log scale: the times span seconds to days)."""
    series = []
    for n, (policy, values) in enumerate(completions.items()):
        ordered = sorted(max(1.0, v) for v in values)
        step = max(1, len(ordered) // 200)
        points = [(math.log10(ordered[i]), (i + 1) / len(ordered)) for i in range(0, len(ordered), step)]
        if ordered:
            points.append((math.log10(ordered[-1]), 1.0))
        series.append(Series(policy, points, PALETTE[n % len(PALETTE)]))
    xs = [x for s in series for x, _ in s.points]
    frame = Frame(Axis.fitting("DAG completion time, log10 seconds", xs), Axis("share of DAGs", 0.0, 1.0), 760, 360)
    return lines("DAG completion time CDF", frame, series)


def gantt_excerpt(policy: str, runs: Sequence[tuple[str, str, float, float, float]], *, start_s: float,
                  span_s: float, capacity_vcpus: float, usd_per_vcpu_hour: float) -> str:  # fmt: skip
    """The tasks running in ``[start_s, start_s + span_s)`` on the vCPU-vs-time Gantt (the first
    :data:`MAX_GANTT_TASKS` of them), clipped to the window."""
    end_s = start_s + span_s
    inside = sorted((r for r in runs if r[2] < end_s and r[3] > start_s), key=lambda r: r[2])[:MAX_GANTT_TASKS]
    assignments = []
    for dag, task, s, e, v in inside:
        cost_usd = v * (e - s) * usd_per_vcpu_hour / 3600
        shown = (max(s, start_s) - start_s, min(e, end_s) - start_s)
        assignments.append(TaskAssignment(dag, f"{dag}/{task}", 0, *shown, {VCPUS: v}, cost_usd,
                                          mode_label=f"trace time {s:,.0f}-{e:,.0f} s"))  # fmt: skip
    title = f"{policy}: {len(inside)} tasks from {start_s:,.0f} s"
    return gantt(
        title,
        gantt_bars(Plan(assignments)),
        capacity_vcpus=capacity_vcpus,
        span_s=span_s,
        x_label=f"seconds from {start_s:,.0f} s into the trace",
    )


def report_page(policies: dict[str, dict], agora: dict[str, dict], capacity_vcpus: float,
                charts: Sequence[tuple[str, str]]) -> str:  # fmt: skip
    """A standalone page: each policy's summary, agora's figures per goal against airflow-default
    (when compared), then the charts (heading, SVG)."""
    keys = ["total_cost_usd", "mean_dag_completion_s", "p95_dag_completion_s", "makespan_s"]
    rows = "".join(_row(name, [s[k] for k in keys]) for name, s in policies.items())
    tables = f"<table>{_row('policy', keys, head=True)}{rows}</table>"
    if agora:
        heads = list(next(iter(agora.values())))
        rows = "".join(_row(f"agora {goal}", list(figures.values())) for goal, figures in agora.items())
        tables += f"<table>{_row('against airflow-default', heads, head=True)}{rows}</table>"
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Trace simulation · Agora</title>"
        f"<style>{STYLE}</style></head><body><main><h1>Trace simulation on {capacity_vcpus:,.0f} vCPUs</h1>{tables}"
        + "".join(f"<h2>{esc(h)}</h2><div>{c}</div>" for h, c in charts)
        + "</main></body></html>"
    )


def _row(label: str, values: Sequence, *, head: bool = False) -> str:
    cells = "".join(f"<th>{esc(v)}</th>" if head else f"<td class='num'>{v:,}</td>" for v in values)
    return f"<tr><{'th' if head else 'td'}>{esc(label)}</{'th' if head else 'td'}>{cells}</tr>"

"""Plans as text tables, terminal Gantt charts (vCPU vs time) and self-contained HTML/SVG."""

from __future__ import annotations

import html
import math
import string

from airflow_agora.domain.plan import Plan, PlanReport
from airflow_agora.views.charts import gantt
from airflow_agora.views.plans import gantt_bars, vcpu_bands

_GLYPHS = string.ascii_uppercase + string.ascii_lowercase + string.digits


def plan_table(report: PlanReport) -> str:
    rows = [("task", "configuration", "vCPUs", "start s", "end s", "runtime s", "cost $")]
    multi = len({a.dag_id for a in report.plan.assignments}) > 1
    for a in sorted(report.plan.assignments, key=lambda a: (a.start_s, a.dag_id, a.task_id)):
        name = f"{a.dag_id}.{a.task_id}" if multi else a.task_id
        rows.append(
            (
                name,
                a.mode_label,
                f"{a.vcpus:g}",
                f"{a.start_s:g}",
                f"{a.end_s:g}",
                f"{a.duration_s:g}",
                f"{a.cost_usd:.2f}",
            )
        )
    return text_table(rows)


def text_table(rows: list[tuple[str, ...]], left_columns: int = 2) -> str:
    """Rows of cells (the first is the header) as aligned columns: text left, figures right."""
    widths = [max(len(r[c]) for r in rows) for c in range(len(rows[0]))]
    lines = [
        "  ".join(
            cell.ljust(w) if c < left_columns else cell.rjust(w)
            for c, (cell, w) in enumerate(zip(r, widths, strict=True))
        )
        for r in rows
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def ascii_gantt(
    plan: Plan,
    capacity: float,
    *,
    width: int = 72,
    height: int = 12,
    deadline_s: float | None = None,
    span_s: float | None = None,
) -> str:
    """Time runs right, vCPUs up; each task is drawn with its letter (legend below)."""
    assignments = sorted(plan.assignments, key=lambda a: (a.start_s, a.task_id))
    if not assignments:
        return "(empty plan)"
    span = span_s or max(plan.makespan_s, deadline_s or 0.0) or 1.0
    top = capacity if math.isfinite(capacity) else max(plan.peak(), 1.0)
    bands = vcpu_bands(plan)
    grid = [[" "] * width for _ in range(height)]
    glyph = {}
    for n, a in enumerate(assignments):
        g = _GLYPHS[n % len(_GLYPHS)]
        glyph[(a.dag_id, a.task_id)] = g
        # the same rounding on both edges, so abutting tasks never share a cell
        c0 = round(a.start_s / span * width)
        c1 = max(c0 + 1, round(a.end_s / span * width))
        for bottom, size in bands[(a.dag_id, a.task_id)]:
            r0 = round(bottom / top * height)
            r1 = max(r0 + 1, round((bottom + size) / top * height))
            for r in range(r0, min(r1, height)):
                for c in range(c0, min(c1, width)):
                    grid[r][c] = "#" if grid[r][c] not in (" ", g) else g
    if deadline_s is not None and deadline_s <= span:
        col = min(width - 1, int(deadline_s / span * width))
        for r in range(height):
            if grid[r][col] == " ":
                grid[r][col] = "|"
    label_w = len(f"{top:g}")
    lines = []
    for r in reversed(range(height)):
        label = f"{top:g}" if r == height - 1 else ("0" if r == 0 else "")
        lines.append(f"{label.rjust(label_w)} ┤{''.join(grid[r])}")
    lines.append(" " * label_w + " └" + "─" * width)
    right = f"{span:g} s"
    lines.append(" " * (label_w + 2) + "0" + right.rjust(width - 1))
    legend = "  ".join(f"{glyph[(a.dag_id, a.task_id)]}={a.task_id}" for a in assignments)
    lines.append(" " * (label_w + 2) + legend + ("   |=SLA" if deadline_s is not None else ""))
    return "\n".join(lines)


def html_report(title: str, charts: list[tuple[str, Plan]], capacity: float, deadline_s: float | None) -> str:
    """A self-contained page (no scripts, no CDN) with one SVG Gantt per plan."""
    span = max([p.makespan_s for _, p in charts] + [deadline_s or 0.0]) or 1.0
    top = capacity if math.isfinite(capacity) else max(max(p.peak() for _, p in charts), 1.0)
    parts = [
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>",
        "<style>body{font-family:sans-serif;margin:24px}svg{border:1px solid #ccc}text{font-size:11px}"
        ".grid{stroke:#eee}.axis{stroke:#999}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
    ]
    for name, plan in charts:
        heading = f"{name}: makespan {plan.makespan_s:g} s, cost ${plan.cost_usd:.2f}"
        parts.append(f"<h2>{html.escape(heading)}</h2>")
        parts.append(gantt(heading, gantt_bars(plan), capacity_vcpus=top, span_s=span, sla_s=deadline_s))
    parts.append("</body></html>")
    return "\n".join(parts)

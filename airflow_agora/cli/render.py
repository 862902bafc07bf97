"""Plans as text tables, terminal Gantt charts (vCPU vs time) and self-contained HTML/SVG."""

from __future__ import annotations

import html
import math
import string

from airflow_agora.domain.plan import Plan, PlanReport

_GLYPHS = string.ascii_uppercase + string.ascii_lowercase + string.digits


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
        "<style>body{font-family:sans-serif;margin:24px}svg{border:1px solid #ccc}"
        "text{font-size:11px}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
    ]
    palette = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7"]
    w, hgt, pad = 900, 260, 40
    for name, plan in charts:
        bands = vcpu_bands(plan)
        parts.append(f"<h2>{html.escape(name)}: makespan {plan.makespan_s:g} s, cost ${plan.cost_usd:.2f}</h2>")
        parts.append(f"<svg width='{w + 2 * pad}' height='{hgt + 2 * pad}' role='img'>")
        for n, a in enumerate(sorted(plan.assignments, key=lambda a: (a.start_s, a.task_id))):
            x = pad + a.start_s / span * w
            title = f"{html.escape(a.task_id)}: {html.escape(a.mode_label)}, {a.start_s:g}-{a.end_s:g} s"
            for k, (bottom, size) in enumerate(bands[(a.dag_id, a.task_id)]):
                y = pad + hgt - (bottom + size) / top * hgt
                parts.append(
                    f"<rect x='{x:.1f}' y='{y:.1f}' width='{max(1.0, a.duration_s / span * w):.1f}' "
                    f"height='{size / top * hgt:.1f}' fill='{palette[n % len(palette)]}' stroke='white'>"
                    f"<title>{title}</title></rect>"
                )
                if k == 0:
                    parts.append(f"<text x='{x + 3:.1f}' y='{y + 12:.1f}' fill='white'>{html.escape(a.task_id)}</text>")
        parts.append(f"<line x1='{pad}' y1='{pad}' x2='{pad + w}' y2='{pad}' stroke='#999' stroke-dasharray='4'/>")
        parts.append(f"<text x='{pad}' y='{pad - 4}'>capacity {top:g} vCPUs</text>")
        if deadline_s is not None:
            x = pad + deadline_s / span * w
            parts.append(
                f"<line x1='{x:.1f}' y1='{pad}' x2='{x:.1f}' y2='{pad + hgt}' stroke='red'/>"
                f"<text x='{x + 3:.1f}' y='{pad + hgt - 4}' fill='red'>SLA {deadline_s:g} s</text>"
            )
        parts.append(
            f"<text x='{pad}' y='{pad + hgt + 16}'>0 s</text>"
            f"<text x='{pad + w - 40}' y='{pad + hgt + 16}'>{span:g} s</text></svg>"
        )
    parts.append("</body></html>")
    return "\n".join(parts)

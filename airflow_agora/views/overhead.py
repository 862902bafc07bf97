"""The UI's overhead page: a DAG run's tasks as a timeline of their segments (where each task's time
went, from when it became ready to when it ended), the merge advice and the per-task table."""

from __future__ import annotations

from urllib.parse import quote

from airflow_agora.views.charts import PALETTE, esc
from airflow_agora.views.pages import fact_cards, layout

SEGMENT_COLORS = {
    "scheduler_delay": "#e57373", "pre_execution": "#ffb74d", "retries": "#8d6e63", "cluster_startup": "#ba68c8",
    "session_start": "#9575cd", "compute": "#43a047", "tail": "#90a4ae", "other": "#bdbdbd",
}  # fmt: skip
ROW_PX, LEFT_PX, WIDTH_PX = 18, 170, 900


def overhead_url(base: str, dag_id: str) -> str:
    return f"{base}/dags/{quote(dag_id, safe='')}/overhead"


def _name(segment: str) -> str:
    return esc(segment.replace("_", " "))


def timeline_svg(run: dict, segments: list[str]) -> str:
    """Each task a row, its segments laid end to end from when it became ready; x is seconds from
    the run's first ready task."""
    tasks = [t for t in run["per_task"] if t["ready_at"] is not None]
    if not tasks:
        return "<p class='muted'>No task of this run has times to draw.</p>"
    t0 = min(t["ready_at"] for t in tasks)
    tasks.sort(key=lambda t: (t["ready_at"], t["key"]))
    span = max(t["ready_at"] + t["total"] - t0 for t in tasks) or 1.0
    scale = (WIDTH_PX - LEFT_PX - 10) / span
    height = ROW_PX * len(tasks) + 30
    parts = []
    for row, t in enumerate(tasks):
        y = 4 + row * ROW_PX
        x = LEFT_PX + (t["ready_at"] - t0) * scale
        parts.append(f"<text x='{LEFT_PX - 6}' y='{y + 12}' text-anchor='end'>{esc(t['key'][:28])}</text>")
        for s in segments:
            w = t[s] * scale
            if w > 0:
                parts.append(f"<rect x='{x:.1f}' y='{y}' width='{max(w, 0.5):.1f}' height='{ROW_PX - 4}' "
                             f"fill='{SEGMENT_COLORS.get(s, PALETTE[0])}' data-segment='{s}'>"
                             f"<title>{esc(t['key'])}: {_name(s)} {t[s]:.2f} s</title></rect>")  # fmt: skip
                x += w
    axis_y = height - 12
    ticks = "".join(
        f"<text x='{LEFT_PX + f * span * scale:.0f}' y='{axis_y + 10}' text-anchor='middle'>{f * span:.1f} s</text>"
        for f in (0, 0.25, 0.5, 0.75, 1)
    )
    return (f"<svg class='chart timeline' width='{WIDTH_PX}' height='{height + 8}' role='img'>"
            f"<title>Where each task's time went</title>{''.join(parts)}{ticks}</svg>")  # fmt: skip


def _legend(segments: list[str]) -> str:
    return "".join(
        f"<span class='card' style='border-left:12px solid {SEGMENT_COLORS[s]}'>{_name(s)}</span>" for s in segments
    )


def _advice_rows(chains: list[dict]) -> str:
    def usd(c: dict) -> str:
        return "-" if c["net_saving_usd"] is None else f"{c['net_saving_usd']:.2f}"

    return "".join(
        f"<tr class='{'merge' if c['merge'] else 'keep'}'><td><b>{'merge' if c['merge'] else 'keep'}</b></td>"
        f"<td>{esc(' → '.join(c['tasks']))}</td><td class='num'>{c['overhead_s']:.1f}</td>"
        f"<td class='num'>{c['execution_s']:.1f}</td><td class='num'>{c['saving_s']:.1f}</td>"
        f"<td class='num'>{c['added_retry_s']:.1f}</td><td class='num'>{c['net_saving_s']:.1f}</td>"
        f"<td class='num'>{usd(c)}</td><td>{'yes' if c['on_critical_path'] else ''}</td>"
        f"<td>{esc(c['reason'])}</td></tr>"
        for c in chains
    )


def overhead_page(report: dict | None, *, dag_id: str, base: str, last: int, error: str | None = None) -> str:
    """The page of :func:`~airflow_agora.overhead.dag_report.analyse_dag`'s report (or of why there is
    none): the latest analysed run's timeline and figures, then the advice over all analysed runs."""
    title = f"Overhead of {dag_id}"
    form = (f"<form method='get' class='goals'>Runs analysed <input name='last' type='number' min='1' max='50' "
            f"value='{last}'> <button>Analyse</button></form>")  # fmt: skip
    if report is None or not report["runs"]:
        body = (f"<h1>{esc(title)}</h1><div class='empty'><h2>Nothing to analyse</h2><p>{esc(error or '')}</p>"
                "<p>The analysis reads the DAG's finished runs from Airflow.</p></div>")  # fmt: skip
        return layout(title, body, base)
    run = report["runs"][-1]
    segments = report["segments"]
    facts = [
        ("run", run["run_id"]), ("duration", f"{run['duration_s'] or 0:,.1f} s"), ("tasks", run["tasks"]),
        ("depth", run["depth"]), ("width", run["width"]),
        ("overhead on the critical path", f"{run['critical_overhead_s']:,.1f} s ({run['critical_overhead_pct']}%)"),
        ("overhead, all tasks", f"{run['totals_s']['overhead']:,.1f} s"),
        ("compute, all tasks", f"{run['totals_s']['compute']:,.1f} s"),
    ]  # fmt: skip
    cards = fact_cards(facts)
    chains = report["chains"]
    advice = (
        "<table class='advice'><tr><th></th><th>chain</th><th>overhead s</th><th>compute s</th><th>saves s</th>"
        "<th>retries add s</th><th>net s</th><th>net $</th><th>critical path</th><th>why</th></tr>"
        f"{_advice_rows(chains)}</table>"
        if chains
        else "<p class='muted'>No linear chain of two or more tasks: nothing to merge.</p>"
    )
    groups = "".join(
        f"<li><b>{esc(g['entry_point'])}</b>: {esc(', '.join(g['tasks']))}</li>"
        for g in report["grouping"]
        if len(g["tasks"]) > 1
    )
    head = "".join(f"<th>{_name(s)}</th>" for s in segments)
    rows = "".join(
        f"<tr><td>{esc(t['key'])}</td><td>{esc(t['state'])}</td><td class='num'>{t['try_number']}</td>"
        + "".join(f"<td class='num'>{t[s]:.2f}</td>" for s in segments)
        + f"<td class='num'><b>{t['overhead']:.2f}</b></td></tr>"
        for t in sorted(run["per_task"], key=lambda t: -t["overhead"])
    )
    notes = "".join(f"<li>{esc(n)}</li>" for n in [*report.get("notes", []), *run["warnings"]])
    body = (
        f"<h1>{esc(title)}</h1>{form}<div class='cards'>{cards}</div>"
        + (f"<ul class='muted'>{notes}</ul>" if notes else "")
        + f"<h2>Where each task's time went</h2><div class='cards'>{_legend(segments)}</div>"
        + timeline_svg(run, segments)
        + f"<h2>Merge advice over {len(report['runs'])} run(s)</h2>{advice}"
        + (f"<h2>Suggested grouping</h2><ul class='grouping'>{groups}</ul>" if groups else "")
        + f"<h2>Tasks</h2><table class='tasks'><tr><th>task</th><th>state</th><th>tries</th>{head}"
        f"<th>overhead</th></tr>{rows}</table>"
    )
    return layout(title, body, base)

"""The UI plugin's pages as HTML strings, from history values: no Airflow, no web framework, no
assets from elsewhere (styles inline, charts as SVG from :mod:`views.charts`).

``base`` is where the plugin is mounted (``/agora``); every link is built on it.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import quote

from airflow_agora.control.controller import is_drift_reason
from airflow_agora.domain.project import Project, Recommendation, RunRecord
from airflow_agora.views.charts import PALETTE, Axis, Frame, Point, Series, esc, gantt, lines, scatter
from airflow_agora.views.plans import gantt_bars, plan_from_tasks

STYLE = """
body{font-family:system-ui,sans-serif;margin:0;color:#222;background:#fafafa}
header{background:#017cee;color:white;padding:10px 20px}header a{color:white;margin-right:16px;text-decoration:none}
main{padding:16px 20px;max-width:1200px}h1{font-size:20px}h2{font-size:16px;margin-top:24px}
table{border-collapse:collapse;background:white;font-size:13px}
td,th{border:1px solid #ddd;padding:4px 8px;text-align:left}
td.num{text-align:right}.ok{color:#2a7d2a}.miss{color:#c62828}.muted{color:#777}
.empty{background:white;border:1px dashed #bbb;padding:16px;max-width:760px}
.cards{display:flex;gap:12px;flex-wrap:wrap}.card{background:white;border:1px solid #ddd;padding:8px 12px}
svg.chart{background:white;border:1px solid #ddd}svg text{font-size:11px}.grid{stroke:#eee}.axis{stroke:#999}
form.goals input,form.goals select{margin-right:8px}code{background:#eee;padding:1px 4px}
"""


def layout(title: str, body: str, base: str) -> str:
    return (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{esc(title)} · Agora</title>"
        f"<style>{STYLE}</style></head><body><header><a href='{base}/'><b>Agora</b></a>"
        f"<a href='{base}/'>Projects</a><a href='{base}/plans'>Plans</a></header><main>{body}</main></body></html>"
    )


def fact_cards(facts: Sequence[tuple[str, object]]) -> str:
    """Labelled figures as cards (``data-fact`` names each, for the tests)."""
    return "".join(f"<div class='card' data-fact='{esc(k)}'>{esc(k)}<br><b>{esc(v)}</b></div>" for k, v in facts)


def project_url(base: str, name: str) -> str:
    return f"{base}/projects/{quote(name, safe='')}"


def plan_url(base: str, dag_id: str, run_id: str) -> str:
    return f"{base}/dags/{quote(dag_id, safe='')}/runs/{quote(run_id, safe='')}"


def goal_text(project: Project) -> str:
    """The project's set point in words: its goal group on the overview."""
    sp = project.set_point
    parts = ([f"SLA {sp.sla_s:,.0f} s"] if sp.sla_s else []) + (
        [f"cost ≤ ${sp.cost_target_usd:.2f}"] if sp.cost_target_usd else []
    )
    return ", ".join(parts) or "cheapest"


def meets_goal(project: Project, run: RunRecord | None) -> bool | None:
    """Whether the latest run met the set point (None before any run)."""
    if run is None:
        return None
    sp = project.set_point
    return (
        run.succeeded
        and (sp.sla_s is None or run.runtime_s <= sp.sla_s)
        and (sp.cost_target_usd is None or run.cost_usd is None or run.cost_usd <= sp.cost_target_usd)
    )


def _state(flag: bool | None) -> str:
    return {True: "<span class='ok'>meets</span>", False: "<span class='miss'>misses</span>"}.get(
        flag, "<span class='muted'>no run yet</span>"
    )


EMPTY_OVERVIEW = """<div class='empty'><h2>No projects yet</h2>
<p>A project appears here when an Agora task first runs: use <code>AgoraDatabricksSubmitRunOperator</code>,
<code>AgoraEmrCreateJobFlowOperator</code> or an <code>@agora_dag</code> in a DAG, or put
<code>AgoraPredictOperator</code> after your own Spark task. You can also create one with
<code>agora projects create NAME --sla-s 900</code>.</p>
<p>The history database is <code>{url}</code>; if your tasks record elsewhere, set <code>[agora] sql_alchemy_conn</code>
for the API server too.</p></div>"""


def overview_page(summaries: Sequence[tuple[Project, int, RunRecord | None]], *, base: str, history_url: str) -> str:
    """Every project on a cost vs runtime scatter (latest run), coloured by goal group, hollow when it
    misses its goal; the group goal form; and the table of projects."""
    if not summaries:
        return layout("Projects", "<h1>Projects</h1>" + EMPTY_OVERVIEW.format(url=esc(history_url)), base)
    groups = list(dict.fromkeys(goal_text(p) for p, _, _ in summaries))
    color = {g: PALETTE[n % len(PALETTE)] for n, g in enumerate(groups)}
    ran = [(p, n, r) for p, n, r in summaries if r is not None and r.cost_usd is not None]
    points = [
        Point(r.runtime_s, r.cost_usd, f"{p.name}: {r.runtime_s:,.0f} s, ${r.cost_usd:.2f} ({goal_text(p)})",
              color[goal_text(p)], project_url(base, p.name), hollow=not meets_goal(p, r), kind="project")
        for p, _, r in ran
    ]  # fmt: skip
    chart = scatter(
        "Projects: cost vs runtime of the latest run",
        Axis.fitting("runtime of the latest run (s)", [pt.x for pt in points]),
        Axis.fitting("cost of the latest run ($)", [pt.y for pt in points]),
        points,
        width=760,
    )
    meeting = sum(1 for p, _, r in summaries if meets_goal(p, r))
    legend = " ".join(
        f"<span style='color:{color[g]}'>●</span> {esc(g)} ({sum(1 for p, _, _ in summaries if goal_text(p) == g)})"
        for g in groups
    )
    rows = "".join(
        f"<tr data-project='{esc(p.name)}'><td><a href='{project_url(base, p.name)}'>{esc(p.name)}</a></td>"
        f"<td>{esc(p.dag_id or '')}</td><td>{esc(', '.join(p.tags))}</td><td>{esc(goal_text(p))}</td>"
        f"<td>{esc(p.phase)}</td><td class='num'>{n}</td>"
        f"<td class='num'>{f'{r.runtime_s:,.0f}' if r else ''}</td>"
        f"<td class='num'>{f'{r.cost_usd:.2f}' if r and r.cost_usd is not None else ''}</td>"
        f"<td>{_state(meets_goal(p, r))}</td></tr>"
        for p, n, r in summaries
    )
    body = (
        f"<h1>Projects</h1><p class='summary'>{len(summaries)} projects, {meeting} meet their goal on their latest "
        f"run. Hollow marks miss it.</p>{chart}<p>{legend}</p>{GOALS_FORM.format(base=base)}"
        "<h2>All projects</h2><table class='projects'><tr><th>project</th><th>DAG</th><th>tags</th><th>goal</th>"
        f"<th>phase</th><th>runs</th><th>runtime s</th><th>cost $</th><th>latest run</th></tr>{rows}</table>"
    )
    return layout("Projects", body, base)


GOALS_FORM = """<h2>Set goals for a group</h2>
<form class='goals' id='goals'>
<select name='by'><option value='tag'>tag</option><option value='dag_id'>DAG id</option>
<option value='pattern'>name pattern</option></select><input name='value' placeholder='nightly or sales.*' required>
SLA s <input name='sla_s' type='number' min='1' step='any' size='7'> cost target $
<input name='cost_target_usd' type='number' min='0.01' step='any' size='7'>
<button type='submit'>Set goals</button> <span id='goals-result' role='status'></span>
<p class='muted'>An empty field clears that goal. The group's controllers take the new set points from
their next run.</p>
</form>
<script>
document.getElementById('goals').addEventListener('submit', async (event) => {{
  event.preventDefault();
  const form = new FormData(event.target);
  const number = (name) => form.get(name) === '' ? null : Number(form.get(name));
  const body = {{[form.get('by')]: form.get('value'), sla_s: number('sla_s'),
                cost_target_usd: number('cost_target_usd')}};
  const answer = await fetch('{base}/api/goals', {{method: 'POST', credentials: 'same-origin',
    headers: {{'Content-Type': 'application/json'}}, body: JSON.stringify(body)}});
  const result = await answer.json();
  document.getElementById('goals-result').textContent = answer.ok
    ? `${{result.updated.length}} project(s) updated` : `not updated: ${{result.detail}}`;
  if (answer.ok) setTimeout(() => location.reload(), 800);
}});
</script>"""


def project_page(project: Project, runs: Sequence[RunRecord], recommendations: Sequence[Recommendation],
                 prediction: dict | None, *, base: str) -> str:  # fmt: skip
    """Cost and runtime per run against the set point, phases, reverts and drift marked; the current
    recommendation with its predicted range; the model's self-check error."""
    based_on = {r.based_on_run: r for r in recommendations if r.based_on_run}
    sp = project.set_point
    head = (
        f"<h1>{esc(project.name)}</h1><div class='cards'>"
        f"<div class='card'>goal<br><b>{esc(goal_text(project))}</b></div>"
        f"<div class='card'>phase<br><b class='phase'>{esc(project.phase)}</b></div>"
        f"<div class='card'>runs<br><b>{len(runs)}</b></div>"
        f"<div class='card'>DAG / task<br><b>{esc(project.dag_id or '-')} / {esc(project.task_id or '-')}</b></div>"
        f"<div class='card'>platform<br><b>{esc(project.platform)}</b></div></div>"
    )
    if not runs:
        body = head + (
            "<div class='empty'><h2>No runs yet</h2><p>The first run of this task starts from the configuration "
            "written in the DAG (the learning phase); its cost and runtime appear here once it is recorded.</p></div>"
        )
        return layout(project.name, body, base)
    marks = []
    for n, r in enumerate(runs, 1):
        rec = based_on.get(r.run_key)
        reason = rec.reason if rec else ""
        kind = "revert" if reason.startswith("revert") else ("drift" if is_drift_reason(reason) else "")
        marks.append((n, r, rec, kind))
    runtime_frame = Frame(Axis("run", 0, max(1, len(runs)) + 1),
                          Axis.fitting("runtime (s)", [r.runtime_s for r in runs] + [sp.sla_s]), 760, 260)  # fmt: skip
    cost_frame = Frame(runtime_frame.x, Axis.fitting("cost ($)", [r.cost_usd for r in runs] + [sp.cost_target_usd]),
                       760, 260)  # fmt: skip
    for frame in (runtime_frame, cost_frame):
        _phase_bands(frame, marks)
        for n, r, _, kind in marks:
            if kind:
                frame.vline(n, kind, "#d62728" if kind == "revert" else "#9467bd", kind)
            if not r.succeeded:
                frame.vline(n, f"failed: {r.failure_reason}", "#c62828", "failure")
    if sp.sla_s:
        runtime_frame.hline(sp.sla_s, f"SLA {sp.sla_s:,.0f} s", "#d62728", "sla")
    if sp.cost_target_usd:
        cost_frame.hline(sp.cost_target_usd, f"target ${sp.cost_target_usd:.2f}", "#d62728", "cost_target")
    runtime_chart = lines("Runtime per run", runtime_frame,
                          [Series("runtime s", [(n, r.runtime_s) for n, r, _, _ in marks], PALETTE[0])])  # fmt: skip
    cost_chart = lines("Cost per run", cost_frame,
                       [Series("cost $", [(n, r.cost_usd) for n, r, _, _ in marks if r.cost_usd is not None],
                               PALETTE[1])])  # fmt: skip
    current = recommendations[-1] if recommendations else None
    rec_html = "<p class='muted'>No recommendation yet.</p>"
    if current is not None:
        low, high = current.predicted_runtime_s, current.predicted_runtime_high_s
        predicted = f"{low:,.0f}–{high:,.0f} s" if low and high else f"{low:,.0f} s" if low else "not predicted"
        cost = f"${current.predicted_cost_usd:.2f}" if current.predicted_cost_usd else "-"
        rec_html = (
            f"<div class='card recommendation'><b>{esc(current.config.label)}</b> ({esc(current.phase)})<br>"
            f"predicted runtime {predicted}, cost {cost}<br><span class='muted'>{esc(current.reason)}</span></div>"
        )
    error = f"{prediction['model_error_pct']:+.1f}%" if prediction and "model_error_pct" in prediction else "-"
    rows = "".join(
        f"<tr><td class='num'>{n}</td><td>{esc(r.run_key)}</td><td>{esc(r.config.label)}</td>"
        f"<td class='num'>{r.runtime_s:,.0f}</td>"
        f"<td class='num'>{'' if r.cost_usd is None else f'{r.cost_usd:.2f}'}</td>"
        f"<td>{'ok' if r.succeeded else esc(f'failed: {r.failure_reason}')}</td>"
        f"<td>{esc(rec.phase) if rec else ''}</td>"
        f"<td>{esc(kind)}</td></tr>"
        for n, r, rec, kind in reversed(marks[-200:])
    )  # fmt: skip
    body = (
        head + "<h2>Runs against the set point</h2>"
        "<p class='muted'>Shaded: learning or re-learning phase. Dashed lines: reverts, drift and failures.</p>"
        f"{runtime_chart}{cost_chart}<h2>Current recommendation</h2>{rec_html}"
        f"<p>Model self-check error (replay of the latest profiled run at its own configuration): "
        f"<b class='self-check'>{error}</b> · <a href='{project_url(base, project.name)}/prediction'>prediction</a></p>"
        "<h2>Runs</h2><table class='runs'><tr><th>#</th><th>run</th><th>cluster</th><th>runtime s</th><th>cost $</th>"
        f"<th>outcome</th><th>phase after</th><th>event</th></tr>{rows}</table>"
    )
    return layout(project.name, body, base)


def _phase_bands(frame: Frame, marks) -> None:
    for n, _, rec, _ in marks:
        if rec is not None and rec.phase != "optimizing":
            x0, x1 = frame.px(n - 0.5), frame.px(n + 0.5)
            frame.add(f"<rect class='phase' data-phase='{esc(rec.phase)}' x='{x0:.1f}' y='16' "
                      f"width='{x1 - x0:.1f}' height='{frame.height - 60}' fill='#fff3cd'>"
                      f"<title>{esc(rec.phase)}</title></rect>")  # fmt: skip


def prediction_page(project: Project, prediction: dict | None, *, base: str) -> str:
    """Predicted runtime vs workers per instance type, and the cost/runtime Pareto front with the basis
    and the three solutions, from the latest prediction."""
    title = f"{project.name}: prediction"
    if not prediction:
        body = (f"<h1>{esc(title)}</h1><div class='empty'><h2>No prediction yet</h2>"
                "<p>A prediction is made once a run's "
                "Spark event log has been read (Databricks delivers it minutes after the run).</p></div>")  # fmt: skip
        return layout(title, body, base)
    curves = prediction.get("curves") or {}
    series = [
        Series(t, [(w, r) for w, r in pts], PALETTE[n % len(PALETTE)]) for n, (t, pts) in enumerate(curves.items())
    ]
    all_pts = [p for s in series for p in s.points]
    curve_chart = (
        lines("Predicted runtime vs workers", Frame(Axis.fitting("workers", [w for w, _ in all_pts]),
              Axis.fitting("predicted runtime (s)", [r for _, r in all_pts]), 760), series)
        if series else "<p class='muted'>This prediction has no per-type curves (made before they were kept).</p>"
    )  # fmt: skip
    named = [("basis", prediction["basis"], "#333")] + [
        (name, entry, PALETTE[3]) for name, entry in (prediction.get("solutions") or {}).items()
    ]
    pareto = prediction.get("pareto") or []
    points = [Point(e["metrics"]["runtime_s"], e["metrics"]["cost_usd"], f"Pareto: {e['label']}", PALETTE[0],
                    kind="pareto") for e in pareto]  # fmt: skip
    points += [Point(e["metrics"]["runtime_s"], e["metrics"]["cost_usd"], f"{name}: {e['label']}", color,
                     hollow=name == "basis", kind=name) for name, e, color in named]  # fmt: skip
    front = scatter("Cost vs runtime: the Pareto front, the basis and the solutions",
                    Axis.fitting("predicted runtime (s)", [p.x for p in points]),
                    Axis.fitting("predicted cost ($)", [p.y for p in points]), points, width=760)  # fmt: skip
    rows = "".join(
        f"<tr data-solution='{esc(name)}'><td>{esc(name)}</td><td>{esc(e['label'])}</td>"
        f"<td class='num'>{e['metrics']['runtime_s']:,.0f} ({e['metrics']['runtime_s_low']:,.0f}–"
        f"{e['metrics']['runtime_s_high']:,.0f})</td><td class='num'>{e['metrics']['cost_usd']:.2f} "
        f"({e['metrics']['cost_usd_low']:.2f}–{e['metrics']['cost_usd_high']:.2f})</td></tr>"
        for name, e, _ in named
    )
    body = (
        f"<h1>{esc(title)}</h1><p>Self-check error {prediction.get('model_error_pct', 0):+.1f}% · "
        f"{prediction.get('candidates_evaluated', 0)} configurations evaluated · "
        f"<a href='{project_url(base, project.name)}'>back to the project</a></p>{curve_chart}{front}"
        "<h2>Basis and solutions</h2><table class='solutions'><tr><th></th><th>cluster</th>"
        f"<th>runtime s (range)</th><th>cost $ (range)</th></tr>{rows}</table>"
    )
    return layout(title, body, base)


def goal_met(payload: dict) -> str:
    """Whether a plan meets its DAG's goal; a plan that explores untried sizes meets it only if they run
    as fast as hoped."""
    if not payload.get("goal_met"):
        return "no"
    return "if the untried sizes run as hoped" if payload.get("exploring") else "yes"


def plans_page(plans: Sequence[dict], *, base: str, dag_id: str | None = None) -> str:
    """Recent plans (of one DAG when ``dag_id``), newest first."""
    title = f"Plans of {dag_id}" if dag_id else "Plans"
    if not plans:
        body = (f"<h1>{esc(title)}</h1><div class='empty'><h2>No plans yet</h2><p>A DAG decorated with "
                "<code>@agora_dag(sla=..., objective=...)</code> is planned at the start of each run; its plans "
                "appear here.</p></div>")  # fmt: skip
        return layout(title, body, base)
    rows = "".join(
        f"<tr><td>{esc(p['dag_id'])}</td><td><a href='{plan_url(base, p['dag_id'], p['run_id'])}'>{esc(p['run_id'])}"
        f"</a></td><td>{esc(p.get('status', ''))}</td><td class='num'>{p.get('makespan_s') or 0:,.0f}</td>"
        f"<td class='num'>{p.get('cost_usd') or 0:.2f}</td><td>{goal_met(p)}</td></tr>"
        for p in plans
    )
    body = (f"<h1>{esc(title)}</h1><table class='plans'><tr><th>DAG</th><th>run</th><th>status</th>"
            f"<th>makespan s</th><th>cost $</th><th>goal met</th></tr>{rows}</table>")  # fmt: skip
    return layout(title, body, base)


def plan_page(payload: dict | None, *, dag_id: str, run_id: str, base: str) -> str:
    """A DAG run's plan as a vCPU-vs-time Gantt against capacity, next to default scheduling of the
    same tasks, with the SLA line, the lower bound and the gap."""
    title = f"Plan of {dag_id} / {run_id}"
    if payload is None:
        body = (f"<h1>{esc(title)}</h1><div class='empty'><h2>This run has no plan</h2><p>Only runs of DAGs decorated "
                f"with <code>@agora_dag</code> are planned. <a href='{base}/dags/{quote(dag_id, safe='')}'>Other plans "
                "of this DAG</a>.</p></div>")  # fmt: skip
        return layout(title, body, base)
    capacity = float(payload.get("capacity_vcpus") or 0)
    sla = (payload.get("goals") or {}).get("deadline_s")
    planned = plan_from_tasks(dag_id, payload.get("tasks") or {})
    default = payload.get("default")
    baseline = plan_from_tasks(dag_id, default["tasks"]) if default else None
    span = max(planned.makespan_s, baseline.makespan_s if baseline else 0, sla or 0) * 1.05 or 1
    order = sorted(planned.assignments, key=lambda a: (a.start_s, a.task_id))
    colors = {a.task_id: PALETTE[n % len(PALETTE)] for n, a in enumerate(order)}
    top = max(capacity, planned.peak(), baseline.peak() if baseline else 0)
    charts = "<h2>Agora's plan</h2>" + gantt("Agora's plan", gantt_bars(planned, colors), capacity_vcpus=top,
                                               span_s=span, sla_s=sla)  # fmt: skip
    if baseline:
        charts += ("<h2>Default scheduling of the same tasks</h2><p class='muted'>Each task at its fastest offered "
                   "configuration, started when its upstream tasks are done and its cluster fits, first come first "
                   "served.</p>" + gantt("Default scheduling", gantt_bars(baseline, colors), capacity_vcpus=top,
                                          span_s=span, sla_s=sla))  # fmt: skip
    lb = payload.get("makespan_lower_bound_s")
    facts = [
        ("status", payload.get("status")), ("goal met", goal_met(payload)),
        ("makespan", f"{planned.makespan_s:,.0f} s"), ("cost", f"${planned.cost_usd:.2f}"),
        ("SLA", f"{sla:,.0f} s" if sla else "-"), ("capacity", f"{capacity:g} vCPUs"),
        ("lower bound", f"{payload.get('lower_bound', 0):,.4g} ({payload.get('objective', '')})"),
        ("makespan lower bound", f"{lb:,.0f} s" if lb is not None else "-"),
        ("gap", f"{payload.get('gap_pct', 0):.1f}%"),
    ]  # fmt: skip
    if baseline:
        facts += [("default makespan", f"{baseline.makespan_s:,.0f} s"), ("default cost", f"${baseline.cost_usd:.2f}")]
    cards = fact_cards(facts)
    explanation = "".join(f"<li>{esc(x)}</li>" for x in payload.get("explanation") or [])
    rows = "".join(
        f"<tr><td>{esc(t)}</td><td>{esc(e.get('project', ''))}</td>"
        f"<td>{esc(planned.by_task()[(dag_id, t)].config.label if e.get('config') else '-')}</td>"
        f"<td class='num'>{e['start_s']:,.0f}</td><td class='num'>{e['end_s']:,.0f}</td>"
        f"<td class='num'>{e.get('vcpus', 0):g}</td><td class='num'>{e.get('cost_usd', 0):.2f}</td>"
        f"<td>{esc(e.get('source', ''))}</td></tr>"
        for t, e in sorted((payload.get("tasks") or {}).items(), key=lambda kv: kv[1]["start_s"])
    )
    body = (
        f"<h1>{esc(title)}</h1><div class='cards'>{cards}</div>"
        + (f"<ul class='explanation'>{explanation}</ul>" if explanation else "")
        + charts
        + "<h2>Tasks</h2><table class='tasks'><tr><th>task</th><th>project</th><th>cluster</th><th>start s</th>"
        f"<th>end s</th><th>vCPUs</th><th>cost $</th><th>from</th></tr>{rows}</table>"
    )
    return layout(title, body, base)

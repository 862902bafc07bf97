"""``agora plan FILE``: plan a workflow file and show it next to default scheduling."""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

from airflow_agora.domain.errors import InvalidInputError
from airflow_agora.domain.plan import PlanReport
from airflow_agora.domain.problem import override_goals
from airflow_agora.domain.workflow import VCPUS
from airflow_agora.domain.workflow_file import load_problem

EXAMPLES = Path(__file__).resolve().parent.parent / "data" / "workflows"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "plan",
        help="plan a workflow file: configuration and start of every task",
        description="Plan a workflow file (docs/workflow-format.md). FILE may also name a shipped example "
        f"({', '.join(sorted(x.stem for x in EXAMPLES.glob('*.json')))}).",
    )
    p.add_argument("file", help="workflow JSON file, or the name of a shipped example")
    p.add_argument("--objective", choices=["makespan", "cost", "balanced"], help="planning goal (default: the file's)")
    p.add_argument("--deadline-s", type=_positive, help="SLA in seconds from the DAG's start")
    p.add_argument("--budget-usd", type=_positive, help="cost cap in dollars")
    p.add_argument("--capacity-vcpus", type=_positive, help="shared vCPU capacity")
    p.add_argument("--time-limit-s", type=_positive, default=10.0, help="solver time limit (default 10)")
    p.add_argument("--deterministic", action="store_true", help="one worker, fixed seed: same plan every run")
    p.add_argument("--out", type=Path, help="write the Gantt charts as .html or .svg")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of tables")
    p.set_defaults(handler=run)


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be a positive number")
    return value


def resolve_workflow(name: str) -> Path:
    path = Path(name)
    if path.exists():
        return path
    shipped = EXAMPLES / f"{name.removesuffix('.json')}.json"
    if shipped.exists():
        return shipped
    return path  # load_problem reports "file not found"


def run(args: argparse.Namespace) -> int:
    from airflow_agora.planning import Planner, PlannerOptions, check_plan, default_plan

    problem = load_problem(resolve_workflow(args.file))
    problem = override_goals(
        problem,
        objective=args.objective,
        deadline_s=args.deadline_s,
        budget_usd=args.budget_usd,
        capacity_vcpus=args.capacity_vcpus,
    )
    report = Planner(PlannerOptions(time_limit_s=args.time_limit_s, deterministic=args.deterministic)).plan(problem)
    check_plan(problem, report.plan, check_goals=report.goal_met)
    baseline = default_plan(problem)
    deadline = _single_deadline(problem)
    capacity = problem.capacities.get(VCPUS, math.inf)
    if args.out:
        _write_out(args.out, problem.name, report, baseline, capacity, deadline)
    if args.json:
        doc = report.to_dict()
        doc["baseline"] = {
            "name": "default scheduling, fastest configuration per task",
            "makespan_s": baseline.makespan_s,
            "cost_usd": round(baseline.cost_usd, 6),
            "meets_deadline": deadline is None or baseline.makespan_s <= deadline,
            "tasks": [a.to_dict() for a in baseline.assignments],
        }
        print(json.dumps(doc, indent=1))
    else:
        print(_text(problem.name, problem.objective.value, report, baseline, capacity, deadline))
    return 0 if report.goal_met else 1


def _single_deadline(problem) -> float | None:
    if len(problem.workflows) != 1:
        return None
    return problem.goals_for(problem.workflows[0]).deadline_s


def _text(name: str, objective: str, report: PlanReport, baseline, capacity: float, deadline: float | None) -> str:
    from airflow_agora.cli.render import ascii_gantt, plan_table

    span = max(report.makespan_s, baseline.makespan_s, deadline or 0)
    sla = f", SLA {deadline:g} s" if deadline is not None else ""
    cap = f"{capacity:g} vCPUs" if math.isfinite(capacity) else "unlimited vCPUs"
    out = [f"Workflow {name}: objective {objective}{sla}, capacity {cap}", ""]
    verdict = "meets the goal" if report.goal_met else "MISSES THE GOAL"
    out.append(
        f"agora plan: {verdict}; makespan {report.makespan_s:g} s, cost ${report.cost_usd:.2f}; "
        f"status {report.status.value}; lower bound {report.lower_bound:.6g} (gap {report.gap_pct:.2f}%); "
        f"solved in {report.solve_s:.3f} s"
    )
    for reason in report.explanation:
        out.append(f"  why: {reason}")
    if not report.goal_met:
        out.append("  showing the fastest plan instead")
    out += ["", plan_table(report), "", ascii_gantt(report.plan, capacity, deadline_s=deadline, span_s=span), ""]
    meets = "" if deadline is None else (" (meets the SLA)" if baseline.makespan_s <= deadline else " (misses the SLA)")
    out.append(
        f"default scheduling, each task at its fastest configuration: makespan {baseline.makespan_s:g} s{meets}, "
        f"cost ${baseline.cost_usd:.2f}"
    )
    out += [ascii_gantt(baseline, capacity, deadline_s=deadline, span_s=span), ""]
    if baseline.cost_usd > 0:
        out.append(
            f"agora vs default: makespan {_pct(report.makespan_s, baseline.makespan_s)}, "
            f"cost {_pct(report.cost_usd, baseline.cost_usd)}"
        )
    return "\n".join(out)


def _pct(new: float, old: float) -> str:
    if old <= 0:
        return "n/a"
    return f"{100 * (new - old) / old:+.1f}%"


def _write_out(path: Path, name: str, report: PlanReport, baseline, capacity: float, deadline: float | None) -> None:
    from airflow_agora.cli.render import html_report

    if path.suffix.lower() not in (".html", ".htm", ".svg"):
        raise InvalidInputError(
            f"cannot write {path.suffix or 'a file without suffix'}",
            where=str(path),
            fix="use --out plan.html or plan.svg",
        )
    page = html_report(
        f"Plan of {name}", [("agora", report.plan), ("default scheduling", baseline)], capacity, deadline
    )
    if path.suffix.lower() == ".svg":
        start = page.index("<svg")
        page = page[start : page.index("</svg>") + 6].replace("<svg ", "<svg xmlns='http://www.w3.org/2000/svg' ", 1)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")

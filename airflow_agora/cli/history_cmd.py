"""``agora db``, ``agora projects``, ``agora runs`` and ``agora recommendations``: the history store.

Every command takes ``--db-url`` (default: ``AGORA_SQL_ALCHEMY_CONN``, ``[agora] sql_alchemy_conn``,
then ``$AIRFLOW_HOME/agora_history.db``) and ``--json``.
"""

from __future__ import annotations

import argparse
import json

from airflow_agora.cli.render import text_table
from airflow_agora.domain.errors import InvalidInputError

UNSET = object()  # an option not given (None means "clear it")


def register(sub: argparse._SubParsersAction) -> None:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db-url", metavar="URL", help="history database (SQLAlchemy URL)")
    common.add_argument("--json", action="store_true", help="print JSON")

    db = sub.add_parser("db", help="create or upgrade the history database").add_subparsers(
        dest="db_command", metavar="ACTION", required=True
    )
    db.add_parser("migrate", parents=[common], help="create the agora tables or upgrade them").set_defaults(
        handler=run_db_migrate
    )
    db.add_parser("check", parents=[common], help="say whether the schema is current").set_defaults(
        handler=run_db_check
    )

    projects = sub.add_parser("projects", help="recurring tasks under closed-loop control").add_subparsers(
        dest="projects_command", metavar="ACTION", required=True
    )
    p = projects.add_parser("list", parents=[common], help="list projects")
    _add_selectors(p)
    p.set_defaults(handler=run_projects_list)
    p = projects.add_parser("show", parents=[common], help="one project with its latest runs")
    p.add_argument("name")
    p.set_defaults(handler=run_projects_show)
    p = projects.add_parser("create", parents=[common], help="create a project")
    p.add_argument("name", help="unique name; Airflow tasks use <dag_id>.<task_id>")
    p.add_argument("--platform", choices=["databricks", "emr", "emr_serverless", "generic"], default="generic")
    p.add_argument("--dag-id")
    p.add_argument("--task-id")
    p.add_argument("--tag", action="append", default=[], dest="tags", help="repeatable")
    p.add_argument("--instance-type", help="the configuration of the first run (with --workers)")
    p.add_argument("--workers", type=int)
    _add_goal_arguments(p)
    p.set_defaults(handler=run_projects_create)
    p = projects.add_parser(
        "update", parents=[common], help="change goals of one project, or of a group (--tag, --dag-id, --pattern)"
    )
    p.add_argument("name", nargs="?", help="one project; or select a group with the options below")
    _add_selectors(p)
    _add_goal_arguments(p)
    p.set_defaults(handler=run_projects_update)
    p = projects.add_parser("reset", parents=[common], help="forget what the controller learned (runs stay)")
    p.add_argument("name")
    p.set_defaults(handler=run_projects_reset)
    p = projects.add_parser("delete", parents=[common], help="delete a project with its runs")
    p.add_argument("name")
    p.add_argument("--yes", action="store_true", help="do not ask")
    p.set_defaults(handler=run_projects_delete)

    runs = sub.add_parser("runs", help="recorded runs").add_subparsers(
        dest="runs_command", metavar="ACTION", required=True
    )
    p = runs.add_parser("list", parents=[common], help="a project's runs, newest last")
    p.add_argument("project")
    p.add_argument("--limit", type=int, default=50)
    p.set_defaults(handler=run_runs_list)

    recs = sub.add_parser("recommendations", help="the controller's proposals").add_subparsers(
        dest="recommendations_command", metavar="ACTION", required=True
    )
    p = recs.add_parser("show", parents=[common], help="a project's current recommendation and its history")
    p.add_argument("project")
    p.add_argument("--limit", type=int, default=10)
    p.set_defaults(handler=run_recommendations_show)


def _add_selectors(p: argparse.ArgumentParser) -> None:
    p.add_argument("--tag", dest="select_tag", help="projects carrying this tag")
    p.add_argument("--dag-id", dest="select_dag_id", help="projects of this DAG")
    p.add_argument("--pattern", help="shell-style name pattern, e.g. 'sales.*'")


def _optional_float(text: str) -> float | None:
    if text.strip().lower() in ("none", "off", ""):
        return None
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number or 'none', got {text!r}") from None


def _add_goal_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--sla-s", type=_optional_float, default=UNSET, help="runtime SLA in seconds ('none' clears it)")
    p.add_argument(
        "--cost-target-usd", type=_optional_float, default=UNSET, help="cost per run to aim for ('none' clears it)"
    )
    p.add_argument("--instance-types", nargs="+", metavar="TYPE", help="instance types the controller may choose")
    p.add_argument("--min-workers", type=int)
    p.add_argument("--max-workers", type=int)


def _store(args: argparse.Namespace, *, check_schema: bool = True):
    from airflow_agora.history import HistoryStore

    return HistoryStore.open(args.db_url, check_schema=check_schema)


def run_db_migrate(args: argparse.Namespace) -> int:
    from airflow_agora.history.schema import migrate

    store = _store(args, check_schema=False)
    before, after = migrate(store.engine)
    if args.json:
        print(json.dumps({"url": store.url, "from_revision": before, "to_revision": after}))
    elif before == after:
        print(f"{store.url}: already at revision {after}")
    else:
        print(f"{store.url}: migrated {before or 'empty database'} -> {after}")
    return 0


def run_db_check(args: argparse.Namespace) -> int:
    from airflow_agora.history.schema import current_revision, head_revision

    store = _store(args)  # raises with the fix when not current
    if args.json:
        print(json.dumps({"url": store.url, "revision": current_revision(store.engine), "current": True}))
    else:
        print(f"{store.url}: schema current (revision {head_revision()})")
    return 0


def _goal_changes(args: argparse.Namespace, project) -> dict:
    from airflow_agora.domain.project import AllowedConfigs, SetPoint

    changes = {}
    goals = {name: getattr(args, name) for name in ("sla_s", "cost_target_usd") if getattr(args, name) is not UNSET}
    if goals:
        changes["set_point"] = SetPoint.from_dict(project.set_point.to_dict() | goals)
    limits = {name: getattr(args, name) for name in ("instance_types", "min_workers", "max_workers")}
    limits = {name: value for name, value in limits.items() if value is not None}
    if limits:
        changes["allowed"] = AllowedConfigs.from_dict(project.allowed.to_dict() | limits)
    return changes


def run_projects_create(args: argparse.Namespace) -> int:
    from airflow_agora.domain.cluster import ClusterConfig
    from airflow_agora.domain.project import Project

    initial = None
    if args.instance_type or args.workers is not None:
        if not (args.instance_type and args.workers is not None):
            raise InvalidInputError("--instance-type and --workers go together", fix="give both, or neither")
        initial = ClusterConfig(args.instance_type, args.workers, platform=args.platform)
    blank = Project(args.name, platform=args.platform, dag_id=args.dag_id, task_id=args.task_id, tags=tuple(args.tags))
    project = blank.with_changes(initial_config=initial, **_goal_changes(args, blank))
    stored = _store(args).create_project(project)
    _print_projects(args, [stored], one=True)
    return 0


def run_projects_update(args: argparse.Namespace) -> int:
    store = _store(args)
    selectors = (args.select_tag, args.select_dag_id, args.pattern)
    if args.name and any(selectors):
        raise InvalidInputError("give a project name or a group selector, not both")
    if args.name:
        targets = [store.get_project(args.name)]
    elif any(selectors):
        targets = store.list_projects(tag=args.select_tag, dag_id=args.select_dag_id, pattern=args.pattern)
        if not targets:
            raise InvalidInputError("no project matches the selection", fix="check with `agora projects list`")
    else:
        raise InvalidInputError("say which projects to update", fix="give a NAME, --tag, --dag-id or --pattern")
    updated = []
    for project in targets:
        changes = _goal_changes(args, project)
        updated.append(store.update_project(project.name, **changes) if changes else project)
    _print_projects(args, updated, one=bool(args.name))
    return 0


def run_projects_list(args: argparse.Namespace) -> int:
    projects = _store(args).list_projects(tag=args.select_tag, dag_id=args.select_dag_id, pattern=args.pattern)
    if not projects and not args.json:
        print("no projects yet: Agora operators create one per task on their first run, or use `agora projects create`")
        return 0
    _print_projects(args, projects, one=False)
    return 0


def run_projects_show(args: argparse.Namespace) -> int:
    store = _store(args)
    project = store.get_project(args.name)
    runs = store.list_runs(project.name, limit=10)
    count = store.count_runs(project.name)
    current = store.latest_recommendation(project.name)
    if args.json:
        out = project.to_dict() | {
            "runs": count,
            "latest_runs": [r.to_dict() for r in runs],
            "recommendation": current.to_dict() if current else None,
        }
        print(json.dumps(out, indent=1))
        return 0
    _print_projects(args, [project], one=True)
    print(f"runs: {count}")
    if runs:
        print(_runs_table(runs))
    print(f"recommendation: {current.config.label} ({current.reason})" if current else "recommendation: none yet")
    return 0


def run_projects_reset(args: argparse.Namespace) -> int:
    project = _store(args).reset_project(args.name)
    if args.json:
        print(json.dumps(project.to_dict()))
    else:
        print(f"{project.name}: controller state cleared, back to {project.phase}")
    return 0


def run_projects_delete(args: argparse.Namespace) -> int:
    store = _store(args)
    project = store.get_project(args.name)
    if not args.yes:
        answer = input(f"delete {project.name} and its {store.count_runs(project.name)} runs? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            print("kept")
            return 0
    store.delete_project(project.name)
    print(json.dumps({"deleted": project.name}) if args.json else f"deleted {project.name}")
    return 0


def run_runs_list(args: argparse.Namespace) -> int:
    store = _store(args)
    runs = store.list_runs(args.project, limit=args.limit)
    if args.json:
        print(json.dumps([r.to_dict() for r in runs], indent=1))
    elif not runs:
        print(f"{args.project}: no runs recorded yet")
    else:
        print(_runs_table(runs))
    return 0


def run_recommendations_show(args: argparse.Namespace) -> int:
    store = _store(args)
    recs = store.recommendations(args.project, limit=args.limit)
    if args.json:
        print(json.dumps({"current": recs[-1].to_dict() if recs else None, "history": [r.to_dict() for r in recs]}))
        return 0
    if not recs:
        print(f"{args.project}: no recommendation yet (the controller proposes one after each recorded run)")
        return 0
    rows = [("when", "configuration", "phase", "runtime s", "high s", "cost $", "reason")]
    for r in recs:
        rows.append(
            (
                r.created_at.strftime("%Y-%m-%d %H:%M") if r.created_at else "",
                r.config.label,
                str(r.phase),
                _fmt(r.predicted_runtime_s),
                _fmt(r.predicted_runtime_high_s),
                _fmt(r.predicted_cost_usd, 2),
                r.reason,
            )
        )
    print(text_table(rows))
    return 0


def _print_projects(args: argparse.Namespace, projects: list, *, one: bool) -> None:
    if args.json:
        data = [p.to_dict() for p in projects]
        print(json.dumps(data[0] if one else data, indent=1))
        return
    rows = [("project", "platform", "phase", "SLA s", "cost target $", "tags")]
    for p in projects:
        rows.append(
            (
                p.name,
                p.platform,
                str(p.phase),
                _fmt(p.set_point.sla_s),
                _fmt(p.set_point.cost_target_usd, 2),
                ",".join(p.tags),
            )
        )
    print(text_table(rows, left_columns=3))


def _runs_table(runs: list) -> str:
    rows = [("run", "configuration", "status", "runtime s", "cost $")]
    for r in runs:
        status = str(r.status) if r.succeeded else f"{r.status} ({r.failure_reason})"
        rows.append((r.run_key, r.config.label, status, _fmt(r.runtime_s), _fmt(r.cost_usd, 2)))
    return text_table(rows, left_columns=3)


def _fmt(value: float | None, digits: int = 0) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"

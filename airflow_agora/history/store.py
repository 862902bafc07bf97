"""Read and write projects, runs, predictions, recommendations and plans.

Every method is one short transaction, so many processes (Airflow workers, triggerers, the CLI) can
share one database. Recording a run is idempotent on ``(project, run_key)``: a retried callback or a
second recorder of the same run changes nothing.
"""

from __future__ import annotations

import difflib
import fnmatch
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, Table, delete, func, insert, select, update

from airflow_agora.domain.cluster import ClusterConfig
from airflow_agora.domain.project import (
    AllowedConfigs,
    FailureReason,
    Phase,
    Project,
    Recommendation,
    RunRecord,
    RunStatus,
    SetPoint,
    utc_now,
)
from airflow_agora.history import schema, tables
from airflow_agora.history.engine import (
    for_update,
    insert_ignoring_duplicates,
    make_engine,
    resolve_url,
    shown_url,
    translated_errors,
)
from airflow_agora.history.errors import ConflictError, NotFoundError
from airflow_agora.history.ledger import DEFAULT_POOL, CapacityLedger

_SHARED: dict[str, HistoryStore] = {}


class HistoryStore:
    """The history database. Build with :meth:`open` (checks the schema) or from an engine."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def open(cls, url: str | None = None, *, check_schema: bool = True) -> HistoryStore:
        store = cls(make_engine(url))
        if check_schema:
            schema.check_schema(store.engine)
        return store

    @classmethod
    def shared(cls, url: str | None = None) -> HistoryStore:
        """One schema-checked store per database for the whole process (a task, the triggerer), so
        repeated asks reuse the engine's connections instead of reconnecting and re-checking."""
        resolved = resolve_url(url)
        store = _SHARED.get(resolved)
        if store is None:
            store = _SHARED[resolved] = cls.open(resolved)
        return store

    @property
    def url(self) -> str:
        return shown_url(self.engine)

    def close(self) -> None:
        self.engine.dispose()

    def ledger(self, pool: str = DEFAULT_POOL, **options) -> CapacityLedger:
        """The capacity ledger of ``pool`` in this database."""
        return CapacityLedger(self.engine, pool, **options)

    @contextmanager
    def _begin(self) -> Iterator[Connection]:
        with translated_errors(self.engine), self.engine.begin() as conn:
            yield conn

    # -- projects ---------------------------------------------------------------------------------

    def create_project(self, project: Project) -> Project:
        now = utc_now()
        with self._begin() as conn:
            if _project_id(conn, project.name, required=False) is not None:
                raise ConflictError(
                    f"project {project.name} already exists",
                    fix=f"use `agora projects update {project.name}` or pick another name",
                )
            conn.execute(insert(tables.project).values(**_project_values(project), created_at=now, updated_at=now))
        return self.get_project(project.name)

    def ensure_project(self, project: Project) -> Project:
        """The stored project of that name, created from ``project`` if there is none (races included)."""
        now = utc_now()
        with self._begin() as conn:
            statement = insert_ignoring_duplicates(conn, tables.project).values(
                **_project_values(project), created_at=now, updated_at=now
            )
            conn.execute(statement)
        return self.get_project(project.name)

    def find_project(self, name: str) -> Project | None:
        with self._begin() as conn:
            row = conn.execute(select(tables.project).where(tables.project.c.name == name)).mappings().first()
        return _project_from_row(row) if row else None

    def get_project(self, name: str) -> Project:
        found = self.find_project(name)
        if found is None:
            with self._begin() as conn:
                raise _not_found(conn, name)
        return found

    def list_projects(
        self, *, tag: str | None = None, dag_id: str | None = None, pattern: str | None = None
    ) -> list[Project]:
        """Projects by name, filtered by tag, DAG id and/or a shell-style name pattern (``sales.*``)."""
        query = select(tables.project).order_by(tables.project.c.name)
        if dag_id:
            query = query.where(tables.project.c.dag_id == dag_id)
        with self._begin() as conn:
            rows = conn.execute(query).mappings().all()
        projects = [_project_from_row(r) for r in rows]
        if tag:
            projects = [p for p in projects if tag in p.tags]
        if pattern:
            projects = [p for p in projects if fnmatch.fnmatchcase(p.name, pattern)]
        return projects

    def update_project(self, name: str, **changes) -> Project:
        return self.transform_project(name, lambda p: p.with_changes(**changes))

    def transform_project(self, name: str, change: Callable[[Project], Project]) -> Project:
        """Read, change and write one project atomically (the row stays locked in between)."""
        with self._begin() as conn:
            query = for_update(conn, select(tables.project).where(tables.project.c.name == name))
            row = conn.execute(query).mappings().first()
            if row is None:
                raise _not_found(conn, name)
            changed = change(_project_from_row(row))
            if changed.name != name:
                raise ConflictError(f"project {name} cannot be renamed", fix="create a new project instead")
            conn.execute(
                update(tables.project)
                .where(tables.project.c.id == row["id"])
                .values(**_project_values(changed), updated_at=utc_now())
            )
        return self.get_project(name)

    def reset_project(self, name: str) -> Project:
        """Forget what the controller learned (state, recommendations; back to learning). Runs stay."""
        with self._begin() as conn:
            project_id = _project_id(conn, name)
            conn.execute(delete(tables.recommendation).where(tables.recommendation.c.project_id == project_id))
            conn.execute(
                update(tables.project)
                .where(tables.project.c.id == project_id)
                .values(state={}, phase=str(Phase.LEARNING), updated_at=utc_now())
            )
        return self.get_project(name)

    def delete_project(self, name: str) -> None:
        """Delete a project with its runs, predictions and recommendations."""
        with self._begin() as conn:
            project_id = _project_id(conn, name)
            for table in (tables.prediction, tables.recommendation, tables.run):
                conn.execute(delete(table).where(table.c.project_id == project_id))
            conn.execute(delete(tables.project).where(tables.project.c.id == project_id))

    # -- runs -------------------------------------------------------------------------------------

    def record_run(self, run: RunRecord) -> tuple[RunRecord, bool]:
        """Store ``run``; returns the stored record and whether it was new (False: already recorded)."""
        with self._begin() as conn:
            project_id = _project_id(conn, run.project)
            result = conn.execute(
                insert_ignoring_duplicates(conn, tables.run).values(
                    project_id=project_id, **_run_values(run), recorded_at=utc_now()
                )
            )
            created = result.rowcount == 1
            row = (
                conn.execute(
                    select(tables.run).where(tables.run.c.project_id == project_id, tables.run.c.run_key == run.run_key)
                )
                .mappings()
                .one()
            )
        return _run_from_row(run.project, row), created

    def record_runs(self, runs: Iterable[RunRecord]) -> None:
        """Store many runs in one transaction (an import of history); runs already recorded are
        skipped, as :meth:`record_run` skips them."""
        runs = list(runs)
        with self._begin() as conn:
            ids = {name: _project_id(conn, name) for name in {r.project for r in runs}}
            now = utc_now()
            rows = [{"project_id": ids[r.project], **_run_values(r), "recorded_at": now} for r in runs]
            if rows:
                conn.execute(insert_ignoring_duplicates(conn, tables.run), rows)

    def attach_profile(
        self, project: str, run_key: str, *, profile_summary: dict, fingerprint: str | None, input_bytes: int | None
    ) -> RunRecord:
        """Add what the run's event log says to an already recorded run (logs arrive late)."""
        with self._begin() as conn:
            project_id = _project_id(conn, project)
            where = (tables.run.c.project_id == project_id, tables.run.c.run_key == run_key)
            changed = conn.execute(
                update(tables.run)
                .where(*where)
                .values(profile_summary=profile_summary, fingerprint=fingerprint, input_bytes=input_bytes)
            ).rowcount
            if not changed:
                raise NotFoundError(f"project {project} has no run {run_key}", fix="see `agora runs list PROJECT`")
            row = conn.execute(select(tables.run).where(*where)).mappings().one()
        return _run_from_row(project, row)

    def list_runs(self, project: str, *, limit: int | None = None) -> list[RunRecord]:
        """The project's runs, oldest first (the last ``limit`` when given)."""
        with self._begin() as conn:
            rows = _last_rows(conn, tables.run, _project_id(conn, project), limit)
        return [_run_from_row(project, r) for r in rows]

    def runs_of_dag_run(self, dag_id: str, run_id: str) -> list[RunRecord]:
        """The runs recorded by a DAG run's tasks (run keys ``DAG/RUN/TASK/MAP_INDEX/tryN``, as the
        operators write them), oldest first."""
        run, project = tables.run, tables.project
        query = (
            select(run, project.c.name)
            .join(project, run.c.project_id == project.c.id)
            .where(project.c.dag_id == dag_id, run.c.run_key.startswith(f"{dag_id}/{run_id}/", autoescape=True))
            .order_by(run.c.id)
        )
        with self._begin() as conn:
            rows = conn.execute(query).mappings().all()
        return [_run_from_row(r["name"], r) for r in rows]

    def record_task_timing(self, dag_id: str, run_id: str, task_id: str, map_index: int, try_number: int, *,
                           executing_at: float, executed_at: float, state: str) -> None:  # fmt: skip
        """Store when one try's code ran (epoch seconds); a second record of the same try is ignored."""
        key = {"dag_id": dag_id, "run_id": run_id, "task_id": task_id, "map_index": map_index, "try_number": try_number}
        with self._begin() as conn:
            conn.execute(insert_ignoring_duplicates(conn, tables.task_timing).values(
                **key, executing_at=executing_at, executed_at=executed_at, state=state))  # fmt: skip

    def task_timings(self, dag_id: str, run_id: str) -> list[dict]:
        """A DAG run's recorded task timings: dicts with ``task_id, map_index, try_number,
        executing_at, executed_at, state``, by task and try."""
        t = tables.task_timing
        query = (
            select(t.c.task_id, t.c.map_index, t.c.try_number, t.c.executing_at, t.c.executed_at, t.c.state)
            .where(t.c.dag_id == dag_id, t.c.run_id == run_id)
            .order_by(t.c.task_id, t.c.map_index, t.c.try_number)
        )
        with self._begin() as conn:
            return [dict(r) for r in conn.execute(query).mappings()]

    def project_summaries(self) -> list[tuple[Project, int, RunRecord | None]]:
        """Every project by name with its number of runs and its latest run (None before any): the
        overview of all projects in three indexed queries, whatever the number of runs."""
        run = tables.run
        per_project = select(run.c.project_id, func.count().label("runs"), func.max(run.c.id).label("last_id"))
        with self._begin() as conn:
            projects = conn.execute(select(tables.project).order_by(tables.project.c.name)).mappings().all()
            counts = {r.project_id: (r.runs, r.last_id) for r in conn.execute(per_project.group_by(run.c.project_id))}
            last_ids = [last_id for _, last_id in counts.values()]
            last_rows = {r["project_id"]: r for r in conn.execute(select(run).where(run.c.id.in_(last_ids))).mappings()}
        out = []
        for row in projects:
            runs, _ = counts.get(row["id"], (0, None))
            last = last_rows.get(row["id"])
            out.append((_project_from_row(row), runs, _run_from_row(row["name"], last) if last else None))
        return out

    def count_runs(self, project: str | None = None) -> int:
        query = select(func.count()).select_from(tables.run)
        with self._begin() as conn:
            if project is not None:
                query = query.where(tables.run.c.project_id == _project_id(conn, project))
            return int(conn.execute(query).scalar_one())

    # -- predictions and recommendations ----------------------------------------------------------

    def add_prediction(self, project: str, payload: dict, *, model: str, run_key: str | None = None) -> None:
        with self._begin() as conn:
            project_id = _project_id(conn, project)
            run_id = None
            if run_key:
                run_id = conn.execute(
                    select(tables.run.c.id).where(
                        tables.run.c.project_id == project_id, tables.run.c.run_key == run_key
                    )
                ).scalar()
            conn.execute(
                insert(tables.prediction).values(
                    project_id=project_id, run_id=run_id, model=model, payload=payload, created_at=utc_now()
                )
            )

    def latest_prediction(self, project: str) -> dict | None:
        with self._begin() as conn:
            rows = _last_rows(conn, tables.prediction, _project_id(conn, project), 1)
        return rows[0]["payload"] if rows else None

    def add_recommendation(self, recommendation: Recommendation) -> Recommendation:
        with self._begin() as conn:
            project_id = _project_id(conn, recommendation.project)
            conn.execute(
                insert(tables.recommendation).values(
                    project_id=project_id,
                    based_on_run=recommendation.based_on_run,
                    config=recommendation.config.to_dict(),
                    reason=recommendation.reason,
                    phase=str(recommendation.phase),
                    predicted_runtime_s=recommendation.predicted_runtime_s,
                    predicted_runtime_high_s=recommendation.predicted_runtime_high_s,
                    predicted_cost_usd=recommendation.predicted_cost_usd,
                    created_at=utc_now(),
                )
            )
        return self.recommendations(recommendation.project, limit=1)[-1]

    def recommendations(self, project: str, *, limit: int | None = None) -> list[Recommendation]:
        """The project's recommendations, oldest first (the last ``limit`` when given)."""
        with self._begin() as conn:
            rows = _last_rows(conn, tables.recommendation, _project_id(conn, project), limit)
        return [_recommendation_from_row(project, r) for r in rows]

    def latest_recommendation(self, project: str) -> Recommendation | None:
        found = self.recommendations(project, limit=1)
        return found[0] if found else None

    # -- plans ------------------------------------------------------------------------------------

    def save_plan(self, dag_id: str, run_id: str, payload: dict) -> None:
        """Store (or replace, when the planning step is retried) the plan of one DAG run."""
        with self._begin() as conn:
            conn.execute(delete(tables.plan).where(tables.plan.c.dag_id == dag_id, tables.plan.c.run_id == run_id))
            conn.execute(
                insert(tables.plan).values(
                    dag_id=dag_id,
                    run_id=run_id,
                    status=str(payload.get("status", "unknown")),
                    makespan_s=payload.get("makespan_s"),
                    cost_usd=payload.get("cost_usd"),
                    payload=payload,
                    created_at=utc_now(),
                )
            )

    def plans_since(self, since: datetime, *, exclude_dag_id: str | None = None) -> list[dict]:
        """Payloads of plans made at or after ``since`` (other DAGs' plans: capacity they reserve)."""
        query = select(tables.plan.c.payload).where(tables.plan.c.created_at >= since).order_by(tables.plan.c.id)
        if exclude_dag_id is not None:
            query = query.where(tables.plan.c.dag_id != exclude_dag_id)
        with self._begin() as conn:
            return list(conn.execute(query).scalars())

    def recent_plans(self, *, dag_id: str | None = None, limit: int = 100) -> list[dict]:
        """The newest plans first (of one DAG when given), as their summary columns: ``dag_id``,
        ``run_id``, ``status``, ``makespan_s``, ``cost_usd``, ``goal_met``, ``created_at``."""
        plan = tables.plan
        query = select(plan.c.dag_id, plan.c.run_id, plan.c.status, plan.c.makespan_s, plan.c.cost_usd,
                       plan.c.payload["goal_met"].label("goal_met"), plan.c.created_at)  # fmt: skip
        if dag_id is not None:
            query = query.where(plan.c.dag_id == dag_id)
        with self._begin() as conn:
            rows = conn.execute(query.order_by(plan.c.id.desc()).limit(limit)).mappings().all()
        return [{**r, "goal_met": bool(r["goal_met"]), "created_at": _utc(r["created_at"])} for r in rows]

    def get_plan(self, dag_id: str, run_id: str) -> dict | None:
        with self._begin() as conn:
            return conn.execute(
                select(tables.plan.c.payload).where(tables.plan.c.dag_id == dag_id, tables.plan.c.run_id == run_id)
            ).scalar()


def _project_id(conn: Connection, name: str, *, required: bool = True) -> int | None:
    found = conn.execute(select(tables.project.c.id).where(tables.project.c.name == name)).scalar()
    if found is None and required:
        raise _not_found(conn, name)
    return found


def _not_found(conn: Connection, name: str) -> NotFoundError:
    names = list(conn.execute(select(tables.project.c.name)).scalars())
    close = difflib.get_close_matches(name, names, n=3)
    fix = f"did you mean {', '.join(close)}?" if close else "see `agora projects list`"
    return NotFoundError(f"no project named {name}", fix=fix)


def _last_rows(conn: Connection, table: Table, project_id: int, limit: int | None) -> list:
    """A project's rows of ``table``, oldest first: all, or the last ``limit``."""
    query = select(table).where(table.c.project_id == project_id).order_by(table.c.id.desc())
    if limit:
        query = query.limit(limit)
    return list(reversed(conn.execute(query).mappings().all()))


def _project_values(p: Project) -> dict:
    return {
        "name": p.name,
        "platform": p.platform,
        "dag_id": p.dag_id,
        "task_id": p.task_id,
        "tags": list(p.tags),
        "set_point": p.set_point.to_dict(),
        "allowed": p.allowed.to_dict(),
        "phase": str(p.phase),
        "initial_config": p.initial_config.to_dict() if p.initial_config else None,
        "state": p.state,
    }


def _project_from_row(row) -> Project:
    return Project(
        name=row["name"],
        platform=row["platform"],
        dag_id=row["dag_id"],
        task_id=row["task_id"],
        tags=tuple(row["tags"] or ()),
        set_point=SetPoint.from_dict(row["set_point"]),
        allowed=AllowedConfigs.from_dict(row["allowed"]),
        phase=Phase(row["phase"]),
        initial_config=ClusterConfig.from_dict(row["initial_config"]) if row["initial_config"] else None,
        state=dict(row["state"] or {}),
        created_at=_utc(row["created_at"]),
        updated_at=_utc(row["updated_at"]),
    )


def _run_values(r: RunRecord) -> dict:
    return {
        "run_key": r.run_key,
        "config": r.config.to_dict(),
        "runtime_s": r.runtime_s,
        "cost_usd": r.cost_usd,
        "status": str(r.status),
        "failure_reason": str(r.failure_reason) if r.failure_reason else None,
        "started_at": r.started_at,
        "ended_at": r.ended_at,
        "eventlog_uri": r.eventlog_uri,
        "profile_summary": r.profile_summary,
        "cluster_report": r.cluster_report or None,
        "fingerprint": r.fingerprint,
        "input_bytes": r.input_bytes,
    }


def _run_from_row(project: str, row) -> RunRecord:
    return RunRecord(
        project=project,
        run_key=row["run_key"],
        config=ClusterConfig.from_dict(row["config"]),
        runtime_s=row["runtime_s"],
        status=RunStatus(row["status"]),
        cost_usd=row["cost_usd"],
        failure_reason=FailureReason(row["failure_reason"]) if row["failure_reason"] else None,
        started_at=_utc(row["started_at"]),
        ended_at=_utc(row["ended_at"]),
        eventlog_uri=row["eventlog_uri"],
        profile_summary=dict(row["profile_summary"] or {}),
        cluster_report=dict(row["cluster_report"] or {}),
        fingerprint=row["fingerprint"],
        input_bytes=row["input_bytes"],
        recorded_at=_utc(row["recorded_at"]),
    )


def _recommendation_from_row(project: str, row) -> Recommendation:
    return Recommendation(
        project=project,
        config=ClusterConfig.from_dict(row["config"]),
        reason=row["reason"],
        phase=Phase(row["phase"]),
        predicted_runtime_s=row["predicted_runtime_s"],
        predicted_runtime_high_s=row["predicted_runtime_high_s"],
        predicted_cost_usd=row["predicted_cost_usd"],
        based_on_run=row["based_on_run"],
        created_at=_utc(row["created_at"]),
    )


def _utc(value: datetime | None) -> datetime | None:
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)

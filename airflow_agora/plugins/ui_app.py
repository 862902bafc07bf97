"""The UI's FastAPI app, mounted by Airflow's API server under ``/agora``.

Every route asks Airflow who the caller is (the ``Authorization`` bearer token, or the ``_token``
cookie the Airflow UI holds) and answers 401 without one; reading needs the auth manager's ``GET``
on the custom view ``Agora``, setting goals its ``PUT``. Goals are set with a JSON POST, which a
form on another site cannot send (no CSRF). Pages are HTML built by :mod:`airflow_agora.views`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, Field

from airflow_agora.domain.errors import AgoraError, InvalidInputError
from airflow_agora.domain.project import SetPoint
from airflow_agora.history.errors import NotFoundError
from airflow_agora.views import pages

URL_PREFIX = "/agora"
RESOURCE = "Agora"


def _store():
    from airflow_agora.operators.settings import open_store

    return open_store()


def _authorized(method: str):
    """A dependency: the Airflow user, allowed ``method`` on the Agora view (401 or 403 otherwise)."""
    from airflow.api_fastapi.app import get_auth_manager
    from airflow.api_fastapi.core_api.security import get_user

    def check(user=Depends(get_user)):  # noqa: B008 (FastAPI's way)
        if not get_auth_manager().is_authorized_custom_view(method=method, resource_name=RESOURCE, user=user):
            raise HTTPException(403, f"{user.get_name()} may not {method} the Agora view")
        return user

    return check


class GoalsBody(BaseModel):
    """A group (exactly one of ``tag``, ``dag_id``, ``pattern``) and its new set point; null clears."""

    tag: str | None = None
    dag_id: str | None = None
    pattern: str | None = None
    sla_s: float | None = Field(default=None, gt=0)
    cost_target_usd: float | None = Field(default=None, gt=0)


def create_app() -> FastAPI:
    app = FastAPI(title="Agora", docs_url=None, redoc_url=None, openapi_url=None)
    read = [Depends(_authorized("GET"))]

    def base(request: Request) -> str:
        return request.scope.get("root_path", "").rstrip("/") or URL_PREFIX

    @app.exception_handler(AgoraError)
    def agora_error(request: Request, exc: AgoraError):
        status = 404 if isinstance(exc, NotFoundError) else 422 if isinstance(exc, InvalidInputError) else 503
        if request.method != "GET":
            return JSONResponse({"detail": str(exc)}, status_code=status)
        heading = {404: "Not found", 422: "Not understood"}.get(status, "The Agora history is unavailable")
        body = f"<h1>{heading}</h1><p>{pages.esc(exc)}</p>"
        return HTMLResponse(pages.layout("Error", body, base(request)), status_code=status)

    @app.get("/", response_class=HTMLResponse, dependencies=read)
    def overview(request: Request):
        store = _store()
        return pages.overview_page(store.project_summaries(), base=base(request), history_url=store.url)

    @app.get("/projects/{name}", response_class=HTMLResponse, dependencies=read)
    def project(request: Request, name: str):
        store = _store()
        found = store.get_project(name)
        return pages.project_page(found, store.list_runs(name, limit=500), store.recommendations(name, limit=500),
                                  store.latest_prediction(name), base=base(request))  # fmt: skip

    @app.get("/projects/{name}/prediction", response_class=HTMLResponse, dependencies=read)
    def prediction(request: Request, name: str):
        store = _store()
        return pages.prediction_page(store.get_project(name), store.latest_prediction(name), base=base(request))

    @app.get("/plans", response_class=HTMLResponse, dependencies=read)
    def plans(request: Request):
        return pages.plans_page(_store().recent_plans(), base=base(request))

    @app.get("/dags/{dag_id}", response_class=HTMLResponse, dependencies=read)
    def dag_plans(request: Request, dag_id: str):
        return pages.plans_page(_store().recent_plans(dag_id=dag_id), base=base(request), dag_id=dag_id)

    @app.get("/dags/{dag_id}/runs/{run_id}", response_class=HTMLResponse, dependencies=read)
    def plan(request: Request, dag_id: str, run_id: str):
        payload = _store().get_plan(dag_id, run_id)
        return pages.plan_page(payload, dag_id=dag_id, run_id=run_id, base=base(request))

    @app.get("/dags/{dag_id}/overhead", response_class=HTMLResponse, dependencies=read)
    def overhead(request: Request, dag_id: str, last: Annotated[int, Query(ge=1, le=50)] = 5):
        from airflow_agora.overhead.dag_report import analyse_dag
        from airflow_agora.plugins.airflow_runs import AirflowMetadata
        from airflow_agora.views.overhead import overhead_page

        try:  # with the history down, the page still shows Airflow's own record
            report = analyse_dag(AirflowMetadata(), dag_id, last=last, open_store=_store)
        except InvalidInputError as exc:
            return overhead_page(None, dag_id=dag_id, base=base(request), last=last, error=str(exc))
        return overhead_page(report, dag_id=dag_id, base=base(request), last=last)

    @app.post("/api/goals", dependencies=[Depends(_authorized("PUT"))])
    def set_goals(body: Annotated[GoalsBody, Depends(_json_only)]):
        selectors = {k: v for k, v in (("tag", body.tag), ("dag_id", body.dag_id), ("pattern", body.pattern)) if v}
        if len(selectors) != 1:
            raise HTTPException(422, "select the group with exactly one of tag, dag_id or pattern")
        store = _store()
        targets = store.list_projects(**selectors)
        if not targets:
            raise HTTPException(404, f"no project matches {selectors}")
        set_point = SetPoint(body.sla_s, body.cost_target_usd)
        updated = [store.update_project(p.name, set_point=set_point).name for p in targets]
        return {"updated": updated, "set_point": set_point.to_dict()}

    return app


async def _json_only(request: Request) -> GoalsBody:
    """The body as :class:`GoalsBody`, accepted only as ``application/json`` (a cross-site form cannot
    send that without the browser asking this server first)."""
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        raise HTTPException(415, "send the goals as application/json")
    try:
        return GoalsBody.model_validate(await request.json())
    except ValueError as exc:
        raise HTTPException(422, f"goals not understood: {exc}") from None

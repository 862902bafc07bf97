"""The Agora Airflow plugin: the UI (a FastAPI app under ``/agora`` in the API server), a top-level
navigation entry and tabs on the DAG and DAG run pages, and the listener recording task timings.
Registered through the ``airflow.plugins`` entry point; see ``docs/ui.md``."""

from __future__ import annotations

from typing import ClassVar

from airflow.plugins_manager import AirflowPlugin

from airflow_agora import listeners as task_timing_listener
from airflow_agora.plugins.ui_app import URL_PREFIX, create_app


class AgoraPlugin(AirflowPlugin):
    name = "agora"
    listeners: ClassVar[list] = [task_timing_listener]
    fastapi_apps: ClassVar[list[dict]] = [{"app": create_app(), "url_prefix": URL_PREFIX, "name": "Agora"}]
    external_views: ClassVar[list[dict]] = [
        {"name": "Agora", "href": f"{URL_PREFIX}/", "destination": "nav", "url_route": "agora",
         "nav_top_level": True},
        {"name": "Agora plans", "href": f"{URL_PREFIX}/dags/{{DAG_ID}}", "destination": "dag",
         "url_route": "agora_dag"},
        {"name": "Agora overhead", "href": f"{URL_PREFIX}/dags/{{DAG_ID}}/overhead", "destination": "dag",
         "url_route": "agora_overhead"},
        {"name": "Agora plan", "href": f"{URL_PREFIX}/dags/{{DAG_ID}}/runs/{{RUN_ID}}", "destination": "dag_run",
         "url_route": "agora_dag_run"},
    ]  # fmt: skip

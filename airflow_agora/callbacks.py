"""Callbacks Airflow runs for Agora DAGs (importable by the triggerer)."""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


async def sla_missed(sla_s: float, context: dict | None = None, **_kwargs) -> None:
    """The DAG-level Deadline Alert of ``@agora_dag(sla=...)``: the run is still going past its SLA.
    Airflow's triggerer calls it with the alert's kwargs and a ``context`` holding the DAG run."""
    dag_run = (context or {}).get("dag_run") or {}
    log.warning("agora: DAG %s run %s missed its SLA of %.0f s", dag_run.get("dag_id", "?"),
                dag_run.get("dag_run_id") or dag_run.get("run_id", "?"), sla_s)  # fmt: skip

"""Callbacks Airflow runs for Agora DAGs (importable by the triggerer)."""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


async def sla_missed(dag_id: str, sla_s: float, **_context) -> None:
    """The DAG-level Deadline Alert of ``@agora_dag(sla=...)``: the run is still going past its SLA."""
    log.warning("agora: DAG %s missed its SLA of %.0f s", dag_id, sla_s)

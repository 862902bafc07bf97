"""The history store: projects, runs, predictions, recommendations and plans, plus the capacity ledger.

The only place that imports SQLAlchemy. Tables live in their own metadata (prefix ``agora_``) with
their own Alembic version table, so they never touch Airflow's tables even when they share its
database. Names load lazily: importing the errors does not import SQLAlchemy.
"""

from __future__ import annotations

import importlib

_PUBLIC = {
    "HistoryStore": "airflow_agora.history.store",
    "CapacityLedger": "airflow_agora.history.ledger",
    "Lease": "airflow_agora.history.ledger",
    "HistoryError": "airflow_agora.history.errors",
    "HistorySchemaError": "airflow_agora.history.errors",
    "HistoryUnavailableError": "airflow_agora.history.errors",
}

__all__ = sorted(_PUBLIC)


def __getattr__(name: str):
    if name in _PUBLIC:
        return getattr(importlib.import_module(_PUBLIC[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

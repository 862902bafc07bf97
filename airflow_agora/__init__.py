"""airflow-agora: plan Spark pipelines on Databricks and EMR to meet SLAs at the lowest cloud cost.

The public API is imported lazily so that ``import airflow_agora`` (and Airflow's provider discovery)
stays cheap: nothing below is loaded until it is used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

__version__ = "0.1.0"

_LAZY = {
    "Planner": "airflow_agora.planning",
    "PlannerOptions": "airflow_agora.planning",
    "plan": "airflow_agora.planning",
    "check_plan": "airflow_agora.planning",
    "load_problem": "airflow_agora.domain.workflow_file",
    "ClusterConfig": "airflow_agora.domain",
    "Goals": "airflow_agora.domain",
    "Mode": "airflow_agora.domain",
    "Objective": "airflow_agora.domain",
    "PlanningProblem": "airflow_agora.domain",
    "Reservation": "airflow_agora.domain",
    "TaskSpec": "airflow_agora.domain",
    "Workflow": "airflow_agora.domain",
}

__all__ = [  # noqa: RUF022 - grouped like _LAZY
    "__version__",
    "Planner",
    "PlannerOptions",
    "plan",
    "check_plan",
    "load_problem",
    "ClusterConfig",
    "Goals",
    "Mode",
    "Objective",
    "PlanningProblem",
    "Reservation",
    "TaskSpec",
    "Workflow",
]

if TYPE_CHECKING:  # pragma: no cover
    from airflow_agora.domain import (
        ClusterConfig,
        Goals,
        Mode,
        Objective,
        PlanningProblem,
        Reservation,
        TaskSpec,
        Workflow,
    )
    from airflow_agora.domain.workflow_file import load_problem
    from airflow_agora.planning import Planner, PlannerOptions, check_plan, plan


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'airflow_agora' has no attribute {name!r}")

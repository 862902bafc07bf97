"""Squishy Tetris: choose each task's configuration and start so the DAGs meet their goals.

The only package that imports OR-Tools. Entry points: ``Planner`` / ``plan`` and ``check_plan``.
"""

from airflow_agora.planning.planner import Planner, PlannerOptions, default_plan, plan
from airflow_agora.planning.validator import InvalidPlanError, check_plan, plan_violations

__all__ = ["InvalidPlanError", "Planner", "PlannerOptions", "check_plan", "default_plan", "plan", "plan_violations"]

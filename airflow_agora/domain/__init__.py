"""Pure value types shared by every layer. Imports nothing else of ours and nothing outside the stdlib."""

from airflow_agora.domain.cluster import ClusterConfig
from airflow_agora.domain.errors import AgoraError, InvalidInputError
from airflow_agora.domain.goals import Goals, Objective
from airflow_agora.domain.plan import Plan, PlanReport, PlanStatus, TaskAssignment
from airflow_agora.domain.problem import PlanningProblem, Reservation
from airflow_agora.domain.workflow import MEMORY_GB, VCPUS, Estimate, Mode, TaskSpec, Workflow

__all__ = [
    "MEMORY_GB",
    "VCPUS",
    "AgoraError",
    "ClusterConfig",
    "Estimate",
    "Goals",
    "InvalidInputError",
    "Mode",
    "Objective",
    "Plan",
    "PlanReport",
    "PlanStatus",
    "PlanningProblem",
    "Reservation",
    "TaskAssignment",
    "TaskSpec",
    "Workflow",
]

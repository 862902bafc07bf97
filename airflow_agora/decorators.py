"""``@agora_dag``: Airflow's ``@dag`` with goals, an SLA deadline alert and the planning step.

    @agora_dag(schedule="@daily", sla=timedelta(seconds=800), objective="cost", capacity_vcpus=160)
    def nightly():
        a = AgoraDatabricksSubmitRunOperator(task_id="index_analysis", json={...})
        ...

    nightly()

The goals go into the DAG's params (``agora_objective``, ``agora_sla_s``, ``agora_budget_usd``,
``agora_capacity_vcpus``), so they survive serialization and can be changed per run (trigger with
conf). The SLA becomes a DAG-level Deadline Alert (Airflow 3 dropped ``sla=``) counted from when
the run was queued. The planning step (task ``agora_plan``) is placed upstream of every Agora task.
"""

from __future__ import annotations

import functools
from datetime import timedelta
from typing import Any

from airflow.sdk import AsyncCallback, DeadlineAlert, DeadlineReference, Param, dag

from airflow_agora.domain.goals import Objective
from airflow_agora.operators.agora_task import AgoraTaskMixin
from airflow_agora.operators.planning import PLAN_TASK_ID, AgoraPlanOperator


def deadline_alerts_enabled() -> bool:
    """``[agora] deadline_alerts`` (default True). Airflow 3.3.2's ``dag.test()`` cannot run a DAG that
    has a Deadline Alert (its run-state update looks up alert ids the in-memory copy of the DAG does
    not have), so local test runs turn it off; schedulers are unaffected."""
    from airflow.configuration import conf

    return conf.getboolean("agora", "deadline_alerts", fallback=True)


def agora_dag(
    dag_id: str | None = None,
    *,
    sla: timedelta | None = None,
    objective: str = "cost",
    budget_usd: float | None = None,
    capacity_vcpus: float | None = None,
    **dag_kwargs: Any,
):
    """Decorate a DAG function like ``@dag``; see the module docstring."""
    objective = Objective(objective).value
    if sla is not None and sla.total_seconds() <= 0:
        raise ValueError(f"sla must be a positive timedelta, got {sla}")
    if objective == "cost" and sla is None and budget_usd is None:
        raise ValueError('objective="cost" needs an sla (the deadline to meet at the lowest cost) or a budget_usd')
    params = dict(dag_kwargs.pop("params", None) or {})
    params.update(
        agora_objective=Param(objective, enum=[o.value for o in Objective], description="Agora planning objective"),
        agora_sla_s=Param(sla.total_seconds() if sla else None, type=["null", "number"], description="SLA in seconds"),
        agora_budget_usd=Param(budget_usd, type=["null", "number"], description="Budget per DAG run in USD"),
        agora_capacity_vcpus=Param(capacity_vcpus, type=["null", "number"], description="vCPUs this DAG may plan on"),
    )
    if sla is not None and "deadline" not in dag_kwargs and deadline_alerts_enabled():
        dag_kwargs["deadline"] = DeadlineAlert(
            reference=DeadlineReference.DAGRUN_QUEUED_AT,
            interval=sla,
            callback=AsyncCallback("airflow_agora.callbacks.sla_missed", kwargs={"sla_s": sla.total_seconds()}),
        )

    def decorate(fn):
        factory = dag(dag_id, params=params, **dag_kwargs)(fn)

        @functools.wraps(fn)
        def build(*args, **kwargs):
            built = factory(*args, **kwargs)
            agora = [t for t in built.tasks if isinstance(t, AgoraTaskMixin)]
            if agora and PLAN_TASK_ID not in built.task_dict:
                with built:
                    planner = AgoraPlanOperator(task_id=PLAN_TASK_ID)
                for task in agora:
                    planner >> task
            return built

        return build

    return decorate

"""The planning step ``@agora_dag`` places before every Agora task of a DAG run."""

from __future__ import annotations

from airflow.sdk import BaseOperator

from airflow_agora.control.dag_planning import DagTask, ensure_projects, plan_dag_run
from airflow_agora.control.run_intake import pending_runs
from airflow_agora.domain.goals import Goals
from airflow_agora.operators.agora_task import (
    AgoraTaskMixin,
    attach_late_log,
    catalogue,
    lease_owner,
    open_ledger,
)
from airflow_agora.operators.settings import AgoraSettings, open_store

PLAN_TASK_ID = "agora_plan"


class AgoraPlanOperator(BaseOperator):
    """Plan this DAG run: every Agora task's configuration and start order under the shared capacity,
    for the goals in the DAG's params (``agora_objective``, ``agora_sla_s``, ``agora_budget_usd``,
    ``agora_capacity_vcpus``). The plan goes to the history store, where each task reads its entry.

    First it reads event logs that arrived since the last run (each project's pending runs), so the
    plan uses them. Advisory like every Agora step: with the history database down the step warns and
    the tasks run as written.
    """

    ui_color = "#c9e4de"

    def execute(self, context) -> dict | None:
        dag, params, ti = context["dag"], context["params"], context["ti"]
        tasks = agora_tasks(dag)
        if not tasks:
            self.log.info("agora: no Agora task with a job cluster in this DAG: nothing to plan")
            return None
        try:
            settings = AgoraSettings.load()
            sla = params.get("agora_sla_s")
            goals = Goals(
                objective=params.get("agora_objective") or "cost",
                deadline_s=float(sla) if sla else None,
                budget_usd=params.get("agora_budget_usd") or None,
            )
            capacity = float(params.get("agora_capacity_vcpus") or settings.capacity_vcpus)
            store = open_store()
            ledger = open_ledger(settings)
            capacity = self._shared_capacity(ledger, capacity, settings)
            ensure_projects(store, dag.dag_id, list(tasks.values()))
            self._read_late_logs(store, tasks)
            payload = plan_dag_run(
                store,
                dag_id=dag.dag_id,
                run_id=ti.run_id,
                tasks=list(tasks.values()),
                goals=goals,
                capacity_vcpus=capacity,
                catalogue=catalogue(),
                rates=settings.rates(),
                time_limit_s=settings.planner_time_limit_s,
            )
        except Exception as exc:  # advisory: without a plan the tasks run as written
            self.log.warning("agora: no plan for this run (%s); tasks run as written", exc)
            return None
        try:  # take the planned places in line, so tasks start in the planned order
            for task_id, entry in payload["tasks"].items():
                owner = lease_owner(dag.dag_id, ti.run_id, task_id)
                ledger.book(owner, entry["vcpus"], entry["priority"], hold_s=entry["end_s"] + settings.lease_ttl_s)
        except Exception as exc:
            self.log.warning("agora: planned start order not booked (%s); tasks start as capacity frees", exc)
        self.log.info(
            "agora: plan %s, goal %s; makespan %.0f s, cost $%.2f, lower bound %.4g (gap %.2f%%)",
            payload["status"], "met" if payload["goal_met"] else "NOT met", payload["makespan_s"],
            payload["cost_usd"], payload["lower_bound"], payload["gap_pct"],
        )  # fmt: skip
        for task_id, entry in sorted(payload["tasks"].items(), key=lambda kv: kv[1]["start_s"]):
            self.log.info("agora:   %-24s %5.0f s to %5.0f s  %s  (%s)", task_id, entry["start_s"], entry["end_s"],
                          entry["config"], entry["source"])  # fmt: skip
        for line in payload.get("explanation") or []:
            self.log.warning("agora: %s", line)
        return {k: payload[k] for k in ("status", "goal_met", "makespan_s", "cost_usd", "gap_pct")}

    def _shared_capacity(self, ledger, capacity: float, settings: AgoraSettings) -> float:
        """The capacity to plan against: the DAG's, within the shared pool the leases draw on (whose
        size follows ``[agora] capacity_vcpus``)."""
        if ledger.capacity_vcpus() != settings.capacity_vcpus:
            ledger.set_capacity(settings.capacity_vcpus)
        if capacity > settings.capacity_vcpus:
            self.log.warning(
                "agora: the DAG asks for %g vCPUs but the shared pool holds %g; planning against the pool "
                "(raise [agora] capacity_vcpus if the cluster capacity is larger)", capacity, settings.capacity_vcpus,
            )  # fmt: skip
        return min(capacity, settings.capacity_vcpus)

    def _read_late_logs(self, store, tasks: dict[str, DagTask]) -> None:
        for spec in tasks.values():
            for run in pending_runs(store, spec.project):
                try:
                    if attach_late_log(store, run):
                        self.log.info("agora: read the late event log of %s", run.run_key)
                except Exception as exc:
                    self.log.warning("agora: late event log of %s not read (%s)", run.run_key, exc)


def agora_tasks(dag) -> dict[str, DagTask]:
    """The DAG's Agora tasks that size a cluster, each with its upstream Agora tasks (found through
    any non-Agora tasks between them)."""
    agora = {t.task_id: t for t in dag.tasks if isinstance(t, AgoraTaskMixin)}

    def agora_upstream(task_id: str, seen: set[str]) -> set[str]:
        found: set[str] = set()
        for up in dag.get_task(task_id).upstream_task_ids:
            if up in seen:
                continue
            seen.add(up)
            found |= {up} if up in agora else agora_upstream(up, seen)
        return found

    out = {}
    for task_id, operator in agora.items():
        spec = operator.agora_dag_task(tuple(sorted(agora_upstream(task_id, set()))))
        if spec is not None:
            out[task_id] = spec
    return out

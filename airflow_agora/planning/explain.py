"""Why a goal cannot be met, in words a user can act on.

Each check is a proof on its own (a lower bound above the goal), so every sentence returned is true
whatever the solver does; the solver's own infeasibility proof gets a generic sentence.
"""

from __future__ import annotations

from airflow_agora.planning.bounds import cost_lower_bound, critical_path, energy_bound
from airflow_agora.planning.compiled import COST_UNIT_USD, Compiled


def explain_goals(cp: Compiled) -> list[str]:
    """Reasons the goals of ``cp`` are impossible; empty when no simple proof exists."""
    reasons: list[str] = []
    unit = cp.time_unit_s
    for d, dag in enumerate(cp.dags):
        label = f"DAG {dag.dag_id!r}: " if len(cp.dags) > 1 else ""
        if dag.deadline is not None:
            sla_s = (dag.deadline - dag.release) * unit
            path = critical_path(cp, d)
            if path.length > dag.deadline:
                names = " → ".join(cp.tasks[i].task_id for i in path.path)
                reasons.append(
                    f"{label}the fastest path {names} takes {(path.length - dag.release) * unit:g} s "
                    f"> SLA {sla_s:g} s; give these tasks faster configurations or relax the SLA"
                )
            else:
                area = energy_bound(cp, dag.tasks, dag.release)
                if area > dag.deadline:
                    reasons.append(
                        f"{label}even with every task at its least resource-time configuration and the "
                        f"capacity fully used, the work needs {(area - dag.release) * unit:g} s > SLA "
                        f"{sla_s:g} s; raise the capacity or relax the SLA"
                    )
        if dag.budget is not None:
            cheapest = cost_lower_bound(cp, dag.tasks)
            if cheapest > dag.budget:
                reasons.append(
                    f"{label}the cheapest configuration of every task costs ${cheapest * COST_UNIT_USD:.2f} "
                    f"> budget ${dag.budget * COST_UNIT_USD:.2f}; raise the budget or add cheaper configurations"
                )
    if cp.global_budget is not None and cost_lower_bound(cp) > cp.global_budget:
        reasons.append(
            f"the cheapest configuration of every task costs ${cost_lower_bound(cp) * COST_UNIT_USD:.2f} "
            f"> total budget ${cp.global_budget * COST_UNIT_USD:.2f}"
        )
    for b, name in enumerate(cp.budget_names):
        least = sum(min(t.consumes[k][b] for k in range(len(t.durations))) for t in cp.tasks)
        if least > cp.budget_caps[b]:
            reasons.append(f"budget {name!r}: the tasks need at least {least} > {cp.budget_caps[b]} available")
    return reasons


def solver_infeasible_reason(cp: Compiled) -> str:
    """Sentence for an infeasibility proved by the solver without a simpler witness."""
    goals = []
    for dag in cp.dags:
        if dag.deadline is not None:
            goals.append(f"SLA {(dag.deadline - dag.release) * cp.time_unit_s:g} s for {dag.dag_id!r}")
        if dag.budget is not None:
            goals.append(f"budget ${dag.budget * COST_UNIT_USD:.2f} for {dag.dag_id!r}")
    if cp.global_budget is not None:
        goals.append(f"total budget ${cp.global_budget * COST_UNIT_USD:.2f}")
    goals.extend(f"budget {n!r} <= {c}" for n, c in zip(cp.budget_names, cp.budget_caps, strict=True))
    what = ", ".join(goals) or "the goals"
    return (
        f"no plan meets {what} together under the capacity and reservations (proved by the solver); "
        "relax one of them or raise the capacity"
    )

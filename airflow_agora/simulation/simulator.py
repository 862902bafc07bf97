"""A discrete-event simulator of DAG jobs sharing one cluster of ``capacity_vcpus``.

DAGs arrive at their trace times. On arrival a policy gives each task a size (vCPUs), hence a
runtime, and optionally an earliest start (a plan's start time); a policy that replans may also
revise earlier DAGs' tasks that have not been released yet. A task becomes ready when its
parents have finished and its earliest start has passed; ready tasks start in the order they became
ready, each as soon as its vCPUs are free. A task that does not fit waits while later, smaller
ones that fit start (first fit), so one big task never blocks the cluster.

Cost is the vCPU-seconds used times ``usd_per_vcpu_hour`` / 3600; a DAG's completion time is its
last task's end minus its arrival.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from airflow_agora.simulation.scaling import ScalingModel, runtime_at
from airflow_agora.simulation.traces import TraceDag, TraceTask

# m5.xlarge on demand in us-east-1 ($0.192/h for 4 vCPUs), see ../shared/data/pricing.
DEFAULT_USD_PER_VCPU_HOUR = 0.048


@dataclass(frozen=True)
class Assignment:
    vcpus: float
    runtime_s: float
    earliest_start_s: float = 0.0


class Policy(Protocol):
    name: str

    def assign(self, dag: TraceDag, now_s: float) -> dict[str, Assignment]:
        """Sizes (and earliest starts) of an arriving DAG's tasks. A policy may also have a
        ``take_revisions()`` method returning new assignments of earlier DAGs' tasks (by DAG id, then
        task id), which must not have been released yet (their old earliest start is still ahead)."""


@dataclass
class _SizePerTask:
    """A policy giving each task a size of its own, with no earliest start."""

    model: ScalingModel
    capacity_vcpus: float
    name = ""

    def size(self, task: TraceTask) -> float:
        raise NotImplementedError

    def assign(self, dag: TraceDag, now_s: float) -> dict[str, Assignment]:
        sizes = {task.task_id: self.size(task) for task in dag.tasks}
        return {t.task_id: Assignment(sizes[t.task_id], runtime_at(t, sizes[t.task_id], self.model)) for t in dag.tasks}


class RecordedSize(_SizePerTask):
    """``airflow-default``: every task at its recorded size (clamped to the capacity)."""

    name = "airflow-default"

    def size(self, task: TraceTask) -> float:
        return min(task.vcpus, self.capacity_vcpus)


class FastestSize(_SizePerTask):
    """``per-job-fastest``: every task at its fastest offered size, the smallest of equals ("tune
    each job separately")."""

    name = "per-job-fastest"

    def size(self, task: TraceTask) -> float:
        sizes = offered_sizes(task, self.model, self.capacity_vcpus)
        return min(sizes, key=lambda v: (runtime_at(task, v, self.model), v))


def offered_sizes(task: TraceTask, model: ScalingModel, capacity_vcpus: float) -> list[float]:
    """A task's candidate sizes: its measured sizes when the trace has a curve, else the model's."""
    if task.curve:
        return sorted({min(k, capacity_vcpus) for k, _ in task.curve})
    return model.sizes(task.vcpus, capacity_vcpus)


@dataclass
class SimulationResult:
    policy: str
    capacity_vcpus: float
    completion_s: dict[str, float] = field(default_factory=dict)
    cost_usd: dict[str, float] = field(default_factory=dict)
    tasks: int = 0
    first_arrival_s: float = 0.0
    last_end_s: float = 0.0
    runs: list[tuple[str, str, float, float, float]] = field(default_factory=list)  # dag, task, start, end, vcpus

    def summary(self) -> dict:
        completions = sorted(self.completion_s.values())
        p95 = completions[max(0, math.ceil(0.95 * len(completions)) - 1)] if completions else 0.0
        return {
            "policy": self.policy,
            "capacity_vcpus": self.capacity_vcpus,
            "dags": len(completions),
            "tasks": self.tasks,
            "total_cost_usd": round(sum(self.cost_usd.values()), 2),
            "mean_dag_completion_s": round(sum(completions) / len(completions), 1) if completions else 0.0,
            "p95_dag_completion_s": round(p95, 1),
            "makespan_s": round(self.last_end_s - self.first_arrival_s, 1),
        }


def simulate(dags: Sequence[TraceDag], policy: Policy, *, capacity_vcpus: float,
             usd_per_vcpu_hour: float = DEFAULT_USD_PER_VCPU_HOUR, keep_runs: bool = False,
             progress: Callable[[int, int], None] | None = None) -> SimulationResult:  # fmt: skip
    """Replay ``dags`` (sorted by arrival) under ``policy``; see the module docstring."""
    result = SimulationResult(policy.name, capacity_vcpus)
    if not dags:
        return result
    result.first_arrival_s = dags[0].arrival_s
    events: list = [(dag.arrival_s, 0, n, "arrive", None) for n, dag in enumerate(dags)]
    heapq.heapify(events)
    seq = len(dags)
    free = capacity_vcpus
    ready: list[tuple[int, int, str]] = []  # (ready order, dag index, task id)
    assigned: dict[int, dict[str, Assignment]] = {}
    waiting: dict[tuple[int, str], int] = {}
    children: dict[int, dict[str, list[str]]] = {}
    left: dict[int, int] = {}
    in_flight: dict[str, int] = {}  # DAG id -> index, until the DAG is done
    release_seq: dict[tuple[int, str], int] = {}  # the release event that counts, per task not released
    take_revisions = getattr(policy, "take_revisions", None)
    arrived = 0

    def release(index: int, task_id: str, a: Assignment) -> None:
        nonlocal seq
        heapq.heappush(events, (max(now, a.earliest_start_s), seq, index, "release", task_id))
        release_seq[index, task_id] = seq
        seq += 1

    def revise(index: int, revised: dict[str, Assignment]) -> None:
        for task_id, a in revised.items():
            old = assigned[index][task_id]
            if waiting[index, task_id] == 0 and (index, task_id) not in release_seq:
                raise ValueError(f"the policy revised task {task_id!r}, which was already released")
            assigned[index][task_id] = a
            if (index, task_id) in release_seq and a.earliest_start_s != old.earliest_start_s:
                release(index, task_id, a)  # the old release event is superseded

    while events:
        now, event_seq, index, kind, task_id = heapq.heappop(events)
        dag = dags[index]
        if kind == "arrive":
            plan = policy.assign(dag, now)
            assigned[index] = plan
            in_flight[dag.dag_id] = index
            children[index] = {t.task_id: [] for t in dag.tasks}
            left[index] = len(dag.tasks)
            for task in dag.tasks:
                for parent in task.parents:
                    children[index][parent].append(task.task_id)
                waiting[index, task.task_id] = len(task.parents)
                if not task.parents:
                    release(index, task.task_id, plan[task.task_id])
            for dag_id, revised in (take_revisions() if take_revisions else {}).items():
                revise(in_flight[dag_id], revised)
            arrived += 1
            if progress and (arrived % 200 == 0 or arrived == len(dags)):
                progress(arrived, len(dags))
        elif kind == "release":
            if release_seq.get((index, task_id)) != event_seq:
                continue  # superseded by a revision
            del release_seq[index, task_id]
            ready.append((seq, index, task_id))
            seq += 1
        else:  # "end"
            a = assigned[index][task_id]
            free += a.vcpus
            for child in children[index][task_id]:
                waiting[index, child] -= 1
                if waiting[index, child] == 0:
                    release(index, child, assigned[index][child])
            left[index] -= 1
            if left[index] == 0:
                result.completion_s[dag.dag_id] = now - dag.arrival_s
                result.last_end_s = max(result.last_end_s, now)
                del assigned[index], children[index], left[index], in_flight[dag.dag_id]
        if events and events[0][0] == now:
            continue  # start tasks once every event of this instant is in
        still = []
        for entry in ready:
            _, i, t = entry
            a = assigned[i][t]
            if a.vcpus <= free + 1e-9:
                free -= a.vcpus
                heapq.heappush(events, (now + a.runtime_s, seq, i, "end", t))
                seq += 1
                name = dags[i].dag_id
                result.cost_usd[name] = (
                    result.cost_usd.get(name, 0.0) + a.vcpus * a.runtime_s * usd_per_vcpu_hour / 3600
                )
                result.tasks += 1
                if keep_runs:
                    result.runs.append((name, t, now, now + a.runtime_s, a.vcpus))
            else:
                still.append(entry)
        ready = still
    return result

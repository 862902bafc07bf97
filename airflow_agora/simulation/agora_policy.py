"""The ``agora`` policy: plan each arriving DAG against what the cluster already holds.

On arrival, the DAG's tasks get sizes and start times on the cluster's planned use (every earlier
DAG's planned tasks), so each task is placed where it fits first instead of queueing. The tasks then
wait for their planned starts. Sizes are chosen by goal:

* ``cost``: the cheapest sizes that still finish the DAG by its deadline, which is its completion
  under ``airflow-default``. Candidates are every task at the same factor of its default size (the
  recorded size clamped to the capacity). The cheapest candidate meeting the deadline is then
  refined: one task at a time steps down a size while the deadline holds. A DAG no candidate can finish in time gets the
  earliest finishing candidate that costs no more than by default (so a late DAG does not also
  take more of the cluster from the DAGs after it); the comparison reports its violation.
* ``makespan``: among the candidates that cost no more than under ``airflow-default`` (the recorded
  sizes always qualify), the one with the least *shared completion*: its own completion plus the
  delay its vCPU-seconds impose on the DAGs that will arrive while the cluster stays booked (see
  ``_delay_per_vcpu_s``). On an idle cluster that is the fastest candidate; the busier the cluster,
  the more a frugal one wins, because the mean DAG completion counts every DAG's wait.
* ``balanced``: the candidate minimising shared completion / default completion + cost / default
  cost.

The planned use is exact while every task runs its predicted time, as in this simulator.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from airflow_agora.domain.graph import topological_order
from airflow_agora.simulation.profile import UsageProfile
from airflow_agora.simulation.scaling import ScalingModel, runtime_at
from airflow_agora.simulation.simulator import DEFAULT_USD_PER_VCPU_HOUR, Assignment, SimulationResult, offered_sizes
from airflow_agora.simulation.traces import TraceDag, TraceTask

GOALS = ("cost", "makespan", "balanced")
REFINED_TASKS = 20  # the costliest tasks a cost plan tries one size smaller
ARRIVAL_WINDOW = 50  # recent arrivals that estimate the arrival rate


@dataclass
class _Candidate:
    sizes: dict[str, float]
    starts: dict[str, float]
    runtimes: dict[str, float]
    completion_s: float
    cost_usd: float
    vcpu_s: float


@dataclass
class AgoraPlanning:
    """The ``agora`` policy; ``deadline_s`` and ``budget_usd`` hold each DAG's completion time and
    cost under ``airflow-default`` (by DAG id), the bars it must not cross."""

    model: ScalingModel
    capacity_vcpus: float
    goal: str
    deadline_s: dict[str, float]
    budget_usd: dict[str, float]
    usd_per_vcpu_hour: float = DEFAULT_USD_PER_VCPU_HOUR
    name: str = field(init=False)
    profile: UsageProfile = field(init=False)
    arrivals_s: deque = field(init=False)

    def __post_init__(self) -> None:
        if self.goal not in GOALS:
            raise ValueError(f"goal {self.goal!r} is not one of {', '.join(GOALS)}")
        self.name = f"agora-{self.goal}"
        self.profile = UsageProfile(self.capacity_vcpus)
        self.arrivals_s = deque(maxlen=ARRIVAL_WINDOW)

    def assign(self, dag: TraceDag, now_s: float) -> dict[str, Assignment]:
        self.profile.forget_before(now_s)
        self.arrivals_s.append(now_s)
        tasks = {t.task_id: t for t in dag.tasks}
        order = topological_order(list(tasks), dag.edges)
        options = {t.task_id: offered_sizes(t, self.model, self.capacity_vcpus) for t in dag.tasks}
        deadline = self.deadline_s.get(dag.dag_id)
        candidates = [self._place(tasks, order, self._uniform(tasks, options, f), now_s) for f in self._factors()]
        chosen = self._choose(dag.dag_id, candidates, deadline, self._delay_per_vcpu_s(now_s))
        if self.goal == "cost" and deadline is not None and chosen.completion_s <= deadline:
            chosen = self._refine(tasks, order, options, chosen, now_s, deadline)
        for task_id, start in chosen.starts.items():
            self.profile.add(start, start + chosen.runtimes[task_id], chosen.sizes[task_id])
        return {t: Assignment(chosen.sizes[t], chosen.runtimes[t], chosen.starts[t]) for t in tasks}

    def _factors(self) -> list[float]:
        return sorted(set(self.model.size_factors) | {1.0})

    def _uniform(self, tasks: dict[str, TraceTask], options: dict[str, list[float]], factor: float) -> dict[str, float]:
        """Every task at the offered size nearest ``factor`` times its default size (the recorded
        size clamped to the capacity)."""
        out = {}
        for t, task in tasks.items():
            target = min(task.vcpus, self.capacity_vcpus) * factor
            out[t] = min(options[t], key=lambda v: (abs(v - target), v))
        return out

    def _place(
        self, tasks: dict[str, TraceTask], order: list[str], sizes: dict[str, float], now_s: float
    ) -> _Candidate:
        """Each task at its earliest fit after its parents, on a copy of the planned use."""
        profile = self.profile.copy()
        starts, runtimes, ends = {}, {}, {}
        for t in order:
            runtimes[t] = runtime_at(tasks[t], sizes[t], self.model)
            ready = max([now_s, *(ends[p] for p in tasks[t].parents)])
            starts[t] = profile.earliest_fit(ready, runtimes[t], sizes[t])
            ends[t] = starts[t] + runtimes[t]
            profile.add(starts[t], ends[t], sizes[t])
        vcpu_s = sum(sizes[t] * runtimes[t] for t in tasks)
        return _Candidate(
            sizes, starts, runtimes, max(ends.values()) - now_s, vcpu_s * self.usd_per_vcpu_hour / 3600, vcpu_s
        )

    def _delay_per_vcpu_s(self, now_s: float) -> float:
        """Seconds of waiting, summed over the DAGs still to come, that one vCPU-second planned now
        causes: while the planned use reaches ``backlog`` seconds ahead, the DAGs arriving in that time
        (``rate × backlog``, the rate from the last ``ARRIVAL_WINDOW`` arrivals) queue behind it, each
        ``1 / capacity`` s later per vCPU-second. Zero on an idle cluster."""
        if len(self.arrivals_s) < 2 or self.arrivals_s[-1] <= self.arrivals_s[0]:
            return 0.0
        rate_per_s = (len(self.arrivals_s) - 1) / (self.arrivals_s[-1] - self.arrivals_s[0])
        backlog_s = max(0.0, self.profile.times[-1] - now_s)
        return rate_per_s * backlog_s / self.capacity_vcpus

    def _choose(
        self, dag_id: str, candidates: list[_Candidate], deadline: float | None, delay_per_vcpu_s: float
    ) -> _Candidate:
        def shared_completion_s(c: _Candidate) -> float:
            return c.completion_s + delay_per_vcpu_s * c.vcpu_s

        on_time = [c for c in candidates if deadline is None or c.completion_s <= deadline + 1e-6]
        budget = self.budget_usd.get(dag_id)
        within = [c for c in candidates if budget is None or c.cost_usd <= budget * (1 + 1e-9)] or candidates
        if self.goal == "makespan":
            return min(within, key=lambda c: (shared_completion_s(c), c.cost_usd))
        if self.goal == "cost":
            if on_time:
                return min(on_time, key=lambda c: (c.cost_usd, c.completion_s))
            return min(within, key=lambda c: (c.completion_s, c.cost_usd))
        scale_t = deadline or max(c.completion_s for c in candidates) or 1.0
        scale_c = budget or max(c.cost_usd for c in candidates) or 1.0
        return min(candidates, key=lambda c: shared_completion_s(c) / scale_t + c.cost_usd / scale_c)

    def _refine(self, tasks, order, options, chosen: _Candidate, now_s: float, deadline: float) -> _Candidate:
        """Step single tasks down a size, biggest cost first, while the DAG stays on time."""
        best = chosen
        for t in sorted(tasks, key=lambda t: -best.sizes[t] * best.runtimes[t])[:REFINED_TASKS]:
            smaller = [v for v in options[t] if v < best.sizes[t]]
            if not smaller:
                continue
            trial = self._place(tasks, order, {**best.sizes, t: smaller[-1]}, now_s)
            if trial.completion_s <= deadline + 1e-6 and trial.cost_usd < best.cost_usd:
                best = trial
        return best


def compare_policies(dags: list[TraceDag], model: ScalingModel, *, capacity_vcpus: float,
                     usd_per_vcpu_hour: float = DEFAULT_USD_PER_VCPU_HOUR, keep_runs: bool = False,
                     progress=None) -> tuple[dict, dict[str, SimulationResult]]:  # fmt: skip
    """Every policy on the same trace: the comparison and each policy's result. Per agora goal the
    comparison has ``cost_reduction_pct`` and ``completion_reduction_pct`` (mean DAG completion)
    against ``airflow-default``, and the violations of the honest comparison: DAGs finishing later
    than under ``airflow-default`` (the ``cost`` goal's deadline) and DAGs costing more (the
    ``makespan`` goal's budget)."""
    from airflow_agora.simulation.simulator import FastestSize, RecordedSize, simulate

    results: dict[str, SimulationResult] = {}

    def run(policy) -> SimulationResult:
        report = progress and (lambda done, total: progress(policy.name, done, total))
        results[policy.name] = simulate(dags, policy, capacity_vcpus=capacity_vcpus, keep_runs=keep_runs,
                                        usd_per_vcpu_hour=usd_per_vcpu_hour, progress=report)  # fmt: skip
        return results[policy.name]

    base = run(RecordedSize(model, capacity_vcpus))
    summaries = {
        "airflow-default": base.summary(),
        "per-job-fastest": run(FastestSize(model, capacity_vcpus)).summary(),
    }
    reference = summaries["airflow-default"]
    out = {"capacity_vcpus": capacity_vcpus, "policies": summaries, "agora": {}}
    for goal in GOALS:
        result = run(AgoraPlanning(model, capacity_vcpus, goal, base.completion_s, base.cost_usd, usd_per_vcpu_hour))
        summary = summaries[result.policy] = result.summary()
        late = sum(result.completion_s[d] > base.completion_s[d] + 1e-6 for d in base.completion_s)
        dearer = sum(result.cost_usd[d] > base.cost_usd[d] * (1 + 1e-9) for d in base.cost_usd)
        out["agora"][goal] = {
            "cost_reduction_pct": _reduction(reference["total_cost_usd"], summary["total_cost_usd"]),
            "completion_reduction_pct": _reduction(
                reference["mean_dag_completion_s"], summary["mean_dag_completion_s"]
            ),
            "dags_later_than_default": late,
            "dags_costlier_than_default": dearer,
            "violations": late if goal == "cost" else dearer if goal == "makespan" else 0,
        }
    return out, results


def _reduction(before: float, after: float) -> float:
    return round(100 * (1 - after / before), 2) if before else 0.0

"""The ``agora`` policy: plan each arriving DAG against what the cluster already holds.

On arrival, the DAG's tasks get sizes and start times on the cluster's planned use (every earlier
DAG's planned tasks), so each task is placed where it fits first instead of queueing. The tasks then
wait for their planned starts. The candidates are every task at one factor of its default size and,
for DAGs of ``planner_min_tasks`` or more, the CP-SAT planner's plan with per-task sizes (the planned
use as its reservations, the goal in its terms: ``_planner_goals``). The goal picks among them:

* ``cost``: the cheapest sizes that still finish the DAG by its deadline, which is its completion
  under ``airflow-default`` (the default size is the recorded one clamped to the capacity). The
  cheapest candidate meeting the deadline is then refined: one task at a time steps down a size
  while the deadline holds. Every task at its cheapest size, when that is on time, needs no planner.
  A DAG no candidate can finish in time makes the DAGs planned before it give way, each still
  ending by its own deadline (``_replan_for``); when even that fails it gets the earliest finishing
  candidate that costs no more than by default (so a late DAG does not also take more of the
  cluster from the DAGs after it), and the comparison reports its violation.
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

import math
from collections import deque
from dataclasses import dataclass, field, replace

from airflow_agora.domain.goals import Goals, Objective
from airflow_agora.domain.graph import topological_order
from airflow_agora.domain.problem import PlanningProblem, Reservation
from airflow_agora.domain.workflow import VCPUS, Mode, TaskSpec, Workflow
from airflow_agora.planning.compiled import COST_UNIT_USD
from airflow_agora.planning.planner import Planner, PlannerOptions
from airflow_agora.simulation.profile import EPS, UsageProfile
from airflow_agora.simulation.scaling import ScalingModel, runtime_at
from airflow_agora.simulation.simulator import DEFAULT_USD_PER_VCPU_HOUR, Assignment, SimulationResult, offered_sizes
from airflow_agora.simulation.traces import TraceDag, TraceTask

GOALS = ("cost", "makespan", "balanced")
REFINED_TASKS = 20  # the costliest tasks a cost plan tries one size smaller
ARRIVAL_WINDOW = 50  # recent arrivals that estimate the arrival rate
PLANNER_MIN_TASKS = 3  # DAGs this large are also planned by the CP-SAT planner
# the planner counts cost in $0.0001 units and a trace task costs fractions of a cent, so the
# dollars it sees (costs, budgets, the price of time) are scaled up by this much
PLANNER_USD_SCALE = 10_000.0
# the planner's time grid and its work limit per DAG (CP-SAT's deterministic seconds, so a
# simulation repeats itself exactly however busy the machine is); the light solve halves the time
# of a simulation with plans as good (docs/simulation.md)
PLANNER_OPTIONS = PlannerOptions(
    time_limit_s=0.02, deterministic=True, time_unit_s=0.1, lexicographic=False, fallback_solve=False,
    light_solve=True,
)  # fmt: skip


@dataclass
class _Candidate:
    sizes: dict[str, float]
    starts: dict[str, float]
    runtimes: dict[str, float]
    completion_s: float
    cost_usd: float
    vcpu_s: float


@dataclass
class _Planned:
    """An arrived DAG's plan, kept while some of its tasks have not started and could still move."""

    tasks: dict[str, TraceTask]
    order: list[str]
    options: dict[str, list[float]]
    arrival_s: float
    deadline_s: float | None  # relative to the arrival
    plan: _Candidate | None = None  # None until planned

    def due_s(self) -> float:
        return math.inf if self.deadline_s is None else self.arrival_s + self.deadline_s


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
    planner_min_tasks: int = PLANNER_MIN_TASKS
    name: str = field(init=False)
    profile: UsageProfile = field(init=False)
    arrivals_s: deque = field(init=False)
    planned: dict[str, _Planned] = field(init=False)  # cost goal: DAGs with tasks still to start
    revisions: dict[str, dict[str, Assignment]] = field(init=False)

    def __post_init__(self) -> None:
        if self.goal not in GOALS:
            raise ValueError(f"goal {self.goal!r} is not one of {', '.join(GOALS)}")
        self.name = f"agora-{self.goal}"
        self.profile = UsageProfile(self.capacity_vcpus)
        self.arrivals_s = deque(maxlen=ARRIVAL_WINDOW)
        self.planned = {}
        self.revisions = {}

    def assign(self, dag: TraceDag, now_s: float) -> dict[str, Assignment]:
        self.profile.forget_before(now_s)
        self.arrivals_s.append(now_s)
        self.planned = {d: p for d, p in self.planned.items() if any(s > now_s + EPS for s in p.plan.starts.values())}
        tasks = {t.task_id: t for t in dag.tasks}
        order = topological_order(list(tasks), dag.edges)
        options = {t.task_id: offered_sizes(t, self.model, self.capacity_vcpus) for t in dag.tasks}
        deadline = self.deadline_s.get(dag.dag_id)
        new = _Planned(tasks, order, options, now_s, deadline)
        candidates = [self._candidate(new, f, now_s, self.profile) for f in self._factors()]
        delay_per_vcpu_s = self._delay_per_vcpu_s(now_s)
        if len(tasks) >= self.planner_min_tasks:
            planned = self._planner_candidate(dag, new, now_s, candidates, delay_per_vcpu_s)
            candidates += [planned] if planned is not None else []
        chosen = self._choose(dag.dag_id, candidates, deadline, delay_per_vcpu_s)
        replanned = None
        if self.goal == "cost" and deadline is not None:
            if chosen.completion_s <= deadline + 1e-6:
                chosen = self._refine(tasks, order, options, chosen, now_s, deadline)
            else:
                replanned = self._replan_for(new, now_s)
        if replanned is None:
            _book(self.profile, chosen)
        else:
            chosen = replanned  # already on the planned use
        new.plan = chosen
        if self.goal == "cost":  # only the cost goal replans, so only it keeps plans that may move
            self.planned[dag.dag_id] = new
        return {t: Assignment(chosen.sizes[t], chosen.runtimes[t], chosen.starts[t]) for t in tasks}

    def take_revisions(self) -> dict[str, dict[str, Assignment]]:
        """New sizes and starts of earlier DAGs' tasks that have not started (by DAG id), since the last
        call; the simulator applies them."""
        out, self.revisions = self.revisions, {}
        return out

    def _replan_for(self, new: _Planned, now_s: float) -> _Candidate | None:
        """Make room for a DAG that cannot finish by its deadline on the planned use: the DAGs with a
        task planned to start before that deadline give way, whatever their own deadlines (one due
        sooner may have slack). Their tasks not yet started come off the planned
        use, the new DAG takes the cheapest plan that is on time, then each of them, by deadline,
        takes its cheapest plan that is no later than its deadline (or its old plan, if that was
        late). On success the planned use holds every new plan, the new DAG's too; when any step
        fails nothing changes and ``None`` is returned."""
        due = new.due_s()
        movers = sorted(
            ((d, p) for d, p in self.planned.items() if any(now_s + EPS < s < due for s in p.plan.starts.values())),
            key=lambda item: item[1].due_s(),
        )
        if not movers:
            return None
        work = self.profile.copy()
        for _, p in movers:
            _book(work, p.plan, after_s=now_s, sign=-1.0)
        chosen = self._cheapest_on_time(new, now_s, work)
        if chosen is None:
            return None
        _book(work, chosen)
        moved = {}
        for d, p in movers:
            plan = self._cheapest_on_time(p, now_s, work, late_ok_s=p.plan.completion_s)
            if plan is None:
                return None
            _book(work, plan, after_s=now_s)
            moved[d] = plan
        self.profile = work
        for d, plan in moved.items():
            self.planned[d].plan = plan
            self.revisions.setdefault(d, {}).update(
                {t: Assignment(plan.sizes[t], plan.runtimes[t], s) for t, s in plan.starts.items() if s > now_s + EPS}
            )
        return chosen

    def _cheapest_on_time(
        self, p: _Planned, now_s: float, profile: UsageProfile, late_ok_s: float = 0.0
    ) -> _Candidate | None:
        """``p``'s cheapest uniform-size plan on ``profile`` (its started tasks kept) that ends by its
        deadline, or by ``late_ok_s`` after its arrival if that is later."""
        limit = max(p.deadline_s if p.deadline_s is not None else math.inf, late_ok_s) + 1e-6
        on_time = [c for f in self._factors() if (c := self._candidate(p, f, now_s, profile)).completion_s <= limit]
        return min(on_time, key=lambda c: (c.cost_usd, c.completion_s)) if on_time else None

    def _candidate(self, p: _Planned, factor: float, now_s: float, profile: UsageProfile) -> _Candidate:
        """``p``'s tasks not yet started at ``factor`` times their default size, placed on ``profile``."""
        sizes = self._uniform(p.tasks, p.options, factor)
        if p.plan is None:
            return self._place(p.tasks, p.order, sizes, now_s, profile=profile)
        fixed = {t: s for t, s in p.plan.starts.items() if s <= now_s + EPS}
        sizes.update({t: p.plan.sizes[t] for t in fixed})
        return self._place(p.tasks, p.order, sizes, now_s, profile=profile, fixed=fixed, arrival_s=p.arrival_s)

    def _planner_candidate(
        self, dag: TraceDag, new: _Planned, now_s: float, candidates: list[_Candidate], delay_per_vcpu_s: float
    ) -> _Candidate | None:
        """The CP-SAT planner's plan for the DAG on the planned use (as reservations), per task sizes and
        starts, with the goal in the planner's terms (see ``_planner_goals``). The DAG must end within
        the window: its deadline for the cost goal, else a quarter more than the slowest uniform
        candidate (room for the planner's grid rounding). ``None`` when the planner finds no plan
        meeting its goals."""
        window_s = new.deadline_s if self.goal == "cost" else 1.25 * max(c.completion_s for c in candidates) + 1.0
        goals = self._planner_goals(dag.dag_id, window_s, new.deadline_s, candidates, delay_per_vcpu_s)
        if goals is None:
            return None
        if goals.objective == Objective.COST:
            cheapest = {
                t: min(new.options[t], key=lambda v, t=t: (v * runtime_at(new.tasks[t], v, self.model), v))
                for t in new.tasks
            }
            floor = self._place(new.tasks, new.order, cheapest, now_s)
            if floor.completion_s <= window_s + 1e-6:
                return floor  # every task at its cheapest size and on time: no plan is cheaper
        busy = self.profile.steps(now_s, now_s + window_s)
        reservations = tuple(Reservation(a - now_s, b - now_s, {VCPUS: v}) for a, b, v in busy)  # times from now
        specs = []
        for t in new.order:
            task, modes = new.tasks[t], []
            for v in new.options[t]:
                runtime_s = runtime_at(task, v, self.model)
                modes.append(Mode.of(runtime_s, v, PLANNER_USD_SCALE * self._usd(v * runtime_s)))
            specs.append(TaskSpec(t, tuple(modes)))
        workflow = Workflow(dag.dag_id, tuple(specs), dag.edges, goals)
        problem = PlanningProblem((workflow,), {VCPUS: self.capacity_vcpus}, reservations=reservations)
        # a grid of 0.1 s, or a 2,000th of the window for long ones, keeps the model small
        options = replace(PLANNER_OPTIONS, time_unit_s=max(PLANNER_OPTIONS.time_unit_s, window_s / 2000))
        report = Planner(options).plan(problem)
        if not report.goal_met:
            return None
        sizes = {a.task_id: new.options[a.task_id][a.mode_index] for a in report.plan.assignments}
        starts = {a.task_id: now_s + a.start_s for a in report.plan.assignments}
        # the planner rounds durations up to its grid, so the real runtimes fit where it put them
        return self._place(new.tasks, new.order, sizes, now_s, fixed=starts)

    def _planner_goals(
        self,
        dag_id: str,
        window_s: float | None,
        deadline: float | None,
        candidates: list[_Candidate],
        delay_per_vcpu_s: float,
    ) -> Goals | None:
        """The goal in the planner's terms, ending by ``window_s``. ``cost``: the cheapest plan by the
        deadline. ``makespan``: the least shared completion within the default cost, i.e. ``balanced``
        in dollars with time priced at ``usd_per_vcpu_s / delay_per_vcpu_s`` (plain ``makespan`` on an
        idle cluster). ``balanced``: ``shared completion / T + cost / B`` in dollars, time priced at
        ``(1/T) / (delay / (usd_per_vcpu_s × T) + 1/B)``, with ``T`` and ``B`` the default completion
        and cost. Dollars are scaled by ``PLANNER_USD_SCALE``."""
        if not window_s:
            return None
        budget = self.budget_usd.get(dag_id) or None
        usd_per_vcpu_s = self.usd_per_vcpu_hour / 3600
        if self.goal == "cost":
            return Goals(Objective.COST, deadline_s=window_s)
        # half a cost unit per task over the budget, for the planner's rounding of each task's cost (a
        # plan that then costs more than the real budget loses in ``_choose``)
        planner_budget = budget and PLANNER_USD_SCALE * budget + len(candidates[0].sizes) * COST_UNIT_USD / 2
        if self.goal == "makespan":
            if delay_per_vcpu_s <= 0:
                return Goals(Objective.MAKESPAN, deadline_s=window_s, budget_usd=planner_budget)
            usd_per_hour = PLANNER_USD_SCALE * 3600 * usd_per_vcpu_s / delay_per_vcpu_s
            return Goals(Objective.BALANCED, deadline_s=window_s, budget_usd=planner_budget, usd_per_hour=usd_per_hour)
        scale_t, scale_c = _balanced_scales(deadline, budget, candidates)
        usd_per_s = (1 / scale_t) / (delay_per_vcpu_s / (usd_per_vcpu_s * scale_t) + 1 / scale_c)
        return Goals(Objective.BALANCED, deadline_s=window_s, usd_per_hour=PLANNER_USD_SCALE * 3600 * usd_per_s)

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
        self,
        tasks: dict[str, TraceTask],
        order: list[str],
        sizes: dict[str, float],
        now_s: float,
        *,
        profile: UsageProfile | None = None,
        fixed: dict[str, float] | None = None,
        arrival_s: float | None = None,
    ) -> _Candidate:
        """Each task at its earliest fit after its parents, on a copy of ``profile`` (the planned use by
        default). ``fixed`` tasks have started: they keep their starts (and are already on the profile)."""
        profile = (profile or self.profile).copy()
        fixed = fixed or {}
        starts, runtimes, ends = {}, {}, {}
        for t in order:
            runtimes[t] = runtime_at(tasks[t], sizes[t], self.model)
            if t in fixed:
                starts[t] = fixed[t]
            else:
                ready = max([now_s, *(ends[p] for p in tasks[t].parents)])
                starts[t] = profile.earliest_fit(ready, runtimes[t], sizes[t])
                profile.add(starts[t], starts[t] + runtimes[t], sizes[t])
            ends[t] = starts[t] + runtimes[t]
        vcpu_s = sum(sizes[t] * runtimes[t] for t in tasks)
        completion_s = max(ends.values()) - (now_s if arrival_s is None else arrival_s)
        return _Candidate(sizes, starts, runtimes, completion_s, self._usd(vcpu_s), vcpu_s)

    def _usd(self, vcpu_s: float) -> float:
        return vcpu_s * self.usd_per_vcpu_hour / 3600

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
        scale_t, scale_c = _balanced_scales(deadline, budget, candidates)
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


def _balanced_scales(deadline: float | None, budget: float | None, candidates: list[_Candidate]) -> tuple[float, float]:
    """The completion and cost the balanced goal divides by: the DAG's deadline and budget (its
    default completion and cost), else the largest among the candidates."""
    scale_t = deadline or max(c.completion_s for c in candidates) or 1.0
    scale_c = budget or max(c.cost_usd for c in candidates) or 1.0
    return scale_t, scale_c


def _book(profile: UsageProfile, plan: _Candidate, *, after_s: float = -math.inf, sign: float = 1.0) -> None:
    """Add (``sign`` 1) or take off (-1) the plan's tasks that start after ``after_s``."""
    for t, start in plan.starts.items():
        if start > after_s + EPS:
            profile.add(start, start + plan.runtimes[t], sign * plan.sizes[t])


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

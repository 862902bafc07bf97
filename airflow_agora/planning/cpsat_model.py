"""The CP-SAT model of the multi-mode resource-constrained scheduling problem (DESIGN.md §4).

One start, size and end variable per task and ``exactly one`` mode literal per task; the size and the
demand on each resource are linear in the mode literals, so one interval per task (not one optional
interval per mode) enters a cumulative per finite renewable resource (reservations enter as fixed
intervals). Until its mode is fixed a task still occupies its least duration at its least demand,
which the cumulative propagates; optional intervals per mode propagate nothing until chosen. On
PSPLIB j30 at 2 s this took the matched references from 94.0% to 96.4% (docs/benchmarks.md).
Linear caps for non-renewable budgets and cost budgets, finish-to-start precedences, deadlines as
domain limits. Variable domains are cut by heads and tails (earliest start, least time to the end).
The objective is a weighted sum of DAG completion times and DAG costs (see ``ObjectiveTerms``).
"""

from __future__ import annotations

from dataclasses import dataclass

from ortools.sat.python import cp_model

from airflow_agora.planning.bounds import earliest_starts, tails
from airflow_agora.planning.compiled import Compiled
from airflow_agora.planning.heuristic import Schedule


@dataclass(frozen=True)
class ObjectiveTerms:
    """``sum(time_coef[d] * (completion_d - release_d)) + sum(cost_coef[d] * cost_d)`` (integers);
    ``scale`` integer units per unit of the normalised score (1 for the pure objectives)."""

    time_coef: list[int]
    cost_coef: list[int]
    scale: float = 1.0


class SchedulingModel:
    """Builds the model; ``starts``, ``ends``, ``literals`` map back to tasks and kept modes."""

    def __init__(self, cp: Compiled, horizon: int) -> None:
        self.cp = cp
        self.horizon = horizon
        self.model = cp_model.CpModel()
        self.starts: list[cp_model.IntVar] = []
        self.ends: list[cp_model.IntVar] = []
        self.literals: list[list[cp_model.IntVar | int]] = []
        self.intervals: list[cp_model.IntervalVar] = []
        self.completions: list[cp_model.IntVar] = []
        self.dag_costs: list[cp_model.LinearExpr] = []
        self._add_tasks()
        self._add_precedences()
        self._add_capacities()
        self._add_nonrenewable_budgets()
        self._add_completions()
        self._add_cost_budgets()

    # -- constraint families ------------------------------------------------------------------------
    def _add_tasks(self) -> None:
        cp, m = self.cp, self.model
        es = earliest_starts(cp)
        tl = tails(cp)
        for i, t in enumerate(cp.tasks):
            dag = cp.dags[t.dag]
            last_end = self.horizon if dag.deadline is None else min(self.horizon, dag.deadline)
            lst_end = last_end - (tl[i] - t.min_duration)
            start = m.new_int_var(es[i], max(es[i], lst_end - t.min_duration), f"s{i}")
            end = m.new_int_var(es[i] + t.min_duration, max(es[i] + t.min_duration, lst_end), f"e{i}")
            if len(t.durations) == 1:
                lits: list = [1]
                size = t.durations[0]
            else:
                lits = [m.new_bool_var(f"x{i}_{k}") for k in range(len(t.durations))]
                m.add_exactly_one(lits)
                size = m.new_int_var(min(t.durations), max(t.durations), f"d{i}")
                m.add(size == sum(d * lit for d, lit in zip(t.durations, lits, strict=True)))
            self.starts.append(start)
            self.ends.append(end)
            self.literals.append(lits)
            self.intervals.append(m.new_interval_var(start, size, end, f"i{i}"))

    def _demand(self, i: int, r: int) -> cp_model.IntVar | int:
        """Task ``i``'s demand on resource ``r``: a constant, or a variable fixed by its mode."""
        qs = [q[r] for q in self.cp.tasks[i].demands]
        if min(qs) == max(qs):
            return qs[0]
        q = self.model.new_int_var(min(qs), max(qs), f"q{i}_{r}")
        self.model.add(q == sum(v * lit for v, lit in zip(qs, self.literals[i], strict=True)))
        return q

    def _add_precedences(self) -> None:
        for j, preds in enumerate(self.cp.preds):
            for i in preds:
                self.model.add(self.starts[j] >= self.ends[i])

    def _add_capacities(self) -> None:
        cp = self.cp
        for r, cap in enumerate(cp.capacities):
            intervals, demands, most = [], [], 0
            for i, t in enumerate(cp.tasks):
                if any(q[r] > 0 for q in t.demands):
                    intervals.append(self.intervals[i])
                    demands.append(self._demand(i, r))
                    most += max(q[r] for q in t.demands)
            for n, (s, e, q) in enumerate(cp.reservations):
                if q[r] > 0 and e > s:
                    intervals.append(self.model.new_fixed_size_interval_var(s, e - s, f"res{n}_{r}"))
                    demands.append(min(q[r], cap))
                    most += min(q[r], cap)
            if intervals and most > cap:
                self.model.add_cumulative(intervals, demands, cap)

    def _add_nonrenewable_budgets(self) -> None:
        cp = self.cp
        for b, cap in enumerate(cp.budget_caps):
            terms = [
                (self.literals[i][k], t.consumes[k][b])
                for i, t in enumerate(cp.tasks)
                for k in range(len(t.durations))
                if t.consumes[k][b]
            ]
            self.model.add(sum(c * lit for lit, c in terms) <= cap)

    def _add_completions(self) -> None:
        cp, m = self.cp, self.model
        es = earliest_starts(cp)
        for dag in cp.dags:
            sinks = [i for i in dag.tasks if not cp.succs[i]]
            low = max(es[i] + cp.tasks[i].min_duration for i in dag.tasks)
            high = self.horizon if dag.deadline is None else min(self.horizon, dag.deadline)
            c = m.new_int_var(low, max(low, high), f"c_{dag.dag_id}")
            m.add_max_equality(c, [self.ends[i] for i in sinks])
            self.completions.append(c)
            self.dag_costs.append(sum(self.cost_expr(i) for i in dag.tasks))

    def _add_cost_budgets(self) -> None:
        cp = self.cp
        for d, dag in enumerate(cp.dags):
            if dag.budget is not None:
                self.model.add(self.dag_costs[d] <= dag.budget)
        if cp.global_budget is not None:
            self.model.add(sum(self.dag_costs) <= cp.global_budget)

    # -- objective, hints, reading solutions --------------------------------------------------------
    def cost_expr(self, i: int):
        t = self.cp.tasks[i]
        if len(t.costs) == 1:
            return t.costs[0]
        return sum(c * lit for c, lit in zip(t.costs, self.literals[i], strict=True) if c)

    def objective_expr(self, terms: ObjectiveTerms):
        expr = 0
        for d, dag in enumerate(self.cp.dags):
            if terms.time_coef[d]:
                expr += terms.time_coef[d] * (self.completions[d] - dag.release)
            if terms.cost_coef[d]:
                expr += terms.cost_coef[d] * self.dag_costs[d]
        return expr

    def add_hint(self, sched: Schedule) -> None:
        self.model.clear_hints()
        for i, t in enumerate(self.cp.tasks):
            self.model.add_hint(self.starts[i], sched.starts[i])
            self.model.add_hint(self.ends[i], sched.starts[i] + t.durations[sched.modes[i]])
            if len(t.durations) > 1:
                for k, lit in enumerate(self.literals[i]):
                    self.model.add_hint(lit, k == sched.modes[i])

    def read(self, solver: cp_model.CpSolver, strategy: str = "cp-sat") -> Schedule:
        modes = [
            0 if len(lits) == 1 else next(k for k, lit in enumerate(lits) if solver.boolean_value(lit))
            for lits in self.literals
        ]
        return Schedule(modes, [solver.value(s) for s in self.starts], strategy)

"""What a user asks of a DAG (or of several DAGs planned together)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum


class Objective(StrEnum):
    """The three planning goals.

    * ``makespan``: finish as early as possible (optionally within a budget), then as cheaply as possible.
    * ``cost``: spend as little as possible while finishing by the deadline (the SLA case), then finish
      as early as possible at that cost.
    * ``balanced``: minimise ``weight * makespan / makespan_ref + (1 - weight) * cost / cost_ref`` where
      the references are the lower bounds on makespan and on cost, so both terms are ratios near 1
      and ``weight`` (default 0.5) says how much one percent of time is worth against one percent of cost.
      With ``usd_per_hour`` (what an hour of the DAG's duration is worth) it minimises dollars instead:
      ``cost + usd_per_hour * duration_h``.
    """

    MAKESPAN = "makespan"
    COST = "cost"
    BALANCED = "balanced"


@dataclass(frozen=True)
class Goals:
    """Goals of one DAG: an objective, an optional deadline (SLA) and budget.

    ``deadline_s`` counts from the DAG's release (its start when planned alone). ``weight`` scales this
    DAG's term when several DAGs are planned together; ``balance_weight`` is the time share of the
    ``balanced`` objective.
    """

    objective: Objective = Objective.MAKESPAN
    deadline_s: float | None = None
    budget_usd: float | None = None
    weight: float = 1.0
    balance_weight: float = 0.5
    usd_per_hour: float | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "objective", Objective(self.objective))
        for name in ("deadline_s", "budget_usd", "usd_per_hour"):
            value = getattr(self, name)
            if value is not None and (not math.isfinite(value) or value <= 0):
                raise ValueError(f"{name} must be a positive number, got {value!r}")
        if self.weight <= 0:
            raise ValueError(f"weight must be positive, got {self.weight}")
        if not 0.0 <= self.balance_weight <= 1.0:
            raise ValueError(f"balance_weight must be within [0, 1], got {self.balance_weight}")

    def to_dict(self) -> dict:
        out: dict = {"objective": self.objective.value}
        if self.deadline_s is not None:
            out["deadline_s"] = self.deadline_s
        if self.budget_usd is not None:
            out["budget_usd"] = self.budget_usd
        if self.weight != 1.0:
            out["weight"] = self.weight
        if self.balance_weight != 0.5:
            out["balance_weight"] = self.balance_weight
        if self.usd_per_hour is not None:
            out["usd_per_hour"] = self.usd_per_hour
        return out

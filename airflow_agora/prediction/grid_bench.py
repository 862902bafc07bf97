"""The single-shot recommendation benchmark on measured runtime grids (``agora bench recommend``).

A grid file has one row per measured configuration:
``workload,instance_type,nodes,runtime_s,completed,usd_per_node_hour,runs``. Per workload the SLA is
the median runtime of its completed rows; each completed row in turn is the *parent* run. The
recommender sees only the candidate list (node specs from the catalogue, counts and prices from the
grid), the SLA and the parent's configuration and runtime, and picks a *child*, whose real runtime
and cost are then read from the grid (a row that did not complete misses the SLA).
"""

from __future__ import annotations

import csv
import statistics
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from airflow_agora.domain.errors import InvalidInputError
from airflow_agora.prediction.catalogue import Catalogue
from airflow_agora.prediction.runtime_prior import NodeSpec, Observation, PricedCandidate, PriorScalingModel, choose

GRID_COLUMNS = ("workload", "instance_type", "nodes", "runtime_s", "completed", "usd_per_node_hour")


@dataclass(frozen=True)
class GridRow:
    workload: str
    instance_type: str
    nodes: int
    runtime_s: float
    completed: bool
    usd_per_node_hour: float

    @property
    def cost_usd(self) -> float:
        return self.runtime_s * self.nodes * self.usd_per_node_hour / 3600


def load_grid(path: str | Path) -> dict[str, list[GridRow]]:
    p = Path(path)
    if not p.exists():
        raise InvalidInputError("grid file not found", where=str(p))
    rows: dict[str, list[GridRow]] = {}
    with open(p, newline="") as f:
        reader = csv.DictReader(f)
        missing = [c for c in GRID_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise InvalidInputError(
                f"the header lacks {', '.join(missing)}", where=str(p), fix=f"start it with {','.join(GRID_COLUMNS)}"
            )
        for n, r in enumerate(reader, start=2):
            try:
                row = GridRow(
                    r["workload"],
                    r["instance_type"],
                    int(r["nodes"]),
                    float(r["runtime_s"]),
                    r["completed"].strip().lower() in ("true", "1", "yes"),
                    float(r["usd_per_node_hour"]),
                )
            except (TypeError, ValueError) as exc:
                raise InvalidInputError(f"line {n}: {exc}", where=str(p)) from None
            rows.setdefault(row.workload, []).append(row)
    if not rows:
        raise InvalidInputError("the grid has no rows", where=str(p))
    return rows


def node_spec(instance_type: str, catalogue: Catalogue) -> NodeSpec:
    """Catalogue specs; grid names may carry a suffix such as ``+local`` (local disks)."""
    spec = NodeSpec.of(catalogue.get(instance_type.split("+", 1)[0]))
    return replace(spec, name=instance_type)


Picker = Callable[[GridRow, list[PricedCandidate], float], tuple[str, int]]


def prior_picker(model_factory: Callable[[], PriorScalingModel], catalogue: Catalogue) -> Picker:
    def pick(parent: GridRow, candidates: list[PricedCandidate], sla_s: float) -> tuple[str, int]:
        model = model_factory().fit(
            [Observation(node_spec(parent.instance_type, catalogue), parent.nodes, parent.runtime_s)]
        )
        chosen = choose(model, candidates, sla_s)
        return chosen.node.name, chosen.nodes

    return pick


def run_benchmark(grid: dict[str, list[GridRow]], catalogue: Catalogue, picker: Picker | None = None) -> dict:
    picker = picker or prior_picker(PriorScalingModel, catalogue)
    outcomes = []
    for rows in grid.values():
        done = [r for r in rows if r.completed]
        if not done:
            continue
        sla_s = statistics.median(r.runtime_s for r in done)
        by_key = {(r.instance_type, r.nodes): r for r in rows}
        candidates = [
            PricedCandidate(node_spec(r.instance_type, catalogue), r.nodes, r.usd_per_node_hour) for r in rows
        ]
        meeting = [r.cost_usd for r in done if r.runtime_s <= sla_s]
        oracle = min(meeting)
        for parent in done:
            child = by_key[picker(parent, candidates, sla_s)]
            child_meets = child.completed and child.runtime_s <= sla_s
            child_cost = child.cost_usd if child.completed else float("inf")
            outcomes.append(
                {
                    "improvable": oracle < parent.cost_usd - 1e-12,
                    "improved": child_meets and child_cost < parent.cost_usd,
                    "change": 100 * (child_cost - parent.cost_usd) / parent.cost_usd,
                    "oracle_change": 100 * (oracle - parent.cost_usd) / parent.cost_usd,
                    "violation": not child_meets,
                    "parent_missed": parent.runtime_s > sla_s,
                }
            )
    improvable = [o for o in outcomes if o["improvable"]]
    missed = [o for o in outcomes if o["parent_missed"]]

    def pct(part, whole):
        return round(100 * len(part) / len(whole), 2) if whole else None

    return {
        "workloads": len(grid),
        "parents": len(outcomes),
        "improvable_parents": len(improvable),
        "improved_pct": pct([o for o in improvable if o["improved"]], improvable),
        "median_cost_change_pct": round(statistics.median(o["change"] for o in outcomes), 2),
        "oracle_median_cost_change_pct": round(statistics.median(o["oracle_change"] for o in outcomes), 2),
        "sla_violation_pct": pct([o for o in outcomes if o["violation"]], outcomes),
        "fixed_violation_pct": pct([o for o in missed if not o["violation"]], missed),
    }

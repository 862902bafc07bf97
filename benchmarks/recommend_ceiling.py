"""How well could any runtime-only recommender do on a grid? Ceilings for `agora bench recommend`.

Runs the single-shot protocol (SLA = a workload's median completed runtime, each completed row the
parent; docs/prediction.md) with pickers that know more than a recommender can:

* ``perfect``: every row's real runtime; the cheapest row at or under ``margin`` x SLA. With
  margin 1 it is the oracle; a smaller margin shows how many good children sit just under the SLA,
  i.e. how accurate predictions must be to find them safely.
* ``amdahl-hindsight``: the recommender's own prior (``PriorScalingModel``, Amdahl over
  P = nodes x vCPUs x speed) anchored on the parent, but with σ fitted to all of the workload's
  completed rows on the parent's type (which a single-shot recommender never sees); the cheapest
  row whose mid estimate is at or under margin x SLA. This is the best the prior's model family
  could do with σ known.

Usage: .venv/bin/python benchmarks/recommend_ceiling.py ../shared/data/grids/*.csv
"""

from __future__ import annotations

import statistics
import sys

from airflow_agora.prediction.catalogue import Catalogue
from airflow_agora.prediction.grid_bench import GridRow, load_grid, node_spec
from airflow_agora.prediction.runtime_prior import Observation, PriorScalingModel

MARGINS = (1.0, 0.95, 0.9)


def ceiling(grid: dict[str, list[GridRow]], catalogue: Catalogue, picker: str, margin: float) -> tuple[float, float]:
    """(improved % of improvable parents, SLA violation % of all parents)."""
    improvable = improved = violations = parents = 0
    for rows in grid.values():
        done = [r for r in rows if r.completed]
        if not done:
            continue
        sla_s = statistics.median(r.runtime_s for r in done)
        specs = {r: node_spec(r.instance_type, catalogue) for r in rows}
        oracle_usd = min(r.cost_usd for r in done if r.runtime_s <= sla_s)
        for parent in done:
            if picker == "perfect":
                predicted_s = {c: c.runtime_s if c.completed else float("inf") for c in rows}
            else:  # the parent last: the prior anchors on its last observation
                seen = [Observation(specs[r], r.nodes, r.runtime_s) for r in done if r is not parent]
                model = PriorScalingModel().fit([*seen, Observation(specs[parent], parent.nodes, parent.runtime_s)])
                predicted_s = {c: model.predict(specs[c], c.nodes).runtime_s for c in rows}
            fits = [c for c in rows if predicted_s[c] <= margin * sla_s]
            if fits:
                child = min(fits, key=lambda c: predicted_s[c] * c.nodes * c.usd_per_node_hour)
            else:
                child = max(rows, key=lambda c: specs[c].capacity(c.nodes))
            meets = child.completed and child.runtime_s <= sla_s
            parents += 1
            violations += not meets
            if oracle_usd < parent.cost_usd - 1e-12:
                improvable += 1
                improved += meets and child.cost_usd < parent.cost_usd
    return round(100 * improved / improvable, 1), round(100 * violations / parents, 1)


def main(paths: list[str]) -> None:
    catalogue = Catalogue.load()
    for path in paths:
        grid = load_grid(path)
        for picker in ("perfect", "amdahl-hindsight"):
            for margin in MARGINS:
                improved, violations = ceiling(grid, catalogue, picker, margin)
                print(
                    f"recommend_ceiling: grid={path.rsplit('/', 1)[-1]} picker={picker} margin={margin} "
                    f"improved_pct={improved} sla_violation_pct={violations}"
                )


if __name__ == "__main__":
    main(sys.argv[1:])

"""CP-SAT alone on PSPLIB instances: minimising the makespan against refuting one unit less.

Given the optimum (from the reference table), each instance is solved on one core for LIMIT_S
seconds in two ways, per seed:

* ``minimise``: the planner's model with the horizon at the optimum, minimising the makespan (as
  the planner did beside the genetic search until 2026-12-04);
* ``refute``: the same model with the horizon at the optimum - 1, no objective and no LP relaxation
  (``planner._prove_best``); INFEASIBLE proves the optimum.

Usage: .venv/bin/python benchmarks/refutation.py [--limit-s 1] [--seeds 0,1,2] FILE.mm...
On the 39 j18/j20 instances CP-SAT alone left unproven at 1 s (docs/benchmarks.md), three seeds:
minimise 17 and refute 88 of 117 with the model's bound at ``makespan_lower_bound``; 26 and 89 with
the bound it had before the budget-aware energy bound.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from ortools.sat.python import cp_model

from airflow_agora.planning.bounds import makespan_lower_bound
from airflow_agora.planning.compiled import compile_problem
from airflow_agora.planning.cpsat_model import SchedulingModel
from airflow_agora.planning.psplib import load_psplib, load_reference

DATA = Path(os.environ.get("AGORA_SHARED_DATA", Path(__file__).resolve().parents[1].parent / "shared/data"))
REFERENCE = DATA / "mrcpsp/solutions/reference_makespans.csv"


def proves(path: Path, optimum: int, way: str, limit_s: float, seed: int) -> bool:
    cp = compile_problem(load_psplib(path))
    sm = SchedulingModel(cp, optimum if way == "minimise" else optimum - 1)
    sm.model.add(sm.completions[0] >= makespan_lower_bound(cp))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = limit_s
    solver.parameters.random_seed = seed
    if way == "minimise":
        sm.model.minimize(sm.completions[0])
        return solver.solve(sm.model) == cp_model.OPTIMAL
    solver.parameters.linearization_level = 0
    return solver.solve(sm.model) == cp_model.INFEASIBLE


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("instances", nargs="+", type=Path)
    parser.add_argument("--limit-s", type=float, default=1.0)
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--reference", type=Path, default=REFERENCE)
    args = parser.parse_args()
    reference = load_reference(args.reference)
    seeds = [int(s) for s in args.seeds.split(",")]
    runs = [(p, reference[p.name][0]) for p in args.instances if reference.get(p.name, (None,))[0]]
    for way in ("minimise", "refute"):
        proven = sum(proves(p, opt, way, args.limit_s, s) for p, opt in runs for s in seeds)
        total = len(runs) * len(seeds)
        print(f"refutation: way={way} instances={len(runs)} seeds={len(seeds)} proven={proven}/{total}")


if __name__ == "__main__":
    main()

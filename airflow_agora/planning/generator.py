"""Generated workflows for scale benchmarks (documented in docs/benchmarks.md).

A layered random DAG: ``n`` tasks in about ``sqrt(n)`` layers, each task after one to three tasks of
the previous three layers. Each task has a work amount ``W`` (core-seconds, log-normal, median 2,000)
and a serial fraction ``f`` (uniform 2-30%); its modes are clusters of 1, 2, 4, 8 ... workers of two
instance types, with Amdahl's law for the runtime
``duration_s = start_up_s + W * (f + (1 - f) / vcpus) / speed`` and cost
``workers * usd_per_node_hour * duration_s / 3600``. Capacity defaults to 256 vCPUs.
"""

from __future__ import annotations

import math
import random
import resource
import time

from airflow_agora.domain.cluster import ClusterConfig
from airflow_agora.domain.goals import Goals, Objective
from airflow_agora.domain.problem import PlanningProblem
from airflow_agora.domain.workflow import VCPUS, Mode, TaskSpec, Workflow

# (instance type, vCPUs per node, relative per-core speed, $/node-hour): m5.xlarge and c5.2xlarge
# on-demand us-east-1 (shared/data/pricing/karpenter_ondemand_prices_us-east-1.csv), speed from the
# median CoreMark per vCPU of m5 (14.4k) and c5 (16.5k) in shared/data/pricing/SOURCE.md.
INSTANCE_TYPES = (("m5.xlarge", 4, 1.0, 0.192), ("c5.2xlarge", 8, 16.5 / 14.4, 0.34))
START_UP_S = 30.0


def generate_workflow(
    n_tasks: int, *, modes: int = 8, seed: int = 1, capacity_vcpus: float = 256, objective: str = "makespan"
) -> PlanningProblem:
    rng = random.Random(seed)
    layers = max(1, round(math.sqrt(n_tasks)))
    layer_of = sorted(rng.randrange(layers) for _ in range(n_tasks))
    ids = [f"t{i:05d}" for i in range(n_tasks)]
    by_layer: dict[int, list[int]] = {}
    for i, layer in enumerate(layer_of):
        by_layer.setdefault(layer, []).append(i)
    edges = []
    for i, layer in enumerate(layer_of):
        pool = [j for back in (1, 2, 3) for j in by_layer.get(layer - back, [])]
        for j in rng.sample(pool, min(len(pool), rng.randint(1, 3))) if pool else []:
            edges.append((ids[j], ids[i]))
    tasks = []
    per_type = max(1, modes // len(INSTANCE_TYPES))
    for i in range(n_tasks):
        work = rng.lognormvariate(math.log(2000.0), 0.8)
        serial = rng.uniform(0.02, 0.30)
        task_modes = []
        for itype, vcpus_per, speed, price in INSTANCE_TYPES:
            for k in range(per_type):
                workers = 2**k
                vcpus = workers * vcpus_per
                if vcpus > capacity_vcpus:
                    break
                duration = START_UP_S + work * (serial + (1 - serial) / vcpus) / speed
                duration = round(duration, 1)
                cost = workers * price * duration / 3600.0
                config = ClusterConfig(itype, workers, vcpus_per_worker=vcpus_per)
                task_modes.append(Mode(duration, {VCPUS: vcpus}, round(cost, 6), config=config))
        tasks.append(TaskSpec(ids[i], tuple(task_modes[:modes])))
    wf = Workflow(f"generated_{n_tasks}", tuple(tasks), tuple(edges), Goals(Objective(objective)))
    return PlanningProblem((wf,), {VCPUS: float(capacity_vcpus)}, name=f"generated_{n_tasks}_seed{seed}")


def benchmark_generated(n_tasks: int, *, modes: int = 8, time_limit_s: float = 30.0, seed: int = 1) -> dict:
    """Generate, plan and validate one workflow; report timings, gap and peak memory of this process."""
    from airflow_agora.planning.planner import Planner, PlannerOptions
    from airflow_agora.planning.validator import check_plan

    t0 = time.monotonic()
    problem = generate_workflow(n_tasks, modes=modes, seed=seed)
    generated_s = time.monotonic() - t0
    report = Planner(PlannerOptions(time_limit_s=time_limit_s, lexicographic=False)).plan(problem)
    check_plan(problem, report.plan)
    return {
        "tasks": n_tasks,
        "modes": modes,
        "generate_s": round(generated_s, 2),
        "first_plan_s": report.stats.get("first_plan_s"),
        "status": report.status.value,
        "makespan_s": report.makespan_s,
        "lower_bound_s": report.lower_bound,
        "gap_pct": round(report.gap_pct, 2),
        "cpsat_status": report.stats.get("cpsat_status"),
        "plan_s": round(report.solve_s, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }

"""``agora demo``: the four-job example DAG through real Airflow against the sandbox workspace.

It starts the Databricks sandbox and Airflow's own processes (LocalExecutor, SQLite) in a
throw-away home, runs ``four_jobs_airflow_default`` once (the jobs as written, a 160-slot pool, no
plan) and ``agora_four_jobs`` several times, and prints per run the plan, each task's cluster,
runtime and cost, the DAG's runtime against the SLA and each job's own next proposal from the
closed loop (which the next plan weighs against the DAG's deadline). Nothing here imports Airflow:
it drives Airflow over its REST API and reads the history store.

DAG runtimes are on the sandbox's cluster clock (see :mod:`~airflow_agora.sandbox.cluster_clock`):
what the runs took on the clusters, in the order Airflow started them, without the seconds of
Airflow's own latency that the sandbox's speed-up would magnify.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from airflow_agora.domain.cluster import ClusterConfig
from airflow_agora.domain.errors import InvalidInputError
from airflow_agora.history.engine import make_engine
from airflow_agora.history.schema import migrate
from airflow_agora.history.store import HistoryStore
from airflow_agora.prediction.catalogue import Catalogue
from airflow_agora.prediction.cost import CostRates, run_cost
from airflow_agora.sandbox.cluster_clock import ObservedRun, replay
from airflow_agora.sandbox.databricks import DatabricksSandbox
from airflow_agora.sandbox.local_airflow import REPO_EXAMPLE_DAGS, AirflowStack, airflow_env, migrate_airflow

AGORA_DAG = "agora_four_jobs"
DEFAULT_DAG = "four_jobs_airflow_default"
POOL = "four_jobs_capacity"
SLA_S = 800.0
CAPACITY_VCPUS = 160.0
STARTUP_S = 20.0  # clusters from a warm instance pool
SPEEDUP = 200.0
TOKEN = "dapi-agora-demo-sandbox"
MARKER = ".agora-demo"  # marks a folder the demo may empty


@dataclass(frozen=True)
class TaskResult:
    task_id: str
    config: ClusterConfig
    start_s: float
    end_s: float
    cost_usd: float
    succeeded: bool


@dataclass(frozen=True)
class DagRunResult:
    """One DAG run as the demo reports it."""

    label: str
    run_id: str
    state: str
    tasks: list[TaskResult]
    wall_s: float
    plan: dict | None = None

    @property
    def runtime_s(self) -> float:
        return max((t.end_s for t in self.tasks), default=0.0)

    @property
    def cost_usd(self) -> float:
        return sum(t.cost_usd for t in self.tasks)

    def to_dict(self) -> dict:
        return {
            "label": self.label,
            "run_id": self.run_id,
            "state": self.state,
            "runtime_s": round(self.runtime_s, 1),
            "sla_met": self.runtime_s <= SLA_S,
            "cost_usd": round(self.cost_usd, 4),
            "airflow_wall_s": round(self.wall_s, 1),
            "tasks": {
                t.task_id: {
                    "cluster": t.config.label,
                    "start_s": round(t.start_s, 1),
                    "end_s": round(t.end_s, 1),
                    "cost_usd": round(t.cost_usd, 4),
                    "succeeded": t.succeeded,
                }
                for t in self.tasks
            },
            "plan": None
            if self.plan is None
            else {k: self.plan[k] for k in ("status", "goal_met", "makespan_s", "cost_usd", "gap_pct")},
        }


def run_demo(*, runs: int = 7, workdir: Path | None = None, say: Callable[[str], None] = print) -> list[DagRunResult]:
    """Run the demo (see the module docstring); ``say`` receives the report line by line."""
    keep = workdir is not None
    root = Path(workdir) if workdir else Path(tempfile.mkdtemp(prefix="agora-demo-"))
    if keep and root.exists() and any(root.iterdir()):
        if not (root / MARKER).exists():
            raise InvalidInputError(
                f"{root} is not empty and not an earlier demo folder", fix="give a new folder to --workdir"
            )
        shutil.rmtree(root)  # every demo starts from a new install
    root.mkdir(parents=True, exist_ok=True)
    (root / MARKER).touch()
    began = time.monotonic()
    try:
        return _demo(root, runs, say, began)
    finally:
        if not keep:
            shutil.rmtree(root, ignore_errors=True)


def _demo(root: Path, runs: int, say: Callable[[str], None], began: float) -> list[DagRunResult]:
    def progress(text: str) -> None:
        say(f"[{time.monotonic() - began:5.0f} s] {text}")

    history_url = f"sqlite:///{root / 'agora.db'}"
    migrate(make_engine(history_url))
    store = HistoryStore.open(history_url)
    catalogue = Catalogue.packaged()
    rates = CostRates().with_overrides(databricks_startup_s=STARTUP_S)
    say(
        f"agora demo: four Spark jobs, {SLA_S:.0f} s SLA, {CAPACITY_VCPUS:.0f} vCPUs shared; a sandbox Databricks "
        f"workspace ({SPEEDUP:.0f}x faster than real time) and Airflow with the LocalExecutor in {root}"
    )
    with DatabricksSandbox(root / "workspace", token=TOKEN, speedup=SPEEDUP, startup_s=STARTUP_S) as ws:
        env = airflow_env(
            root / "airflow",
            dags_folder=REPO_EXAMPLE_DAGS,
            history_url=history_url,
            databricks_connection=ws.airflow_connection(),
        )
        env["AIRFLOW__AGORA__CLUSTER_STARTUP_S"] = str(STARTUP_S)
        env["AIRFLOW__AGORA__CAPACITY_VCPUS"] = str(CAPACITY_VCPUS)  # the shared pool the leases draw on
        progress("creating Airflow's metadata database")
        migrate_airflow(env)
        progress("starting Airflow: api-server, scheduler, dag-processor, triggerer")
        with AirflowStack(env, root / "processes") as airflow:
            for dag_id in (DEFAULT_DAG, AGORA_DAG):
                airflow.wait_for_dag(dag_id)
            airflow.api("POST", "/pools", json={"name": POOL, "slots": int(CAPACITY_VCPUS), "include_deferred": False})
            upstream = {dag_id: _upstream(airflow, dag_id) for dag_id in (DEFAULT_DAG, AGORA_DAG)}
            progress("Airflow is up")
            plays = [(DEFAULT_DAG, "Airflow default")] + [(AGORA_DAG, f"Agora run {i}") for i in range(1, runs + 1)]
            results = []
            for dag_id, label in plays:
                results.append(_run(airflow, ws, store, dag_id, label, upstream[dag_id], catalogue, rates, progress))
                _say_run(results[-1], store, say)
    _say_summary(results, say)
    progress("done")
    return results


def _upstream(airflow: AirflowStack, dag_id: str) -> dict[str, tuple[str, ...]]:
    """Each task's upstream task ids, from Airflow's REST API."""
    tasks = airflow.api("GET", f"/dags/{dag_id}/tasks")["tasks"]
    upstream: dict[str, tuple[str, ...]] = {t["task_id"]: () for t in tasks}
    for t in tasks:
        for down in t["downstream_task_ids"]:
            upstream[down] += (t["task_id"],)
    return upstream


def _run(airflow, ws, store, dag_id, label, upstream, catalogue, rates, progress) -> DagRunResult:
    progress(f"{label}: triggering {dag_id}")
    since_ms = ws.now_ms()
    began = time.monotonic()
    run_id = airflow.trigger(dag_id)
    run = airflow.wait_for_run(dag_id, run_id)
    wall = time.monotonic() - began
    submitted = sorted((r for r in list(ws.runs.values()) if r.submitted_ms >= since_ms), key=lambda r: r.submitted_ms)
    observed, measured = [], {}
    for r in submitted:
        task = r.tasks[0]
        config = ClusterConfig(task.cluster["node_type_id"], int(task.cluster["num_workers"]), platform="databricks")
        duration_s = (task.finished_ms - task.queued_ms) / 1000
        job_s = max(0.0, (task.finished_ms - task.start_ms) / 1000)
        cost = run_cost(config, job_s, catalogue, rates).total_usd
        vcpus = config.num_workers * catalogue.get(config.instance_type).vcpus
        observed.append(ObservedRun(r.run_name, r.submitted_ms, duration_s, vcpus))
        measured[r.run_name] = (config, cost, task.failure is None and task.cancelled_ms is None)
    times = replay(observed, upstream, CAPACITY_VCPUS)
    results = [
        TaskResult(name, measured[name][0], start, end, measured[name][1], measured[name][2])
        for name, (start, end) in sorted(times.items(), key=lambda kv: kv[1])
    ]
    plan = store.get_plan(dag_id, run_id) if dag_id == AGORA_DAG else None
    progress(f"{label}: {run['state']} after {wall:.0f} s of real time")
    return DagRunResult(label, run_id, run["state"], results, wall, plan)


def _say_run(result: DagRunResult, store: HistoryStore, say: Callable[[str], None]) -> None:
    say("")
    if result.plan is None:
        say(f"{result.label}: the clusters as written, a {CAPACITY_VCPUS:.0f}-slot pool, no plan")
    else:
        p = result.plan
        say(
            f"{result.label}: plan {p['status']}, makespan {p['makespan_s']:.0f} s, ${p['cost_usd']:.2f}, "
            f"goal {'met' if p['goal_met'] else 'NOT met'} (gap {p['gap_pct']:.1f}%)"
            + (f" if the untried sizes of {', '.join(p['exploring'])} run as hoped" if p.get("exploring") else "")
        )
    say(f"  {'task':<20} {'cluster':<16} {'planned':>11} {'ran':>11} {'cost':>7}  job's own proposal")
    for t in result.tasks:
        entry = (result.plan or {}).get("tasks", {}).get(t.task_id)
        planned = f"{entry['start_s']:.0f}-{entry['end_s']:.0f}" if entry else ""
        ran = f"{t.start_s:.0f}-{t.end_s:.0f}" + ("" if t.succeeded else " FAILED")
        nxt = ""
        if entry:
            rec = store.latest_recommendation(entry["project"])
            nxt = f"{rec.config.label} ({rec.phase}: {rec.reason})" if rec else ""
        say(f"  {t.task_id:<20} {t.config.label:<16} {planned:>11} {ran:>11} {_usd(t.cost_usd):>7}  {nxt}")
    verdict = "met" if result.runtime_s <= SLA_S else "MISSED"
    say(f"  DAG runtime {result.runtime_s:,.0f} s, SLA {SLA_S:.0f} s {verdict}; cost ${result.cost_usd:.2f}")


def _say_summary(results: list[DagRunResult], say: Callable[[str], None]) -> None:
    base = results[0]
    say("")
    say(f"{'run':<16} {'DAG runtime':>12} {'SLA':>7} {'cost':>8} {'vs default':>11}")
    for r in results:
        change = "" if r is base else f"{100 * (r.cost_usd / base.cost_usd - 1):+.0f}%"
        verdict = "met" if r.runtime_s <= SLA_S else "missed"
        say(f"{r.label:<16} {r.runtime_s:>10,.0f} s {verdict:>7} {_usd(r.cost_usd):>8} {change:>11}")
    say(
        "DAG runtimes are on the workspace's cluster clock: the runs as measured, in the order Airflow started "
        "them, without Airflow's own seconds of scheduling latency (which the sandbox's fast clock would magnify)."
    )


def _usd(value: float) -> str:
    return f"${value:.2f}"

"""Merge advice: which linear chains of tasks spend so much time in overhead that running them as one
task pays, what merging saves per run and what it adds to retries.

A *linear chain* is a maximal path ``t1 → t2 → … → tn`` (n ≥ 2) in which every ``ti`` but the last
has ``t(i+1)`` as its only downstream task and every ``t(i+1)`` has ``ti`` as its only upstream
task: one entry point, one exit, nothing joining or leaving in between. Mapped tasks are left out.

Per chain, with each task's median segments over the analysed runs:

* ``overhead_pct`` = chain overhead / chain compute; advice starts at ``threshold_pct`` (10%).
* ``saving_s``: what one task instead of n removes per run: the scheduler delay, pre-execution,
  cluster start-up, session start and other platform time of ``t2 … tn`` and the tails of
  ``t1 … t(n−1)``. Intermediate save/load (``io``) is reported as a possible extra saving only:
  whether it goes away depends on the code keeping the data in memory.
* ``added_retry_s``: a merged task that fails in step ``i`` re-runs steps ``1 … i−1`` too. With
  ``p_i`` the share of ``ti``'s tries that failed in the analysed runs, the expected extra compute
  per run is ``Σ p_i · (compute_1 + … + compute_(i−1))``.
* ``net_saving_usd``: the cluster time merging saves (start-up, session start, tails) less the
  extra retries, at the chain's recorded $ per second; None when a step's cost is not recorded.
* Merging is advised when ``overhead_pct ≥ threshold_pct`` and ``saving_s > added_retry_s``.
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import asdict, dataclass

from airflow_agora.overhead.analysis import OVERHEAD_SEGMENTS, SEGMENTS, RunOverhead

DEFAULT_THRESHOLD_PCT = 10.0


@dataclass(frozen=True)
class TaskProfile:
    """A task's median segments over the analysed runs and its tries."""

    task_id: str
    runs: int
    tries: int
    failed_tries: int
    median_s: dict[str, float]  # segment -> seconds, plus "overhead" and "io"
    cost_usd: float | None  # median Spark run cost, when recorded

    @property
    def failure_rate(self) -> float:
        return self.failed_tries / self.tries if self.tries else 0.0


@dataclass(frozen=True)
class MergeAdvice:
    tasks: tuple[str, ...]
    execution_s: float
    overhead_s: float
    overhead_pct: float | None
    saving_s: float
    possible_io_saving_s: float
    added_retry_s: float
    net_saving_s: float
    net_saving_usd: float | None
    on_critical_path: bool
    merge: bool
    reason: str

    @property
    def entry_point(self) -> str:
        return self.tasks[0]

    def to_dict(self) -> dict:
        out = asdict(self)
        out["tasks"] = list(self.tasks)
        out["entry_point"] = self.entry_point
        return {k: round(v, 3) if isinstance(v, float) else v for k, v in out.items()}


def task_profiles(runs: list[RunOverhead]) -> dict[str, TaskProfile]:
    """Per task id (mapped instances summed per run): median segments and tries over ``runs``."""
    per_run: dict[str, list[dict]] = {}
    tries: dict[str, list[int]] = {}
    costs: dict[str, list[float]] = {}
    for run in runs:
        summed: dict[str, dict] = {}
        for t in run.tasks:
            seg = summed.setdefault(t.task_id, dict.fromkeys((*SEGMENTS, "overhead", "io"), 0.0))
            for s in SEGMENTS:
                seg[s] += getattr(t, s)
            seg["overhead"] += t.overhead
            seg["io"] += t.io or 0.0
            counts = tries.setdefault(t.task_id, [0, 0])
            counts[0] += max(1, t.try_number)
            counts[1] += t.failed_tries
            if t.cost_usd is not None:
                costs.setdefault(t.task_id, []).append(t.cost_usd)
        for task_id, seg in summed.items():
            per_run.setdefault(task_id, []).append(seg)
    return {
        task_id: TaskProfile(
            task_id=task_id,
            runs=len(segs),
            tries=tries[task_id][0],
            failed_tries=tries[task_id][1],
            median_s={k: round(statistics.median(s[k] for s in segs), 3) for k in segs[0]},
            cost_usd=statistics.median(costs[task_id]) if task_id in costs else None,
        )
        for task_id, segs in per_run.items()
    }


def linear_chains(
    task_ids: list[str], edges: list[tuple[str, str]], excluded: set[str] | frozenset = frozenset()
) -> list[list[str]]:
    """The maximal linear chains (see the module docstring) of a task graph, in a stable order; the
    ``excluded`` tasks (mapped ones) join no chain but still count as other tasks' neighbours."""
    ups: dict[str, set[str]] = {t: set() for t in task_ids}
    downs: dict[str, set[str]] = {t: set() for t in task_ids}
    for up, down in edges:
        downs.setdefault(up, set()).add(down)
        ups.setdefault(down, set()).add(up)

    def linked(a: str, b: str) -> bool:  # a → b is a chain link
        return a not in excluded and b not in excluded and downs[a] == {b} and ups[b] == {a}

    chains = []
    for t in task_ids:
        if t in excluded:
            continue
        starts_chain = not (len(ups[t]) == 1 and linked(next(iter(ups[t])), t))
        if not starts_chain:
            continue
        chain = [t]
        while len(downs[chain[-1]]) == 1 and linked(chain[-1], nxt := next(iter(downs[chain[-1]]))):
            chain.append(nxt)
        if len(chain) >= 2:
            chains.append(chain)
    return chains


def merge_advice(
    chain: list[str], profiles: dict[str, TaskProfile], critical: set[str], threshold_pct: float
) -> MergeAdvice:
    """The advice for one chain (see the module docstring)."""
    steps = [profiles[t] for t in chain]
    execution = sum(p.median_s["compute"] for p in steps)
    overhead = sum(p.median_s["overhead"] for p in steps)
    removed = ("scheduler_delay", "pre_execution", "cluster_startup", "session_start", "other")
    saving = sum(p.median_s[s] for p in steps[1:] for s in removed) + sum(p.median_s["tail"] for p in steps[:-1])
    billed = sum(p.median_s[s] for p in steps[1:] for s in ("cluster_startup", "session_start"))
    billed += sum(p.median_s["tail"] for p in steps[:-1])
    io = sum(p.median_s["io"] for p in steps[1:])
    retry = 0.0
    done_before = 0.0
    for p in steps:
        retry += p.failure_rate * done_before
        done_before += p.median_s["compute"]
    pct = 100 * overhead / execution if execution > 0 else None
    net = saving - retry
    rate = _usd_per_compute_s(steps)
    merge = (pct is None or pct >= threshold_pct) and net > 0
    if merge:
        reason = f"overhead is {_fmt_pct(pct)} of compute (≥ {threshold_pct:g}%); merging saves {net:.1f} s a run"
    elif net <= 0:
        reason = f"retries of a merged task would cost {retry:.1f} s a run, more than the {saving:.1f} s merging saves"
    else:
        reason = f"overhead is only {_fmt_pct(pct)} of compute (< {threshold_pct:g}%)"
    return MergeAdvice(
        tasks=tuple(chain), execution_s=execution, overhead_s=overhead, overhead_pct=pct, saving_s=saving,
        possible_io_saving_s=io, added_retry_s=retry, net_saving_s=net,
        net_saving_usd=None if rate is None else (billed - retry) * rate, on_critical_path=bool(critical & set(chain)),
        merge=merge, reason=reason,
    )  # fmt: skip


def _fmt_pct(pct: float | None) -> str:
    return "all" if pct is None else f"{pct:.0f}%"


def _usd_per_compute_s(steps: list[TaskProfile]) -> float | None:
    """$ per second of the chain's clusters, when each step's cost is recorded: the saved start-up,
    session start and tail are cluster time, as are a merged task's extra retries; Airflow's own
    waits cost no cluster."""
    if any(p.cost_usd is None for p in steps):
        return None
    compute = sum(p.median_s["compute"] for p in steps)
    return sum(p.cost_usd for p in steps) / compute if compute > 0 else None


def grouping(task_ids: list[str], advice: list[MergeAdvice]) -> list[dict]:
    """The suggested DAG after the advised merges: one group per merged chain (entered only through
    its first task) and one per remaining task, in the order the tasks were listed."""
    merged = {t: a for a in advice if a.merge for t in a.tasks}
    groups, seen = [], set()
    for t in task_ids:
        a = merged.get(t)
        if a is None:
            groups.append({"entry_point": t, "tasks": [t]})
        elif a.entry_point not in seen:
            seen.add(a.entry_point)
            groups.append({"entry_point": a.entry_point, "tasks": list(a.tasks)})
    return groups


def _task_entry(p: TaskProfile) -> dict:
    return {"task_id": p.task_id, "runs": p.runs, "tries": p.tries, "failed_tries": p.failed_tries,
            "failure_rate": round(p.failure_rate, 4), "median_s": p.median_s}  # fmt: skip


def overhead_report(runs: list[RunOverhead], *, threshold_pct: float = DEFAULT_THRESHOLD_PCT) -> dict:
    """Everything ``agora overhead`` and the UI page show, as one JSON-ready dict: each run's
    analysis, per-task medians and tries, the chains with their advice, and the suggested grouping.
    The task graph is the latest run's."""
    if not runs:
        return {"runs": [], "tasks": [], "chains": [], "grouping": []}
    latest = runs[-1]
    key_task = {t.key: t.task_id for t in latest.tasks}
    mapped = {tid for tid, n in Counter(key_task.values()).items() if n > 1}
    task_ids = list(dict.fromkeys(key_task.values()))
    edges = sorted({(key_task[u], key_task[d]) for u, d in latest.edges})
    profiles = task_profiles(runs)
    chains = linear_chains(task_ids, edges, mapped)
    critical = {key_task[k] for k in latest.critical_path}
    advice = [merge_advice(c, profiles, critical, threshold_pct) for c in chains]
    advice.sort(key=lambda a: -a.net_saving_s)
    return {
        "dag_id": latest.dag_id,
        "threshold_pct": threshold_pct,
        "runs": [r.to_dict() for r in runs],
        "tasks": [_task_entry(profiles[t]) for t in task_ids],
        "chains": [a.to_dict() for a in advice],
        "grouping": grouping(task_ids, advice),
        "segments": list(SEGMENTS),
        "overhead_segments": list(OVERHEAD_SEGMENTS),
    }

"""Replay a profiled run through a simulated Spark scheduler with a given number of task slots.

The run is cut into *job groups*: jobs whose observed intervals overlap run together (Databricks
notebooks and thread pools submit concurrently), the rest one after another. The time outside every
group is *driver time* (planning, Python on the driver, collecting results, start-up); it is kept
as observed, never negative. Inside a group each stage attempt becomes ready when its parent stages
are done (and no earlier than its job's observed offset in the group); its task attempts, failed and
speculative ones included since they held slots too, go to the earliest free slot. A group's
replayed time is when its last task ends.

``ReplayModel.from_profile`` does the bookkeeping once; ``run(slots, durations_ms)`` is then cheap
enough to call for every candidate configuration with task durations scaled for it.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from functools import cached_property

from airflow_agora.prediction.profile import ApplicationProfile, peak_concurrency


@dataclass
class _Stage:
    key: tuple[int, int]
    release_ms: int  # offset of its job's submission within the group
    parents: list[int]  # positions in the group's stage list
    tasks: list[int]  # positions in profile.tasks


@dataclass
class _Group:
    start_ms: int
    observed_ms: int
    stages: list[_Stage]

    @cached_property
    def shape(self) -> tuple[list[list[int]], list[int], list[tuple[float, int]], int]:
        """What every replay of this group needs and no replay changes, built once: each stage's
        children, its parent count, the stages ready at the start and the group's task count."""
        children: list[list[int]] = [[] for _ in self.stages]
        for j, stage in enumerate(self.stages):
            for p in stage.parents:
                children[p].append(j)
        counts = [len(stage.parents) for stage in self.stages]
        roots = [(float(stage.release_ms), j) for j, stage in enumerate(self.stages) if counts[j] == 0]
        heapq.heapify(roots)
        return children, counts, roots, sum(len(stage.tasks) for stage in self.stages)


@dataclass(frozen=True)
class ReplayResult:
    wall_ms: float
    driver_ms: float
    groups_ms: float

    @property
    def wall_s(self) -> float:
        return self.wall_ms / 1000


@dataclass
class ReplayModel:
    groups: list[_Group]
    driver_ms: float
    observed_wall_ms: int
    observed_slots: int
    task_durations_ms: list[int]
    unplaced_tasks: int

    @classmethod
    def from_profile(cls, profile: ApplicationProfile) -> ReplayModel:
        tasks = profile.tasks
        by_stage: dict[tuple[int, int], list[int]] = {}
        for i, t in enumerate(tasks):
            by_stage.setdefault((t.stage_id, t.stage_attempt), []).append(i)
        stage_job: dict[int, int] = {}
        for job in sorted(profile.jobs.values(), key=lambda j: j.job_id):
            for sid in job.stage_ids:
                stage_job.setdefault(sid, job.job_id)
        jobs_with_tasks: dict[int, list[tuple[int, int]]] = {}
        unplaced = 0
        for key, idx in by_stage.items():
            job_id = stage_job.get(key[0])
            if job_id is None:
                unplaced += len(idx)
                continue
            jobs_with_tasks.setdefault(job_id, []).append(key)
        intervals = []
        for job_id, keys in jobs_with_tasks.items():
            job = profile.jobs[job_id]
            first = min(tasks[i].launch_ms for k in keys for i in by_stage[k])
            last = max(tasks[i].finish_ms for k in keys for i in by_stage[k])
            start = min(job.submit_ms or first, first)
            end = max(job.end_ms or last, last)
            intervals.append((start, end, job_id))
        intervals.sort()
        groups: list[_Group] = []
        members: list[list[tuple[int, int]]] = []
        group_end = None
        for start, end, job_id in intervals:
            if group_end is None or start >= group_end:
                groups.append(_Group(start, 0, []))
                members.append([])
                group_end = end
            group_end = max(group_end, end)
            groups[-1].observed_ms = group_end - groups[-1].start_ms
            members[-1].append((start, job_id))
        for group, jobs in zip(groups, members, strict=True):
            keys = []
            release = {}
            for start, job_id in jobs:
                for key in sorted(jobs_with_tasks[job_id]):
                    if key not in release:
                        keys.append(key)
                        release[key] = start - group.start_ms
            position = {k: n for n, k in enumerate(keys)}
            latest_attempt: dict[int, int] = {}
            for sid, att in keys:
                latest_attempt[sid] = max(att, latest_attempt.get(sid, -1))
            for key in keys:
                sid, att = key
                parents = []
                stage = profile.stages.get(key)
                for pid in stage.parent_ids if stage else []:
                    p_att = latest_attempt.get(pid)
                    if p_att is not None and (pid, p_att) in position and (pid, p_att) != key:
                        parents.append(position[(pid, p_att)])
                if att > 0 and (sid, att - 1) in position:
                    parents.append(position[(sid, att - 1)])
                group.stages.append(_Stage(key, release[key], sorted(set(parents)), by_stage[key]))
        covered = _union_ms([(g.start_ms, g.start_ms + g.observed_ms) for g in groups])
        wall = profile.wall_ms or covered
        slots = profile.executor_cores() // max(1, int(profile.properties.get("spark.task.cpus", "1") or 1))
        if slots <= 0:
            slots = peak_concurrency([(t.launch_ms, t.finish_ms, 1) for t in tasks])
        return cls(
            groups=groups,
            driver_ms=max(0, wall - covered),
            observed_wall_ms=wall,
            observed_slots=max(1, slots),
            task_durations_ms=[t.duration_ms for t in tasks],
            unplaced_tasks=unplaced,
        )

    def run(self, slots: int | None = None, durations_ms: list[float] | None = None, driver_ms=None) -> ReplayResult:
        """Replay with ``slots`` task slots (default: observed) and per-task durations (default: observed)."""
        slots = max(1, slots or self.observed_slots)
        durations = durations_ms if durations_ms is not None else self.task_durations_ms
        total = sum(_simulate(group, slots, durations) for group in self.groups)
        driver = self.driver_ms if driver_ms is None else driver_ms
        return ReplayResult(wall_ms=driver + total, driver_ms=driver, groups_ms=total)

    def self_check_error_pct(self) -> float:
        """Replay at the observed configuration against the observed wall time (signed, %)."""
        if not self.observed_wall_ms:
            return 0.0
        return 100.0 * (self.run().wall_ms - self.observed_wall_ms) / self.observed_wall_ms


def _simulate(group: _Group, slots: int, durations) -> float:
    stages = group.stages
    n = len(stages)
    children, counts, roots, task_count = group.shape
    done_at = [0.0] * n
    waiting = list(counts)
    ready = list(roots)
    # with a slot per task, some slot is always free when a stage is ready: its tasks all start then
    wide = slots >= task_count
    free = [] if wide else [0.0] * slots  # when each slot is next free
    end = 0.0
    scheduled = 0
    while ready:
        at, j = heapq.heappop(ready)
        finish = at
        if wide:
            begin = at if at > 0.0 else 0.0  # as the heap below: no slot is free before time 0
            for i in stages[j].tasks:
                if begin + durations[i] > finish:
                    finish = begin + durations[i]
        else:
            for i in stages[j].tasks:  # the hot loop of every prediction: one heap operation per task
                slot_free = free[0]
                stop = (at if at > slot_free else slot_free) + durations[i]
                heapq.heapreplace(free, stop)
                if stop > finish:
                    finish = stop
        done_at[j] = finish
        end = max(end, finish)
        scheduled += 1
        for c in children[j]:
            waiting[c] -= 1
            if waiting[c] == 0:
                parents_done = max(done_at[p] for p in stages[c].parents)
                heapq.heappush(ready, (max(float(stages[c].release_ms), parents_done), c))
    if scheduled < n:  # a cycle in corrupt parent ids: run the rest after everything else
        for j in range(n):
            if waiting[j] > 0:
                for i in stages[j].tasks:
                    end += durations[i] / slots
    return end


def _union_ms(intervals: list[tuple[int, int]]) -> int:
    total, cur_start, cur_end = 0, None, None
    for s, e in sorted(intervals):
        if cur_end is None or s > cur_end:
            if cur_end is not None:
                total += cur_end - cur_start
            cur_start, cur_end = s, e
        else:
            cur_end = max(cur_end, e)
    if cur_end is not None:
        total += cur_end - cur_start
    return total

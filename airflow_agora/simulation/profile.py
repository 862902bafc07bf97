"""Planned vCPU use of a cluster over time, as a step function: where does a task fit first?"""

from __future__ import annotations

from bisect import bisect_right

EPS = 1e-9


class UsageProfile:
    """vCPUs in use from ``times[i]`` to ``times[i + 1]`` (the last step lasts for ever)."""

    def __init__(self, capacity_vcpus: float, start_s: float = 0.0) -> None:
        self.capacity = capacity_vcpus
        self.times = [start_s]
        self.used = [0.0]

    def copy(self) -> UsageProfile:
        other = UsageProfile.__new__(UsageProfile)
        other.capacity, other.times, other.used = self.capacity, list(self.times), list(self.used)
        return other

    def earliest_fit(self, ready_s: float, duration_s: float, vcpus: float) -> float:
        """The earliest start at or after ``ready_s`` where ``vcpus`` stay free for ``duration_s``."""
        if vcpus > self.capacity + EPS:
            raise ValueError(f"{vcpus} vCPUs exceed the capacity of {self.capacity}")
        times, used, room = self.times, self.used, self.capacity - vcpus + EPS
        i = max(0, bisect_right(times, ready_s) - 1)
        start = max(ready_s, times[0])
        while True:
            if used[i] > room:
                i += 1
                start = times[i]  # the last step is empty, so this ends
                continue
            j = i
            while j + 1 < len(times) and times[j + 1] < start + duration_s - EPS:
                if used[j + 1] > room:
                    break
                j += 1
            else:
                return start
            i = j + 1
            start = times[i]

    def add(self, start_s: float, end_s: float, vcpus: float) -> None:
        if end_s <= start_s:
            return
        i = self._split(start_s)
        j = self._split(end_s)
        for k in range(i, j):
            self.used[k] += vcpus

    def steps(self, start_s: float, end_s: float) -> list[tuple[float, float, float]]:
        """``(from_s, to_s, vcpus)`` of the busy steps overlapping ``[start_s, end_s)``, clipped to it."""
        out = []
        i = max(0, bisect_right(self.times, start_s) - 1)
        while i < len(self.times) and self.times[i] < end_s:
            step_end = self.times[i + 1] if i + 1 < len(self.times) else end_s
            lo, hi = max(self.times[i], start_s), min(step_end, end_s)
            if self.used[i] > EPS and hi > lo:
                out.append((lo, hi, self.used[i]))
            i += 1
        return out

    def forget_before(self, now_s: float) -> None:
        """Drop the steps that ended before ``now_s`` (the past cannot be planned)."""
        i = bisect_right(self.times, now_s) - 1
        if i > 0:
            del self.times[:i], self.used[:i]

    def _split(self, t: float) -> int:
        """Index of the step starting at ``t``, adding a breakpoint there when needed."""
        i = bisect_right(self.times, t) - 1
        if i < 0:
            self.times.insert(0, t)
            self.used.insert(0, 0.0)
            return 0
        if abs(self.times[i] - t) <= EPS:
            return i
        self.times.insert(i + 1, t)
        self.used.insert(i + 1, self.used[i])
        return i + 1

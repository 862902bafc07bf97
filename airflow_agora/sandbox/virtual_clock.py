"""The sandboxes' time: it starts at the wall clock's now and runs ``speedup`` times faster, so an
800 s job takes 8 s at 100x while every timestamp a sandbox reports stays self-consistent."""

from __future__ import annotations

import time
from datetime import UTC, datetime


class VirtualClock:
    def __init__(self, speedup: float) -> None:
        self.speedup = speedup
        self._real0 = time.time()

    def now_ms(self) -> int:
        return int((self._real0 + (time.time() - self._real0) * self.speedup) * 1000)

    @staticmethod
    def as_datetime(ms: int) -> datetime:
        return datetime.fromtimestamp(ms / 1000, UTC)

"""A genetic search that runs beside CP-SAT on one DAG's makespan (the C core is ``_mmga.c``).

CP-SAT proves bounds well but, on two cores, finds the last percent of makespan slowly on the harder
multi-mode instances; a population-based search over activity lists and modes finds them fast (on
PSPLIB j30 at 2 s it took the matched references from about 94% to 98%, docs/benchmarks.md). The
search publishes its best makespan on a two-number board (its other number is the stop flag), and
CP-SAT asks whether any plan ends before it (``planner._prove_best``).

Used only where it applies (``applicable``): one DAG, the makespan objective, no reservations, and
durations of a few dozen time units at most (its schedule passes scan a time-indexed usage array).
Cost budgets become one more non-renewable budget. Without the compiled extension (a source checkout
never built) the planner runs CP-SAT alone.
"""

from __future__ import annotations

import ctypes
import logging
import threading
from functools import cache

from airflow_agora.domain.goals import Objective
from airflow_agora.planning.compiled import Compiled
from airflow_agora.planning.heuristic import Schedule

log = logging.getLogger(__name__)

MAX_USAGE_CELLS = 1 << 23  # horizon x resources of the usage array (32 MiB of int32)
# a schedule pass scans the usage array instant by instant, so the search pays off only where
# durations are a few dozen time units (PSPLIB: 1-10); longer ones are left to CP-SAT
MAX_MEAN_LONGEST_DURATION = 64
_INT_P = ctypes.POINTER(ctypes.c_int)


@cache
def _library() -> ctypes.CDLL | None:
    try:
        from airflow_agora.planning import _mmga
    except ImportError:
        log.info("the planner's genetic search is not built (reinstall airflow-provider-agora); using CP-SAT alone")
        return None
    lib = ctypes.CDLL(_mmga.__file__)
    fn = lib.mmga_solve
    fn.restype = ctypes.c_int
    fn.argtypes = [
        *[ctypes.c_int] * 3,  # tasks, resources, budgets
        *[_INT_P] * 11,  # the problem's arrays (see _arrays)
        ctypes.c_int,  # horizon
        ctypes.c_double,  # time limit
        ctypes.c_longlong,  # cap on schedule passes
        ctypes.c_longlong,  # seed
        ctypes.c_int,  # target
        *[_INT_P] * 3,  # board, out modes, out starts
        ctypes.POINTER(ctypes.c_longlong),  # out passes
    ]
    return lib


def applicable(cp: Compiled, objective: Objective) -> bool:
    """Whether the search can work on ``cp``: one DAG, makespan, no reservations, a usage array that fits."""
    if len(cp.dags) != 1 or objective != Objective.MAKESPAN or cp.reservations or cp.n < 2:
        return False
    horizon = _horizon(cp)
    if horizon > MAX_MEAN_LONGEST_DURATION * cp.n or horizon * max(1, len(cp.resources)) > MAX_USAGE_CELLS:
        return False
    return _library() is not None


def _horizon(cp: Compiled) -> int:
    """No serial schedule ends later than every task at its longest mode, one after another."""
    return sum(max(t.durations) for t in cp.tasks)


def _ints(values: list[int]) -> ctypes.Array:
    return (ctypes.c_int * max(1, len(values)))(*values)


class GeneticSearch:
    """One run of the search on ``cp``, started in a thread (``start``) or in this one (``run``).

    Stops at ``time_limit_s``, after ``max_decodes`` schedule passes (0 = no cap; the cap makes a run
    repeat itself), when its best reaches ``target`` (a lower bound) or on ``stop``.
    """

    def __init__(
        self, cp: Compiled, *, time_limit_s: float, seed: int = 0, max_decodes: int = 0, target: int = 0
    ) -> None:
        self.cp = cp
        self._release = cp.dags[0].release
        self._args = self._arrays(cp)
        self._limit_s = time_limit_s
        self._max_decodes = max_decodes
        self._seed = seed
        self.target = target
        self._board = (ctypes.c_int * 2)(0, 0)  # stop flag, best makespan (0 = none yet)
        self._modes = (ctypes.c_int * cp.n)()
        self._starts = (ctypes.c_int * cp.n)()
        self._decodes = ctypes.c_longlong(0)
        self._result: int | None = None
        self._thread: threading.Thread | None = None

    @staticmethod
    def _arrays(cp: Compiled) -> list:
        budgets = [[list(row) for row in t.consumes] for t in cp.tasks]  # copies: cost columns are added
        caps = list(cp.budget_caps)
        money = [b for b in (cp.dags[0].budget, cp.global_budget) if b is not None]
        for cap in money:  # a cost budget is one more non-renewable budget, consumed by each mode's cost
            caps.append(cap)
            for t, per_mode in zip(cp.tasks, budgets, strict=True):
                for k, row in enumerate(per_mode):
                    row.append(t.costs[k])
        nm, moff, dur, dem, cons = [], [0], [], [], []
        for t, per_mode in zip(cp.tasks, budgets, strict=True):
            nm.append(len(t.durations))
            moff.append(moff[-1] + len(t.durations))
            dur.extend(t.durations)
            for k in range(len(t.durations)):
                dem.extend(t.demands[k])
                cons.extend(per_mode[k])
        poff, pred, soff, succ = [0], [], [0], []
        for i in range(cp.n):
            pred.extend(cp.preds[i])
            poff.append(len(pred))
            succ.extend(cp.succs[i])
            soff.append(len(succ))
        arrays = [nm, moff, dur, dem, cons, cp.capacities, caps, poff, pred, soff, succ]
        return [len(cp.resources), len(caps), *(_ints(a) for a in arrays), _horizon(cp)]

    def run(self) -> Schedule | None:
        """Search in this thread; the best plan found (``None`` if none meets the budgets)."""
        r, b, *arrays, horizon = self._args
        self._result = _library().mmga_solve(
            self.cp.n,
            r,
            b,
            *arrays,
            horizon,
            self._limit_s,
            self._max_decodes,
            self._seed,
            self.target,
            self._board,
            self._modes,
            self._starts,
            ctypes.byref(self._decodes),
        )
        return self.schedule()

    def start(self) -> GeneticSearch:
        self._thread = threading.Thread(target=self.run, name="agora-genetic-search", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> Schedule | None:
        """Stop a started search, wait for it and return its best plan."""
        self._board[0] = 1
        if self._thread is not None:
            self._thread.join()
        return self.schedule()

    @property
    def best(self) -> int | None:
        """The best makespan so far (relative to the release), readable while the search runs."""
        return self._board[1] or None

    @property
    def running(self) -> bool:
        """Whether the search runs in its thread now (started and not yet finished)."""
        return self._thread is not None and self._thread.is_alive()

    @property
    def decodes(self) -> int:
        return self._decodes.value

    def schedule(self) -> Schedule | None:
        if self._result is None or self._result < 0:
            return None
        starts = [s + self._release for s in self._starts]
        return Schedule(list(self._modes), starts, "genetic")

"""Decima's TPC-H stage DAGs as trace DAGs, each stage with its runtime measured per executor count.

A folder holds ``<size>/adj_mat_<q>.npy`` (stage i is a parent of stage j when ``adj[i, j] == 1``)
and ``<size>/task_duration_<q>.npy`` (per stage, task durations in ms of the first wave and later
waves, per executor count). A stage's runtime on ``e`` executors is its measured tasks list-scheduled
on ``e`` slots, first wave first. One executor is ``vcpus_per_executor`` vCPUs. The stage's curve
holds every measured executor count; its recorded size is the measured count nearest
``executors``.

TPC-H jobs carry no arrival times: ``jobs`` jobs are drawn (query and size uniformly, with ``seed``)
and arrive as a Poisson process with mean gap ``interarrival_s``, as Decima's simulator does.

The duration files are pickled NumPy object arrays. They are read with an unpickler that only
builds NumPy arrays, dtypes and plain containers, so a hostile file cannot run code.
"""

from __future__ import annotations

import heapq
import io
import pickle
import random
from pathlib import Path

from airflow_agora.domain.errors import InvalidInputError
from airflow_agora.simulation.traces import LoadReport, TraceDag, TraceTask

_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "scalar"),
}


class _NumpyOnly(pickle.Unpickler):
    def find_class(self, module: str, name: str):
        if (module, name) not in _ALLOWED:
            raise pickle.UnpicklingError(f"{module}.{name} is not allowed in a TPC-H duration file")
        return super().find_class(module, name)


def read_npy(path: Path):
    """A ``.npy`` array; an object array is unpickled with NumPy's types only."""
    import numpy as np
    from numpy.lib import format as npy

    with path.open("rb") as handle:
        version = npy.read_magic(handle)
        header = {(1, 0): npy.read_array_header_1_0, (2, 0): npy.read_array_header_2_0}.get(version)
        if header is None:
            raise InvalidInputError(
                f"{path}: .npy format {version} is not supported", fix="save it with NumPy 1.x or 2.x"
            )
        shape, _, dtype = header(handle)
        if not dtype.hasobject:
            handle.seek(0)
            return np.load(handle, allow_pickle=False)
        try:
            array = _NumpyOnly(io.BytesIO(handle.read())).load()
        except (pickle.UnpicklingError, EOFError, ValueError) as exc:
            raise InvalidInputError(
                f"{path} is not a TPC-H duration file ({exc})", fix="give Decima's tpch folder"
            ) from None
    return array.item() if shape == () else array


def stage_runtime_s(first_wave_ms: list[float], rest_wave_ms: list[float], executors: int) -> float:
    """The stage's tasks list-scheduled on ``executors`` slots, first wave first (seconds)."""
    slots = [0.0] * max(1, executors)
    for duration in [*first_wave_ms, *rest_wave_ms]:
        heapq.heapreplace(slots, slots[0] + duration)
    return max(slots) / 1000


def load_query(folder: Path, size: str, query: int, *, vcpus_per_executor: float, executors: int,
               dag_id: str, arrival_s: float) -> TraceDag:  # fmt: skip
    """One TPC-H query at one input size as a trace DAG."""
    adjacency = read_npy(folder / size / f"adj_mat_{query}.npy")
    durations = read_npy(folder / size / f"task_duration_{query}.npy")
    tasks = []
    for node in range(len(adjacency)):
        stage = durations[node]
        curve = []
        for e in sorted(stage["first_wave"]):
            first, rest = list(stage["first_wave"][e]), list(stage["rest_wave"].get(e, []))
            if e > len(first) + len(rest) and curve:
                break  # more executors than tasks: the rest of the curve is flat
            curve.append((e * vcpus_per_executor, stage_runtime_s(first, rest, e)))
        recorded = min(curve, key=lambda point: (abs(point[0] / vcpus_per_executor - executors), point[0]))
        parents = tuple(str(i) for i in range(len(adjacency)) if adjacency[i][node] == 1)
        tasks.append(TraceTask(str(node), recorded[0], recorded[1], parents, tuple(curve)))
    return TraceDag(dag_id, arrival_s, tuple(tasks))


def load_tpch(folder: str | Path, *, jobs: int = 200, interarrival_s: float = 60.0, seed: int = 0,
              executors: int = 20, vcpus_per_executor: float = 1.0) -> tuple[list[TraceDag], LoadReport]:  # fmt: skip
    """``jobs`` TPC-H jobs drawn from ``folder`` with Poisson arrivals (see the module docstring)."""
    folder = Path(folder)
    choices = sorted((size.name, int(adj.stem.rsplit("_", 1)[1]))
                     for size in folder.iterdir() if size.is_dir() for adj in size.glob("adj_mat_*.npy"))  # fmt: skip
    if not choices:
        raise InvalidInputError(f"{folder} holds no <size>/adj_mat_<q>.npy", fix="give Decima's spark_env/tpch folder")
    rng = random.Random(seed)
    report, dags, now, cache = LoadReport(), [], 0.0, {}
    for n in range(jobs):
        size, query = rng.choice(choices)
        if (size, query) not in cache:
            cache[size, query] = load_query(folder, size, query, vcpus_per_executor=vcpus_per_executor,
                                            executors=executors, dag_id="", arrival_s=0.0)  # fmt: skip
        template = cache[size, query]
        dags.append(TraceDag(f"q{query}_{size}_{n}", now, template.tasks))
        now += rng.expovariate(1 / interarrival_s)
    report.read = f"{len(cache)} query inputs of {folder.name}"
    report.dags = len(dags)
    report.tasks = sum(len(d.tasks) for d in dags)
    return dags, report


def measured_curves(folder: str | Path, *, vcpus_per_executor: float = 1.0) -> list[list[tuple[float, float]]]:
    """Every stage's measured (vCPUs, runtime) curve in the folder: what the scaling model is fitted on."""
    folder = Path(folder)
    curves = []
    for size in sorted(p for p in folder.iterdir() if p.is_dir()):
        for adj in sorted(size.glob("adj_mat_*.npy")):
            query = int(adj.stem.rsplit("_", 1)[1])
            dag = load_query(folder, size.name, query, vcpus_per_executor=vcpus_per_executor, executors=1,
                             dag_id="", arrival_s=0.0)  # fmt: skip
            curves += [list(t.curve) for t in dag.tasks]
    return curves

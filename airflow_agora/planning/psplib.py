"""PSPLIB multi-mode (``.mm``) instances as planning problems, and their reference makespans.

Renewable resources ``R k`` become capacities, non-renewable ``N k`` become budgets, the dummy
source and sink jobs are dropped, the objective is the makespan. Format: Kolisch and Sprecher (1996),
PSPLIB; see ``docs/benchmarks.md``.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

from airflow_agora.domain.errors import InvalidInputError
from airflow_agora.domain.goals import Goals, Objective
from airflow_agora.domain.problem import PlanningProblem
from airflow_agora.domain.workflow import Mode, TaskSpec, Workflow


def load_psplib(path: str | Path) -> PlanningProblem:
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError as exc:
        raise InvalidInputError(f"cannot read ({exc})", where=str(path)) from None
    try:
        return _parse(lines, path.name)
    except (ValueError, IndexError, KeyError, StopIteration) as exc:
        raise InvalidInputError(
            f"not a PSPLIB multi-mode file ({exc})", where=str(path), fix="pass a .mm file from PSPLIB"
        ) from None


def _section(lines: list[str], title: str) -> Iterator[list[str]]:
    """Rows of numbers after the header line that starts with ``title`` (until the next ``***``)."""
    start = next(n for n, line in enumerate(lines) if line.strip().upper().startswith(title))
    for line in lines[start + 1 :]:
        if line.startswith("***"):
            return
        tokens = line.split()
        if tokens and re.fullmatch(r"-?\d+", tokens[0]):
            yield tokens


def _parse(lines: list[str], name: str) -> PlanningProblem:
    n_jobs = int(next(line for line in lines if line.lower().startswith("jobs")).split(":")[1])
    succ: dict[int, list[int]] = {}
    for row in _section(lines, "PRECEDENCE RELATIONS"):
        job, _modes, count = int(row[0]), int(row[1]), int(row[2])
        succ[job] = [int(x) for x in row[3 : 3 + count]]
    res_header = next(n for n, line in enumerate(lines) if "RESOURCEAVAILABILITIES" in line.replace(" ", "").upper())
    labels = re.findall(r"([RND])\s*(\d+)", lines[res_header + 1])
    caps = [int(x) for x in lines[res_header + 2].split()]
    names = [f"{kind}{num}" for kind, num in labels]
    modes: dict[int, list[Mode]] = {}
    job = 0
    for row in _section(lines, "REQUESTS/DURATIONS"):
        values = [int(x) for x in row]
        if len(values) == 3 + len(names):
            job = values[0]
            values = values[1:]
        duration, amounts = values[1], values[2:]
        demands = {n: a for n, a in zip(names, amounts, strict=True) if n.startswith("R")}
        consumes = {n: a for n, a in zip(names, amounts, strict=True) if n.startswith("N") and a}
        modes.setdefault(job, []).append(
            Mode(float(duration), demands, 0.0, consumes, name=f"mode {len(modes.get(job, [])) + 1}")
        )
    real = range(2, n_jobs)
    tasks = [TaskSpec(str(j), tuple(modes[j])) for j in real]
    edges = [(str(u), str(v)) for u in real for v in succ.get(u, []) if v in real]
    capacities = {n: float(c) for n, c in zip(names, caps, strict=True) if n.startswith("R")}
    budgets = {n: float(c) for n, c in zip(names, caps, strict=True) if n.startswith("N")}
    wf = Workflow(name.removesuffix(".mm"), tuple(tasks), tuple(edges), Goals(Objective.MAKESPAN))
    return PlanningProblem((wf,), capacities, budgets, name=name)


def find_instances(paths: Iterable[str | Path]) -> list[Path]:
    """``.mm`` files among ``paths`` (folders are searched recursively), in a stable order."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out.extend(sorted(p.rglob("*.mm"), key=_natural))
        elif p.exists():
            out.append(p)
        else:
            raise InvalidInputError("no such file or folder", where=str(p))
    return out


def _natural(p: Path) -> list:
    return [int(x) if x.isdigit() else x for x in re.split(r"(\d+)", p.name)]


def load_reference(path: str | Path) -> dict[str, tuple[int | None, str]]:
    """``instance file name -> (makespan or None, status)`` from a CSV with ``instance,makespan,status``."""
    out: dict[str, tuple[int | None, str]] = {}
    with open(path, newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            status = row.get("status", "optimal")
            value = row.get("makespan", "")
            out[row["instance"]] = (int(value) if value.strip().isdigit() and status != "infeasible" else None, status)
    return out

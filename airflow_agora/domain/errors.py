"""Exceptions shared by the whole package.

Every error a user can cause carries what is wrong (``problem``), where (``where``: a file, a task) and
how to fix it (``fix``), so the CLI and the Airflow side can print one clear line instead of a traceback.
"""

from __future__ import annotations


class AgoraError(Exception):
    """Base class of every error airflow-agora raises on purpose."""


class InvalidInputError(AgoraError, ValueError):
    """Input that cannot be planned: a malformed workflow file, a cycle, a task without modes ..."""

    def __init__(self, problem: str, *, where: str | None = None, fix: str | None = None) -> None:
        self.problem = problem
        self.where = where
        self.fix = fix
        parts = [f"{where}: {problem}" if where else problem]
        if fix:
            parts.append(f"Fix: {fix}")
        super().__init__(" ".join(parts))

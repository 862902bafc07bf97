"""Find the ordered parts of one application's event log at a location.

Layouts recognised in any store (local, zip, S3, DBFS, volumes):

* a single file, plain or compressed, or a zip bundle of any layout below (junk such as
  ``__MACOSX/`` and ``.DS_Store`` skipped);
* Spark's rolling folder ``eventlog_v2_<app>/`` with ``events_<n>_<app>[.codec]`` parts, read by n;
* a Databricks log folder: hourly ``eventlog-YYYY-MM-DD--HH-00[.gz]`` parts in time order, then the
  live ``eventlog`` (only the first part carries the environment);
* a folder holding exactly one of those.

A folder with several applications is refused with their names, so the user can pick one.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO

from airflow_agora.prediction.eventlog.compression import ZIP_MAGIC
from airflow_agora.prediction.eventlog.errors import EventLogError
from airflow_agora.prediction.eventlog.stores import Store, ZipStore, is_junk, spool

DEFAULT_MAX_EXPANDED_BYTES = 20 << 30  # 20 GiB: far above any real log, far below a zip bomb's claim

_ROLLING_PART = re.compile(r"^events_(\d+)_")
_DATABRICKS_PART = re.compile(r"^eventlog-(\d{4}-\d{2}-\d{2}--\d{2}-\d{2})(\.\w+)?$")
_IGNORED_IN_LOG_FOLDERS = re.compile(r"^(appstatus_.*|.*\.json|.*\.md|.*\.txt|.*\.inprogress\.crc)$")


@dataclass(frozen=True)
class LogPart:
    """One file of the log: ``open()`` returns its raw (still compressed) bytes."""

    name: str
    open: Callable[[], BinaryIO]


def find_parts(location: str, store: Store, max_bytes: int = DEFAULT_MAX_EXPANDED_BYTES) -> list[LogPart]:
    """The parts of the single application at ``location``, in the order they were written."""
    return _find(store, location.rstrip("/") if len(location) > 1 else location, location, max_bytes, depth=0)


def _find(store: Store, path: str, display: str, max_bytes: int, depth: int) -> list[LogPart]:
    if depth > 4:
        raise EventLogError("folders nest too deeply to hold one event log", where=display)
    names = store.list_dir(path)
    if names is None:
        return _file(store, path, display, max_bytes, depth)
    names = [n for n in names if not is_junk(n)]
    rolling = sorted((int(m.group(1)), n) for n in names if (m := _ROLLING_PART.match(n)))
    if rolling:
        return [_part(store, _join(path, n), _join(display, n)) for _, n in rolling]
    dated = sorted((m.group(1), n) for n in names if (m := _DATABRICKS_PART.match(n)))
    if dated or "eventlog" in names:
        ordered = [n for _, n in dated] + (["eventlog"] if "eventlog" in names else [])
        return [_part(store, _join(path, n), _join(display, n)) for n in ordered]
    candidates = [n for n in names if not _IGNORED_IN_LOG_FOLDERS.match(n)]
    if len(candidates) == 1:
        return _find(store, _join(path, candidates[0]), _join(display, candidates[0]), max_bytes, depth + 1)
    if not candidates:
        raise EventLogError(
            "the folder holds no event log", where=display, fix="point at the event log file or its folder"
        )
    shown = ", ".join(candidates[:8]) + (" ..." if len(candidates) > 8 else "")
    raise EventLogError(
        f"the folder holds {len(candidates)} candidate logs ({shown})",
        where=display,
        fix="point at one application's log file or folder",
    )


def _file(store: Store, path: str, display: str, max_bytes: int, depth: int) -> list[LogPart]:
    raw = store.open(path)
    head = raw.read(len(ZIP_MAGIC))
    seekable = _seekable(raw)
    if seekable:  # a downloaded copy (DBFS, Volumes) or a local file: read it once, not twice
        raw.seek(0)
    else:
        raw.close()
    if head == ZIP_MAGIC:
        fileobj = raw if seekable else spool(store.open(path), max_bytes, display)
        archive = ZipStore(fileobj, display, max_bytes)
        return _find(archive, "", f"{display}!", max_bytes, depth + 1)
    if seekable:
        return [LogPart(display, _first_reuse(raw, lambda: store.open(path)))]
    return [_part(store, path, display)]


def _first_reuse(opened, reopen):
    """An opener that hands out ``opened`` the first time and opens afresh after that."""
    handed = []

    def open_part():
        if not handed:
            handed.append(True)
            return opened
        return reopen()

    return open_part


def _part(store: Store, path: str, display: str) -> LogPart:
    return LogPart(display, lambda: store.open(path))


def _join(path: str, name: str) -> str:
    if not path or path.endswith("!"):
        return f"{path}{name}"
    return posixpath.join(path, name) if "://" in path or path.startswith(("/", "dbfs:")) else f"{path}/{name}"


def _seekable(f) -> bool:
    try:
        return bool(f.seekable())
    except (AttributeError, ValueError):
        return False

"""The one place per platform where Agora calls a remote API beyond the upstream operators, always
through the upstream hooks and the task's own connection (so its auth, retries and proxies apply).

Each platform gives a finished run as a :class:`FinishedRun`, and a reader of its Spark event log
named by a small picklable ``reader`` dict (kept with a run whose log is late, so a later step or a
trigger can read it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from airflow_agora.domain.cluster import ClusterConfig
from airflow_agora.domain.errors import InvalidInputError


@dataclass(frozen=True)
class FinishedRun:
    """What a platform says about a finished run: the cluster it ran on and how it went."""

    config: ClusterConfig
    runtime_s: float
    succeeded: bool
    message: str
    started_at: datetime | None
    ended_at: datetime | None
    eventlog_uri: str | None
    reader: dict  # see log_reader
    cluster_report: dict  # the platform's cluster report with its ``activity`` summary


def log_reader(reader: dict):
    """The event-log reader a ``reader`` dict names: ``{"reader": "databricks", "conn_id": ...}`` or
    ``{"reader": "emr", "aws_conn_id": ..., "region_name": ...}``."""
    kind = reader.get("reader")
    if kind == "databricks":
        from airflow_agora.hooks.databricks import DatabricksApi

        return DatabricksApi.for_connection(reader.get("conn_id") or "databricks_default").read_profile
    if kind == "emr":
        from airflow_agora.hooks.emr import EmrApi

        return EmrApi(reader.get("aws_conn_id"), reader.get("region_name")).read_profile
    raise InvalidInputError(f"unknown event-log reader {kind!r}", fix="use 'databricks' or 'emr'")

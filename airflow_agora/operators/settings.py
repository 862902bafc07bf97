"""The ``[agora]`` settings as the Airflow side reads them (``airflow.cfg`` or ``AIRFLOW__AGORA__*``)."""

from __future__ import annotations

from dataclasses import dataclass

from airflow.configuration import conf

from airflow_agora.prediction.cost import CostRates

DEFAULT_EVENTLOG_ROOT = "dbfs:/agora/eventlogs"


@dataclass(frozen=True)
class AgoraSettings:
    sql_alchemy_conn: str | None
    capacity_vcpus: float
    planner_time_limit_s: float
    eventlog_root: str
    emr_eventlog_root: str
    lease_poll_s: float
    lease_ttl_s: float
    lease_wait_in_worker_s: float
    default_runtime_s: float
    cluster_startup_s: float | None

    def rates(self) -> CostRates:
        """The cost rates; ``cluster_startup_s``, when set, is every platform's cluster start-up
        (e.g. clusters from a warm instance pool start in seconds, not minutes)."""
        if self.cluster_startup_s is None:
            return CostRates()
        startup = self.cluster_startup_s
        return CostRates().with_overrides(
            databricks_startup_s=startup, emr_startup_s=startup, emr_serverless_startup_s=startup
        )

    @classmethod
    def load(cls) -> AgoraSettings:
        def number(key: str, default: float) -> float:
            return conf.getfloat("agora", key, fallback=default)

        return cls(
            sql_alchemy_conn=conf.get("agora", "sql_alchemy_conn", fallback="") or None,
            capacity_vcpus=number("capacity_vcpus", 256),
            planner_time_limit_s=number("planner_time_limit_s", 10),
            eventlog_root=conf.get("agora", "eventlog_root", fallback=DEFAULT_EVENTLOG_ROOT).rstrip("/"),
            emr_eventlog_root=conf.get("agora", "emr_eventlog_root", fallback="").rstrip("/"),
            lease_poll_s=number("lease_poll_s", 10),
            lease_ttl_s=number("lease_ttl_s", 120),
            lease_wait_in_worker_s=number("lease_wait_in_worker_s", 30),
            default_runtime_s=number("default_runtime_s", 600),
            cluster_startup_s=_optional_float(conf.get("agora", "cluster_startup_s", fallback="")),
        )


def _optional_float(text: str | None) -> float | None:
    return float(text) if text not in (None, "") else None


def open_store():
    """The process's history store (see ``HistoryStore.shared``); raises while the database is down.
    Here, beside the settings, so the UI plugin opens it without importing the operators."""
    from airflow_agora.history.store import HistoryStore

    return HistoryStore.shared(AgoraSettings.load().sql_alchemy_conn)

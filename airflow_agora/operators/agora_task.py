"""What every Agora operator adds to its upstream operator: the assignment, the capacity lease and
the advisory recording after the run.

1. **Assignment**: the task's entry in its DAG run's plan (stored by the planning step); else its
   project's latest recommendation; else the configuration the user wrote.
2. **Lease**: the assignment's vCPUs from the shared capacity ledger, in planned-start order. When
   it is not granted at once the task keeps asking in the worker for ``lease_wait_in_worker_s``;
   a longer wait defers to :class:`CapacityLeaseTrigger` (no worker slot held) and resumes in
   :meth:`agora_resume_after_lease`. Short waits stay in the worker because Airflow 3.3 can fail a
   task whose trigger fires within seconds of its deferral (see :func:`wait_in_worker`). While the
   run is watched in the worker, a thread heartbeats the lease; when the run is watched by the
   triggerer (``deferrable=True``) the lease is held for the run's planned length plus margin, then
   expires by itself if nobody releases it.
3. **After the run** (success, failure or kill): the lease is released, the run recorded and the
   next configuration proposed. Every Agora step is advisory: a history database that is down, a
   missing event log or a failed prediction is logged as a warning and never fails the task.
"""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from functools import cache
from typing import Any

from airflow_agora.control.dag_planning import DagTask, ensure_projects
from airflow_agora.control.run_intake import attach_log, intake_run
from airflow_agora.domain.cluster import ClusterConfig
from airflow_agora.domain.errors import AgoraError
from airflow_agora.domain.project import AllowedConfigs
from airflow_agora.hooks import FinishedRun, log_reader
from airflow_agora.operators.settings import AgoraSettings, open_store
from airflow_agora.prediction.catalogue import Catalogue
from airflow_agora.triggers.lease import CapacityLeaseTrigger

DEFERRED_HOLD_FACTOR = 3.0


def lease_owner(dag_id: str, run_id: str, task_id: str, map_index: int = -1) -> str:
    """Who holds a task instance's capacity lease."""
    return f"{dag_id}/{run_id}/{task_id}/{map_index}"


def open_ledger(settings: AgoraSettings):
    """The shared capacity ledger."""
    return open_store().ledger(default_capacity_vcpus=settings.capacity_vcpus, ttl_s=settings.lease_ttl_s)


def runs_in_dag_test() -> bool:
    """True under ``dag.test()``: its tasks run one at a time in this process, so a place the plan
    booked for a later-planned task of the run can never be claimed while this task waits for it."""
    from airflow.sdk.execution_time import task_runner

    return type(getattr(task_runner, "SUPERVISOR_COMMS", None)).__name__ == "InProcessSupervisorComms"


@cache
def catalogue() -> Catalogue:
    return Catalogue.packaged()


def advisory(log, what: str, call) -> Any:
    """Run an advisory step: any error becomes a warning on ``log``, never the task's failure (a
    deferral, ``TaskDeferred``, is a BaseException and passes through)."""
    try:
        return call()
    except Exception as exc:
        log.warning("agora: %s skipped (%s: %s); the task's result is unaffected", what, type(exc).__name__, exc)
        return None


def wait_in_worker(ask, lease, wait_s: float, poll_s: float, sleep=time.sleep, clock=time.monotonic):
    """Ask again every ``poll_s`` for up to ``wait_s`` while ``lease`` (the first answer) is not
    granted; the last answer (None when the ledger cannot be reached). Used before deferring:
    Airflow 3.3 fails a deferred task when the trigger fires and the task resumes before the
    scheduler has processed the worker's exit on deferral, which takes seconds on a busy scheduler
    (apache/airflow#71580, #72716)."""
    deadline = clock() + wait_s
    while lease is not None and not lease.granted and clock() < deadline:
        sleep(min(poll_s, max(0.0, deadline - clock())))
        lease = ask()
    return lease


def attach_late_log(store, run) -> Any:
    """Profile a pending run's late event log with the reader its record names (see
    :func:`airflow_agora.hooks.log_reader`); the new recommendation, or None while the log is not
    complete."""
    return attach_log(store, run, log_reader(run.profile_summary), catalogue(), AgoraSettings.load().rates())


def record_finished_run(store, project: str, run_key: str, finished: FinishedRun):
    """Record ``finished`` in ``project`` (profiling its log if it is there) and propose the next
    configuration; returns (record, recommendation, notes), as ``intake_run`` does."""
    return intake_run(
        store,
        project=project,
        run_key=run_key,
        config=finished.config,
        runtime_s=finished.runtime_s,
        succeeded=finished.succeeded,
        message=finished.message,
        started_at=finished.started_at,
        ended_at=finished.ended_at,
        eventlog_uri=finished.eventlog_uri,
        read_profile=log_reader(finished.reader),
        pending_marker=finished.reader,
        cluster_report=finished.cluster_report,
        catalogue=catalogue(),
        rates=AgoraSettings.load().rates(),
    )


class AgoraTaskMixin:
    """Mixed into an upstream operator; the subclass provides :meth:`agora_written_config` and runs
    the upstream ``execute`` from :meth:`agora_submit`."""

    agora_platform = "databricks"

    def _agora_init(
        self,
        *,
        agora_project: str | None = None,
        agora_expected_runtime_s: float | None = None,
        agora_instance_types: list[str] | tuple[str, ...] = (),
        agora_min_workers: int = 1,
        agora_max_workers: int = 64,
        agora_tags: list[str] | tuple[str, ...] = (),
    ) -> None:
        self.agora_project = agora_project
        self.agora_expected_runtime_s = agora_expected_runtime_s
        self.agora_allowed = AllowedConfigs(tuple(agora_instance_types), agora_min_workers, agora_max_workers)
        self.agora_tags = tuple(agora_tags)

    # -- what subclasses provide ---------------------------------------------------------------------------

    def agora_written_config(self) -> ClusterConfig | None:
        """The cluster the user wrote; None when there is no cluster to size."""
        raise NotImplementedError

    def agora_prepare(self, context, assignment: dict) -> None:
        """Make the upstream operator submit the assignment (with event-log delivery and tags)."""
        raise NotImplementedError

    def agora_remote_id(self, event: dict | None) -> Any:
        """The remote run's id, from a trigger's event or the operator's own state; None before submit."""
        raise NotImplementedError

    def agora_record(self, context, remote_id: Any) -> None:
        """Read the finished remote run from its platform and record it (see :meth:`agora_intake`)."""
        raise NotImplementedError

    # -- shared --------------------------------------------------------------------------------------------

    @property
    def agora_project_name(self) -> str:
        return self.agora_project or f"{self.dag_id}.{self.task_id}"  # type: ignore[attr-defined]

    def agora_dag_task(self, upstream: tuple[str, ...]) -> DagTask | None:
        """This task as the planning step sees it (None when there is no cluster to size)."""
        written = self.agora_written_config()
        if written is None:
            return None
        return DagTask(
            self.task_id,  # type: ignore[attr-defined]
            self.agora_project_name,
            written,
            upstream,
            self.agora_expected_runtime_s,
            self.agora_allowed,
            self.agora_tags,
        )

    def agora_run_tags(self, context) -> dict[str, str]:
        """Tags naming the project and the Airflow run, put on the cluster."""
        ti = context["ti"]
        return {"agora_project": self.agora_project_name, "agora_dag_id": ti.dag_id,
                "agora_run_id": str(ti.run_id)[:250], "agora_task_id": ti.task_id}  # fmt: skip

    def agora_lease_owner(self, context) -> str:
        ti = context["ti"]
        return lease_owner(ti.dag_id, ti.run_id, ti.task_id, ti.map_index)

    def agora_assignment(self, context) -> dict:
        """The configuration to run (see the module docstring), never raising."""
        written = self.agora_written_config()
        if written is None:
            return {"config": None, "source": "no job cluster to size"}
        out = {"config": written.to_dict(), "source": "as written", "priority": time.time(), "planned_s": None,
               "resize": False}  # fmt: skip
        ti = context["ti"]
        try:
            store = open_store()
            entry = ((store.get_plan(ti.dag_id, ti.run_id) or {}).get("tasks") or {}).get(ti.task_id)
            if entry and entry.get("config"):
                out.update(
                    config=entry["config"],
                    source="plan",
                    resize=True,
                    priority=entry["priority"],
                    planned_s=entry["end_s"] - entry["start_s"],
                )
            elif store.find_project(self.agora_project_name) is not None:
                rec = store.latest_recommendation(self.agora_project_name)
                if rec is not None:
                    config = ClusterConfig.from_dict({**rec.config.to_dict(), "platform": written.platform})
                    out.update(config=config.to_dict(), source=f"recommendation ({rec.phase})", resize=True)
        except AgoraError as exc:
            self.log.warning("agora: %s; running the configuration as written", exc)  # type: ignore[attr-defined]
        config = ClusterConfig.from_dict(out["config"])
        out["vcpus"] = config.num_workers * catalogue().get(config.instance_type).vcpus
        self.log.info("agora: running %s (%s)", config.label, out["source"])  # type: ignore[attr-defined]
        return out

    def execute(self, context) -> Any:
        assignment = self.agora_assignment(context)
        self._agora_acquire(context, assignment)
        return self.agora_submit(context, assignment)

    def agora_submit(self, context, assignment: dict) -> Any:
        """Run the upstream operator on the assignment; release and record after it, whatever the end.
        Deferrable: the upstream trigger watches the run and :meth:`execute_complete` finishes it."""
        self.agora_prepare(context, assignment)
        self._agora_owner = self.agora_lease_owner(context)
        if getattr(self, "deferrable", False):
            self.agora_hold_lease_while_deferred(assignment)
            try:  # a TaskDeferred (BaseException) passes through
                return self.agora_upstream_execute(context)
            except Exception:
                self.agora_after_run(context)
                raise
        with self.agora_heartbeat(assignment):
            try:
                result = self.agora_upstream_execute(context)
            except Exception:
                self.agora_after_run(context)
                raise
        self.agora_after_run(context)
        return result

    def execute_complete(self, context, event: dict | None = None) -> Any:
        remote_id = self.agora_remote_id(event)
        try:
            result = super().execute_complete(context, event)  # type: ignore[misc]
        except Exception:
            self.agora_after_run(context, remote_id)
            raise
        self.agora_after_run(context, remote_id)
        return result

    def on_kill(self) -> None:
        super().on_kill()  # type: ignore[misc]
        self.agora_advisory("releasing the lease", lambda: self.agora_release(None))

    def agora_after_run(self, context, remote_id: Any = None) -> None:
        self.agora_advisory("releasing the lease", lambda: self.agora_release(context))
        remote_id = remote_id if remote_id is not None else self.agora_remote_id(None)
        if remote_id is not None:
            self.agora_advisory("recording the run", lambda: self.agora_record(context, remote_id))

    def agora_intake(self, context, finished: FinishedRun) -> None:
        """Record a finished run in its project and log the closed loop's next configuration."""
        ti = context["ti"]
        dag_task = self.agora_dag_task(())
        store = open_store()
        if dag_task is not None:
            ensure_projects(store, ti.dag_id, [dag_task])
        record, recommendation, notes = record_finished_run(
            store, self.agora_project_name, f"{self.agora_lease_owner(context)}/try{ti.try_number}", finished
        )
        for note in notes:
            self.log.warning("agora: %s", note)  # type: ignore[attr-defined]
        self.log.info(  # type: ignore[attr-defined]
            "agora: recorded %s run on %s: %.0f s, $%.2f; next: %s (%s)",
            record.status, finished.config.label, finished.runtime_s, record.cost_usd or 0.0,
            recommendation.config.label if recommendation else "unchanged",
            recommendation.reason if recommendation else "",
        )  # fmt: skip

    def agora_resume_after_lease(self, context, event: dict) -> Any:
        assignment = dict(event.get("payload") or {})
        if event.get("status") != "granted":
            self.log.warning("agora: capacity dispatch unavailable (%s); running without a lease",  # type: ignore[attr-defined]
                             event.get("message"))  # fmt: skip
            assignment["lease"] = None
        return self.agora_submit(context, assignment)

    def _agora_acquire(self, context, assignment: dict) -> None:
        """Return once the lease is granted (or dispatch is unavailable); defer while it is not."""
        assignment["lease"] = None
        if not assignment.get("config"):
            return
        settings = AgoraSettings.load()
        owner = self.agora_lease_owner(context)
        if runs_in_dag_test():
            ti = context["ti"]
            self._agora_ledger_call(lambda ledger: ledger.drop_bookings(f"{ti.dag_id}/{ti.run_id}/"))

        def ask():
            return self._agora_ledger_call(
                lambda ledger: ledger.request(owner, assignment["vcpus"], assignment["priority"])
            )

        lease = ask()
        if lease is not None and not lease.granted and settings.lease_wait_in_worker_s > 0:
            self.log.info("agora: waiting for %g vCPUs", assignment["vcpus"])  # type: ignore[attr-defined]
            lease = wait_in_worker(ask, lease, settings.lease_wait_in_worker_s, min(1.0, settings.lease_poll_s))
        if lease is None:
            self.log.warning("agora: running without a lease")  # type: ignore[attr-defined]
            return
        assignment["lease"] = owner
        if lease.granted:
            self.log.info("agora: lease of %g vCPUs granted", assignment["vcpus"])  # type: ignore[attr-defined]
            return
        self.log.info("agora: waiting (deferred) for %g vCPUs", assignment["vcpus"])  # type: ignore[attr-defined]
        self.defer(  # type: ignore[attr-defined]
            trigger=CapacityLeaseTrigger(
                owner=owner,
                vcpus=assignment["vcpus"],
                priority=assignment["priority"],
                poll_s=settings.lease_poll_s,
                ttl_s=settings.lease_ttl_s,
                capacity_vcpus=settings.capacity_vcpus,
                payload=assignment,
            ),
            method_name="agora_resume_after_lease",
        )

    @contextmanager
    def agora_heartbeat(self, assignment: dict):
        """Keep the lease alive while the worker watches the run."""
        owner = assignment.get("lease")
        if not owner:
            yield
            return
        ttl = AgoraSettings.load().lease_ttl_s
        stop = threading.Event()

        def beat() -> None:
            while not stop.wait(ttl / 3):
                self._agora_ledger_call(lambda ledger: ledger.heartbeat(owner))

        thread = threading.Thread(target=beat, name="agora-lease-heartbeat", daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join(timeout=5)

    def agora_hold_lease_while_deferred(self, assignment: dict) -> None:
        """The triggerer watches the run: hold the lease for its planned length (times a margin)."""
        owner = assignment.get("lease")
        if owner:
            hold = DEFERRED_HOLD_FACTOR * (assignment.get("planned_s") or AgoraSettings.load().default_runtime_s)
            self._agora_ledger_call(lambda ledger: ledger.heartbeat(owner, hold_s=hold))

    def agora_upstream_execute(self, context) -> Any:
        """The upstream operator's own ``execute`` (past this mixin in the MRO)."""
        return super().execute(context)  # type: ignore[misc]

    def agora_release(self, context) -> None:
        """Give the lease back (``context`` None: from ``on_kill``, with the owner remembered)."""
        owner = self.agora_lease_owner(context) if context else getattr(self, "_agora_owner", None)
        if owner and self._agora_ledger_call(lambda ledger: ledger.release(owner)):
            self.log.info("agora: lease released")  # type: ignore[attr-defined]

    def _agora_ledger_call(self, call):
        settings = AgoraSettings.load()
        try:
            return call(open_ledger(settings))
        except AgoraError as exc:
            self.log.warning("agora: capacity ledger unavailable (%s)", exc)  # type: ignore[attr-defined]
            return None

    def agora_advisory(self, what: str, call) -> Any:
        return advisory(self.log, what, call)  # type: ignore[attr-defined]

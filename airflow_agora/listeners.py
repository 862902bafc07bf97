"""The plugin's task listener: records when each try's code ran, for the overhead analysis.

Airflow records when a try began and ended, which includes the task process starting, importing and
parsing the DAG file. The listener is called in the task's own process right before the operator
runs (``on_task_instance_running``) and right after (success or failure), so one row per try in the
history (``agora_task_timing``) separates that start-up from the work. Advisory: any error is a
warning in the task's log, never the task's failure. ``[agora] record_task_timings = False`` turns it
off.
"""

from __future__ import annotations

import logging
import time

from airflow.listeners import hookimpl

log = logging.getLogger(__name__)
_executing: dict[tuple, float] = {}  # (dag_id, run_id, task_id, map_index, try_number) -> epoch s


def _key(ti) -> tuple:
    return (ti.dag_id, ti.run_id, ti.task_id, getattr(ti, "map_index", -1), ti.try_number)


def _enabled() -> bool:
    from airflow.configuration import conf

    return conf.getboolean("agora", "record_task_timings", fallback=True)


@hookimpl
def on_task_instance_running(previous_state, task_instance) -> None:
    _executing[_key(task_instance)] = time.time()


def _record(task_instance, state: str) -> None:
    executed_at = time.time()
    executing_at = _executing.pop(_key(task_instance), None)
    if executing_at is None:  # not run in this process (e.g. marked in the UI)
        return
    try:
        if not _enabled():
            return
        from airflow_agora.operators.settings import open_store

        dag_id, run_id, task_id, map_index, try_number = _key(task_instance)
        open_store().record_task_timing(dag_id, run_id, task_id, map_index, try_number,
                                        executing_at=executing_at, executed_at=executed_at, state=state)  # fmt: skip
    except Exception as exc:  # advisory: the task's outcome is already decided
        log.warning("agora: task timing not recorded (%s: %s); the task's result is unaffected",
                    type(exc).__name__, exc)  # fmt: skip


@hookimpl
def on_task_instance_success(previous_state, task_instance) -> None:
    _record(task_instance, "success")


@hookimpl
def on_task_instance_failed(previous_state, task_instance, error) -> None:
    _record(task_instance, "failed")

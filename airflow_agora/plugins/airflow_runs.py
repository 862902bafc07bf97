"""Airflow's record of DAG runs read from its metadata database, for the UI's overhead page (which
runs inside the API server): the same :class:`DagRunRecord` the CLI builds from the REST API."""

from __future__ import annotations

from airflow.models.dagrun import DagRun
from airflow.models.serialized_dag import SerializedDagModel
from airflow.models.taskinstance import TaskInstance
from airflow.models.taskinstancehistory import TaskInstanceHistory
from airflow.utils.session import create_session
from sqlalchemy import select

from airflow_agora.domain.errors import InvalidInputError
from airflow_agora.overhead.records import DagRunRecord, TaskInstanceRecord, epoch_s, instance_key


class AirflowMetadata:
    """A :class:`~airflow_agora.overhead.dag_report.RunSource` on Airflow's metadata database."""

    def upstream_of_tasks(self, dag_id: str) -> dict[str, list[str]]:
        """Each task's upstream task ids, from the DAG's latest serialized version."""
        dag = SerializedDagModel.get_dag(dag_id)
        if dag is None:
            raise InvalidInputError(f"Airflow has no DAG {dag_id}", fix="check the DAG id on Airflow's DAGs page")
        return {task_id: sorted(task.upstream_task_ids) for task_id, task in dag.task_dict.items()}

    def finished_run_ids(self, dag_id: str, last: int) -> list[str]:
        """The ids of the DAG's ``last`` most recent finished runs, oldest first."""
        with create_session() as session:
            query = (
                select(DagRun.run_id)
                .where(DagRun.dag_id == dag_id, DagRun.state.in_(("success", "failed")))
                .order_by(DagRun.run_after.desc())
                .limit(last)
            )
            return list(reversed(session.scalars(query).all()))

    def dag_run(self, dag_id: str, run_id: str, upstream: dict[str, list[str]]) -> DagRunRecord:
        """One DAG run with its task instances and, for retried ones, their first try."""
        with create_session() as session:
            run = session.scalars(select(DagRun).where(DagRun.dag_id == dag_id, DagRun.run_id == run_id)).one_or_none()
            if run is None:
                raise InvalidInputError(f"Airflow has no run {run_id} of DAG {dag_id}")
            tis = session.scalars(
                select(TaskInstance).where(TaskInstance.dag_id == dag_id, TaskInstance.run_id == run_id)
            ).all()
            first_tries = {}
            for h in session.scalars(
                select(TaskInstanceHistory)
                .where(TaskInstanceHistory.dag_id == dag_id, TaskInstanceHistory.run_id == run_id)
                .order_by(TaskInstanceHistory.try_number.desc())
            ):
                first_tries[instance_key(h.task_id, h.map_index)] = h  # the lowest try number wins
            tasks = []
            for ti in tis:
                key = instance_key(ti.task_id, ti.map_index)
                first = first_tries.get(key) if (ti.try_number or 0) > 1 else None
                tasks.append(TaskInstanceRecord(
                    key=key, task_id=ti.task_id, state=str(ti.state or "none"), try_number=ti.try_number or 0,
                    queued_at=epoch_s(ti.queued_dttm), started_at=epoch_s(ti.start_date),
                    ended_at=epoch_s(ti.end_date), upstream=tuple(upstream.get(ti.task_id, ())),
                    first_queued_at=epoch_s(first.queued_dttm) if first else None,
                    first_started_at=epoch_s(first.start_date) if first else None,
                ))  # fmt: skip
            return DagRunRecord(
                dag_id=dag_id, run_id=run_id, state=str(run.state), started_at=epoch_s(run.start_date),
                ended_at=epoch_s(run.end_date), queued_at=epoch_s(run.queued_at), tasks=tuple(tasks),
            )  # fmt: skip

"""Pipeline overhead analysis: where a DAG run's time goes between and around its tasks, and which
chains of tasks to merge (see ``docs/overhead.md``). Airflow-free: Airflow's record of the runs
arrives as :class:`~airflow_agora.overhead.records.DagRunRecord`."""

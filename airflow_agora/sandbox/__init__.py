"""Local stand-ins for a Databricks workspace, used by ``agora demo`` and the tests.

:class:`~airflow_agora.sandbox.databricks.DatabricksSandbox` serves the Databricks REST subset the
upstream provider's hook uses on loopback and runs each job for as long as a workload model says.
"""

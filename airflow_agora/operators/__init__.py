"""Agora operators: drop-in subclasses of the upstream Databricks operators, and the planning step.

Import them from their modules (``airflow_agora.operators.databricks``) so that importing this
package stays cheap.
"""

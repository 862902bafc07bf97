"""Trace simulation: replay DAG workloads on a shared cluster under scheduling policies."""

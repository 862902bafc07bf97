"""Pure Databricks and EMR translation: cluster configurations to and from the platforms' payloads
and cluster reports (DESIGN.md §3). Imports only ``domain``; never Airflow, never the network."""

"""Triggers of the Agora operators (they run in Airflow's triggerer)."""

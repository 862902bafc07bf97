"""Prediction from one run: event logs → application profile → replay on other hardware → cost →
recommendation (DESIGN.md §4 "Prediction"). Imports only ``domain`` of ours; never Airflow."""

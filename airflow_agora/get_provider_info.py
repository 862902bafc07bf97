"""Provider metadata for Airflow's ``apache_airflow_provider`` entry point (no Airflow import here)."""

from __future__ import annotations


def get_provider_info() -> dict:
    return {
        "package-name": "airflow-provider-agora",
        "name": "Agora",
        "description": "Plans Spark pipelines on Databricks and EMR to meet SLAs at the lowest cloud cost.",
        "versions": ["0.1.0"],
        "config": {
            "agora": {
                "description": "Settings of the airflow-agora provider.",
                "options": {
                    "capacity_vcpus": {
                        "description": "vCPUs shared by every Agora DAG (the capacity plans must fit under).",
                        "version_added": "0.1.0",
                        "type": "integer",
                        "example": "256",
                        "default": "256",
                    },
                    "planner_time_limit_s": {
                        "description": "Seconds the planner may spend on one plan before returning its best.",
                        "version_added": "0.1.0",
                        "type": "float",
                        "example": "10",
                        "default": "10",
                    },
                    "sql_alchemy_conn": {
                        "description": "History database URL. Empty: a SQLite file under AIRFLOW_HOME.",
                        "version_added": "0.1.0",
                        "type": "string",
                        "example": "postgresql+psycopg2://user@host/agora",
                        "default": "",
                    },
                },
            }
        },
    }

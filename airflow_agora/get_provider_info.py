"""Provider metadata for Airflow's ``apache_airflow_provider`` entry point (no Airflow import here)."""

from __future__ import annotations


def get_provider_info() -> dict:
    return {
        "package-name": "airflow-provider-agora",
        "name": "Agora",
        "description": "Plans Spark pipelines on Databricks and EMR to meet SLAs at the lowest cloud cost.",
        "versions": ["0.1.0"],
        "operators": [
            {
                "integration-name": "Agora",
                "python-modules": [
                    "airflow_agora.operators.databricks",
                    "airflow_agora.operators.emr",
                    "airflow_agora.operators.emr_serverless",
                    "airflow_agora.operators.planning",
                    "airflow_agora.operators.predict",
                ],
            }
        ],
        "plugins": [{"name": "agora", "plugin-class": "airflow_agora.plugins.AgoraPlugin"}],
        "triggers": [
            {
                "integration-name": "Agora",
                "python-modules": [
                    "airflow_agora.triggers.lease",
                    "airflow_agora.triggers.emr",
                    "airflow_agora.triggers.eventlog",
                ],
            }
        ],
        "config": {
            "agora": {
                "description": "Settings of the airflow-agora provider.",
                "options": {
                    "capacity_vcpus": {
                        "description": "vCPUs of the pool every Agora DAG's leases draw on; "
                        "a DAG's own capacity_vcpus is planned within it.",
                        "version_added": "0.1.0",
                        "type": "integer",
                        "example": "256",
                        "default": "256",
                    },
                    "record_task_timings": {
                        "description": "Record when each task try's code ran (the plugin's listener), so "
                        "`agora overhead` can tell task start-up from work.",
                        "version_added": "0.1.0",
                        "type": "boolean",
                        "example": "True",
                        "default": "True",
                    },
                    "deadline_alerts": {
                        "description": "Deadline Alert at the SLA of @agora_dag DAGs (off for dag.test() on 3.3.2).",
                        "version_added": "0.1.0",
                        "type": "boolean",
                        "example": "True",
                        "default": "True",
                    },
                    "cluster_startup_s": {
                        "description": "Cluster start-up in seconds, billed and planned before every run "
                        "(unset: each platform's typical start-up; set it low for warm instance pools).",
                        "version_added": "0.1.0",
                        "type": "float",
                        "example": "30",
                        "default": "",
                    },
                    "default_runtime_s": {
                        "description": "Runtime assumed when planning a task that has neither history nor a hint.",
                        "version_added": "0.1.0",
                        "type": "float",
                        "example": "600",
                        "default": "600",
                    },
                    "eventlog_root": {
                        "description": "Where Agora clusters deliver Spark event logs (one folder per project).",
                        "version_added": "0.1.0",
                        "type": "string",
                        "example": "dbfs:/agora/eventlogs",
                        "default": "dbfs:/agora/eventlogs",
                    },
                    "emr_eventlog_root": {
                        "description": "S3 folder where Agora EMR job flows write Spark event logs "
                        "(one folder per project and run); empty: <LogUri>/agora-eventlogs.",
                        "version_added": "0.1.0",
                        "type": "string",
                        "example": "s3://my-bucket/agora/eventlogs",
                        "default": "",
                    },
                    "lease_poll_s": {
                        "description": "Seconds between a waiting task's asks for capacity.",
                        "version_added": "0.1.0",
                        "type": "float",
                        "example": "10",
                        "default": "10",
                    },
                    "lease_ttl_s": {
                        "description": "Seconds a capacity lease lives without a heartbeat.",
                        "version_added": "0.1.0",
                        "type": "float",
                        "example": "120",
                        "default": "120",
                    },
                    "lease_wait_in_worker_s": {
                        "description": "Seconds a task waiting for capacity keeps asking in its worker "
                        "before it defers to the triggerer (0: defer at once).",
                        "version_added": "0.1.0",
                        "type": "float",
                        "example": "30",
                        "default": "30",
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

import subprocess
import sys
from importlib.metadata import entry_points


def test_provider_entry_point_and_config_section():
    eps = [ep for ep in entry_points(group="apache_airflow_provider") if ep.value.startswith("airflow_agora")]
    assert len(eps) == 1
    info = eps[0].load()()
    assert info["package-name"] == "airflow-provider-agora"
    assert "planner_time_limit_s" in info["config"]["agora"]["options"]


def test_airflow_discovers_the_provider():
    from airflow.providers_manager import ProvidersManager

    manager = ProvidersManager()
    assert "airflow-provider-agora" in manager.providers
    manager.initialize_providers_configuration()
    from airflow.configuration import conf

    assert conf.getfloat("agora", "planner_time_limit_s") == 10.0


def test_import_is_cheap_and_lazy():
    code = (
        "import sys, airflow_agora;"
        "heavy = [m for m in ('airflow', 'ortools', 'pandas', 'numpy') if m in sys.modules];"
        "print(','.join(heavy));"
        "airflow_agora.Planner;"
        "print('ortools' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split("\n")
    assert out[0] == ""  # nothing heavy on import
    assert out[1] == "True"  # loaded on first use


def test_the_example_dags_import_in_airflow(tmp_path):
    """Every example DAG parses in Airflow 3.3 with its tasks and dependencies as documented."""
    import json
    import os
    from pathlib import Path

    from airflow_agora.sandbox.local_airflow import REPO_EXAMPLE_DAGS, airflow_env

    env = airflow_env(tmp_path, dags_folder=REPO_EXAMPLE_DAGS, history_url="sqlite://", databricks_connection=None)
    code = (
        "import json, sys; from airflow.dag_processing.dagbag import DagBag;"
        f"bag = DagBag({str(REPO_EXAMPLE_DAGS)!r});"
        "print(json.dumps({'errors': {k: str(v)[:500] for k, v in bag.import_errors.items()},"
        "'dags': {d.dag_id: {t.task_id: sorted(t.upstream_task_ids) for t in d.tasks} for d in bag.dags.values()}}))"
    )
    done = subprocess.run([sys.executable, "-c", code], env={**os.environ, **env}, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    assert answer["errors"] == {}
    dags = answer["dags"]
    expected = {"agora_four_jobs", "four_jobs_airflow_default", "agora_emr_pipeline", "agora_tpch_pipeline"}
    assert set(dags) == expected
    assert len({Path(p).name for p in REPO_EXAMPLE_DAGS.glob("*.py")}) == 3
    assert set(dags["agora_emr_pipeline"]["report"]) == {"agora_plan", "sessions", "recommendations"}
    tpch = dags["agora_tpch_pipeline"]
    assert len(tpch) == 1 + 8 + 22  # the planning step, the loads, the queries
    q08 = {"load_part", "load_supplier", "load_lineitem", "load_orders", "load_customer", "load_nation", "load_region"}
    assert set(tpch["q08"]) == {"agora_plan", *q08}
    assert all(upstream == ["agora_plan"] for task, upstream in tpch.items() if task.startswith("load_"))

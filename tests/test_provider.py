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

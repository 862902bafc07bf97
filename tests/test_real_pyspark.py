"""A real PySpark 4 job run locally (Java 17), its event log left at Spark 4's defaults (rolling
folder of zstd parts), then profiled and predicted from, as a user would."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap

import pytest

from airflow_agora.cli.main import main
from airflow_agora.prediction.profile import build_profile

pytestmark = pytest.mark.slow

JOB = textwrap.dedent(
    """
    import sys
    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master("local[2]").appName("agora-real-run")
        .config("spark.eventLog.enabled", "true").config("spark.eventLog.dir", sys.argv[1])
        .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "8")
        .getOrCreate()
    )
    df = spark.range(0, 400_000).selectExpr("id % 97 AS k", "id AS v")
    assert df.groupBy("k").sum("v").count() == 97
    spark.stop()
    """
)


@pytest.fixture(scope="module")
def real_log(tmp_path_factory):
    if not shutil.which("java") and not os.environ.get("JAVA_HOME"):
        pytest.fail("Java 17 is needed for the real PySpark run (apt install openjdk-17-jre-headless)")
    out = tmp_path_factory.mktemp("spark-events")
    script = out.parent / "job.py"
    script.write_text(JOB)
    subprocess.run([sys.executable, str(script), out.as_uri()], check=True, timeout=300, capture_output=True)
    (folder,) = out.iterdir()
    return folder


def test_spark4_default_log_is_a_rolling_zstd_folder_and_profiles(real_log):
    assert real_log.name.startswith("eventlog_v2_")
    assert any(p.name.startswith("events_1_") and p.suffix == ".zstd" for p in real_log.iterdir())
    profile = build_profile(str(real_log))
    summary = profile.summary()
    assert profile.spark_version.startswith("4.") and profile.complete
    assert summary["jobs"] >= 1 and summary["tasks"] >= 3 and summary["failed_tasks"] == 0
    assert summary["shuffle_read_bytes"] > 0
    assert summary["warnings"] == []


def test_predict_from_the_real_log(real_log, capsys):
    assert main(["predict", str(real_log), "--json", "--instance-types", "m5.*", "c5.*"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert abs(answer["model_error_pct"]) < 20
    assert answer["basis"]["configuration"]["instance_type"] == "m5.large"  # 2 local cores, assumed m5
    assert any("assumed" in w for w in answer["warnings"])
    perf, eco = answer["solutions"]["performance"]["metrics"], answer["solutions"]["economy"]["metrics"]
    assert perf["runtime_s"] <= eco["runtime_s"] and perf["cost_usd"] >= eco["cost_usd"]

"""A real PySpark script run locally for a sandbox job cluster, when pyspark (and Java) are installed.

The script runs under pyspark's own ``spark-submit`` in local mode with as many cores as the machine
and the requested cluster both allow. Spark is told what the cluster is the way Databricks tells it,
through ``spark.databricks.clusterUsageTags.*`` properties, so its event log carries the node types
and worker count a Databricks log does; the cluster spec's ``spark_conf`` and ``spark_env_vars`` apply
as on a real cluster. The log is written to a staging folder (uncompressed, not rolled) and delivered
to the ``cluster_log_conf`` destination later, as Databricks delivers logs.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

OUTPUT_TAIL_BYTES = 256 << 10
LOG4J_LINE = re.compile(r"^\d\d/\d\d/\d\d \d\d:\d\d:\d\d (TRACE|DEBUG|INFO|WARN) ")
FAILURE_MESSAGE_CHARS = 500


def spark_submit() -> Path | None:
    """pyspark's ``spark-submit``, or None when pyspark or Java is missing (the sandbox then models
    the job instead)."""
    spec = importlib.util.find_spec("pyspark")
    if spec is None or spec.origin is None or not (shutil.which("java") or os.environ.get("JAVA_HOME")):
        return None
    path = Path(spec.origin).parent / "bin" / "spark-submit"
    return path if path.exists() else None


@dataclass
class SparkProcess:
    """One ``spark-submit`` of a script: started, then polled until it exits."""

    process: subprocess.Popen
    staging: Path
    started: float = field(default_factory=time.monotonic)
    elapsed_s: float | None = None  # set once it exited
    returncode: int | None = None

    def poll(self) -> bool:
        """True once the script has exited (its runtime and exit code are then known)."""
        if self.returncode is None and self.process.poll() is not None:
            self.returncode = self.process.returncode
            self.elapsed_s = time.monotonic() - self.started
        return self.returncode is not None

    def kill(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)

    def failure(self) -> str | None:
        """None if the script succeeded, else its error: the last exception line it printed (Spark's
        own log lines aside)."""
        if not self.poll() or self.returncode == 0:
            return None
        with (self.staging / "driver.log").open("rb") as f:
            f.seek(max(0, f.seek(0, os.SEEK_END) - OUTPUT_TAIL_BYTES))
            text = f.read().decode(errors="replace")
        lines = [line.strip() for line in text.splitlines() if line.strip() and not LOG4J_LINE.match(line)]
        errors = [line for line in lines if "Error" in line or "Exception" in line]
        message = (errors or lines or [f"spark-submit exited with code {self.returncode}"])[-1]
        return message[:FAILURE_MESSAGE_CHARS]

    def eventlog(self) -> Path | None:
        """The finished event log Spark wrote, if any."""
        logs = [p for p in (self.staging / "eventlog").glob("*") if p.is_file() and p.suffix != ".inprogress"]
        return max(logs, key=lambda p: p.stat().st_size) if logs else None


def start(
    submit: Path,
    script: Path,
    args: list[str],
    *,
    staging: Path,
    cores: int,
    usage_tags: dict[str, str],
    cluster_spec: dict,
) -> SparkProcess:
    """Start ``script`` with ``args`` under ``spark-submit`` in local mode on ``cores`` cores."""
    (staging / "eventlog").mkdir(parents=True, exist_ok=True)
    conf = {
        **{str(k): str(v) for k, v in (cluster_spec.get("spark_conf") or {}).items()},
        **usage_tags,
        "spark.eventLog.enabled": "true",
        "spark.eventLog.dir": (staging / "eventlog").as_uri(),
        "spark.eventLog.compress": "false",
        "spark.eventLog.rolling.enabled": "false",
        "spark.ui.enabled": "false",
    }
    command = [str(submit), "--master", f"local[{max(1, cores)}]", "--name", script.stem]
    for key, value in conf.items():
        command += ["--conf", f"{key}={value}"]
    command += [str(script), *args]
    env = {
        **os.environ,
        **{str(k): str(v) for k, v in (cluster_spec.get("spark_env_vars") or {}).items()},
        "PYSPARK_PYTHON": sys.executable,
        "PYSPARK_DRIVER_PYTHON": sys.executable,
    }
    with (staging / "driver.log").open("wb") as log:  # Spark prints the script's own output to stdout
        process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=staging, start_new_session=True
        )
    return SparkProcess(process, staging)

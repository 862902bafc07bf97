"""EMR Serverless job runs to and from ``ClusterConfig``.

A Serverless job has no instance types: it runs a driver and executors on workers of a vCPU and
memory size, billed per vCPU-hour and GB-hour. It fits the same model through **worker shapes**:
the configuration's ``instance_type`` names the EC2 type whose vCPUs and memory are the worker's
size (``m5.xlarge``: 4 vCPUs, 16 GB; ``c5.xlarge``: 4 vCPUs, 8 GB), ``num_workers`` is the number
of executors and ``driver_instance_type`` the driver's shape; the cost model prices the shape per
vCPU and GB, not as EC2. Only shapes Serverless offers are used: 1 to 16 vCPUs with 2 to 8 GB per
vCPU (:data:`SHAPES`).

The sizing lives in the job's ``sparkSubmitParameters`` (``--conf spark.executor.cores=4`` and the
like, or the ``--executor-cores`` family of flags) and the ``spark-defaults`` classification of
``configurationOverrides``. A worker holds the Spark memory plus 10% overhead, so a 16 GB shape runs
``spark.executor.memory=14g``.
"""

from __future__ import annotations

import copy
import math
import shlex
from datetime import datetime

from airflow_agora.domain.cluster import ClusterConfig

PLATFORM = "emr-serverless"
# (name, vCPUs, GB): shapes within Serverless's worker limits (1-16 vCPUs, 2-8 GB per vCPU, <= 120 GB)
SHAPES = (
    ("c5.large", 2, 4), ("m5.large", 2, 8), ("r5.large", 2, 16),
    ("c5.xlarge", 4, 8), ("m5.xlarge", 4, 16),
    ("c5.2xlarge", 8, 16), ("m5.2xlarge", 8, 32),
    ("c5.4xlarge", 16, 32), ("m5.4xlarge", 16, 64),
)  # fmt: skip
MEMORY_OVERHEAD = 0.10
DEFAULT_CORES, DEFAULT_MEMORY_GB = 4, 14  # Serverless's defaults for the driver and executors
DEFAULT_EXECUTORS = 3  # its default initial executors under dynamic allocation
_FLAGS = {
    "--executor-cores": "spark.executor.cores",
    "--executor-memory": "spark.executor.memory",
    "--num-executors": "spark.executor.instances",
    "--driver-cores": "spark.driver.cores",
    "--driver-memory": "spark.driver.memory",
}


def _sizing(key: str | None) -> bool:
    """Whether a Spark property sizes the job (and so gives way to the assignment)."""
    return bool(key) and (key in _FLAGS.values() or key.startswith("spark.dynamicAllocation."))


def submit_properties(job_driver: dict, configuration_overrides: dict | None = None) -> dict[str, str]:
    """The Spark properties a job run sets: ``spark-defaults`` of its overrides, then its
    ``sparkSubmitParameters`` (which win, as spark-submit's own arguments do)."""
    props: dict[str, str] = {}
    for c in (configuration_overrides or {}).get("applicationConfiguration") or []:
        if c.get("classification") == "spark-defaults":
            props.update({str(k): str(v) for k, v in (c.get("properties") or {}).items()})
    tokens = shlex.split(((job_driver or {}).get("sparkSubmit") or {}).get("sparkSubmitParameters") or "")
    for i, token in enumerate(tokens[:-1]):
        if token == "--conf" and "=" in tokens[i + 1]:
            key, _, value = tokens[i + 1].partition("=")
            props[key] = value
        elif token in _FLAGS:
            props[_FLAGS[token]] = tokens[i + 1]
    return props


def shape_of(cores: int, memory_gb: float) -> str:
    """The shape of a driver or executor: ``cores`` vCPUs and ``memory_gb`` of Spark memory (plus the
    overhead): the nearest in memory among the shapes with the nearest number of vCPUs."""
    worker_gb = memory_gb * (1 + MEMORY_OVERHEAD)
    nearest_cores = min(abs(s[1] - cores) for s in SHAPES)
    candidates = [s for s in SHAPES if abs(s[1] - cores) == nearest_cores]
    return min(candidates, key=lambda s: abs(math.log(s[2] / worker_gb)))[0]


def _shape(name: str) -> tuple[int, int]:
    for shape, cores, gb in SHAPES:
        if shape == name:
            return cores, gb
    raise ValueError(f"{name} is not an EMR Serverless worker shape; use one of {[s[0] for s in SHAPES]}")


def written_config(job_driver: dict, configuration_overrides: dict | None = None) -> ClusterConfig:
    """The configuration a job run asks for. Executors: ``spark.executor.instances`` with dynamic
    allocation off, else its ``maxExecutors`` (or the initial executors when unbounded)."""
    props = submit_properties(job_driver, configuration_overrides)
    dynamic = props.get("spark.dynamicAllocation.enabled", "true").lower() == "true"
    executors = props.get("spark.executor.instances")
    if dynamic:
        executors = props.get("spark.dynamicAllocation.maxExecutors") or executors
        executors = executors or props.get("spark.dynamicAllocation.initialExecutors")
    executor = shape_of(int(props.get("spark.executor.cores", DEFAULT_CORES)), _gb(props.get("spark.executor.memory")))
    driver = shape_of(int(props.get("spark.driver.cores", DEFAULT_CORES)), _gb(props.get("spark.driver.memory")))
    return ClusterConfig(executor, int(executors or DEFAULT_EXECUTORS), driver_instance_type=driver, platform=PLATFORM)


def _gb(memory: str | None) -> float:
    """Spark's memory notation (``14g``, ``2048m``, ``1t``) in GB."""
    if not memory:
        return DEFAULT_MEMORY_GB
    text = memory.strip().lower().removesuffix("b")
    scale = {"k": 1 / (1 << 20), "m": 1 / 1024, "g": 1.0, "t": 1024.0}.get(text[-1:])
    return float(text[:-1]) * scale if scale else float(text) / (1 << 30)


def apply_to_job_driver(job_driver: dict, config: ClusterConfig | None, *, eventlog_dir: str | None) -> dict:
    """A copy of ``job_driver`` running ``config`` (fixed executors: dynamic allocation off and its
    other settings dropped; executor and driver cores and memory of their shapes) and writing Spark
    event logs to ``eventlog_dir`` (unless the job sets its own ``spark.eventLog.dir``). Every other
    parameter is kept."""
    out = copy.deepcopy(job_driver)
    submit = out.setdefault("sparkSubmit", {})
    tokens = shlex.split(submit.get("sparkSubmitParameters") or "")
    props = submit_properties(out)
    added: dict[str, str] = {}
    if config is not None:
        tokens = _without_sizing(tokens)
        cores, gb = _shape(config.instance_type)
        driver_cores, driver_gb = _shape(config.driver_instance_type or config.instance_type)
        added |= {
            "spark.dynamicAllocation.enabled": "false",
            "spark.executor.instances": str(config.num_workers),
            "spark.executor.cores": str(cores),
            "spark.executor.memory": f"{_spark_gb(gb)}g",
            "spark.driver.cores": str(driver_cores),
            "spark.driver.memory": f"{_spark_gb(driver_gb)}g",
        }
    if eventlog_dir and not props.get("spark.eventLog.dir"):
        added |= {"spark.eventLog.enabled": "true", "spark.eventLog.dir": eventlog_dir}
    for key, value in added.items():
        tokens += ["--conf", f"{key}={value}"]
    submit["sparkSubmitParameters"] = shlex.join(tokens)
    return out


def _spark_gb(worker_gb: int) -> int:
    return max(1, math.floor(worker_gb / (1 + MEMORY_OVERHEAD)))


def _without_sizing(tokens: list[str]) -> list[str]:
    """``tokens`` less the ``--conf`` pairs and flags that size the job."""
    out, skip = [], False
    for i, token in enumerate(tokens):
        if skip:
            skip = False
            continue
        following = tokens[i + 1] if i + 1 < len(tokens) else ""
        if (token == "--conf" and _sizing(following.partition("=")[0])) or _sizing(_FLAGS.get(token)):
            skip = True
            continue
        out.append(token)
    return out


def eventlog_dir_of(job_driver: dict, configuration_overrides: dict | None = None) -> str | None:
    directory = submit_properties(job_driver, configuration_overrides).get("spark.eventLog.dir")
    return directory.rstrip("/") if directory else None


TERMINAL_STATES = ("SUCCESS", "FAILED", "CANCELLED")


def run_outcome(job_run: dict) -> tuple[bool, str, float, datetime | None, datetime | None]:
    """From a ``get_job_run`` answer: (succeeded, state details, runtime in s, start, end). The
    runtime is the run's execution time, not its time queued."""
    started = job_run.get("startedAt") or job_run.get("createdAt")
    ended = job_run.get("endedAt") or job_run.get("updatedAt")
    runtime_s = job_run.get("totalExecutionDurationSeconds")
    if not runtime_s and started and ended:
        runtime_s = (ended - started).total_seconds()
    message = job_run.get("stateDetails") or job_run.get("state") or ""
    return job_run.get("state") == "SUCCESS", message, max(0.0, float(runtime_s or 0)), started, ended


def cluster_report(job_run: dict) -> dict:
    """The job run as the run record keeps it (``agora predict --cluster-report`` reads it): its
    identity, state, timings, sizing and resource use, not its arguments or environment."""
    kept = ("applicationId", "jobRunId", "name", "state", "stateDetails", "releaseLabel", "createdAt", "startedAt",
            "endedAt", "queuedDurationMilliseconds", "totalExecutionDurationSeconds", "totalResourceUtilization",
            "billedResourceUtilization")  # fmt: skip
    run = {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in job_run.items() if k in kept}
    config = written_config(job_run.get("jobDriver") or {}, job_run.get("configurationOverrides"))
    queued_ms = job_run.get("queuedDurationMilliseconds")
    return {
        "jobRun": run,
        "configuration": config.to_dict(),
        "activity": {
            "startup_s": queued_ms / 1000 if queued_ms is not None else None,
            "nodes_lost": 0,
            "resizes": 0,
            "mean_workers": None,
            "termination": job_run.get("state"),
            "events": None,
        },
    }

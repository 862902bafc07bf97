"""Runtime of a profiled run on another cluster: task components scaled for the hardware, replayed.

For a candidate (instance type, worker count, driver type) every task attempt keeps its observed
duration except the parts the hardware changes:

* CPU and GC time scale with per-vCPU speed (CoreMark, catalogue ``cpu_speed``);
* GC also grows as memory per slot shrinks (``observed / new``, never below 1);
* shuffle fetch wait scales with the remote share of shuffle reads (``1 − 1/workers``) and with
  network bandwidth per slot; a run observed on one host gains remote fetches on several;
* when memory per slot shrinks below a task's peak execution memory, the excess is spilled and read
  back at ``spill_mb_per_s`` per slot; a task whose peak does not fit the whole node's usable memory
  makes the candidate refused (``WillNotFitError``);
* scheduler delay grows with the driver's load, ``slots / (driver vCPUs × speed × slots_per_driver_vcpu)``,
  as a single-server queue: ``(1 − ρ_observed) / (1 − ρ_new)``; driver time outside jobs scales
  with the driver's CPU speed.

Shuffle write and other I/O are kept as observed. Slots keep the observed density (slots per
worker vCPU), so EMR's one-core executors and Databricks' one-executor-per-node both carry over.
The replay is then calibrated so the observed configuration reproduces the observed wall time,
and every prediction carries a range that widens with the model's self-check error and with how
far the candidate is from what was observed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from airflow_agora.domain.cluster import ClusterConfig
from airflow_agora.domain.errors import InvalidInputError
from airflow_agora.prediction.catalogue import Catalogue, InstanceType
from airflow_agora.prediction.profile import ApplicationProfile
from airflow_agora.prediction.replay import ReplayModel

MIB = 1 << 20
GIB = 1 << 30


class WillNotFitError(InvalidInputError):
    """The candidate's nodes cannot hold a task the run needed."""


@dataclass(frozen=True)
class ScalingParameters:
    """Knobs of the hardware model (docs/prediction.md explains each)."""

    slots_per_driver_vcpu: float = 32.0
    max_driver_load: float = 0.95
    usable_memory_fraction: float = 0.6  # Spark's unified memory share of executor heap
    node_memory_for_executors: float = 0.75  # the rest: OS, daemons, off-heap overhead
    spill_mb_per_s: float = 100.0  # per slot, written and read back
    range_base_pct: float = 5.0
    range_per_doubling_pct: float = 10.0
    range_other_type_pct: float = 10.0


@dataclass(frozen=True)
class RuntimePrediction:
    config: ClusterConfig
    runtime_s: float
    runtime_low_s: float
    runtime_high_s: float
    slots: int
    warnings: list[str] = field(default_factory=list)


class RuntimePredictor:
    """Predicts the runtime of one profiled run on candidate clusters (fit once, predict many)."""

    def __init__(
        self,
        profile: ApplicationProfile,
        observed: ClusterConfig,
        catalogue: Catalogue,
        params: ScalingParameters | None = None,
    ) -> None:
        self.params = params or ScalingParameters()
        self.catalogue = catalogue
        self.observed = observed
        self.replay = ReplayModel.from_profile(profile)
        self.worker = catalogue.get(observed.instance_type)
        self.driver = catalogue.get(observed.driver_instance_type or observed.instance_type)
        self.workers = max(1, observed.num_workers)
        self.slots = self.replay.observed_slots
        self.slots_per_vcpu = self.slots / (self.workers * self.worker.vcpus)
        tasks = profile.tasks
        self.duration_ms = np.array([t.duration_ms for t in tasks], dtype=float)
        self.cpu_ms = np.array([t.cpu_ms for t in tasks], dtype=float)
        self.gc_ms = np.array([t.gc_ms for t in tasks], dtype=float)
        self.fetch_ms = np.array([t.shuffle_fetch_ms for t in tasks], dtype=float)
        self.delay_ms = np.array([t.scheduler_delay_ms for t in tasks], dtype=float)
        self.peak_bytes = np.array([t.peak_memory_bytes for t in tasks], dtype=float)
        read = np.array([t.shuffle_read_bytes for t in tasks], dtype=float)
        remote = np.array([t.shuffle_remote_bytes for t in tasks], dtype=float)
        self.read_bytes = read
        total_read = read.sum()
        self.remote_share = float(remote.sum() / total_read) if total_read else 0.0
        self.model_error_pct = self.replay.self_check_error_pct()
        replayed = self.replay.run()
        observed_groups = self.replay.observed_wall_ms - self.replay.driver_ms
        self.calibration = min(2.0, max(0.5, observed_groups / replayed.groups_ms)) if replayed.groups_ms else 1.0

    # --- per-candidate pieces -------------------------------------------------------------
    def _memory_per_slot_bytes(self, node: InstanceType, slots_per_node: float) -> float:
        p = self.params
        return node.memory_gib * GIB * p.node_memory_for_executors * p.usable_memory_fraction / max(1.0, slots_per_node)

    def _driver_load(self, slots: float, driver: InstanceType) -> float:
        p = self.params
        return min(p.max_driver_load, slots / (driver.vcpus * driver.cpu_speed * p.slots_per_driver_vcpu))

    def task_durations_ms(self, config: ClusterConfig) -> tuple[np.ndarray, int, list[str]]:
        """Scaled durations of every task attempt on ``config``, its slot count, and warnings."""
        p = self.params
        node = self.catalogue.get(config.instance_type)
        driver = self.catalogue.get(config.driver_instance_type or config.instance_type)
        workers = max(1, config.num_workers)
        slots_per_node = max(1.0, self.slots_per_vcpu * node.vcpus)
        slots = max(1, round(slots_per_node * workers))
        warnings: list[str] = []

        usable_node = node.memory_gib * GIB * p.node_memory_for_executors * p.usable_memory_fraction
        biggest = float(self.peak_bytes.max()) if len(self.peak_bytes) else 0.0
        if biggest > usable_node:
            raise WillNotFitError(
                f"{node.name} cannot hold the run's largest task ({biggest / GIB:.1f} GiB of execution memory; "
                f"about {usable_node / GIB:.1f} GiB usable per node)",
                fix="choose a larger or memory-optimised instance type",
            )
        speed = self.worker.cpu_speed / node.cpu_speed
        mem_old = self._memory_per_slot_bytes(self.worker, self.slots_per_vcpu * self.worker.vcpus)
        mem_new = self._memory_per_slot_bytes(node, slots_per_node)
        pressure = max(1.0, mem_old / mem_new)
        cpu = self.cpu_ms * speed
        gc = self.gc_ms * speed * pressure

        bw_old = self.catalogue.network_gbps(self.worker) / max(1.0, self.slots_per_vcpu * self.worker.vcpus)
        bw_new = self.catalogue.network_gbps(node) / slots_per_node
        share_new = 1.0 - 1.0 / workers
        if self.remote_share > 0:
            share_old = 1.0 - 1.0 / self.workers if self.workers > 1 else self.remote_share
            fetch = self.fetch_ms * (share_new / share_old if share_old else 1.0) * (bw_old / bw_new)
        else:  # observed on one host: fetches were local; add the remote part on several
            fetch = self.fetch_ms + self.read_bytes * share_new * 8 / (bw_new * 1e9) * 1000

        spill = np.zeros_like(cpu)
        if mem_new < mem_old:
            excess = np.clip(self.peak_bytes - mem_new, 0.0, None)
            spill = 2 * excess / (p.spill_mb_per_s * MIB) * 1000
            if excess.any():
                warnings.append(
                    f"{int((excess > 0).sum())} task(s) would spill on {node.name} ({mem_new / GIB:.1f} GiB per slot)"
                )
        queue = (1 - self._driver_load(self.slots, self.driver)) / (1 - self._driver_load(slots, driver))
        delay = self.delay_ms * queue
        durations = (
            self.duration_ms
            - self.cpu_ms
            - self.gc_ms
            - self.fetch_ms
            - self.delay_ms
            + cpu
            + gc
            + fetch
            + spill
            + delay
        )
        return np.maximum(durations, 0.0), slots, warnings

    def predict(self, config: ClusterConfig) -> RuntimePrediction:
        durations, slots, warnings = self.task_durations_ms(config)
        driver = self.catalogue.get(config.driver_instance_type or config.instance_type)
        driver_ms = self.replay.driver_ms * self.driver.cpu_speed / driver.cpu_speed
        result = self.replay.run(slots, durations.tolist(), driver_ms=driver_ms)
        runtime_s = (driver_ms + result.groups_ms * self.calibration) / 1000
        node = self.catalogue.get(config.instance_type)
        p = self.params
        vcpu_ratio = (max(1, config.num_workers) * node.vcpus) / (self.workers * self.worker.vcpus)
        spread_pct = (
            abs(self.model_error_pct) + p.range_base_pct + p.range_per_doubling_pct * abs(math.log2(vcpu_ratio))
        )
        if node.family != self.worker.family:
            spread_pct += p.range_other_type_pct
        spread = spread_pct / 100
        return RuntimePrediction(config, runtime_s, runtime_s / (1 + spread), runtime_s * (1 + spread), slots, warnings)

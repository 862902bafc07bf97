"""The instance catalogue: what each EC2 instance type offers and costs.

The packaged catalogue (``airflow_agora/data/instance_catalogue.json``, built by
``scripts/build_catalogue.py`` from ../shared/data/pricing) carries per type its vCPUs, memory,
baseline network bandwidth, CPU speed per vCPU relative to m5 (CoreMark), us-east-1 on-demand $/h
and Databricks DBU/h, with its sources and effective date. A user file (CSV with a header naming
any of those columns, or JSON shaped like the packaged one) overrides or adds types: prices differ
by region and contract, and the figures age.
"""

from __future__ import annotations

import csv
import difflib
import fnmatch
import json
import statistics
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from pathlib import Path

from airflow_agora.domain.errors import InvalidInputError

_NUMERIC = ("vcpus", "memory_gib", "ondemand_usd_per_hour", "network_gbps", "cpu_speed", "dbu_per_hour")


def family_of(instance_type: str) -> str:
    """``m5`` of ``m5.2xlarge``: the types of one family share CPU and memory per vCPU."""
    return instance_type.split(".", 1)[0]


@dataclass(frozen=True)
class InstanceType:
    """One EC2 instance type. ``cpu_speed`` is per vCPU, m5 = 1.0; ``dbu_per_hour`` is None when the
    type is not offered on Databricks (or its rate is unknown)."""

    name: str
    vcpus: int
    memory_gib: float
    ondemand_usd_per_hour: float
    network_gbps: float | None = None
    cpu_speed: float = 1.0
    dbu_per_hour: float | None = None

    @property
    def family(self) -> str:
        return family_of(self.name)

    @property
    def memory_gib_per_vcpu(self) -> float:
        return self.memory_gib / self.vcpus


@dataclass
class Catalogue:
    instances: dict[str, InstanceType]
    region: str = "us-east-1"
    effective_date: str = ""
    sources: dict[str, str] = field(default_factory=dict)

    @classmethod
    def packaged(cls) -> Catalogue:
        text = resources.files("airflow_agora").joinpath("data/instance_catalogue.json").read_text()
        return cls._from_json(json.loads(text), "the packaged catalogue")

    @classmethod
    def load(cls, override_path: str | Path | None = None) -> Catalogue:
        """The packaged catalogue, with the types in ``override_path`` (CSV or JSON) laid over it."""
        catalogue = cls.packaged()
        if override_path:
            catalogue = catalogue.overridden_by(_read_override(Path(override_path)))
        return catalogue

    @classmethod
    def _from_json(cls, data: dict, where: str) -> Catalogue:
        rows = data.get("instances")
        if not isinstance(rows, dict):
            raise InvalidInputError(
                "no 'instances' object", where=where, fix='shape it as {"instances": {"m5.xlarge": {"vcpus": 4, ...}}}'
            )
        instances = {name: _instance(name, row, where) for name, row in rows.items()}
        return cls(instances, data.get("region", "us-east-1"), data.get("effective_date", ""), data.get("sources", {}))

    def overridden_by(self, rows: dict[str, dict]) -> Catalogue:
        merged = dict(self.instances)
        for name, row in rows.items():
            if name in merged:
                known = {k: v for k, v in row.items() if v not in (None, "")}
                merged[name] = _instance(name, {**_as_row(merged[name]), **known}, "the catalogue override")
            else:
                merged[name] = _instance(name, row, "the catalogue override")
        sources = {**self.sources, "override": "user file"}
        return Catalogue(merged, self.region, self.effective_date, sources)

    def get(self, name: str) -> InstanceType:
        try:
            return self.instances[name]
        except KeyError:
            close = difflib.get_close_matches(name, list(self.instances), n=3)
            hint = f" Did you mean {', '.join(close)}?" if close else ""
            raise InvalidInputError(
                f"instance type {name!r} is not in the catalogue.{hint}",
                fix="check the spelling, or add it with a catalogue override file (--catalogue FILE: "
                "instance_type,vcpus,memory_gib,ondemand_usd_per_hour[,network_gbps,cpu_speed,dbu_per_hour])",
            ) from None

    def __contains__(self, name: str) -> bool:
        return name in self.instances

    def select(self, patterns: list[str], *, databricks: bool = False) -> list[InstanceType]:
        """Types matching any shell-style pattern (``m5.*``, ``r6i.2xlarge``); with ``databricks`` only
        those with a DBU rate. A pattern matching nothing is an error: it is almost always a typo."""
        chosen: dict[str, InstanceType] = {}
        for pattern in patterns:
            hits = [t for n, t in self.instances.items() if fnmatch.fnmatchcase(n, pattern)]
            if not hits:
                self.get(pattern)  # raises with suggestions
            for t in sorted(hits, key=lambda t: t.vcpus):
                if not databricks or t.dbu_per_hour is not None:
                    chosen[t.name] = t
        return list(chosen.values())

    def network_gbps(self, instance: InstanceType) -> float:
        """Baseline bandwidth; when unknown, the catalogue's median bandwidth per vCPU times its vCPUs."""
        if instance.network_gbps:
            return instance.network_gbps
        return self._median_network_gbps_per_vcpu * instance.vcpus

    @cached_property
    def _median_network_gbps_per_vcpu(self) -> float:
        # once per catalogue: a recommendation search asks for thousands of bandwidths
        return statistics.median(t.network_gbps / t.vcpus for t in self.instances.values() if t.network_gbps)


def _instance(name: str, row: dict, where: str) -> InstanceType:
    values = {}
    for key in _NUMERIC:
        value = row.get(key)
        if value in (None, ""):
            continue
        try:
            values[key] = float(value)
        except (TypeError, ValueError):
            raise InvalidInputError(f"{name}: {key}={value!r} is not a number", where=where) from None
    missing = [k for k in ("vcpus", "memory_gib", "ondemand_usd_per_hour") if k not in values]
    if missing:
        raise InvalidInputError(
            f"{name} lacks {', '.join(missing)}", where=where, fix="give vcpus, memory_gib and ondemand_usd_per_hour"
        )
    if values["vcpus"] < 1 or values["memory_gib"] <= 0 or values["ondemand_usd_per_hour"] < 0:
        raise InvalidInputError(f"{name}: vcpus, memory_gib must be positive, the price not negative", where=where)
    values["vcpus"] = int(values["vcpus"])
    return InstanceType(name=name, **values)


def _as_row(instance: InstanceType) -> dict:
    return {k: getattr(instance, k) for k in _NUMERIC}


def _read_override(path: Path) -> dict[str, dict]:
    if not path.exists():
        raise InvalidInputError("catalogue override file not found", where=str(path))
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(path.read_text())
        except json.JSONDecodeError as exc:
            raise InvalidInputError(f"not valid JSON ({exc})", where=str(path)) from None
        rows = data.get("instances") if isinstance(data, dict) else None
        if not isinstance(rows, dict):
            raise InvalidInputError("no 'instances' object", where=str(path))
        return rows
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        if not reader.fieldnames or "instance_type" not in reader.fieldnames:
            raise InvalidInputError(
                "the CSV header has no instance_type column",
                where=str(path),
                fix="start the file with: instance_type,vcpus,memory_gib,ondemand_usd_per_hour",
            )
        return {r["instance_type"].strip(): r for r in reader if r.get("instance_type")}

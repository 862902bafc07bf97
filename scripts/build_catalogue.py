#!/usr/bin/env python3
"""Build the packaged instance catalogue from the pricing files in ../shared/data/pricing.

Run it when those files change: ``.venv/bin/python scripts/build_catalogue.py [PRICING_DIR]``.
It writes ``airflow_agora/data/instance_catalogue.json``: per EC2 instance type its vCPUs, memory,
baseline network bandwidth, relative per-vCPU CPU speed (CoreMark iterations/s per hardware
thread, m5 = 1.0), us-east-1 on-demand $/h and Databricks DBU/h, together with where each figure
came from and the date it was effective. Only figures are taken from the files; see their SOURCE.md.
"""

from __future__ import annotations

import csv
import json
import re
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PRICING = ROOT.parent / "shared" / "data" / "pricing"
OUT = ROOT / "airflow_agora" / "data" / "instance_catalogue.json"

# Families that make sense as Spark nodes: general purpose, compute, memory, storage optimised.
SPARK_FAMILY = re.compile(r"^(m|c|r|i|z|x|d)\d")
SPEED_REFERENCE_FAMILY = "m5"


def family(instance_type: str) -> str:
    return instance_type.split(".", 1)[0]


def main(pricing_dir: Path) -> None:
    specs = json.loads((pricing_dir / "emr-instance-catalog.json").read_text())
    with open(pricing_dir / "karpenter_ondemand_prices_us-east-1.csv") as f:
        prices = {r["instance_type"]: float(r["ondemand_usd_per_hour"]) for r in csv.DictReader(f)}
    with open(pricing_dir / "karpenter_instance_bandwidth_megabits.csv") as f:
        bandwidth = {r["instance_type"]: float(r["network_bandwidth_megabits"]) for r in csv.DictReader(f)}
    bench = json.loads((pricing_dir / "manually_fetched_data.json").read_text())
    dbu: dict[str, float] = {}
    with open(pricing_dir / "dbus_vcpus.csv") as f:
        for r in csv.DictReader(f):
            if r["cloud"] == "AWS":
                dbu[r["instance_type"]] = float(r["dbus"])
    premium = json.loads((pricing_dir / "databricks-premium-catalog.json").read_text())["Jobs Compute"]
    for name, row in premium["Instances"].items():
        dbu.setdefault(name, float(row["DBU"]))

    speed_per_thread: dict[str, float] = {}
    for name, row in bench.items():
        score = (row.get("coremark") or {}).get("iterations_second")
        threads = (row.get("cpu") or {}).get("threads")
        if score and threads:
            speed_per_thread[name] = score / threads
    by_family: dict[str, list[float]] = {}
    for name, value in speed_per_thread.items():
        by_family.setdefault(family(name), []).append(value)
    family_speed = {fam: statistics.median(v) for fam, v in by_family.items()}
    reference = family_speed[SPEED_REFERENCE_FAMILY]
    dbu_per_vcpu: dict[str, list[float]] = {}
    for name, value in dbu.items():
        if name in specs:
            dbu_per_vcpu.setdefault(family(name), []).append(value / specs[name]["VCpuCount"])

    instances = {}
    for name in sorted(set(specs) & set(prices)):
        if not SPARK_FAMILY.match(name) or "metal" in name or specs[name].get("GpuInfo"):
            continue
        vcpus = int(specs[name]["VCpuCount"])
        row = {
            "vcpus": vcpus,
            "memory_gib": round(specs[name]["MemoryInMB"] / 1024, 3),
            "ondemand_usd_per_hour": prices[name],
        }
        if name in bandwidth:
            row["network_gbps"] = bandwidth[name] / 1000
        if name in speed_per_thread:
            row["cpu_speed"] = round(speed_per_thread[name] / reference, 3)
        elif family(name) in family_speed:
            row["cpu_speed"] = round(family_speed[family(name)] / reference, 3)
            row["cpu_speed_source"] = "family median"
        if name in dbu:
            row["dbu_per_hour"] = dbu[name]
        elif family(name) in dbu_per_vcpu:
            row["dbu_per_hour"] = round(statistics.median(dbu_per_vcpu[family(name)]) * vcpus, 3)
            row["dbu_source"] = "family rate per vCPU"
        instances[name] = row

    catalogue = {
        "region": "us-east-1",
        "effective_date": "2026-07-20",
        "sources": {
            "specs": "NVIDIA/spark-rapids-tools emr-instance-catalog.json @56e6962 (2024-07-22)",
            "ondemand_usd_per_hour": "aws/karpenter-provider-aws generated on-demand prices us-east-1 (2026-07-20)",
            "network_gbps": "aws/karpenter-provider-aws generated baseline bandwidth @7f27b4e",
            "cpu_speed": "vantage-sh/ec2instances.info CoreMark iterations/s per thread, m5 median = 1.0 (2026-07-06)",
            "dbu_per_hour": "synccomputingcode/client_tools dbus_vcpus.csv (2024-08) and Databricks premium "
            "catalogue snapshot (2023-03) via NVIDIA/spark-rapids-tools",
        },
        "instances": instances,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(catalogue, indent=0, sort_keys=True) + "\n")
    print(f"wrote {len(instances)} instance types to {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_PRICING)

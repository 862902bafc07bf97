"""Regenerate ``airflow_agora/data/workflows/four_jobs.json`` from the measured CherryPick grid.

Each job of DESIGN.md's four-job example takes the runtime-vs-nodes curves measured for one real
workload of the CherryPick grid (``shared/data/grids/cherrypick.csv``) on four 8-vCPU instance types;
cost per node-hour is the grid's own column. Usage: ``python scripts/make_four_job_example.py GRID``.
"""

from __future__ import annotations

import csv
import json
import sys
from collections import defaultdict
from pathlib import Path

JOBS = {  # job of the example -> measured workload whose curves it takes
    "index_analysis": "tpch",
    "sentiment_analysis": "kmeans",
    "airline_delay": "tpcds",
    "movie_rec": "spark",
}
TYPES = ["c4.2xlarge", "m4.2xlarge", "r3.2xlarge", "i2.2xlarge+local"]
EDGES = [["index_analysis", "movie_rec"]]


def main(grid: str) -> None:
    curves: dict = defaultdict(lambda: defaultdict(dict))
    prices = {}
    with open(grid, newline="") as fh:
        for row in csv.DictReader(fh):
            if row["workload"] in JOBS.values() and row["instance_type"] in TYPES and row["completed"] == "True":
                curves[row["workload"]][row["instance_type"]][row["nodes"]] = float(row["runtime_s"])
                prices[row["instance_type"]] = float(row["usd_per_node_hour"])
    tasks = []
    for job, workload in JOBS.items():
        tasks.append(
            {
                "task_id": job,
                "measured_workload": workload,
                "curves": [
                    {
                        "instance_type": itype.removesuffix("+local"),
                        "vcpus_per_worker": 8,
                        "usd_per_node_hour": prices[itype],
                        "runtime_s_by_workers": dict(
                            sorted(curves[workload][itype].items(), key=lambda kv: int(kv[0]))
                        ),
                    }
                    for itype in TYPES
                    if curves[workload][itype]
                ],
            }
        )
    doc = {
        "format": "agora-workflow/1",
        "name": "four_jobs",
        "description": "DESIGN.md's four-job example: an 800 s SLA on a shared 160-vCPU capacity "
        "(twenty 8-vCPU nodes).",
        "source": "runtime curves and $/node-hour measured in the CherryPick grid (shared/data/grids/"
        "cherrypick.csv); each job takes the curves of the workload named in measured_workload",
        "capacities": {"vcpus": 160},
        "dag_id": "nightly",
        "goals": {"objective": "cost", "deadline_s": 800},
        "tasks": tasks,
        "edges": EDGES,
    }
    out = Path(__file__).resolve().parent.parent / "airflow_agora/data/workflows/four_jobs.json"
    out.write_text(json.dumps(doc, indent=1) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "../shared/data/grids/cherrypick.csv")

"""Deliberately tiny tasks for the overhead analysis: a chain extract → clean → enrich → load, then
two reports after load. Each body appends its own start and end (epoch seconds) and try number to
the JSON-lines file ``$AGORA_TINY_TIMINGS``, so the test can hold the analysis of Airflow's record
against what the tasks measured. ``enrich`` fails its first try."""

from __future__ import annotations

import itertools
import json
import os
import time
from datetime import datetime, timedelta

from airflow.sdk import dag, task

BODY_S = 0.3


def _body(name: str, ti, fail_first: bool = False) -> None:
    started = time.time()
    time.sleep(BODY_S)
    ended = time.time()
    with open(os.environ["AGORA_TINY_TIMINGS"], "a") as out:
        out.write(json.dumps({"run_id": ti.run_id, "task": name, "try": ti.try_number,
                              "start": started, "end": ended}) + "\n")  # fmt: skip
    if fail_first and ti.try_number == 1:
        raise RuntimeError("enrich fails its first try, as the overhead test asks")


@dag(
    dag_id="agora_test_tiny",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    default_args={"retries": 1, "retry_delay": timedelta(seconds=1)},
)
def agora_test_tiny():
    @task
    def step(name: str, fail_first: bool = False, ti=None) -> None:
        _body(name, ti, fail_first)

    chain = [step.override(task_id=name)(name, name == "enrich") for name in ("extract", "clean", "enrich", "load")]
    for up, down in itertools.pairwise(chain):
        up >> down
    chain[-1] >> [step.override(task_id=f"report_{x}")(f"report_{x}") for x in "ab"]


agora_test_tiny()

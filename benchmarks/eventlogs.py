"""Read, profile, replay and recommend for every event log under a folder; print timings and
self-check errors.

Usage: .venv/bin/python benchmarks/eventlogs.py [FOLDER]   (default ../shared/data/eventlogs)

Targets (issue 3): the 142 MB Photon log read + profiled + replayed in under 10 s on 2 cores;
replay at the observed configuration within 5% of the real wall time at the median, none over 20%.
Logs marked as test fixtures upstream are listed too but are format samples, not performance data.
"""

from __future__ import annotations

import resource
import statistics
import sys
import time
from pathlib import Path

from airflow_agora.prediction.catalogue import Catalogue
from airflow_agora.prediction.eventlog import EventLogError
from airflow_agora.prediction.predict import predict_from_profile
from airflow_agora.prediction.profile import build_profile
from airflow_agora.prediction.replay import ReplayModel

LAYOUT_FOLDERS = ("eventlog_v2_", "db_sim_eventlog")


def logs_under(root: Path) -> list[Path]:
    out = []
    for p in sorted(root.rglob("*")):
        if any(part.startswith(LAYOUT_FOLDERS) for part in p.relative_to(root).parts[:-1]):
            continue  # parts of a log folder, listed as the folder
        if (p.is_dir() and p.name.startswith(LAYOUT_FOLDERS)) or (p.is_file() and p.suffix not in (".md", ".json")):
            out.append(p)
    return out


def main() -> int:
    root = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).parent.parent.parent / "shared/data/eventlogs")
    errors = []
    catalogue = Catalogue.packaged()
    print(
        f"{'log':<70}{'s':>6}{'tasks':>7}{'wall s':>9}{'replay s':>9}{'error %':>9}{'predict s':>10}{'candidates':>11}"
    )
    for path in logs_under(root):
        started = time.perf_counter()
        try:
            profile = build_profile(str(path))
            model = ReplayModel.from_profile(profile)
            replayed = model.run()
        except EventLogError as exc:
            print(f"{path.relative_to(root)!s:<70} refused: {exc}")
            continue
        elapsed = time.perf_counter() - started
        err = model.self_check_error_pct()
        errors.append(abs(err))
        started = time.perf_counter()
        answer = predict_from_profile(profile, catalogue=catalogue)
        predict_s = time.perf_counter() - started
        print(
            f"{path.relative_to(root)!s:<70}{elapsed:6.2f}{len(profile.tasks):7}"
            f"{model.observed_wall_ms / 1000:9.1f}{replayed.wall_s:9.1f}{err:9.2f}"
            f"{predict_s:10.2f}{answer['candidates_evaluated']:11}"
        )
    if errors:
        print(f"\n{len(errors)} logs: median |error| {statistics.median(errors):.2f}%, max {max(errors):.2f}%")
    print(f"peak memory of the whole run: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())

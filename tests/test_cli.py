import json
import shutil
import subprocess
import sys

import pytest

from airflow_agora.cli.main import main


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_help_lists_subcommands(capsys):
    code, out, _ = run(capsys)
    assert code == 0 and "plan" in out and "bench" in out


def test_plan_four_jobs_json(capsys):
    code, out, _ = run(capsys, "plan", "four_jobs", "--json", "--deterministic")
    doc = json.loads(out)
    assert code == 0
    for key in ("status", "makespan_s", "cost_usd", "lower_bound", "gap_pct", "tasks"):
        assert key in doc
    assert doc["status"] == "optimal" and doc["makespan_s"] <= 800
    assert doc["baseline"]["makespan_s"] > 800 and not doc["baseline"]["meets_deadline"]
    assert doc["cost_usd"] < doc["baseline"]["cost_usd"]
    assert {t["task_id"] for t in doc["tasks"]} == {
        "index_analysis",
        "sentiment_analysis",
        "airline_delay",
        "movie_rec",
    }


def test_plan_text_shows_both_gantts(capsys):
    code, out, _ = run(capsys, "plan", "four_jobs", "--deterministic")
    assert code == 0
    assert "meets the goal" in out
    assert "default scheduling, each task at its fastest configuration" in out and "(misses the SLA)" in out
    assert out.count("|=SLA") == 2  # one legend per chart


def test_plan_out_html_and_svg(capsys, tmp_path):
    html = tmp_path / "plan.html"
    assert run(capsys, "plan", "four_jobs", "--out", str(html))[0] == 0
    page = html.read_text()
    assert page.count("<svg") == 2 and "movie_rec" in page and "http" not in page.replace("http://www.w3", "")
    svg = tmp_path / "plan.svg"
    assert run(capsys, "plan", "four_jobs", "--out", str(svg))[0] == 0
    assert svg.read_text().startswith("<svg xmlns=")
    code, _, err = run(capsys, "plan", "four_jobs", "--out", str(tmp_path / "plan.png"))
    assert code == 2 and "use --out plan.html" in err


def test_impossible_deadline_exits_1_and_explains(capsys):
    code, out, _ = run(capsys, "plan", "four_jobs", "--deadline-s", "300")
    assert code == 1
    assert "MISSES THE GOAL" in out and "why: the fastest path" in out and "> SLA 300 s" in out


def test_overrides_change_the_plan(capsys):
    code, out, _ = run(capsys, "plan", "four_jobs", "--objective", "makespan", "--capacity-vcpus", "400", "--json")
    doc = json.loads(out)
    assert code == 0 and doc["objective"] == "makespan"
    assert doc["makespan_s"] < 700


@pytest.mark.parametrize(
    ("content", "message"),
    [("{not json", "not valid JSON"), ('{"tasks": [{"task_id": "a", "modes": []}]}', "has no modes")],
)
def test_bad_file_exits_2(capsys, tmp_path, content, message):
    path = tmp_path / "wf.json"
    path.write_text(content)
    code, _, err = run(capsys, "plan", str(path))
    assert code == 2 and message in err and "Traceback" not in err


def test_bad_flag_value_exits_2(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["plan", "four_jobs", "--deadline-s", "-5"])
    assert exc.value.code == 2


def test_bench_psplib_summary(capsys, fixtures):
    code, out, _ = run(
        capsys, "bench", "psplib", str(fixtures), "--reference", str(fixtures / "psplib_reference.csv"), "--json"
    )
    summary = json.loads(out)
    assert code == 0
    assert summary["instances"] == 4
    assert summary["proven_infeasible"] == 1 and summary["feasible"] == 3
    assert summary["matched_reference"] == 3 and summary["mean_gap_to_reference_pct"] == 0
    for key in ("proven_optimal", "max_gap_to_reference_pct", "total_solve_s"):
        assert key in summary


def test_console_script_installed():
    exe = shutil.which("agora") or str(__import__("pathlib").Path(sys.executable).parent / "agora")
    result = subprocess.run([exe, "--help"], capture_output=True, text=True, check=True)
    assert "plan" in result.stdout


def test_demo_refuses_a_folder_it_did_not_make_and_bad_run_counts(capsys, tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    code, _, err = run(capsys, "demo", "--workdir", str(tmp_path))
    assert code == 2 and "not an earlier demo folder" in err
    assert (tmp_path / "notes.txt").read_text() == "mine"  # nothing was removed
    code, _, err = run(capsys, "demo", "--runs", "0")
    assert code == 2 and "--runs" in err

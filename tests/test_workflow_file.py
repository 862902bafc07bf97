import json

import pytest

from airflow_agora.domain import InvalidInputError
from airflow_agora.domain.workflow_file import load_problem, problem_from_dict, problem_to_dict
from airflow_agora.planning.planner import default_plan
from tests.conftest import solve

EXAMPLE = "airflow_agora/data/workflows/four_jobs.json"


def _task(name, *modes, upstream=()):
    return {"task_id": name, "modes": list(modes), "upstream": list(upstream)}


def _doc(tasks, **extra):
    return {"format": "agora-workflow/1", "capacities": {"vcpus": 64}, "tasks": tasks, **extra}


def test_four_job_example_loads_with_curves():
    problem = load_problem(EXAMPLE)
    wf = problem.workflows[0]
    assert [t.task_id for t in wf.tasks] == ["index_analysis", "sentiment_analysis", "airline_delay", "movie_rec"]
    instance_types = {m.config.instance_type for t in wf.tasks for m in t.modes}
    assert len(instance_types) == 4
    mode = wf.task("index_analysis").modes[0]
    # cost is workers * $/node-hour * runtime, vCPUs workers * vcpus_per_worker
    assert mode.cost_usd == pytest.approx(mode.config.num_workers * 0.398 * mode.duration_s / 3600)
    assert mode.vcpus == mode.config.num_workers * 8


def test_four_job_example_planner_beats_default_scheduling():
    problem = load_problem(EXAMPLE)
    baseline = default_plan(problem)
    assert baseline.makespan_s > 800, "each job's fastest configuration one after another misses the SLA"
    report = solve(problem)
    assert report.goal_met and report.makespan_s <= 800
    assert report.status == "optimal"
    assert report.cost_usd < baseline.cost_usd
    assert report.plan.peak() <= 160


def test_round_trip(tmp_path):
    problem = load_problem(EXAMPLE)
    again = problem_from_dict(json.loads(json.dumps(problem_to_dict(problem))))
    assert again.workflows[0].tasks == problem.workflows[0].tasks
    assert again.workflows[0].edges == problem.workflows[0].edges


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        (
            _doc(
                [
                    _task("a", {"duration_s": 10, "vcpus": 8}, upstream=["b"]),
                    _task("b", {"duration_s": 10, "vcpus": 8}, upstream=["a"]),
                ]
            ),
            "cycle: a -> b -> a",
        ),
        (_doc([{"task_id": "a", "modes": []}]), "task 'a'.*has no modes"),
        (_doc([_task("a", {"duration_s": 10, "vcpus": 128})]), "task 'a'.*every mode needs more than the capacity"),
        (_doc([_task("a", {"duration_s": -3, "vcpus": 8})]), "task 'a' mode #0.*duration_s is -3"),
        (_doc([_task("a", {"duration_s": "soon", "vcpus": 8})]), "task 'a' mode #0 duration_s is not a number"),
        (_doc([_task("a", {"duration_s": 10, "vcpus": 8}, upstream=["ghost"])]), "unknown task 'ghost'"),
        (_doc([_task("a", {"duration_s": 10, "vcpus": 8, "speed": 2})]), "unknown keys \\['speed'\\]"),
        (_doc([_task("a", {"duration_s": 10, "vcpus": 8})], goals={"objective": "fastest"}), "objective 'fastest'"),
        (
            _doc([_task("a", {"duration_s": 10, "vcpus": 8})], goals={"objective": "balanced", "usd_per_hour": -5}),
            "usd_per_hour must be a positive number",
        ),
        ({"format": "agora-workflow/9", "tasks": []}, "unknown format"),
        ({"format": "agora-workflow/1"}, 'no "tasks"'),
    ],
)
def test_bad_input_names_problem_and_fix(tmp_path, doc, message):
    path = tmp_path / "wf.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(InvalidInputError, match=message) as exc:
        load_problem(path)
    assert str(path) in str(exc.value)


def test_invalid_json_reports_line(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{"tasks": [\n  {"task_id": "a",,}\n]}')
    with pytest.raises(InvalidInputError, match=r"not valid JSON.*line 2") as exc:
        load_problem(path)
    assert exc.value.fix and "JSON" in exc.value.fix


def test_missing_file():
    with pytest.raises(InvalidInputError, match="file not found"):
        load_problem("/nonexistent/wf.json")


def test_mode_over_capacity_is_pruned_when_others_fit():
    doc = _doc([_task("a", {"duration_s": 10, "vcpus": 128}, {"duration_s": 50, "vcpus": 32})])
    report = solve(problem_from_dict(doc))
    assert report.plan.assignments[0].mode_index == 1


# -- anything a user can write gets either a problem or a clear InvalidInputError -----------------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_json = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 500) | st.floats(allow_nan=True) | st.text(max_size=6),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8,
)
_field = st.sampled_from(
    [
        "tasks",
        "modes",
        "curves",
        "upstream",
        "edges",
        "config",
        "goals",
        "objective",
        "capacities",
        "budgets",
        "reservations",
        "demands",
        "consumes",
        "duration_s",
        "vcpus",
        "runtime_s_by_workers",
        "dags",
    ]
)


def _set_everywhere(doc, field, value):
    """Replace ``field`` wherever it occurs in the document (top level, DAG, tasks, modes, curves)."""
    if isinstance(doc, dict):
        return {k: (value if k == field else _set_everywhere(v, field, value)) for k, v in doc.items()}
    if isinstance(doc, list):
        return [_set_everywhere(v, field, value) for v in doc]
    return doc


_BASE = _doc(
    [
        _task(
            "a",
            {
                "duration_s": 10,
                "vcpus": 8,
                "demands": {},
                "consumes": {},
                "config": {"instance_type": "m5.xlarge", "num_workers": 2},
            },
        ),
        {
            "task_id": "b",
            "upstream": ["a"],
            "curves": [
                {
                    "instance_type": "c4",
                    "vcpus_per_worker": 8,
                    "usd_per_node_hour": 0.4,
                    "runtime_s_by_workers": {"2": 100},
                }
            ],
        },
    ],
    goals={"objective": "cost", "deadline_s": 500, "usd_per_hour": 20},
    edges=[],
    budgets={},
    reservations=[{"start_s": 0, "end_s": 5, "vcpus": 4}],
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_field, _json)
def test_any_value_in_any_field_is_a_clear_error_or_a_problem(field, value):
    doc = _set_everywhere(json.loads(json.dumps(_BASE)), field, value)
    try:
        problem_from_dict(doc)
    except InvalidInputError as exc:
        assert str(exc)

import pytest

from airflow_agora.cli.render import ascii_gantt
from airflow_agora.domain.workflow_file import load_problem
from airflow_agora.planning.generator import generate_workflow
from airflow_agora.views.plans import vcpu_bands
from tests.conftest import solve


@pytest.mark.parametrize(
    "problem",
    [load_problem("airflow_agora/data/workflows/four_jobs.json"), generate_workflow(80, seed=5, capacity_vcpus=64)],
    ids=["four_jobs", "generated"],
)
def test_bands_fit_capacity_and_never_overlap(problem):
    plan = solve(problem, time_limit_s=2).plan
    capacity = problem.capacities["vcpus"]
    bands = vcpu_bands(plan)
    for a in plan.assignments:
        pieces = bands[(a.dag_id, a.task_id)]
        assert sum(size for _, size in pieces) == pytest.approx(a.vcpus)
        assert all(bottom >= 0 and bottom + size <= capacity + 1e-9 for bottom, size in pieces)
    running = sorted(plan.assignments, key=lambda a: a.start_s)
    for i, a in enumerate(running):
        for b in running[i + 1 :]:
            if b.start_s >= a.end_s:
                continue
            for lo1, h1 in bands[(a.dag_id, a.task_id)]:
                for lo2, h2 in bands[(b.dag_id, b.task_id)]:
                    assert lo1 + h1 <= lo2 + 1e-9 or lo2 + h2 <= lo1 + 1e-9, (a.task_id, b.task_id)


def test_ascii_gantt_draws_no_clash_for_a_valid_plan():
    problem = load_problem("airflow_agora/data/workflows/four_jobs.json")
    chart = ascii_gantt(solve(problem).plan, 160, deadline_s=800)
    assert "#" not in chart and "D" in chart and "|=SLA" in chart

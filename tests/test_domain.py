import math

import pytest

from airflow_agora.domain import ClusterConfig, Goals, Mode, Objective, Plan, TaskAssignment
from airflow_agora.domain.graph import CycleError, topological_order
from airflow_agora.domain.problem import override_goals
from tests.conftest import chain_problem


def test_goals_reject_nonsense():
    with pytest.raises(ValueError, match="deadline_s"):
        Goals(deadline_s=-5)
    with pytest.raises(ValueError, match="balance_weight"):
        Goals(balance_weight=2)
    with pytest.raises(ValueError):
        Goals(objective="fastest")
    assert Goals(objective="cost").objective is Objective.COST


def test_cluster_label_and_round_trip():
    cfg = ClusterConfig("m5.xlarge", 8, driver_instance_type="m5.2xlarge", photon=True)
    assert cfg.label == "8 x m5.xlarge (driver m5.2xlarge) +photon"
    assert ClusterConfig.from_dict(cfg.to_dict()) == cfg
    with pytest.raises(ValueError):
        ClusterConfig("m5.xlarge", -1)


def test_plan_peak_counts_overlaps_only():
    def a(name, s, e, v):
        return TaskAssignment("d", name, 0, s, e, {"vcpus": v}, 1.0)

    plan = Plan((a("x", 0, 10, 8), a("y", 5, 15, 4), a("z", 10, 20, 8)))
    assert plan.peak() == 12  # x and y overlap; x ends exactly when z starts
    assert plan.makespan_s == 20
    assert plan.cost_usd == 3.0


def test_topological_order_and_cycle():
    assert topological_order(["a", "b", "c"], [("a", "b"), ("b", "c")]) == ["a", "b", "c"]
    with pytest.raises(CycleError) as exc:
        topological_order(["a", "b", "c"], [("a", "b"), ("b", "c"), ("c", "b")])
    assert exc.value.cycle[0] == exc.value.cycle[-1]
    assert set(exc.value.cycle) == {"b", "c"}


def test_override_goals_single_and_capacity():
    p = override_goals(chain_problem(), objective="cost", deadline_s=300, capacity_vcpus=128)
    assert p.goals.objective is Objective.COST and p.goals.deadline_s == 300
    assert p.capacities["vcpus"] == 128
    assert override_goals(p) is p


def test_mode_helpers():
    m = Mode.of(10, 16, 2.0, memory_gb=64)
    assert m.vcpus == 16 and m.demands["memory_gb"] == 64
    assert math.isclose(m.cost_usd, 2.0)

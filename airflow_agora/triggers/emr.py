"""Waiting in the triggerer for an EMR job flow's steps.

The Amazon provider's ``EmrCreateJobFlowTrigger`` (9.39.0) takes the waiter to use but does not
serialize it, so after the hand-over to the triggerer a ``WAIT_FOR_STEPS_COMPLETION`` wait becomes a
wait for the cluster to start: the task ends while its steps still run. This subclass keeps the
waiter. The Agora EMR operator swaps it in for the upstream trigger when it defers.
"""

from __future__ import annotations

from airflow.providers.amazon.aws.triggers.emr import EmrCreateJobFlowTrigger


class EmrJobFlowTrigger(EmrCreateJobFlowTrigger):
    """``EmrCreateJobFlowTrigger`` whose ``waiter_name`` survives serialization."""

    def __init__(self, job_flow_id: str, waiter_name: str = "job_flow_waiting", **kwargs) -> None:
        super().__init__(job_flow_id=job_flow_id, waiter_name=waiter_name, **kwargs)
        self.serialized_fields["waiter_name"] = waiter_name

    @classmethod
    def replacing(cls, trigger: EmrCreateJobFlowTrigger) -> EmrJobFlowTrigger:
        """The same wait as ``trigger`` (an upstream one), its waiter kept."""
        _, kwargs = trigger.serialize()
        return cls(**{**kwargs, "waiter_name": trigger.waiter_name})

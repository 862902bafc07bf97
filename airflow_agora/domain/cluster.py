"""The cluster a Spark job runs on: what the planner chooses per task and the operators apply."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ClusterConfig:
    """One candidate cluster: instance type and count of workers, driver type, Photon and spot share.

    ``platform`` is ``databricks``, ``emr``, ``emr-serverless`` (the instance type then names a worker
    shape, see :mod:`platforms.emr_serverless`) or ``generic``. ``vcpus_per_worker`` lets the planner compute
    a mode's vCPU demand when the catalogue is not at hand.
    """

    instance_type: str
    num_workers: int
    driver_instance_type: str | None = None
    platform: str = "generic"
    vcpus_per_worker: int | None = None
    photon: bool = False
    spot_share: float = 0.0

    def __post_init__(self) -> None:
        if self.num_workers < 0:
            raise ValueError(f"num_workers must be >= 0, got {self.num_workers}")
        if not 0.0 <= self.spot_share <= 1.0:
            raise ValueError(f"spot_share must be within [0, 1], got {self.spot_share}")

    @property
    def label(self) -> str:
        """Short human label such as ``8 x m5.2xlarge`` used in tables and Gantt charts."""
        text = f"{self.num_workers} x {self.instance_type}"
        if self.driver_instance_type and self.driver_instance_type != self.instance_type:
            text += f" (driver {self.driver_instance_type})"
        if self.photon:
            text += " +photon"
        if self.spot_share:
            text += f" spot {self.spot_share:.0%}"
        return text

    def to_dict(self) -> dict:
        out: dict = {"instance_type": self.instance_type, "num_workers": self.num_workers}
        for key in ("driver_instance_type", "vcpus_per_worker"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        if self.platform != "generic":
            out["platform"] = self.platform
        if self.photon:
            out["photon"] = True
        if self.spot_share:
            out["spot_share"] = self.spot_share
        return out

    @classmethod
    def from_dict(cls, data: dict) -> ClusterConfig:
        return cls(
            instance_type=str(data["instance_type"]),
            num_workers=int(data["num_workers"]),
            driver_instance_type=data.get("driver_instance_type"),
            platform=str(data.get("platform", "generic")),
            vcpus_per_worker=data.get("vcpus_per_worker"),
            photon=bool(data.get("photon", False)),
            spot_share=float(data.get("spot_share", 0.0)),
        )

"""What a cluster run costs: EC2 (on-demand or spot), Databricks DBUs, the EMR fee, EMR Serverless,
EBS and cluster start-up.

Every rate lives in ``CostRates`` with the list price it defaults to (../shared/data/pricing/PRICES.md,
collected 2026-11, us-east-1) so a user can put in their own contract. Nodes are billed from cluster
start (``startup_s`` before the Spark application) to its end, per second with EC2's 60-second
minimum. The driver (Databricks) or primary node (EMR) is always on-demand, as both platforms
default to; spot applies to workers, and discounts only the EC2 part (DBUs and the EMR fee are not
discounted on spot).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace

from airflow_agora.domain.cluster import ClusterConfig
from airflow_agora.domain.errors import InvalidInputError
from airflow_agora.prediction.catalogue import Catalogue, InstanceType

HOURS_PER_MONTH = 730.0
EC2_MINIMUM_BILLED_S = 60.0
USD_PER_DBU_BY_PLAN = {  # Databricks on AWS, classic Jobs Compute list prices
    "standard": 0.10,
    "premium": 0.15,
    "enterprise": 0.20,
}
PLATFORMS = ("databricks", "emr", "emr-serverless")


@dataclass(frozen=True)
class CostRates:
    """Rates and billing assumptions, each overridable (``with_overrides``)."""

    usd_per_dbu: float = USD_PER_DBU_BY_PLAN["premium"]
    photon_dbu_multiplier: float = 2.0
    emr_fee_fraction: float = 0.25
    emr_fee_cap_usd_per_hour: float = 0.27
    emr_serverless_usd_per_vcpu_hour: float = 0.052624
    emr_serverless_usd_per_gb_hour: float = 0.0057785
    spot_discount: float = 0.65  # fraction off on-demand; no offline spot price source
    spot_discount_spread: float = 0.10  # +/- around it, for the cost range
    ebs_gb_per_node: float = 0.0
    ebs_usd_per_gb_month: float = 0.08  # gp3
    databricks_startup_s: float = 300.0
    emr_startup_s: float = 420.0
    emr_serverless_startup_s: float = 60.0

    def __post_init__(self) -> None:
        for f in fields(self):
            if getattr(self, f.name) < 0:
                raise InvalidInputError(f"cost rate {f.name} must not be negative, got {getattr(self, f.name)}")
        if self.spot_discount >= 1:
            raise InvalidInputError(f"spot_discount is a fraction below 1, got {self.spot_discount}")

    def with_overrides(self, **values) -> CostRates:
        known = {f.name for f in fields(self)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise InvalidInputError(
                f"unknown cost rate(s) {', '.join(unknown)}", fix=f"use one of {', '.join(sorted(known))}"
            )
        return replace(self, **{k: float(v) for k, v in values.items() if v is not None})

    def startup_s(self, platform: str) -> float:
        return {
            "databricks": self.databricks_startup_s,
            "emr": self.emr_startup_s,
            "emr-serverless": self.emr_serverless_startup_s,
        }.get(platform, 0.0)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class CostBreakdown:
    ec2_usd: float
    dbu_usd: float
    emr_fee_usd: float
    serverless_usd: float
    ebs_usd: float
    billed_s: float

    @property
    def total_usd(self) -> float:
        return self.ec2_usd + self.dbu_usd + self.emr_fee_usd + self.serverless_usd + self.ebs_usd

    def to_dict(self) -> dict:
        out = {k: round(v, 6) for k, v in asdict(self).items()}
        out["total_usd"] = round(self.total_usd, 6)
        return out


def emr_fee_usd_per_hour(instance: InstanceType, rates: CostRates) -> float:
    return min(rates.emr_fee_fraction * instance.ondemand_usd_per_hour, rates.emr_fee_cap_usd_per_hour)


def run_cost(
    config: ClusterConfig,
    runtime_s: float,
    catalogue: Catalogue,
    rates: CostRates,
    *,
    spot_discount: float | None = None,
    include_startup: bool = True,
) -> CostBreakdown:
    """Cost of running ``config`` for ``runtime_s`` of Spark application time (plus start-up)."""
    platform = config.platform if config.platform in PLATFORMS else "databricks"
    worker = catalogue.get(config.instance_type)
    driver = catalogue.get(config.driver_instance_type or config.instance_type)
    billed_s = max(0.0, runtime_s) + (rates.startup_s(platform) if include_startup else 0.0)
    hours = max(billed_s, EC2_MINIMUM_BILLED_S) / 3600.0
    workers = config.num_workers
    if platform == "emr-serverless":
        vcpu_h = (driver.vcpus + workers * worker.vcpus) * hours
        gb_h = (driver.memory_gib + workers * worker.memory_gib) * hours
        usd = vcpu_h * rates.emr_serverless_usd_per_vcpu_hour + gb_h * rates.emr_serverless_usd_per_gb_hour
        return CostBreakdown(0.0, 0.0, 0.0, usd, 0.0, billed_s)
    discount = rates.spot_discount if spot_discount is None else spot_discount
    worker_ec2 = worker.ondemand_usd_per_hour * (1.0 - config.spot_share * discount)
    ec2 = (driver.ondemand_usd_per_hour + workers * worker_ec2) * hours
    ebs = (1 + workers) * rates.ebs_gb_per_node * rates.ebs_usd_per_gb_month / HOURS_PER_MONTH * hours
    dbu = fee = 0.0
    if platform == "databricks":
        for node in (driver, worker):
            if node.dbu_per_hour is None:
                raise InvalidInputError(
                    f"{node.name} has no Databricks DBU rate in the catalogue",
                    fix="pick a type Databricks offers, or add dbu_per_hour for it in a catalogue override file",
                )
        multiplier = rates.photon_dbu_multiplier if config.photon else 1.0
        dbu = (driver.dbu_per_hour + workers * worker.dbu_per_hour) * multiplier * rates.usd_per_dbu * hours
    else:
        fee = (emr_fee_usd_per_hour(driver, rates) + workers * emr_fee_usd_per_hour(worker, rates)) * hours
    return CostBreakdown(ec2, dbu, fee, 0.0, ebs, billed_s)


def cost_range_usd(
    config: ClusterConfig, runtime_low_s: float, runtime_mid_s: float, runtime_high_s: float, catalogue, rates
) -> tuple[float, float, float]:
    """Low / mid / high cost: the runtime range, and for spot workers the discount's spread."""
    spread = rates.spot_discount_spread if config.spot_share else 0.0
    low = run_cost(config, runtime_low_s, catalogue, rates, spot_discount=min(0.99, rates.spot_discount + spread))
    mid = run_cost(config, runtime_mid_s, catalogue, rates)
    high = run_cost(config, runtime_high_s, catalogue, rates, spot_discount=max(0.0, rates.spot_discount - spread))
    return low.total_usd, mid.total_usd, high.total_usd


def photon_break_even_speedup(machine_usd_per_hour: float, dbu_usd_per_hour: float, photon_multiplier: float) -> float:
    """The speed-up Photon must deliver to cost no more: ``S = (m + p·d) / (m + d)`` (DESIGN.md §1),
    with ``m`` the machine $/h, ``d`` the DBU $/h of the same nodes and ``p`` the Photon DBU multiplier."""
    if machine_usd_per_hour + dbu_usd_per_hour <= 0:
        raise InvalidInputError("machine and DBU prices are both zero: no break-even to compute")
    return (machine_usd_per_hour + photon_multiplier * dbu_usd_per_hour) / (machine_usd_per_hour + dbu_usd_per_hour)


def photon_break_even_for(instance: InstanceType, rates: CostRates) -> dict:
    """The break-even for a cluster of ``instance`` nodes (it does not depend on the node count)."""
    if instance.dbu_per_hour is None:
        raise InvalidInputError(
            f"{instance.name} has no DBU rate: Databricks does not offer it, or add it via --catalogue"
        )
    m = instance.ondemand_usd_per_hour
    d = instance.dbu_per_hour * rates.usd_per_dbu
    s = photon_break_even_speedup(m, d, rates.photon_dbu_multiplier)
    return {
        "instance_type": instance.name,
        "machine_usd_per_hour": round(m, 4),
        "dbu_usd_per_hour": round(d, 4),
        "photon_multiplier": rates.photon_dbu_multiplier,
        "break_even_speedup": round(s, 4),
        "min_runtime_cut_pct": round(100 * (1 - 1 / s), 2),
    }

"""Command-line options shared by the commands that price clusters (``predict``, ``photon-roi``)."""

from __future__ import annotations

import argparse

from airflow_agora.prediction.cost import USD_PER_DBU_BY_PLAN


def add_cost_arguments(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("prices (defaults: list prices, us-east-1; see docs/prediction.md)")
    g.add_argument("--catalogue", metavar="FILE", help="instance catalogue override (CSV or JSON)")
    g.add_argument("--databricks-plan", choices=sorted(USD_PER_DBU_BY_PLAN), help="sets $/DBU (default premium)")
    g.add_argument("--usd-per-dbu", type=float, help="Databricks $ per DBU (overrides --databricks-plan)")
    g.add_argument("--photon-multiplier", type=float, help="Photon DBU multiplier (default 2.0)")
    g.add_argument("--spot-discount", type=float, help="fraction off on-demand for spot workers (default 0.65)")
    g.add_argument("--ebs-gb-per-node", type=float, help="EBS GB per node (default 0)")


def rates_from_args(args: argparse.Namespace):
    from airflow_agora.prediction.cost import CostRates

    usd_per_dbu = args.usd_per_dbu
    if usd_per_dbu is None and args.databricks_plan:
        usd_per_dbu = USD_PER_DBU_BY_PLAN[args.databricks_plan]
    return CostRates().with_overrides(
        usd_per_dbu=usd_per_dbu,
        photon_dbu_multiplier=args.photon_multiplier,
        spot_discount=args.spot_discount,
        ebs_gb_per_node=args.ebs_gb_per_node,
    )


def catalogue_from_args(args: argparse.Namespace):
    from airflow_agora.prediction.catalogue import Catalogue

    return Catalogue.load(args.catalogue)

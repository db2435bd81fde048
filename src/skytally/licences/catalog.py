"""Product and service-plan names from the bundled partial copy of Microsoft's licensing
table (data/README.md: source, date, CC BY 4.0). Anything missing falls back to Graph's
own skuPartNumber / servicePlanName."""

from __future__ import annotations

import csv
import functools
from pathlib import Path

DATA = Path(__file__).parent / "data"
SOURCE = ("Microsoft, \"Product names and service plan identifiers for licensing\" "
          "(learn.microsoft.com, page dated 2025-10-29), partial copy, CC BY 4.0")
COPY_DATE = "2025-10-29"


@functools.cache
def _products() -> dict[str, tuple[str, str]]:
    with open(DATA / "products.csv", newline="", encoding="utf-8") as fh:
        return {r["GUID"].lower(): (r["String_Id"], r["Product_Display_Name"]) for r in csv.DictReader(fh)}


@functools.cache
def _plans() -> dict[str, tuple[str, str]]:
    with open(DATA / "service_plans.csv", newline="", encoding="utf-8") as fh:
        return {r["Service_Plan_Id"].lower(): (r["Service_Plan_Name"], r["Service_Plan_Friendly_Name"]) for r in csv.DictReader(fh)}


def product_name(sku_id: str, part_number: str) -> str:
    """The product's name ("Microsoft 365 E3"), else Graph's skuPartNumber."""
    found = _products().get(sku_id.lower())
    return found[1] if found else part_number


def is_named(sku_id: str) -> bool:
    return sku_id.lower() in _products()


def plan_name(plan_id: str, plan_name_from_graph: str) -> str:
    found = _plans().get(plan_id.lower())
    return found[1] if found else plan_name_from_graph


def report_product_names(sku_id: str, part_number: str) -> set[str]:
    """How the usage reports may write the product in "Assigned Products" (upper case)."""
    return {product_name(sku_id, part_number).upper(), part_number.upper()}

"""Product and service-plan names from Microsoft's "Product names and service plan
identifiers for licensing" table (data/README.md: source, date, CC BY 4.0). Anything
missing falls back to Graph's own skuPartNumber / servicePlanName.

Two sources, both validated when loaded (a malformed file stops the load with the line at
fault, rather than naming products wrongly):

- the bundled partial copy (``data/products.csv``, ``data/service_plans.csv``);
- a full copy of Microsoft's CSV download, in Microsoft's own format (one row per product
  and service plan), when the setting ``SKYTALLY_LICENCE_NAMES_CSV`` names one: its rows
  take precedence, the bundled rows fill what it lacks.
"""

from __future__ import annotations

import csv
import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

DATA = Path(__file__).parent / "data"
COPY_DATE = "2025-10-29"
SOURCE = ("Microsoft, \"Product names and service plan identifiers for licensing\" "
          f"(learn.microsoft.com, page dated {COPY_DATE}), partial copy, CC BY 4.0")
# Microsoft's CSV header (older downloads wrote "String_ Id": spaces are ignored)
MICROSOFT_COLUMNS = ("Product_Display_Name", "String_Id", "GUID", "Service_Plan_Name", "Service_Plan_Id",
                     "Service_Plans_Included_Friendly_Names")
_GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


class CatalogueError(ValueError):
    """A names file that is not what it claims to be."""


@dataclass
class Catalogue:
    products: dict[str, tuple[str, str]] = field(default_factory=dict)  # skuId → (String ID, product name)
    plans: dict[str, tuple[str, str]] = field(default_factory=dict)  # servicePlanId → (name, friendly name)
    product_plans: dict[str, list[str]] = field(default_factory=dict)  # skuId → servicePlanIds (full copy only)
    source: str = SOURCE

    def fill(self, other: Catalogue) -> None:
        """Add what ``other`` knows and this one does not."""
        for key, value in other.products.items():
            self.products.setdefault(key, value)
        for key, value in other.plans.items():
            self.plans.setdefault(key, value)
        for key, plans in other.product_plans.items():
            self.product_plans.setdefault(key, plans)


def _rows(path: Path, required: Iterable[str]) -> Iterable[tuple[int, dict[str, str]]]:
    with open(path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.reader(fh)
        header = [h.replace(" ", "").strip() for h in next(reader, [])]
        missing = [c for c in required if c not in header]
        if missing:
            raise CatalogueError(f"{path.name}: not a licensing names file: columns {missing} missing (has {header})")
        for line, values in enumerate(reader, start=2):
            if not any(v.strip() for v in values):
                continue
            if len(values) != len(header):
                raise CatalogueError(f"{path.name} line {line}: {len(values)} fields, the header has {len(header)}")
            yield line, {h: v.strip() for h, v in zip(header, values, strict=True)}


def _guid(path: Path, line: int, value: str, what: str) -> str:
    key = value.lower()
    if not _GUID.match(key):
        raise CatalogueError(f"{path.name} line {line}: {what} {value!r} is not a GUID")
    return key


def _named(path: Path, line: int, value: str, what: str) -> str:
    if not value:
        raise CatalogueError(f"{path.name} line {line}: empty {what}")
    return value


def load_microsoft_csv(path: Path) -> Catalogue:
    """Microsoft's CSV download, validated: every GUID well formed, every product and plan
    named, one String ID per product (Microsoft's table repeats a product on each of its
    plans' rows; a product whose display name differs between rows keeps its first)."""
    cat = Catalogue(source=f"Microsoft, \"Product names and service plan identifiers for licensing\" (CSV: {path.name}), "
                           "CC BY 4.0")
    for line, r in _rows(path, MICROSOFT_COLUMNS):
        sku = _guid(path, line, r["GUID"], "GUID")
        string_id = _named(path, line, r["String_Id"], "String_Id")
        name = _named(path, line, r["Product_Display_Name"], "Product_Display_Name")
        known = cat.products.setdefault(sku, (string_id, name))
        if known[0] != string_id:
            raise CatalogueError(f"{path.name} line {line}: product {sku} is {string_id!r} here and {known[0]!r} before")
        if not r["Service_Plan_Id"]:
            continue
        plan = _guid(path, line, r["Service_Plan_Id"], "Service_Plan_Id")
        cat.plans.setdefault(plan, (_named(path, line, r["Service_Plan_Name"], "Service_Plan_Name"),
                                    r["Service_Plans_Included_Friendly_Names"] or r["Service_Plan_Name"]))
        plans = cat.product_plans.setdefault(sku, [])
        if plan not in plans:
            plans.append(plan)
    if not cat.products:
        raise CatalogueError(f"{path.name}: no products")
    return cat


def load_bundled(data: Path = DATA) -> Catalogue:
    """The bundled partial copy, validated like a full one."""
    cat = Catalogue()
    products, plans = data / "products.csv", data / "service_plans.csv"
    for line, r in _rows(products, ("GUID", "String_Id", "Product_Display_Name")):
        sku = _guid(products, line, r["GUID"], "GUID")
        if sku in cat.products:
            raise CatalogueError(f"{products.name} line {line}: product {sku} listed twice")
        cat.products[sku] = (_named(products, line, r["String_Id"], "String_Id"),
                             _named(products, line, r["Product_Display_Name"], "Product_Display_Name"))
    for line, r in _rows(plans, ("Service_Plan_Id", "Service_Plan_Name", "Service_Plan_Friendly_Name")):
        plan = _guid(plans, line, r["Service_Plan_Id"], "Service_Plan_Id")
        if plan in cat.plans:
            raise CatalogueError(f"{plans.name} line {line}: service plan {plan} listed twice")
        cat.plans[plan] = (_named(plans, line, r["Service_Plan_Name"], "Service_Plan_Name"),
                           _named(plans, line, r["Service_Plan_Friendly_Name"], "Service_Plan_Friendly_Name"))
    return cat


_full_copy: Path | None = None


def use_full_copy(path: Path | None) -> None:
    """Name products from a full copy of Microsoft's CSV (validated now), the bundled copy
    filling what it lacks; None: the bundled copy alone."""
    global _full_copy
    if path is not None:
        load_microsoft_csv(path)  # fail now, at start, not on the first page view
    _full_copy = path
    current.cache_clear()


@functools.cache
def current() -> Catalogue:
    if _full_copy is None:
        return load_bundled()
    cat = load_microsoft_csv(_full_copy)
    cat.fill(load_bundled())
    return cat


def source() -> str:
    return current().source


def product_name(sku_id: str, part_number: str) -> str:
    """The product's name ("Microsoft 365 E3"), else Graph's skuPartNumber."""
    found = current().products.get(sku_id.lower())
    return found[1] if found else part_number


def is_named(sku_id: str) -> bool:
    return sku_id.lower() in current().products


def plan_name(plan_id: str, plan_name_from_graph: str) -> str:
    found = current().plans.get(plan_id.lower())
    return found[1] if found else plan_name_from_graph


def report_product_names(sku_id: str, part_number: str) -> set[str]:
    """How the usage reports may write the product in "Assigned Products" (upper case)."""
    return {product_name(sku_id, part_number).upper(), part_number.upper()}

"""The dimensions a query may group or filter by: the allow-list (`dimensions`,
`canonical_dimension`: store columns by their FOCUS name, the partition columns, and
`tag:<key>`), and how people see them (each groupable column once with a friendly label,
the explorer's group-by list)."""

from __future__ import annotations

import re
from functools import cache

from skytally.errors import InvalidInput

from .store.mapping import INTERNAL_COLUMNS, focus_columns, store_schema

TAG_PREFIX = "tag:"
PARTITION_DIMENSIONS = ("billing_account", "billing_period")

@cache
def _dimension_names() -> dict[str, str]:
    names = [*focus_columns(), *PARTITION_DIMENSIONS]
    return {n.lower(): n for n in names}


def dimensions() -> list[str]:
    """Every dimension a query may group or filter by (besides `tag:<key>`)."""
    return list(_dimension_names().values())


def canonical_dimension(dim: str) -> str:
    """The allow-listed spelling of `dim`, or InvalidInput. Tag keys are lower-cased."""
    if not isinstance(dim, str) or not dim:
        raise InvalidInput("A dimension must be a FOCUS column name or tag:<key>.")
    if dim.lower().startswith(TAG_PREFIX):
        key = dim[len(TAG_PREFIX):].strip()
        if not key:
            raise InvalidInput(f"{dim!r}: give the tag key after 'tag:', e.g. tag:CostCenter.")
        return TAG_PREFIX + key.lower()
    name = _dimension_names().get(dim.lower())
    if name is None:
        raise InvalidInput(
            f"Unknown dimension {dim!r}: use a FOCUS column (e.g. ServiceName, SubAccountName, "
            "RegionName, ChargeCategory, x_ResourceGroupName) or tag:<key>."
        )
    return name


# Friendly labels of the dimensions people group by most (the others are derived from
# their FOCUS name: "ChargeFrequency" -> "Charge frequency")
LABELS = {
    "ServiceName": "Service", "ServiceCategory": "Service category", "ServiceSubcategory": "Service subcategory",
    "SubAccountName": "Subscription", "SubAccountId": "Subscription ID", "x_ResourceGroupName": "Resource group",
    "RegionName": "Region", "RegionId": "Region ID", "ResourceType": "Resource type", "ResourceName": "Resource",
    "ResourceId": "Resource ID", "ChargeCategory": "Charge category", "PricingCategory": "Pricing category",
    "PublisherName": "Publisher", "BillingAccountName": "Billing account", "BillingAccountId": "Billing account ID",
    "x_InvoiceSectionName": "Invoice section", "x_BillingProfileName": "Billing profile",
    "CommitmentDiscountName": "Commitment discount", "SkuMeter": "Meter", "x_SkuMeterCategory": "Meter category",
    "x_SkuMeterSubcategory": "Meter subcategory", "x_CostCenter": "Cost center", "billing_account": "Store billing account",
    "billing_period": "Billing period", "BillingCurrency": "Billing currency", "InvoiceId": "Invoice",
}


def dimension_label(dim: str) -> str:
    """A person's name for a dimension: its label, or its FOCUS name in words."""
    if dim.lower().startswith(TAG_PREFIX):
        return f"Tag {dim[len(TAG_PREFIX):]}"
    if dim in LABELS:
        return LABELS[dim]
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", " ", dim.removeprefix("x_")).split()
    fixed = {"id": "ID", "sku": "SKU"}
    words = [fixed.get(w.lower(), w if i == 0 or w.isupper() else w.lower()) for i, w in enumerate(words)]
    text = " ".join(words) if words else dim
    return text + (" (Microsoft)" if dim.startswith("x_") else "")


def groupable_dimensions() -> list[dict[str, str]]:
    """Every text dimension once, with its FOCUS name and a friendly label (amounts,
    quantities, prices, dates and maps are not groups)."""
    out = []
    for name, sql_type in store_schema().items():
        if name in INTERNAL_COLUMNS or sql_type != "VARCHAR":
            continue
        out.append({"name": name, "label": dimension_label(name)})
    return out

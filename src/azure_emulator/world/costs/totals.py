"""The truth: totals of an account's charges over a date range, as known at an instant."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from typing import Any

from azure_emulator.world.costs import formats
from azure_emulator.world.costs.generate import iter_charges, replicas_for
from azure_emulator.world.costs.model import (
    MP_PURCHASE,
    MP_REFUND,
    MP_USAGE,
    RESERVED,
    RI_PURCHASE,
    UNUSED,
    USAGE,
    CostAccount,
    CostSettings,
    Unit,
)


def totals(account: CostAccount, units: list[Unit], start: date, end: date, metric: str, now: datetime,
           settings: CostSettings, subscription: str | None = None, sections: set[str] | None = None) -> dict[str, Any]:
    """Rows and cost (billing currency, exact decimal strings) with breakdowns."""
    total = rows = azure_usage = 0
    by: dict[str, dict[str, int]] = {k: defaultdict(int) for k in
                                     ("ChargeType", "PricingModel", "PublisherType", "SubscriptionId", "Date")}
    counts: dict[str, int] = defaultdict(int)
    sub_l = subscription.lower() if subscription else None
    for unit, day, _qty, _usd, bill, _price, _rep in iter_charges(account, units, start, end, metric, now, settings,
                                                                  replicas_for(units, settings)):
        if sub_l is not None and unit.subscription_id.lower() != sub_l:
            continue
        if sections is not None and unit.section.id not in sections:
            continue
        rows += 1
        total += bill
        ctype = formats.charge_type(unit.kind)
        reserved = formats.is_reserved(unit, day) or unit.kind in (UNUSED, RI_PURCHASE)
        by["ChargeType"][ctype] += bill
        if unit.kind in (USAGE, RESERVED):
            azure_usage += bill
        counts[ctype] += 1
        by["PricingModel"]["Reservation" if reserved else "OnDemand"] += bill
        by["PublisherType"]["Marketplace" if unit.kind in (MP_USAGE, MP_PURCHASE, MP_REFUND) else "Azure"] += bill
        by["SubscriptionId"][unit.subscription_id] += bill
        by["Date"][day.isoformat()] += bill
    return {
        "billing_account": account.id, "agreement": account.agreement, "currency": account.currency, "metric": metric,
        "start": start.isoformat(), "end": end.isoformat(), "as_of": now.isoformat(), "rows": rows,
        "total": formats.money(total), "total_units_1e8": total,
        "azure_usage_total": formats.money(azure_usage),  # what the legacy EA usage details API lists
        "rows_by_charge_type": dict(counts),
        **{f"by_{k}": {key: formats.money(v) for key, v in sorted(d.items())} for k, d in by.items()},
    }

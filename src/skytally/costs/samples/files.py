"""Realistic sample cost files in every supported layout, streamed so that millions of
rows (gigabytes) are written quickly. Used by tests and the benchmark.

Each file is generated from a seed: the same seed gives the same *events* (a usage hour
of a VM, a reservation purchase, a marketplace charge, ...), so an actual-cost file and
an amortized-cost file generated with the same seed form a consistent pair. Money is
generated in integer units of 1e-8 so the expected totals (returned) are exact.

Quirks reproduced: EA tags without the outer braces (`"k": "v","k2": "v2"`), MCA/FOCUS
tags as JSON objects, empty tags, tag keys repeated in another case, empty tag values,
keys with '-' and '.', non-ASCII values, US dates (MM/DD/YYYY and M/D/YYYY) in EA/MCA,
ISO timestamps in FOCUS, a UTF-8 BOM on EA files, scientific-notation quantities.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import random
import re
import zlib
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Literal

from skytally.costs.samples.events import (
    _SCALE,
    SampleKind,
    _billed,
    _effective,
    _Event,
    _events,
    _is_commitment,
    _money,
    _period_bounds,
    _resources,
)
from skytally.costs.store.mapping import layouts, norm
from skytally.costs.store.udf import unit

SampleLayout = Literal["ea_exports", "ea_c360", "mca", "ea_legacy_v3", "focus_1.2", "focus_1.0"]
@dataclass
class PeriodTotals:
    rows: int = 0
    cost: int = 0  # sum of the file's cost column (1e-8)
    billed: int = 0  # FOCUS BilledCost by Microsoft's rules (1e-8)
    effective: int = 0


@dataclass
class SampleTotals:
    """Expected content of a generated file (exact)."""

    path: Path
    layout: str
    kind: str
    currency: str
    billing_account_id: str
    rows: int = 0
    by_period: dict[str, PeriodTotals] = field(default_factory=dict)

    def _sum(self, attr: str) -> Decimal:
        return Decimal(sum(getattr(p, attr) for p in self.by_period.values())) / _SCALE

    @property
    def cost(self) -> Decimal:
        return self._sum("cost")

    @property
    def billed(self) -> Decimal:
        return self._sum("billed")

    @property
    def effective(self) -> Decimal:
        return self._sum("effective")


def _ea_tags(tags: dict[str, str]) -> str:
    # EA: JSON members without the outer braces, ", " after the colon, "," between
    return ",".join(f"{json.dumps(k, ensure_ascii=False)}: {json.dumps(v, ensure_ascii=False)}"
                    for k, v in tags.items())


def _json_tags(tags: dict[str, str]) -> str:
    return json.dumps(tags, ensure_ascii=False, separators=(",", ":")) if tags else ""


def _us_date(y: int, m: int, d: int, padded: bool) -> str:
    return f"{m:02d}/{d:02d}/{y}" if padded else f"{m}/{d}/{y}"


def _cm_values(e: _Event, layout: str, account: str, currency: str, padded: bool) -> dict[str, str]:
    """Canonical Cost Management column -> text for one event."""
    y, m, days = _period_bounds(e.period)
    res = e.res
    mca = layout == "mca"
    tags = e.res.tags if e.publisher_type != "Marketplace" else {}
    profile = f"{account[:4]}-PROF-{zlib.crc32(res.sub_id.encode()) % 3}" if mca else account
    v = {
        "InvoiceSectionName": f"Department {zlib.crc32(res.rg.encode()) % 4}",
        "AccountName": "Contoso IT",
        "AccountOwnerId": "it-owner@contoso.com",
        "SubscriptionId": res.sub_id,
        "SubscriptionName": res.sub_name,
        "ResourceGroup": res.rg,
        "ResourceLocation": res.region,
        "Date": _us_date(y, m, e.day, padded),
        "ProductName": e.product,
        "MeterCategory": res.meter_category,
        "MeterSubCategory": res.meter_sub,
        "MeterId": res.meter_id,
        "MeterName": res.meter_name,
        "MeterRegion": res.region,
        "UnitOfMeasure": res.unit,
        "Quantity": e.quantity,
        "EffectivePrice": f"{res.price:g}",
        "CostInBillingCurrency": _money(e.cost),
        "CostCenter": "",
        "ConsumedService": res.consumed_service,
        "ResourceId": res.rid,
        "Tags": (_json_tags(tags) if mca else _ea_tags(tags)),
        "OfferId": "MS-AZR-0017P",
        "AdditionalInfo": '{"ServiceType":"Standard_D2s_v3","VCPUs":2}' if "virtualMachines" in res.rtype else "",
        "ServiceInfo1": "",
        "ServiceInfo2": "",
        "ResourceName": res.name,
        "ReservationId": e.reservation[0].split("/")[-1] if e.reservation else "",
        "ReservationName": e.reservation[1] if e.reservation else "",
        "UnitPrice": f"{res.price * 1.1:g}",
        "ProductOrderId": e.reservation[0].split("/")[4] if e.reservation else "",
        "ProductOrderName": e.reservation[1] if e.reservation else "",
        "Term": "12" if e.reservation else "",
        "PublisherType": e.publisher_type if e.publisher_type == "Marketplace" else ("Microsoft" if mca else "Azure"),
        "PublisherName": "Contoso Networks" if e.publisher_type == "Marketplace" else "Microsoft",
        "ChargeType": e.charge_type,
        "Frequency": e.frequency,
        "PricingModel": e.pricing_model,
        "AvailabilityZone": "",
        "BillingAccountId": account,
        "BillingAccountName": "Contoso Ltd",
        "BillingCurrencyCode": currency,
        "BillingPeriodStartDate": _us_date(y, m, 1, padded),
        "BillingPeriodEndDate": _us_date(y, m, days, padded),
        "BillingProfileId": profile,
        "BillingProfileName": f"Contoso profile {profile[-1]}",
        "InvoiceSectionId": f"IS-{zlib.crc32(res.rg.encode()) % 4}",
        "IsAzureCreditEligible": "False" if e.publisher_type == "Marketplace" else "True",
        "PartNumber": "AAD-12345",
        "PayGPrice": f"{res.price * 1.2:g}",
        "PlanName": "",
        "ServiceFamily": res.family,
        "CostAllocationRuleName": "",
        "benefitId": e.reservation[0] if e.reservation else "",
        "benefitName": e.reservation[1] if e.reservation else "",
        "InvoiceId": f"G{y % 100:02d}{m:02d}0001" if mca else "",
        "PreviousInvoiceId": "",
        "ResellerName": "",
        "ResellerMpnId": "",
        "ServicePeriodEndDate": _us_date(y, m, days, padded),
        "ServicePeriodStartDate": _us_date(y, m, 1, padded),
        "ProductId": "DZH318Z0BQ4L",
        "PublisherId": "",
        "Location": res.region,
        "PricingCurrency": "USD",
        "CostInPricingCurrency": _money(e.cost),
        "CostInUsd": _money(e.cost),
        "PaygCostInBillingCurrency": _money(e.cost * 6 // 5),
        "PaygCostInUsd": _money(e.cost * 6 // 5),
        "ExchangeRatePricingToBilling": "1",
        "ExchangeRateDate": _us_date(y, m, 1, padded),
        "Provider": "Azure",
    }
    return v


def focus_unit(uom: str) -> str:
    """A FOCUS export's unit for a unit of measure ('10K' -> 'Units', '1 Hour' -> 'Hour')."""
    return unit(uom) or uom


def _focus_values(e: _Event, account: str, currency: str) -> dict[str, str]:
    y, m, days = _period_bounds(e.period)
    res = e.res
    ny, nm = (y + 1, 1) if m == 12 else (y, m + 1)
    start = f"{y:04d}-{m:02d}-{e.day:02d}T00:00:00Z"
    end_day = f"{y:04d}-{m:02d}-{e.day + 1:02d}T00:00:00Z" if e.day < days else f"{ny:04d}-{nm:02d}-01T00:00:00Z"
    tags = res.tags if e.publisher_type != "Marketplace" else {}
    commit = _is_commitment(e)
    return {
        "BilledCost": _money(_billed(e)),
        "EffectiveCost": _money(_effective(e)),
        "BillingAccountId": account,
        "BillingAccountName": "Contoso Ltd",
        "BillingAccountType": "Billing Account",
        "BillingCurrency": currency,
        "BillingPeriodStart": f"{y:04d}-{m:02d}-01T00:00:00Z",
        "BillingPeriodEnd": f"{ny:04d}-{nm:02d}-01T00:00:00Z",
        "ChargeCategory": {"Refund": "Purchase", "UnusedReservation": "Usage"}.get(e.charge_type, e.charge_type),
        "ChargeClass": "Correction" if e.charge_type == "Refund" else "",
        "ChargeDescription": e.product,
        "ChargeFrequency": {"OneTime": "One-Time", "UsageBased": "Usage-Based"}.get(e.frequency, e.frequency),
        "ChargePeriodStart": start,
        "ChargePeriodEnd": end_day,
        "CommitmentDiscountCategory": "Usage" if commit else "",
        "CommitmentDiscountId": e.reservation[0] if e.reservation else "",
        "CommitmentDiscountName": e.reservation[1] if e.reservation else "",
        "CommitmentDiscountStatus": ("Unused" if e.charge_type == "UnusedReservation" else "Used") if commit and e.charge_type != "Purchase" and e.charge_type != "Refund" else "",
        "CommitmentDiscountType": "Reservation" if commit else "",
        "ConsumedQuantity": e.quantity if e.charge_type == "Usage" else "",
        "ConsumedUnit": focus_unit(res.unit),
        "InvoiceIssuerName": "Microsoft",
        "PricingCategory": {"OnDemand": "Standard", "Spot": "Dynamic"}.get(e.pricing_model, "Committed"),
        "PricingQuantity": e.quantity,
        "PricingUnit": focus_unit(res.unit),
        "ProviderName": "Microsoft",
        "PublisherName": "Contoso Networks" if e.publisher_type == "Marketplace" else "Microsoft",
        "RegionId": res.region,
        "RegionName": res.region,
        "ResourceId": res.rid,
        "ResourceName": res.name,
        "ResourceType": res.rtype.split("/")[-1],
        "ServiceCategory": res.family,
        "ServiceName": res.meter_category,
        "ContractedCost": _money(e.cost),
        "ListCost": _money(e.cost * 6 // 5),
        "SubAccountId": f"/subscriptions/{res.sub_id}",
        "SubAccountName": res.sub_name,
        "SubAccountType": "Subscription",
        "Tags": _json_tags(tags),
        "x_BillingAccountId": account,
        "x_BillingAccountName": "Contoso Ltd",
        "x_InvoiceId": f"G{y % 100:02d}{m:02d}0001",
        "InvoiceId": f"G{y % 100:02d}{m:02d}0001",
        "x_PricingCurrency": "USD",
        "PricingCurrency": "USD",
        "x_SkuMeterName": res.meter_name,
        "SkuMeter": res.meter_name,
        "x_PublisherCategory": "Vendor" if e.publisher_type == "Marketplace" else "Cloud Provider",
        "x_ResourceGroupName": res.rg,
        "x_ResourceType": res.rtype.lower(),
        "x_SkuMeterCategory": res.meter_category,
        "x_SkuMeterId": res.meter_id,
        "x_SkuIsCreditEligible": "False" if e.publisher_type == "Marketplace" else "True",
    }


def _legacy_values(e: _Event, currency: str) -> dict[str, str]:
    y, m, _ = _period_bounds(e.period)
    res = e.res
    return {
        "AccountId": "123456", "AccountName": "Contoso IT", "AccountOwnerEmail": "it-owner@contoso.com",
        "AdditionalInfo": "", "ChargesBilledSeparately": "true" if e.publisher_type == "Marketplace" else "false",
        "ConsumedQuantity": e.quantity, "ConsumedService": res.consumed_service, "ConsumedServiceId": "12",
        "Cost": _money(e.cost), "CostCenter": "", "Date": f"{y:04d}-{m:02d}-{e.day:02d}",
        "DepartmentId": "4711", "DepartmentName": "IT", "InstanceId": res.rid, "Location": res.region,
        "MeterCategory": res.meter_category, "MeterId": "12345", "MeterName": res.meter_name,
        "MeterRegion": res.region, "MeterSubCategory": res.meter_sub, "OfferId": "MS-AZR-0017P",
        "PartNumber": "AAD-12345", "Product": e.product, "ProductId": "77", "ResourceGroup": res.rg,
        "ResourceGuid": res.meter_id, "ResourceLocation": res.region, "ResourceLocationId": "9",
        "ResourceRate": f"{res.price:g}", "ServiceAdministratorId": "", "ServiceInfo1": "", "ServiceInfo2": "",
        "ServiceName": res.meter_category, "ServiceTier": res.meter_sub, "StoreServiceIdentifier": "",
        "SubscriptionGuid": res.sub_id, "SubscriptionId": "987654", "SubscriptionName": res.sub_name,
        "Tags": _json_tags(res.tags), "UnitOfMeasure": res.unit,
    }


def write_sample(
    path: Path,
    *,
    layout: SampleLayout = "mca",
    kind: SampleKind = "actual",
    rows: int = 1000,
    billing_account_id: str = "12345678",
    periods: tuple[str, ...] | list[str] = ("2024-01",),
    currency: str = "USD",
    seed: int = 0,
    gzip_output: bool = False,
    subscriptions: int = 4,
    resources_per_subscription: int = 250,
    bom: bool | None = None,
) -> SampleTotals:
    """Write `rows` cost rows to `path` and return the exact expected totals."""
    lay = layouts()[layout]
    rng = random.Random(seed)
    resources = _resources(rng, subscriptions, resources_per_subscription)
    header = list(lay.header)
    # canonical name -> header position, through the layout's renames
    rename_inv = {norm(v): k for k, v in lay.rename.items() if v.isidentifier()}
    canon_of = [rename_inv.get(norm(h), h) for h in header]
    totals = SampleTotals(Path(path), layout, kind, currency, billing_account_id)
    path = Path(path)
    raw = gzip.open(path, "wb", compresslevel=1) if gzip_output else open(path, "wb")  # noqa: SIM115
    text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
    if bom if bom is not None else layout.startswith("ea_"):
        text.write("\ufeff")
    eol = "\r\n" if layout == "ea_exports" else "\n"
    w = csv.writer(text, lineterminator=eol)
    w.writerow(header)
    focus = layout.startswith("focus")
    mca = layout == "mca"
    legacy = layout == "ea_legacy_v3"
    dynamic = _FOCUS_DYNAMIC if focus else _LEGACY_DYNAMIC if legacy else _CM_DYNAMIC
    templates: dict[tuple[object, ...], list[str]] = {}
    buf = io.StringIO()
    tw = csv.writer(buf, lineterminator=eol)
    write = text.write
    for e in _events(rng, rows, list(periods), resources, kind):
        if legacy and (e.charge_type != "Usage" or e.pricing_model == "Reservation"):
            e = _Event(e.res, e.period, e.day, "Usage", "OnDemand", e.publisher_type, e.quantity,
                       abs(e.cost), None, "UsageBased", e.product)
        padded = (e.day % 2 == 0) or mca
        key = (id(e.res), e.period, e.charge_type, e.pricing_model, e.publisher_type,
               e.reservation, e.frequency, e.product, padded)
        parts = templates.get(key)
        if parts is None:
            if focus:
                vals = _focus_values(e, billing_account_id, currency)
            elif legacy:
                vals = _legacy_values(e, currency)
            else:
                vals = _cm_values(e, layout, billing_account_id, currency, padded=padded)
            by_norm = {norm(k): k for k in vals}
            for k in dynamic:
                vals[k] = f"\u00a7{k}\u00a7"
            buf.seek(0)
            buf.truncate()
            # by canonical name, else by the header's own name (legacy EA: ConsumedQuantity, Product)
            tw.writerow([vals.get(c, vals.get(by_norm.get(norm(c), ""), vals.get(h, "")))
                         for c, h in zip(canon_of, header, strict=True)])
            parts = _SENTINEL.split(buf.getvalue())
            templates[key] = parts
        dyn = _dynamic_values(e, focus, legacy, padded)
        parts = list(parts)
        for j in range(1, len(parts), 2):
            parts[j] = dyn[parts[j]]
        write("".join(parts))
        pt = totals.by_period.setdefault(e.period, PeriodTotals())
        pt.rows += 1
        pt.cost += e.cost
        pt.billed += _billed(e) if not legacy else e.cost
        pt.effective += _effective(e) if not legacy else e.cost
        totals.rows += 1
    text.close()
    return totals


_CM_DYNAMIC = ("Date", "Quantity", "CostInBillingCurrency", "CostInPricingCurrency", "CostInUsd",
               "PaygCostInBillingCurrency", "PaygCostInUsd")
_FOCUS_DYNAMIC = ("BilledCost", "EffectiveCost", "ChargePeriodStart", "ChargePeriodEnd",
                  "ConsumedQuantity", "PricingQuantity", "ContractedCost", "ListCost")
_LEGACY_DYNAMIC = ("Date", "ConsumedQuantity", "Cost")
_SENTINEL = re.compile("\u00a7(\\w+)\u00a7")


def _dynamic_values(e: _Event, focus: bool, legacy: bool, padded: bool) -> dict[str, str]:
    y, m, days = _period_bounds(e.period)
    if focus:
        ny, nm = (y + 1, 1) if m == 12 else (y, m + 1)
        end = (f"{y:04d}-{m:02d}-{e.day + 1:02d}T00:00:00Z" if e.day < days
               else f"{ny:04d}-{nm:02d}-01T00:00:00Z")
        return {
            "BilledCost": _money(_billed(e)),
            "EffectiveCost": _money(_effective(e)),
            "ChargePeriodStart": f"{y:04d}-{m:02d}-{e.day:02d}T00:00:00Z",
            "ChargePeriodEnd": end,
            "ConsumedQuantity": e.quantity if e.charge_type == "Usage" else "",
            "PricingQuantity": e.quantity,
            "ContractedCost": _money(e.cost),
            "ListCost": _money(e.cost * 6 // 5),
        }
    if legacy:
        return {"Date": f"{y:04d}-{m:02d}-{e.day:02d}", "ConsumedQuantity": e.quantity,
                "Cost": _money(e.cost)}
    cost = _money(e.cost)
    payg = _money(e.cost * 6 // 5)
    return {
        "Date": _us_date(y, m, e.day, padded),
        "Quantity": e.quantity,
        "CostInBillingCurrency": cost,
        "CostInPricingCurrency": cost,
        "CostInUsd": cost,
        "PaygCostInBillingCurrency": payg,
        "PaygCostInUsd": payg,
    }

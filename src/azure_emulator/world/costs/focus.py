"""FOCUS 1.0 rows, as Cost Management's ``FocusCost`` export writes them, from the emulator's
cost details rows (EA or MCA layout).

Columns and their order: finops-toolkit ``exports-schemas/focuscost_1.0.json`` (the schema
FinOps hubs ingest Microsoft's FocusCost exports with). Values follow the finops-toolkit
mapping (``docs/mapping.md``: ChargeType → ChargeCategory/ChargeClass, PricingModel →
PricingCategory, Frequency → ChargeFrequency, MCA's billing profile as the FOCUS billing
account, periods end-exclusive). What the emulator does not model stays empty; EffectiveCost
equals BilledCost on usage rows (the emulator's actual and amortized costs differ only for
reservation purchases, which FOCUS amortizes; docs/emulator.md).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import date, datetime, timedelta

COLUMNS = [
    "BilledCost", "BillingAccountId", "BillingAccountName", "BillingAccountType", "BillingCurrency",
    "BillingPeriodEnd", "BillingPeriodStart", "ChargeCategory", "ChargeClass", "ChargeDescription",
    "ChargeFrequency", "ChargePeriodEnd", "ChargePeriodStart", "CommitmentDiscountCategory", "CommitmentDiscountId",
    "CommitmentDiscountName", "CommitmentDiscountStatus", "CommitmentDiscountType", "ConsumedQuantity",
    "ConsumedUnit", "ContractedCost", "ContractedUnitPrice", "EffectiveCost", "InvoiceIssuerName", "ListCost",
    "ListUnitPrice", "PricingCategory", "PricingQuantity", "PricingUnit", "ProviderName", "PublisherName",
    "RegionId", "RegionName", "ResourceId", "ResourceName", "ResourceType", "ServiceCategory", "ServiceName",
    "SkuId", "SkuPriceId", "SubAccountId", "SubAccountName", "SubAccountType", "Tags", "x_AccountId",
    "x_AccountName", "x_AccountOwnerId", "x_BilledCostInUsd", "x_BilledUnitPrice", "x_BillingAccountId",
    "x_BillingAccountName", "x_BillingExchangeRate", "x_BillingExchangeRateDate", "x_BillingProfileId",
    "x_BillingProfileName", "x_ContractedCostInUsd", "x_CostAllocationRuleName", "x_CostCenter", "x_CustomerId",
    "x_CustomerName", "x_EffectiveCostInUsd", "x_EffectiveUnitPrice", "x_InvoiceId", "x_InvoiceIssuerId",
    "x_InvoiceSectionId", "x_InvoiceSectionName", "x_ListCostInUsd", "x_PartnerCreditApplied",
    "x_PartnerCreditRate", "x_PricingBlockSize", "x_PricingCurrency", "x_PricingSubcategory",
    "x_PricingUnitDescription", "x_PublisherCategory", "x_PublisherId", "x_ResellerId", "x_ResellerName",
    "x_ResourceGroupName", "x_ResourceType", "x_ServicePeriodEnd", "x_ServicePeriodStart", "x_SkuDescription",
    "x_SkuDetails", "x_SkuIsCreditEligible", "x_SkuMeterCategory", "x_SkuMeterId", "x_SkuMeterName",
    "x_SkuMeterSubcategory", "x_SkuOfferId", "x_SkuOrderId", "x_SkuOrderName", "x_SkuPartNumber", "x_SkuRegion",
    "x_SkuServiceFamily", "x_SkuTerm", "x_SkuTier",
]

_CATEGORY = {"Usage": ("Usage", ""), "UnusedReservation": ("Usage", ""), "Purchase": ("Purchase", ""),
             "Refund": ("Purchase", "Correction"), "RoundingAdjustment": ("Adjustment", ""), "Tax": ("Tax", "")}
_FREQUENCY = {"OneTime": "One-Time", "Recurring": "Recurring", "UsageBased": "Usage-Based"}
_PRICING = {"OnDemand": "Standard", "Reservation": "Committed", "SavingsPlan": "Committed", "Spot": "Dynamic"}
_SERVICE_CATEGORY = {"Compute": "Compute", "Storage": "Storage", "Networking": "Networking", "Databases": "Databases",
                     "Analytics": "Analytics", "Security": "Security", "Web": "Web", "Containers": "Compute",
                     "Management and Governance": "Management and Governance", "AI + Machine Learning": "AI and Machine Learning"}


def _day(text: str) -> date | None:
    for fmt in ("%m/%d/%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(text[:10], fmt).date()
        except ValueError:
            continue
    return None


def _iso(day: date | None, plus: int = 0) -> str:
    return (day + timedelta(days=plus)).strftime("%Y-%m-%dT00:00:00Z") if day else ""


def _num(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return 0.0


def _times(a: str, b: str) -> str:
    return repr(round(_num(a) * _num(b), 10)) if a and b else ""


def focus_row(src: dict[str, str], mca: bool) -> dict[str, str]:
    """One FOCUS row from a cost details row (keys of the EA or MCA layout, any case)."""
    g = {k.lower(): v for k, v in src.items()}.get

    def v(key: str) -> str:
        return g(key.lower(), "") or ""

    charge_type = v("chargeType")
    category, klass = _CATEGORY.get(charge_type, ("Usage", ""))
    reservation = v("benefitId") or v("reservationId")
    used = "Unused" if charge_type == "UnusedReservation" else ("Used" if reservation and category == "Usage" else "")
    day = _day(v("date"))
    period_start, period_end = _day(v("billingPeriodStartDate")), _day(v("billingPeriodEndDate"))
    cost = v("costInBillingCurrency") or v("cost")
    quantity, unit = v("quantity"), v("unitOfMeasure")
    resource_id = v("ResourceId")
    parts = resource_id.split("/")
    rtype = "/".join([parts[6], parts[7]]) if len(parts) > 7 and parts[5].lower() == "providers" else ""
    tags = v("tags")
    if tags and not tags.startswith("{"):
        tags = "{" + tags + "}"  # EA writes tags without the outer braces
    family = v("serviceFamily")
    location = v("resourceLocation").lower()
    out = dict.fromkeys(COLUMNS, "")
    out.update({
        "BilledCost": cost, "EffectiveCost": cost,
        "BillingAccountId": v("billingProfileId") if mca else v("billingAccountId"),
        "BillingAccountName": v("billingProfileName") if mca else v("billingAccountName"),
        "BillingAccountType": "Billing Profile" if mca else "Billing Account",
        "BillingCurrency": v("billingCurrency"),
        "BillingPeriodStart": _iso(period_start), "BillingPeriodEnd": _iso(period_end, 1),
        "ChargeCategory": category, "ChargeClass": klass,
        "ChargeDescription": v("ProductName") or v("Product"),
        "ChargeFrequency": _FREQUENCY.get(v("frequency"), ""),
        "ChargePeriodStart": _iso(day), "ChargePeriodEnd": _iso(day, 1),
        "CommitmentDiscountCategory": "Usage" if reservation else "", "CommitmentDiscountId": reservation,
        "CommitmentDiscountName": v("benefitName") or v("reservationName"),
        "CommitmentDiscountStatus": used, "CommitmentDiscountType": "Reservation" if reservation else "",
        "ConsumedQuantity": quantity if category == "Usage" else "", "ConsumedUnit": unit if category == "Usage" else "",
        "ContractedUnitPrice": v("unitPrice"), "ContractedCost": _times(v("unitPrice"), quantity),
        "InvoiceIssuerName": "Microsoft",
        "ListUnitPrice": v("PayGPrice"), "ListCost": v("paygCostInBillingCurrency") or _times(v("PayGPrice"), quantity),
        "PricingCategory": _PRICING.get(v("pricingModel"), ""), "PricingQuantity": quantity, "PricingUnit": unit,
        "ProviderName": "Microsoft", "PublisherName": v("publisherName") or "Microsoft",
        "RegionId": location, "RegionName": location,
        "ResourceId": resource_id, "ResourceName": v("ResourceName") or (parts[-1] if resource_id else ""),
        "ResourceType": rtype, "ServiceCategory": _SERVICE_CATEGORY.get(family, "Other") if family else "",
        "ServiceName": v("meterCategory"), "SkuId": v("ProductId") or v("PartNumber"), "SkuPriceId": v("meterId"),
        "SubAccountId": f"/subscriptions/{v('SubscriptionId')}" if v("SubscriptionId") else "",
        "SubAccountName": v("subscriptionName"), "SubAccountType": "Subscription" if v("SubscriptionId") else "",
        "Tags": tags,
        "x_AccountName": v("AccountName"), "x_AccountOwnerId": v("AccountOwnerId"),
        "x_BilledCostInUsd": v("costInUsd"), "x_BilledUnitPrice": v("effectivePrice"),
        "x_BillingAccountId": v("billingAccountId"), "x_BillingAccountName": v("billingAccountName"),
        "x_BillingExchangeRate": v("exchangeRatePricingToBilling"), "x_BillingExchangeRateDate": v("exchangeRateDate"),
        "x_BillingProfileId": v("billingProfileId"), "x_BillingProfileName": v("billingProfileName"),
        "x_CostAllocationRuleName": v("costAllocationRuleName"), "x_CostCenter": v("costCenter"),
        "x_EffectiveCostInUsd": v("costInUsd"), "x_EffectiveUnitPrice": v("effectivePrice"),
        "x_InvoiceId": v("invoiceId"), "x_InvoiceSectionId": v("invoiceSectionId"),
        "x_InvoiceSectionName": v("invoiceSectionName") or v("InvoiceSection"),
        "x_ListCostInUsd": v("paygCostInUsd"), "x_PricingCurrency": v("pricingCurrency"),
        "x_PublisherCategory": v("publisherType"), "x_PublisherId": v("publisherId"),
        "x_ResellerId": v("resellerMpnId"), "x_ResellerName": v("resellerName"),
        "x_ResourceGroupName": v("resourceGroupName") or v("ResourceGroup"), "x_ResourceType": rtype,
        "x_ServicePeriodStart": _iso(_day(v("servicePeriodStartDate"))),
        "x_ServicePeriodEnd": _iso(_day(v("servicePeriodEndDate")), 1) if v("servicePeriodEndDate") else "",
        "x_SkuDetails": v("additionalInfo"), "x_SkuIsCreditEligible": v("isAzureCreditEligible"),
        "x_SkuMeterCategory": v("meterCategory"), "x_SkuMeterId": v("meterId"), "x_SkuMeterName": v("meterName"),
        "x_SkuMeterSubcategory": v("meterSubCategory"), "x_SkuOfferId": v("OfferId"),
        "x_SkuOrderId": v("productOrderId"), "x_SkuOrderName": v("productOrderName"),
        "x_SkuPartNumber": v("PartNumber"), "x_SkuRegion": v("meterRegion"), "x_SkuServiceFamily": family,
        "x_SkuTerm": v("term"),
    })
    return out


def focus_lines(header: str, lines: Iterable[str], mca: bool) -> Iterator[str]:
    """FOCUS CSV text (header first) from cost details CSV ``lines`` under ``header``."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    yield buf.getvalue()
    names = next(csv.reader([header.lstrip("\ufeff")]))
    for line in lines:
        for values in csv.reader([line]):
            buf.seek(0)
            buf.truncate()
            writer.writerow(focus_row(dict(zip(names, values, strict=False)), mca))
            yield buf.getvalue()



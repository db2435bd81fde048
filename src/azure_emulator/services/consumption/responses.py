"""UsageDetail JSON items, ``kind: legacy`` (EA) and ``kind: modern`` (MCA), with the property
names of specs/Microsoft.Consumption/stable/2024-08-01/examples/UsageDetailsList*.json."""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any

from azure_emulator.world.costs import formats
from azure_emulator.world.costs.generate import suffix
from azure_emulator.world.costs.model import MONEY, QTY, CostAccount, Unit


def iso(day_text: str) -> str:
    """``MM/DD/YYYY`` → ``YYYY-MM-DDT00:00:00.0000000Z``."""
    m, d, y = day_text.split("/")
    return f"{y}-{m}-{d}T00:00:00.0000000Z"


def _num(v: int, scale: int = MONEY) -> float:
    return v / scale


def item(account: CostAccount, unit: Unit, fields: dict[str, str], day: date, qty: int, bill: int, usd: int,
         price: int, rep: int, id_prefix: str) -> dict[str, Any]:
    rid = fields["ResourceId"] + suffix(rep) if fields["ResourceId"] else ""
    name = hashlib.sha1(f"{rid}|{fields['MeterId']}|{fields['ChargeType']}|{day}|{rep}".encode()).hexdigest()[:32]
    day_iso = f"{day.isoformat()}T00:00:00.0000000Z"
    common = {
        "billingAccountId": account.id, "billingAccountName": account.display_name,
        "billingPeriodStartDate": iso(fields["BillingPeriodStartDate"]),
        "billingPeriodEndDate": iso(fields["BillingPeriodEndDate"]),
        "billingProfileId": account.profile_id, "billingProfileName": account.profile_name,
        "subscriptionName": fields["SubscriptionName"], "date": day_iso, "meterId": fields["MeterId"],
        "quantity": _num(qty, QTY), "unitPrice": _num(unit.price), "resourceLocation": fields["ResourceLocation"],
        "consumedService": fields["ConsumedService"], "costCenter": fields["CostCenter"],
        "resourceGroup": fields["ResourceGroup"], "isAzureCreditEligible": fields["IsAzureCreditEligible"] == "True",
        "chargeType": fields["ChargeType"], "frequency": fields["Frequency"], "additionalInfo": fields["AdditionalInfo"],
        "serviceInfo1": fields["ServiceInfo1"], "serviceInfo2": fields["ServiceInfo2"],
        "reservationId": fields["ReservationId"], "reservationName": fields["ReservationName"],
        "productOrderId": fields["ProductOrderId"], "productOrderName": fields["ProductOrderName"],
        "publisherName": fields["PublisherName"], "publisherType": fields["PublisherType"], "term": fields["Term"],
        "pricingModel": fields["PricingModel"], "benefitId": fields["benefitId"], "benefitName": fields["benefitName"],
    }
    if account.agreement == "MCA":
        payg_usd = qty * unit.list_price // QTY
        props = {
            **common, "subscriptionGuid": fields["SubscriptionId"], "billingCurrencyCode": account.currency,
            "instanceName": rid, "invoiceSectionId": fields["InvoiceSectionId"],
            "invoiceSectionName": fields["InvoiceSectionName"], "costInBillingCurrency": _num(bill),
            "costInPricingCurrency": _num(usd), "exchangeRate": formats.quantity(account.exchange_rate),
            "exchangeRateDate": iso(fields["exchangeRateDate"]), "invoiceId": fields["invoiceId"], "previousInvoiceId": "",
            "pricingCurrencyCode": "USD", "product": fields["ProductName"], "productIdentifier": fields["ProductId"],
            "resourceLocationNormalized": fields["location"], "servicePeriodStartDate": iso(fields["servicePeriodStartDate"]),
            "servicePeriodEndDate": iso(fields["servicePeriodEndDate"]), "customerTenantId": "", "customerName": "",
            "partnerTenantId": "", "partnerName": "", "resellerMpnId": "", "resellerName": "", "publisherId": fields["publisherId"],
            "marketPrice": _num(unit.list_price), "costInUSD": _num(usd), "paygCostInBillingCurrency":
            _num(payg_usd * account.exchange_rate // QTY), "paygCostInUSD": _num(payg_usd),
            "exchangeRatePricingToBilling": account.exchange_rate / QTY, "partnerEarnedCreditRate": 0,
            "partnerEarnedCreditApplied": "0", "effectivePrice": _num(price),
        }
        kind = "modern"
    else:
        props = {
            **common, "subscriptionId": fields["SubscriptionId"], "accountName": fields["AccountName"],
            "accountOwnerId": fields["AccountOwnerId"], "product": fields["ProductName"], "partNumber": fields["PartNumber"],
            "meterDetails": None, "effectivePrice": _num(price), "cost": _num(bill), "billingCurrency": account.currency,
            "resourceId": rid, "resourceName": fields["ResourceName"] + suffix(rep) if fields["ResourceName"] else "",
            "invoiceSection": fields["InvoiceSectionName"], "offerId": fields["OfferId"], "payGPrice": _num(unit.list_price),
            "planName": fields["PlanName"],
        }
        kind = "legacy"
    out: dict[str, Any] = {"id": f"{id_prefix}/providers/Microsoft.Consumption/usageDetails/{name}", "name": name,
                           "type": "Microsoft.Consumption/usageDetails", "kind": kind}
    if unit.tags:
        out["tags"] = dict(unit.tags)
    out["properties"] = props
    return out

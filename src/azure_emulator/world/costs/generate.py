"""Daily charges of a billing account, derived from the world and streamed.

``build_units`` turns the account's subscriptions and resources into charge *units*
(resource × meter, a reservation, marketplace items); ``iter_charges`` walks days × units
and yields one charge per unit and day — nothing is held in memory beyond the units.

Rules (see docs/emulator.md, "Billing and costs"):

- A day has data once it is over (``day < today`` on the emulator clock) and once the
  resource exists; an account created less than 24 h ago has no data at all.
- Late data: usage of a day keeps arriving for ``late_days`` days; the last days of a
  month stay open until day ``restatement_days`` of the next month. Until a day is
  closed its usage quantities are lower (−0.4 % per pending day), so a report taken
  later restates exactly those days.
- Reservations: usage a reservation covers is priced 0 in actual cost and at the
  reservation's hourly rate in amortized cost; unused hours appear as
  ``UnusedReservation`` rows in amortized cost only; the purchase appears in actual cost
  only (``Purchase``, ``OneTime``). Over the term, amortized = actual exactly.
- Marketplace usage, the monthly SaaS purchase and its refund appear in both.
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from azure_emulator.world.costs import catalog
from azure_emulator.world.costs.model import (
    MONEY,
    MP_PURCHASE,
    MP_REFUND,
    MP_USAGE,
    QTY,
    RESERVED,
    RI_PURCHASE,
    UNUSED,
    USAGE,
    CostAccount,
    CostSettings,
    Reservation,
    Unit,
)
from azure_emulator.world.model import World

# unit, day, qty (1e-6), cost USD, cost in billing currency (1e-8), unit price (1e-8), replica
Charge = tuple[Unit, date, int, int, int, int, int]


def _guid(*parts: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "skytally-emulator-costs|" + "|".join(parts)))


def _money(price: float) -> int:
    return round(price * MONEY)


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def days_in_month(day: date) -> int:
    return (next_month(day) - month_start(day)).days


def build_units(world: World, account: CostAccount, settings: CostSettings) -> list[Unit]:
    """The account's charge units, in a stable order (deterministic for a world)."""
    units: list[Unit] = []
    subs = [s for sid in account.subscription_ids if (s := world.subscription(sid)) is not None]
    vms: list[Unit] = []
    anchor: date | None = None
    for index, sub in enumerate(subs):
        section = account.sections[index % len(account.sections)]
        cost_center = sub.tags.get("CostCenter", "")
        for group in sub.resource_groups.values():
            for res in group.resources.values():
                created = (res.created or datetime(2024, 1, 1, tzinfo=UTC)).date()
                anchor = created if anchor is None or created > anchor else anchor
                for meter, scale in catalog.meters_for(res):
                    list_price = _money(meter.price)
                    unit = Unit(
                        kind=USAGE, subscription_id=sub.subscription_id, subscription_name=sub.display_name,
                        section=section, cost_center=cost_center, resource_id=res.id, resource_name=res.name.split("/")[-1],
                        resource_group=res.resource_group, location=res.location,
                        consumed_service=catalog.CONSUMED_SERVICE.get(res.type, res.type.split("/")[0]),
                        meter=meter, scale=scale, tags=res.tags, start=created, list_price=list_price,
                        price=list_price * account.discount // 100, seed=catalog.hash_unit(res.id, meter.name),
                        additional_info=_additional_info(res.type, meter, res.properties),
                    )
                    units.append(unit)
                    if meter.category == "Virtual Machines" and res.type.endswith("virtualMachines") and "Windows" not in meter.subcategory:
                        vms.append(unit)
    if not subs:
        return units
    anchor = anchor or date(2025, 1, 1)
    first = subs[0]
    _reservation(account, units, vms, anchor)
    _marketplace(account, units, first.subscription_id, first.display_name, anchor)
    return units


def _additional_info(rtype: str, meter: catalog.Meter, props: dict[str, object]) -> str:
    if rtype == "Microsoft.Compute/virtualMachines" and meter.unit == "1 Hour":
        size = catalog.dig(props, "hardwareProfile", "vmSize") or ""
        return json.dumps({"UsageType": "ComputeHR", "ImageType": None, "ServiceType": size, "VMName": None,
                           "VCPUs": 2 if "2" in str(size) else 4}, separators=(",", ":"))
    return ""


def _reservation(account: CostAccount, units: list[Unit], vms: list[Unit], anchor: date) -> None:
    covered = vms[: max(1, len(vms) // 4)] if vms else []
    if not covered:
        return
    order = _guid(account.id, "reservation-order")
    resv = Reservation(order_id=order, reservation_id=_guid(account.id, "reservation"),
                       name=f"VM_RI_{(anchor - timedelta(days=100)).strftime('%m-%d-%Y')}_D2s_v5", capacity=len(covered) + 1,
                       rate=_money(catalog.RESERVATION_METER.price), purchased=anchor - timedelta(days=100),
                       term_days=365)
    for vm in covered:
        vm.kind = RESERVED
        vm.reservation = resv
    first = covered[0]
    for kind in (UNUSED, RI_PURCHASE):
        units.append(replace(first, kind=kind, resource_id="", resource_name="", resource_group="", tags=None,
                             meter=catalog.RESERVATION_METER, consumed_service="Microsoft.Capacity",
                             start=resv.purchased, list_price=resv.rate, price=resv.rate, seed=kind,
                             additional_info="", reservation=resv, templates={}))


def _marketplace(account: CostAccount, units: list[Unit], sub_id: str, sub_name: str, anchor: date) -> None:
    base = units[0] if units else None
    if base is None:
        return
    rg = "rg-observability"
    dd = f"/subscriptions/{sub_id}/resourceGroups/{rg}/providers/Microsoft.Datadog/monitors/datadog-{account.profile_id[:6].lower()}"
    mp = replace(base, kind=MP_USAGE, subscription_id=sub_id, subscription_name=sub_name, resource_id=dd,
                 resource_name=dd.rsplit("/", 1)[-1], resource_group=rg, location="eastus", consumed_service="Microsoft.SaaS",
                 meter=catalog.MARKETPLACE_USAGE, scale=1.0, tags={"app": "observability"}, start=anchor - timedelta(days=400),
                 list_price=_money(catalog.MARKETPLACE_USAGE.price), price=_money(catalog.MARKETPLACE_USAGE.price),
                 seed=catalog.hash_unit(dd), additional_info="", publisher=catalog.MARKETPLACE_PUBLISHER,
                 reservation=None, templates={})
    units.append(mp)
    saas = f"/subscriptions/{sub_id}/resourceGroups/{rg}/providers/Microsoft.SaaS/resources/elastic-{account.profile_id[:6].lower()}"
    price = _money(catalog.SAAS_MONTHLY.price)
    purchase = replace(mp, kind=MP_PURCHASE, resource_id=saas, resource_name=saas.rsplit("/", 1)[-1],
                       meter=catalog.SAAS_MONTHLY, tags=None, list_price=price, price=price,
                       publisher=catalog.SAAS_PUBLISHER, seed=1, templates={})
    units.append(purchase)
    refund_day = month_start(month_start(anchor) - timedelta(days=40)) + timedelta(days=14)
    units.append(replace(purchase, kind=MP_REFUND, start=refund_day, seed=2, templates={}))


def replicas_for(units: list[Unit], settings: CostSettings) -> int:
    """How many copies of each usage unit give ``rows_per_month`` (1: the natural volume).
    Copies ``k >= 1`` are the same resource id with ``-r{k:04d}`` appended (see ``suffix``)."""
    if not settings.rows_per_month or not units:
        return 1
    usage = sum(1 for u in units if u.kind == USAGE) or 1
    other = len(units) - usage
    return max(1, math.ceil((settings.rows_per_month / 30 - other) / usage))


def suffix(rep: int) -> str:
    return f"-r{rep:04d}" if rep else ""


# --- restatement ------------------------------------------------------------------------

def pending_days(day: date, now: datetime, settings: CostSettings) -> int:
    """How many more daily revisions this day's usage will get (0: final)."""
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    close = start + timedelta(days=1 + settings.late_days)
    boundary = datetime.combine(next_month(day), datetime.min.time(), tzinfo=UTC)
    if close >= boundary:
        close = boundary + timedelta(days=settings.restatement_days)
    if now >= close:
        return 0
    return min(10, math.ceil((close - now).total_seconds() / 86400))


def data_end(account: CostAccount, now: datetime) -> date | None:
    """The last day with data (yesterday), or None while the account is younger than 24 h."""
    if now - account.created < timedelta(hours=24):
        return None
    return now.date() - timedelta(days=1)


def iter_charges(account: CostAccount, units: list[Unit], start: date, end: date, metric: str,
                 now: datetime, settings: CostSettings, replicas: int = 1) -> Iterator[Charge]:
    """Charges of days ``start``..``end`` (inclusive) as known at ``now``, day by day."""
    last = data_end(account, now)
    if last is None:
        return
    first_day = max(start, account.created.date())
    end = min(end, last)
    amortized = metric == "AmortizedCost"
    rate = account.exchange_rate
    day = first_day
    while day <= end:
        pending = pending_days(day, now, settings)
        factor = 1000 - 4 * pending
        ordinal = day.toordinal()
        dim = days_in_month(day)
        covered_hours = 0
        for unit in units:
            if day < unit.start:
                continue
            kind = unit.kind
            meter = unit.meter
            price = unit.price
            if kind in (USAGE, MP_USAGE):
                if meter.shape == "hours":
                    qty = int(meter.base * unit.scale * QTY) * factor // 1000
                elif meter.shape == "month":
                    qty = int(unit.scale * QTY) // dim * factor // 1000
                else:
                    mean = meter.base * unit.scale * QTY
                    for rep in range(replicas if kind == USAGE else 1):
                        h = (((unit.seed + rep) ^ (ordinal * 2654435761)) * 2246822519 >> 11) & 0xFFFF
                        qty = int(mean * (0.5 + h / 65536.0)) * factor // 1000
                        usd = qty * price // QTY
                        yield unit, day, qty, usd, usd * rate // QTY, price, rep
                    continue
                usd = qty * price // QTY
                bill = usd * rate // QTY
                for rep in range(replicas if kind == USAGE else 1):
                    yield unit, day, qty, usd, bill, price, rep
                continue
            elif kind == RESERVED:
                resv = unit.reservation
                if resv is None or not resv.active(day):
                    qty = 24 * QTY  # outside the term: on-demand
                    usd = qty * price // QTY
                    yield unit, day, qty, usd, usd * rate // QTY, price, 0
                    continue
                covered_hours += 24
                qty = 24 * QTY
                price = resv.rate if amortized else 0
            elif kind == UNUSED:
                resv = unit.reservation
                if not amortized or resv is None or not resv.active(day):
                    continue
                unused = resv.capacity * 24 - covered_hours
                if unused <= 0:
                    continue
                qty = unused * QTY
                price = resv.rate
            elif kind == RI_PURCHASE:
                resv = unit.reservation
                if amortized or resv is None or day != resv.purchased:
                    continue
                usd = resv.price
                yield unit, day, QTY, usd, usd * rate // QTY, usd, 0
                continue
            elif kind == MP_PURCHASE:
                if day.day != 1:
                    continue
                qty = QTY
            else:  # MP_REFUND
                if day != unit.start:
                    continue
                usd = -(price // 3)
                yield unit, day, QTY, usd, usd * rate // QTY, usd, 0
                continue
            usd = qty * price // QTY
            yield unit, day, qty, usd, usd * rate // QTY, price, 0
        day += timedelta(days=1)

"""Cost data types: accounts as cost generation sees them, settings, and charge units.

Money is integers: prices and costs in 1e-8 of a currency unit, quantities in 1e-6, an
exchange rate in 1e-6. Every figure in a file or an API answer is formatted from those
integers, so the sum of a report equals the control API's truth exactly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

from azure_emulator.world.costs.catalog import Meter

Compiled = tuple[tuple[str, ...], Callable[[tuple[str, ...], tuple[str, ...]], str]]
MONEY = 10**8  # 1e-8 currency units
QTY = 10**6  # 1e-6 quantity units
Agreement = Literal["EA", "MCA"]
Metric = Literal["ActualCost", "AmortizedCost"]

# Unit kinds
USAGE = 0  # on-demand usage (Azure)
RESERVED = 1  # usage covered by a reservation
UNUSED = 2  # unused reservation hours (amortized only)
RI_PURCHASE = 3  # reservation purchase (actual only)
MP_USAGE = 4  # marketplace usage
MP_PURCHASE = 5  # marketplace monthly SaaS purchase
MP_REFUND = 6  # marketplace refund (one, two months before the anchor)


@dataclass(frozen=True, slots=True)
class Section:
    """An EA department or an MCA invoice section."""

    id: str
    name: str


@dataclass(slots=True)
class CostAccount:
    """A billing account as the cost generator sees it (built by the costmanagement service
    from the billing service's accounts)."""

    id: str  # billing account name: "7137280" (EA) or "guid:guid_2019-05-31" (MCA)
    agreement: Agreement
    display_name: str
    currency: str  # billing currency
    created: datetime
    profile_id: str  # EA: the enrollment number; MCA: the billing profile id
    profile_name: str
    sections: list[Section]
    exchange_rate: int = QTY  # pricing currency (USD) → billing currency, 1e-6 units
    discount: int = 100  # negotiated price in percent of the list price
    enrollment_account: tuple[str, str] = ("", "")  # EA: (account name, owner e-mail)
    subscription_ids: list[str] = field(default_factory=list)

    @property
    def scope(self) -> str:
        return f"/providers/Microsoft.Billing/billingAccounts/{self.id}"


@dataclass
class CostSettings:
    """Knobs the control API changes (``/_emulator/costs/config``)."""

    restatement_days: int = 5  # the previous month stays open until this day of the next one
    late_days: int = 2  # usage of a day keeps arriving (and changing) for this many days
    rows_per_month: int = 0  # 0: the world's natural volume; N: at least N rows a month per account
    report_delay_seconds: float = 0.0  # emulator-clock seconds before a report is ready
    retry_after_seconds: int = 1  # Retry-After on 202 answers (Azure sends 60)
    blob_max_bytes: int = 256 * 1024 * 1024  # a report is split into blobs of at most this size
    sas_validity_seconds: int = 3600  # manifest validTill / SAS se
    compress: bool = False  # gzip the report blobs (compressData: true)
    scope_calls_per_minute: int = 30  # Cost Details rate limit per scope and caller
    tenant_calls_per_minute: int = 200  # … per tenant and caller
    # billing account id → {"created": iso, "currency": "EUR"} overrides
    accounts: dict[str, dict[str, str]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Reservation:
    order_id: str
    reservation_id: str
    name: str
    capacity: int  # instances
    rate: int  # amortized price per hour (USD, 1e-8)
    purchased: date
    term_days: int

    @property
    def arm_id(self) -> str:
        return f"/providers/Microsoft.Capacity/reservationOrders/{self.order_id}/reservations/{self.reservation_id}"

    @property
    def price(self) -> int:
        return self.rate * self.capacity * 24 * self.term_days

    def active(self, day: date) -> bool:
        return 0 <= (day - self.purchased).days < self.term_days


@dataclass(slots=True)
class Unit:
    """One stream of daily charges: a resource × meter (or a reservation / marketplace item)."""

    kind: int
    subscription_id: str
    subscription_name: str
    section: Section
    cost_center: str
    resource_id: str
    resource_name: str
    resource_group: str
    location: str
    consumed_service: str
    meter: Meter
    scale: float
    tags: dict[str, str] | None
    start: date
    list_price: int  # USD 1e-8 per unit
    price: int  # negotiated USD 1e-8 per unit
    seed: int
    additional_info: str = ""
    publisher: tuple[str, str, str] = ("", "", "")  # name, id, plan
    reservation: Reservation | None = None
    # compiled row templates (static parts, joiner) keyed by (layout, period, invoice, reserved)
    templates: dict[tuple[str, str, str, str], Compiled] = field(default_factory=dict)

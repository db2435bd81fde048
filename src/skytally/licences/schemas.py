"""Pydantic I/O of the licences capability."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator

from skytally.licences.models import LicenceImport


class ImportOut(BaseModel):
    account_id: int
    status: str
    started_at: datetime | None = None
    finished_at: datetime | None = None
    endpoints: dict[str, Any] = Field(default_factory=dict)
    sign_in: str = "unknown"
    names_concealed: bool | None = None
    report_date: date | None = None
    message: str = ""

    @classmethod
    def of(cls, row: LicenceImport) -> ImportOut:
        return cls(account_id=row.account_id, status=row.status, started_at=row.started_at, finished_at=row.finished_at,
                   endpoints=dict(row.endpoints or {}), sign_in=row.sign_in, names_concealed=row.names_concealed,
                   report_date=row.report_date, message=row.message)


class PriceIn(BaseModel):
    sku_id: str
    amount: Decimal = Field(ge=0, max_digits=14, decimal_places=4)
    currency: str = Field(min_length=3, max_length=3)
    term: Literal["monthly", "annual"] = "monthly"

    @field_validator("currency")
    @classmethod
    def _upper(cls, v: str) -> str:
        if not v.isalpha():
            raise ValueError("currency must be a three-letter ISO 4217 code such as EUR or USD")
        return v.upper()


class PriceOut(BaseModel):
    sku_id: str
    amount: Decimal
    currency: str
    term: str
    monthly: Decimal  # per user per month
    entered_by: str
    entered_at: datetime


class SkuOut(BaseModel):
    sku_id: str
    part_number: str
    name: str
    named_by: Literal["microsoft-table", "graph"]  # where the name comes from
    capability_status: str
    purchased: int  # prepaid enabled units
    warning: int
    suspended: int
    assigned: int  # consumedUnits
    unassigned: int
    active_30: int | None  # None: cannot be known (see `activity_basis`)
    active_90: int | None
    active_custom: int | None
    activity_basis: str  # "sign-in", "workload activity", "report aggregates (names concealed)", "unknown"
    price: PriceOut | None = None
    monthly_cost: Decimal | None = None  # assigned × monthly price


class UserLicenceOut(BaseModel):
    object_id: str
    upn: str
    display_name: str
    department: str
    account_enabled: bool
    user_type: str
    skus: list[str]
    last_sign_in: datetime | None
    last_activity: date | None
    mailbox_type: str


class Finding(BaseModel):
    rule: str
    object_id: str = ""
    upn: str = ""
    display_name: str = ""
    department: str = ""
    sku_id: str
    sku_name: str
    units: int = 1
    detail: str
    monthly_waste: Decimal | None = None
    currency: str | None = None


class RuleOut(BaseModel):
    id: str
    title: str
    explanation: str
    status: Literal["evaluated", "unknown"]
    unknown_reason: str = ""
    findings: int
    units: int
    monthly_waste: dict[str, Decimal] = Field(default_factory=dict)  # currency → amount
    unpriced_units: int = 0


class CostLine(BaseModel):
    key: str
    currency: str
    monthly: Decimal
    licences: int


class LicenceReport(BaseModel):
    account_id: int
    account_name: str
    imported: ImportOut | None
    knowledge: list[str]  # what cannot be known, in words
    catalogue: str
    inactive_days: int
    active_days: int
    skus: list[SkuOut]
    rules: list[RuleOut]
    findings: list[Finding]
    cost_by_department: list[CostLine]
    cost_by_group: list[CostLine]
    cost_by_sku: list[CostLine]
    monthly_waste: dict[str, Decimal]
    unpriced_skus: list[str]

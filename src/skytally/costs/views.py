"""Pydantic shapes of the costs interfaces (API responses, page data), and exact JSON.

Money is exact: `dumps` writes Decimals as JSON numbers with every digit (no float
rounding), which is what the CLI and the API answer with.
"""

from __future__ import annotations

import json
import math
from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field

from skytally.accounts.service import CloudAccount
from skytally.costs.ingest import INTERRUPTED, STALE
from skytally.costs.models import CostImport
from skytally.costs.schemas import money
from skytally.store.base import utcnow


def _plain(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="python")
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def _encode(value: Any, indent: int | None, level: int, out: list[str]) -> None:
    """JSON of `value` into `out`: Decimals as numbers with every digit, non-finite
    numbers (no JSON for them) as null, anything else as json.dumps would with
    `default=_plain`."""
    if isinstance(value, Decimal):
        out.append(format(money(value), "f") if value.is_finite() else "null")
    elif isinstance(value, float):
        out.append(json.dumps(value) if math.isfinite(value) else "null")
    elif value is None or isinstance(value, (str, int, bool)):
        out.append(json.dumps(value))
    elif isinstance(value, dict | list | tuple):
        items = list(value.items()) if isinstance(value, dict) else list(value)
        opening, closing = ("{", "}") if isinstance(value, dict) else ("[", "]")
        if not items:
            out.append(opening + closing)
            return
        inner = "" if indent is None else "\n" + " " * (indent * (level + 1))
        sep = ", " if indent is None else "," + inner
        out.append(opening + inner)
        for i, item in enumerate(items):
            if i:
                out.append(sep)
            if isinstance(value, dict):
                key, item = item
                out.append(json.dumps(key if isinstance(key, str) else _key(key)) + ": ")
            _encode(item, indent, level + 1, out)
        out.append(("" if indent is None else "\n" + " " * (indent * level)) + closing)
    else:
        _encode(_plain(value), indent, level, out)


def _key(key: Any) -> str:
    if isinstance(key, Decimal):
        return format(money(key), "f") if key.is_finite() else str(key)
    return json.dumps(key) if isinstance(key, (int, float, bool)) or key is None else str(key)


def dumps(value: Any, indent: int | None = None) -> str:
    """JSON with Decimals as exact numbers."""
    out: list[str] = []
    _encode(value, indent, 0, out)
    return "".join(out)


def jsonable(value: Any) -> Any:
    """Plain data (Decimals exact) for templates' JSON blocks."""
    return json.loads(dumps(value))


class ScopeOut(BaseModel):
    billing_account_id: str = Field(description="EA enrollment, MCA billing account, subscription (pay-as-you-go) or the id given to imported files")
    name: str
    kind: str = Field(description="EA, MCA, Pay-as-you-go or Imported files")
    account_id: int | None = None
    account_name: str | None = None


class ImportStatusOut(BaseModel):
    account_id: int
    account_name: str
    source: str = Field(description="ea_token (legacy EA API), billing_account (Cost Details API) or subscription")
    scope_id: str = Field(description="The billing account (or subscription) the costs are stored under")
    scope_name: str
    billing_period: str | None = Field(default=None, description="YYYY-MM")
    status: str = Field(description="ok, waiting (for first billing data), failed, running or never")
    message: str = ""
    rows: int = 0
    currency: str | None = None
    BilledCost: str | None = Field(default=None, description="Exact decimal, billing currency")
    EffectiveCost: str | None = None
    last_attempt_at: datetime | None = None
    last_success_at: datetime | None = None

    @classmethod
    def of(cls, account: CloudAccount, row: CostImport) -> ImportStatusOut:
        status, message = row.status, row.message
        if status == "running" and row.last_attempt_at is not None and row.last_attempt_at < utcnow() - STALE:
            status, message = "failed", INTERRUPTED  # until the next import run records it
        return cls(account_id=account.id, account_name=account.name, source=row.source, scope_id=row.scope_id,
                   scope_name=row.scope_name, billing_period=row.billing_period, status=status,
                   message=message, rows=row.rows, currency=row.currency,
                   BilledCost=row.billed_cost or None, EffectiveCost=row.effective_cost or None,
                   last_attempt_at=row.last_attempt_at, last_success_at=row.last_success_at)


class CostTotals(BaseModel):
    BilledCost: float = Field(description="Exact decimal number (JSON number with every digit)")
    EffectiveCost: float


class CostQueryOut(BaseModel):
    currency: str | None = Field(description="Billing currency of every amount")
    rows: list[dict[str, Any]] = Field(description="One object per group (and date with a granularity): the dimension values, `date`, BilledCost, EffectiveCost")
    total: CostTotals


class UntaggedReason(BaseModel):
    reason: str = Field(description="untaggable_type, purchase, reservation, marketplace, resource_gone, key_missing, no_tags, …")
    rows: int
    BilledCost: float
    EffectiveCost: float


class UntaggedOut(BaseModel):
    currency: str | None
    tag_key: str | None = Field(description="The tag key asked about (lower-cased); null = any tag")
    total: CostTotals
    untagged: CostTotals
    share: float = Field(description="Untagged EffectiveCost / total EffectiveCost")
    reasons: list[UntaggedReason]


class PeriodOut(BaseModel):
    billing_account: str
    billing_period: str
    source: dict[str, Any] = Field(default_factory=dict, description="The scope the period was imported from: kind (mca_billing_account, ea_enrollment_sp, ea_enrollment_key, billing_profile, invoice_section, subscription, file, unknown), kind_label, name")
    used: str = Field(default="all", description="all: every row counts; part: some subscriptions are covered by another source; none: another source covers all of it")
    import_id: str | None = None
    imported_at: str | None = None
    totals: list[dict[str, Any]] = Field(default_factory=list)
    files: list[Any] = Field(default_factory=list)
    superseded: list[dict[str, Any]] = Field(default_factory=list, description="Imports of another kind of source for the same billing account and period that the store did not keep")
    subscriptions: list[dict[str, Any]] = Field(default_factory=list, description="Per subscription (or billing-level charges): counted, or covered_by the source that counts instead, with rows and totals")


class SourceChoiceOut(BaseModel):
    billing_period: str
    subscription: str | None = Field(description="Subscription GUID (lower case); null for billing-level charges")
    coverage_key: str
    subscription_name: str | None = None
    used: dict[str, Any] = Field(description="The source whose rows count: billing_account (store key), kind, kind_label, name, rows, totals")
    skipped: list[dict[str, Any]] = Field(description="Sources holding the same charges, not counted, with the reason")

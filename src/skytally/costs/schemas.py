"""Inputs and results of the cost service (Pydantic). Money is `Decimal` (exact);
`model_dump()` gives the shapes the CLI and the API expose, amounts normalised by `money`
(`views.dumps` writes them as JSON numbers with every digit)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Context, Decimal
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import quote, unquote

from pydantic import BaseModel, Field, PlainSerializer

BadRowPolicy = Literal["reject", "quarantine"]
Granularity = Literal["day", "month"]
Metric = Literal["BilledCost", "EffectiveCost"]

ZERO = Decimal(0)
_EXACT = Context(prec=80)


def encode_value(value: str) -> str:
    """Partition value as a directory name (percent-encoding, as DuckDB and Hive do)."""
    return quote(value, safe="-_.@~ ").replace(" ", "%20")


def decode_value(name: str) -> str:
    return unquote(name)


@dataclass(frozen=True)
class PeriodKey:
    """A partition of the store: one billing account's billing period. A hashable key the
    import engine builds per batch, not an input or a result: a plain frozen dataclass."""

    billing_account: str
    billing_period: str

    @property
    def relpath(self) -> Path:
        return Path(f"billing_account={encode_value(self.billing_account)}") / (
            f"billing_period={encode_value(self.billing_period)}"
        )


def money(v: Decimal | None) -> Decimal | None:
    """Normalise a DECIMAL(38,18) value for display (trailing zeros removed, exact)."""
    if v is None or not v.is_finite():
        return v
    q = v.normalize(_EXACT)  # the default context (28 digits) would round
    return q.quantize(Decimal(1), context=_EXACT) if q == q.to_integral_value(context=_EXACT) else q


# An amount in a result: exact, dumped normalised (trailing zeros removed).
Money = Annotated[Decimal, PlainSerializer(money)]
Totals = dict[str, Money]  # {"BilledCost": ..., "EffectiveCost": ...}


class RejectedRow(BaseModel):
    file: str
    line: int
    error: str
    BilledCost: Money | None  # None when the amount itself could not be read


class FileReport(BaseModel):
    path: str
    layout: str
    kind: str
    format: str
    bytes: int
    rows: int = 0
    rejected_rows: int = 0
    rejected_BilledCost: Money = ZERO
    note: str | None = None
    reader: str = "exact"  # "fast" (costs/store/fast.py) or "exact" (DuckDB's reader)


class PeriodReport(BaseModel):
    billing_account: str
    billing_period: str
    currency: str | None
    rows: int
    BilledCost: Money
    EffectiveCost: Money


class ImportResult(BaseModel):
    # field order = the order of the CLI's and the jobs' JSON
    rows: int
    BilledCost: Money | None  # None when the import spans several currencies
    EffectiveCost: Money | None
    rejected_rows: int
    rejected_BilledCost: Money
    currency: str | None
    files: list[FileReport]
    import_id: str
    periods: list[PeriodReport]
    by_currency: dict[str, dict[str, Money | int]] = Field(default_factory=dict)  # rows, BilledCost, EffectiveCost
    rejected: list[RejectedRow] = Field(default_factory=list)  # first 1000
    quarantine: str | None = None
    warnings: list[str] = Field(default_factory=list)
    # periods not stored: a higher-ranked source holds them (coverage.py)
    skipped: list[dict[str, Any]] = Field(default_factory=list)


class CostQuery(BaseModel):
    """What to total. `billing_accounts` is the caller's scope (workspace): only those
    accounts are read, whatever the other fields say."""

    billing_accounts: list[str]
    start: date | None = None  # ChargePeriodStart >= start
    end: date | None = None  # ChargePeriodStart < end
    group_by: list[str] = Field(default_factory=list)  # FOCUS columns or "tag:<key>"
    granularity: Granularity | None = None  # adds a "date" key per row
    filters: dict[str, list[str | None]] = Field(default_factory=dict)  # dim -> allowed values
    currency: str | None = None
    top: int | None = None  # keep the top N groups by `order_by`, fold the rest into "Other"
    order_by: Metric = "EffectiveCost"


class QueryResult(BaseModel):
    currency: str | None
    # per group (and date): the dimension values, "date", BilledCost, EffectiveCost (Decimal)
    rows: list[dict[str, Any]]
    total: Totals
    dimensions: list[str] = Field(default_factory=list, exclude=True)


class UntaggedReason(BaseModel):
    reason: str
    rows: int
    BilledCost: Money
    EffectiveCost: Money


class UntaggedResult(BaseModel):
    currency: str | None
    tag_key: str | None
    total: Totals
    untagged: Totals
    share: float  # untagged EffectiveCost / total EffectiveCost (0 when total is 0)
    reasons: list[UntaggedReason]

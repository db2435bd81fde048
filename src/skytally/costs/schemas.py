"""Inputs and results of the cost service. Money is `Decimal` (exact); `to_dict()` gives
the shapes the CLI and the API expose."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Context, Decimal
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote, unquote

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
    """A partition of the store: one billing account's billing period."""

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


@dataclass
class RejectedRow:
    file: str
    line: int
    error: str
    BilledCost: Decimal | None  # None when the amount itself could not be read

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "error": self.error,
                "BilledCost": money(self.BilledCost)}


@dataclass
class FileReport:
    path: str
    layout: str
    kind: str
    format: str
    bytes: int
    rows: int = 0
    rejected_rows: int = 0
    rejected_BilledCost: Decimal = ZERO
    note: str | None = None
    reader: str = "exact"  # "fast" (costs/store/fast.py) or "exact" (DuckDB's reader)

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "layout": self.layout, "kind": self.kind,
                "format": self.format, "bytes": self.bytes, "rows": self.rows,
                "rejected_rows": self.rejected_rows,
                "rejected_BilledCost": money(self.rejected_BilledCost), "note": self.note,
                "reader": self.reader}


@dataclass
class PeriodReport:
    billing_account: str
    billing_period: str
    currency: str | None
    rows: int
    BilledCost: Decimal
    EffectiveCost: Decimal

    def to_dict(self) -> dict[str, Any]:
        return {"billing_account": self.billing_account, "billing_period": self.billing_period,
                "currency": self.currency, "rows": self.rows,
                "BilledCost": money(self.BilledCost), "EffectiveCost": money(self.EffectiveCost)}


@dataclass
class ImportResult:
    import_id: str
    rows: int
    BilledCost: Decimal | None  # None when the import spans several currencies
    EffectiveCost: Decimal | None
    rejected_rows: int
    rejected_BilledCost: Decimal
    currency: str | None
    files: list[FileReport]
    periods: list[PeriodReport]
    by_currency: dict[str, dict[str, Decimal | int]] = field(default_factory=dict)
    rejected: list[RejectedRow] = field(default_factory=list)  # first 1000
    quarantine: str | None = None
    warnings: list[str] = field(default_factory=list)
    # periods not stored: a higher-ranked source holds them (coverage.py)
    skipped: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "BilledCost": money(self.BilledCost),
            "EffectiveCost": money(self.EffectiveCost),
            "rejected_rows": self.rejected_rows,
            "rejected_BilledCost": money(self.rejected_BilledCost),
            "currency": self.currency,
            "files": [f.to_dict() for f in self.files],
            "import_id": self.import_id,
            "periods": [p.to_dict() for p in self.periods],
            "by_currency": {c: {k: (money(v) if isinstance(v, Decimal) else v) for k, v in d.items()}
                            for c, d in self.by_currency.items()},
            "rejected": [r.to_dict() for r in self.rejected],
            "quarantine": self.quarantine,
            "warnings": self.warnings,
            "skipped": self.skipped,
        }


@dataclass
class CostQuery:
    """What to total. `billing_accounts` is the caller's scope (workspace): only those
    accounts are read, whatever the other fields say."""

    billing_accounts: list[str]
    start: date | None = None  # ChargePeriodStart >= start
    end: date | None = None  # ChargePeriodStart < end
    group_by: list[str] = field(default_factory=list)  # FOCUS columns or "tag:<key>"
    granularity: Granularity | None = None  # adds a "date" key per row
    filters: dict[str, list[str | None]] = field(default_factory=dict)  # dim -> allowed values
    currency: str | None = None
    top: int | None = None  # keep the top N groups by `order_by`, fold the rest into "Other"
    order_by: Metric = "EffectiveCost"


@dataclass
class QueryResult:
    currency: str | None
    rows: list[dict[str, Any]]
    total: dict[str, Decimal]
    dimensions: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "currency": self.currency,
            "rows": [{k: (money(v) if isinstance(v, Decimal) else v) for k, v in r.items()}
                     for r in self.rows],
            "total": {k: money(v) for k, v in self.total.items()},
        }


@dataclass
class UntaggedResult:
    currency: str | None
    tag_key: str | None
    total: dict[str, Decimal]
    untagged: dict[str, Decimal]
    share: float  # untagged EffectiveCost / total EffectiveCost (0 when total is 0)
    reasons: list[dict[str, Any]]  # {"reason", "rows", "BilledCost", "EffectiveCost"}

    def to_dict(self) -> dict[str, Any]:
        return {
            "currency": self.currency,
            "tag_key": self.tag_key,
            "total": {k: money(v) for k, v in self.total.items()},
            "untagged": {k: money(v) for k, v in self.untagged.items()},
            "share": self.share,
            "reasons": [{k: (money(v) if isinstance(v, Decimal) else v) for k, v in r.items()}
                        for r in self.reasons],
        }

"""One truth per charge: which stored source counts for each (subscription, billing period).

The same charge can reach the store through overlapping scopes: an MCA billing account
and the pay-as-you-go imports of its subscriptions, an EA enrollment through its API key
and through a service principal, a file a user imports for an account skytally also
reads through the API. Each stored partition (billing account key, billing period)
records in its manifest *what scope* it was imported from (`source.kind`) and *what it
covers*: rows and totals per coverage key — the subscription id of each row, or, for
charges without a subscription (billing-level purchases), `billing:<invoice section,
billing profile or billing account>`.

For every (billing period, coverage key) in a read's scope exactly one partition is
authoritative: the widest billing scope first, then the most complete (the kind of
source: API reports with actual and amortized cost before the legacy EA usage
download before user files; then more rows), then the newest import. The others'
rows of that key are not counted (`Resolution.keep`), and `Resolution.choices` says,
per subscription and period, which source was used and which were skipped.

Two imports of the *same* partition (e.g. an enrollment read by API key and by service
principal, or a file for a billing account also imported by API) cannot both be
stored: the store keeps the higher-ranked one (`outranks`, applied when an import
commits: `settle`; a re-import of the same kind always replaces) and notes the other as
superseded in the manifest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from .schemas import PeriodKey

# kind: (label, width of the billing scope, completeness of the source path)
KINDS: dict[str, tuple[str, int, int]] = {
    "mca_billing_account": ("MCA billing account", 4, 3),
    "ea_enrollment_sp": ("EA enrollment (service principal)", 4, 3),
    "ea_enrollment_key": ("EA enrollment (API key)", 4, 2),
    "billing_profile": ("MCA billing profile", 3, 3),
    "invoice_section": ("MCA invoice section", 2, 3),
    "subscription": ("Pay-as-you-go subscription", 1, 3),
    "file": ("Imported file", 4, 1),
    "unknown": ("Imported before sources were recorded", 4, 0),
}
FILE = "file"

# The coverage key of a stored row (SQL over store columns): the subscription GUID in lower
# case, or for charges without a subscription the narrowest billing scope they name.
KEY_SQL = (
    "CASE WHEN nullif(SubAccountId, '') IS NOT NULL "
    "THEN lower(regexp_replace(SubAccountId, '^/subscriptions/', '')) "
    "ELSE 'billing:' || coalesce(nullif(x_InvoiceSectionId, ''), nullif(x_BillingProfileId, ''), "
    "nullif(x_BillingAccountId, ''), nullif(BillingAccountId, ''), '') END"
)
COVERAGE_SQL = (
    f"SELECT {KEY_SQL} AS k, any_value(SubAccountName) AS name, BillingCurrency AS currency, "
    "count(*) AS n, sum(BilledCost) AS billed, sum(EffectiveCost) AS effective "
    "FROM read_parquet($files, union_by_name = true) GROUP BY ALL ORDER BY 1, 3"
)


def kind_of(value: str | None) -> str:
    return value if value in KINDS else "unknown"


def label(kind: str) -> str:
    return KINDS[kind_of(kind)][0]


def coverage_from_rows(rows: list[tuple[Any, ...]]) -> dict[str, dict[str, Any]]:
    """COVERAGE_SQL's rows as the manifest's `coverage` map."""
    out: dict[str, dict[str, Any]] = {}
    for key, name, currency, n, billed, effective in rows:
        item = out.setdefault(str(key), {"name": name, "rows": 0, "totals": []})
        item["name"] = item["name"] or name
        item["rows"] += int(n)
        item["totals"].append({"currency": currency, "rows": int(n),
                               "BilledCost": format(Decimal(billed or 0).normalize(), "f"),
                               "EffectiveCost": format(Decimal(effective or 0).normalize(), "f")})
    return out


@dataclass
class Partition:
    """What resolution needs of one stored partition."""

    key: PeriodKey
    kind: str
    name: str
    import_id: str
    imported_at: str
    coverage: dict[str, dict[str, Any]]

    @property
    def width(self) -> int:
        return KINDS[kind_of(self.kind)][1]

    def rank(self, cov_key: str) -> tuple[int, int, int, str, str]:
        rows = int(self.coverage.get(cov_key, {}).get("rows", 0))
        return (self.width, KINDS[kind_of(self.kind)][2], rows, self.imported_at, self.key.billing_account)

    def describe(self) -> dict[str, Any]:
        return {"billing_account": self.key.billing_account, "kind": self.kind, "kind_label": label(self.kind),
                "name": self.name, "import_id": self.import_id, "imported_at": self.imported_at}


def outranks(live: dict[str, Any], new: dict[str, Any]) -> bool:
    """Same partition, two imports: True when the live one must stay (a different kind of
    source ranked higher). The same kind always replaces (a re-import)."""
    lk, nk = kind_of(_kind(live)), kind_of(_kind(new))
    if lk == nk:
        return False
    lrank, nrank = KINDS[lk][1:], KINDS[nk][1:]
    if lrank != nrank:
        return lrank > nrank
    return _rows(live) > _rows(new)


@dataclass(frozen=True)
class Settled:
    """Which of two imports of one period the store keeps, and with what manifest."""

    replace: bool  # True: the new import goes in place; False: the stored one stays
    manifest: dict[str, Any]  # the manifest of the import kept, its `superseded` noted


def settle(live: dict[str, Any] | None, new: dict[str, Any]) -> Settled:
    """A stored period (`live`, None if there is none) and a new import of it (`new`):
    the stored one stays when a higher-ranked kind of source imported it (`outranks`),
    noting the new import on it as superseded; otherwise the new one replaces it, carrying
    the imports the stored one superseded and, if of another kind, the stored one itself.
    One entry per kind of source, never of the kind kept. The manifests are not changed."""
    if live is None:
        return Settled(replace=True, manifest=new)
    if outranks(live, new):
        return Settled(replace=False, manifest={**live, "superseded": _noted(live.get("superseded"), new)})
    kind = _kind(new)
    carried = _noted(live.get("superseded"), live if _kind(live) != kind else None)
    carried = [e for e in carried if e.get("kind") != kind]
    return Settled(replace=True, manifest={**new, "superseded": carried} if carried else new)


def _noted(entries: object, manifest: dict[str, Any] | None) -> list[dict[str, Any]]:
    """A manifest's `superseded` entries with `manifest`'s import (if any) as the one entry
    of its kind of source."""
    items = [e for e in (entries if isinstance(entries, list) else []) if isinstance(e, dict)]
    if manifest is None:
        return items
    src = source_of(manifest)
    return [*(e for e in items if e.get("kind") != src["kind"]),
            {"kind": src["kind"], "name": src["name"], "import_id": manifest.get("import_id"),
             "imported_at": manifest.get("imported_at"), "totals": manifest.get("totals", [])}]


def source_of(manifest: dict[str, Any] | None) -> dict[str, str]:
    """A manifest's source: {"kind": a KINDS key, "name": ...}."""
    src = (manifest or {}).get("source")
    if not isinstance(src, dict):
        return {"kind": "unknown", "name": ""}
    return {"kind": kind_of(str(src.get("kind"))), "name": str(src.get("name") or "")}


def _kind(manifest: dict[str, Any]) -> str:
    return source_of(manifest)["kind"]


def _rows(manifest: dict[str, Any]) -> int:
    return sum(int(t.get("rows", 0)) for t in manifest.get("totals", []) if isinstance(t, dict))


@dataclass
class Choice:
    """One (billing period, coverage key): the partition whose rows count, and the others."""

    period: str
    key: str
    name: str | None
    used: Partition
    skipped: list[Partition] = field(default_factory=list)

    def describe(self) -> dict[str, Any]:
        """The choice as the API's and the CLI's `sources` show it (SourceChoiceOut): each
        partition described with its rows and totals for this coverage key."""

        def with_totals(p: Partition) -> dict[str, Any]:
            cov = p.coverage.get(self.key, {})
            return {**p.describe(), "rows": cov.get("rows", 0), "totals": cov.get("totals", [])}

        used = with_totals(self.used)
        return {
            "billing_period": self.period,
            "subscription": None if self.key.startswith("billing:") else self.key,
            "coverage_key": self.key,
            "subscription_name": self.name,
            "used": used,
            "skipped": [{**with_totals(p), "reason": f"covered by {label(self.used.kind)} "
                                                     f"{self.used.name or self.used.key.billing_account}"}
                        for p in self.skipped],
        }


@dataclass
class Resolution:
    # per partition in scope: None = all its rows count; a set = its rows of these coverage
    # keys do not count (another partition covers them); partitions that count for nothing
    # are absent
    keep: dict[PeriodKey, frozenset[str] | None]
    choices: list[Choice]

    @property
    def partial(self) -> dict[PeriodKey, frozenset[str]]:
        return {k: v for k, v in self.keep.items() if v}


def resolve(parts: list[Partition]) -> Resolution:
    """Choose one partition per (billing period, coverage key)."""
    by_period: dict[str, list[Partition]] = {}
    for p in parts:
        by_period.setdefault(p.key.billing_period, []).append(p)
    keep: dict[PeriodKey, frozenset[str] | None] = {}
    choices: list[Choice] = []
    for period in sorted(by_period):
        members = by_period[period]
        skipped_keys: dict[PeriodKey, set[str]] = {p.key: set() for p in members}
        used_any: set[PeriodKey] = set()
        empty = [p for p in members if not p.coverage]
        used_any.update(p.key for p in empty)  # nothing to choose between (no rows)
        for cov_key in sorted({k for p in members for k in p.coverage}):
            cands = [p for p in members if cov_key in p.coverage]
            best = max(cands, key=lambda p: p.rank(cov_key))
            used_any.add(best.key)
            others = [p for p in cands if p is not best]
            for o in others:
                skipped_keys[o.key].add(cov_key)
            name = next((p.coverage[cov_key].get("name") for p in cands if p.coverage[cov_key].get("name")), None)
            choices.append(Choice(period, cov_key, name, best, sorted(others, key=lambda p: p.rank(cov_key),
                                                                      reverse=True)))
        for p in members:
            if p.key not in used_any:
                continue
            skip = skipped_keys[p.key]
            keep[p.key] = frozenset(skip) if skip else None
    return Resolution(keep, choices)

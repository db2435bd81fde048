"""The cost service: the one entry point interfaces (CLI, API, web, jobs) use.

    store = CostStore(settings.data_dir / "costs")
    result = store.import_files([path], on_bad_rows="quarantine", progress=bar.update)
    store.query(CostQuery(billing_accounts=scope, group_by=["ServiceName"], top=10))

Scoping: every read takes the caller's allowed billing account ids; workspace rules are
applied by the caller. Nothing here knows about HTTP, Typer or the app database.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from datetime import date
from pathlib import Path
from typing import Any, Literal

from skytally.errors import InvalidInput

from .coverage import label, source_of
from .dimensions import dimensions
from .query import QueryService
from .schemas import ZERO, BadRowPolicy, CostQuery, ImportResult, QueryResult, UntaggedResult
from .store.detect import Kind, detect
from .store.importer import Importer, MalformedRows, ProgressCallback
from .store.storage import PeriodKey, StoreLayout

__all__ = ["CostStore", "MalformedRows", "open_store"]


class CostStore:
    """A FOCUS 1.2 cost store rooted at `root` (created if missing). Opening it finishes
    or discards imports a crashed process left behind. `fast_reader=False`: imports read
    every file with DuckDB's reader, never the CSV fast reader (to compare the two)."""

    def __init__(self, root: Path | str, *, memory_limit: str = "1GB",
                 threads: int | None = None, fast_reader: bool = True) -> None:
        self.layout = StoreLayout(Path(root))
        self.recovered = self.layout.recover()
        self._importer = Importer(self.layout, memory_limit=memory_limit, threads=threads,
                                  fast_reader=fast_reader)
        self._queries: QueryService | None = None

    @property
    def root(self) -> Path:
        return self.layout.root

    @property
    def _q(self) -> QueryService:
        if self._queries is None:
            self._queries = QueryService(self.layout)
        return self._queries

    def close(self) -> None:
        if self._queries is not None:
            self._queries.close()
            self._queries = None

    # -- import --------------------------------------------------------------------
    def detect(self, path: Path | str) -> dict[str, Any]:
        """What a file is, without importing it."""
        src = detect(Path(path))
        return {"path": str(src.path), "layout": src.layout.name, "title": src.layout.title,
                "kind": src.kind, "format": src.format, "compression": src.compression,
                "columns": len(src.header), "bytes": src.size}

    def import_files(
        self,
        paths: Sequence[Path | str],
        *,
        billing_account_id: str | None = None,
        currency: str | None = None,
        dataset: Kind | None = None,
        on_bad_rows: BadRowPolicy = "reject",
        progress: ProgressCallback | None = None,
        source_kind: str = "file",
        source_name: str = "",
    ) -> ImportResult:
        """Import cost files; each (billing account, billing period) they contain replaces
        that period in the store atomically.

        billing_account_id: store the rows under this account instead of the one in the
            file (required for files without one, e.g. legacy EA usage details).
        currency: billing currency for files that carry none (legacy EA usage details).
        dataset: "actual" or "amortized" when neither the file name nor the data says.
            Give an actual and an amortized file of the same period together: the store
            then keeps Microsoft's FOCUS combination (all amortized rows + commitment
            purchases from the actual data), so BilledCost and EffectiveCost are both right.
        on_bad_rows: "reject" (nothing is imported; MalformedRows lists file:line) or
            "quarantine" (good rows imported, bad ones written to quarantine/ and reported).
        progress: called with (bytes done, bytes total).
        source_kind: the scope the files come from (coverage.KINDS: "mca_billing_account",
            "ea_enrollment_sp", "ea_enrollment_key", "billing_profile", "invoice_section",
            "subscription", or "file" for files a user imports); `source_name` names it.
            Reads count each (subscription, period) from one source only (coverage.py); a
            period already stored from a higher-ranked kind of source is kept, and this
            import's period is listed in `skipped`.
        """
        return self._importer.run(paths, billing_account_id=billing_account_id, currency=currency,
                                  dataset=dataset, on_bad_rows=on_bad_rows, progress=progress,
                                  source_kind=source_kind, source_name=source_name)

    def drop_period(self, billing_account: str, billing_period: str, *, source_kind: str | None = None) -> bool:
        """Remove a stored period, e.g. when its source now answers it has no data (so
        rows of an earlier import are not counted as current). `source_kind`: only if it
        was imported from that kind of source (another kind's data stays)."""
        return self.layout.drop(PeriodKey(billing_account, billing_period), only_kind=source_kind)

    # -- reads ---------------------------------------------------------------------
    def periods(self, billing_accounts: Sequence[str] | None = None) -> list[dict[str, Any]]:
        """The stored (billing account, billing period) partitions and their last import:
        the source they came from, whether reads count them (`used`: "all", "part" —
        some subscriptions are covered by another source — or "none"), and per
        subscription (or billing-level charges) whether its rows count or which source
        covers them instead (coverage.py)."""
        keys = self.layout.periods(None if billing_accounts is None else list(billing_accounts))
        res = self._q.resolution(keys)
        subs: dict[Any, list[dict[str, Any]]] = {k: [] for k in keys}
        for c in res.choices:
            d = c.describe()
            base = {"subscription": d["subscription"], "coverage_key": c.key, "name": c.name}
            subs[c.used.key].append({**base, "counted": True, "covered_by": None, "rows": d["used"]["rows"],
                                     "totals": d["used"]["totals"]})
            for p, skip in zip(c.skipped, d["skipped"], strict=True):
                subs[p.key].append({**base, "counted": False, "covered_by": c.used.describe(),
                                    "reason": skip["reason"], "rows": skip["rows"], "totals": skip["totals"]})
        out = []
        for key in keys:
            m = self.layout.manifest(key) or {}
            src = source_of(m)
            out.append({"billing_account": key.billing_account, "billing_period": key.billing_period,
                        "source": {**src, "kind_label": label(src["kind"])},
                        "used": "none" if key not in res.keep else "all" if res.keep[key] is None else "part",
                        "import_id": m.get("import_id"), "imported_at": m.get("imported_at"),
                        "totals": m.get("totals", []), "files": m.get("files", []),
                        "superseded": m.get("superseded", []), "subscriptions": subs[key]})
        return out

    def sources(self, billing_accounts: Sequence[str] | None = None) -> list[dict[str, Any]]:
        """Per billing period and subscription (or billing-level charges), the source whose
        rows count and the sources skipped because it covers them (coverage.py)."""
        keys = self.layout.periods(None if billing_accounts is None else list(billing_accounts))
        return [c.describe() for c in self._q.resolution(keys).choices]

    @staticmethod
    def dimensions() -> list[str]:
        """Columns a query may group or filter by; `tag:<key>` is accepted too."""
        return dimensions()

    def query_by_currency(self, q: CostQuery) -> list[QueryResult]:
        return [r for _, r in sorted(self._q.totals(q).items(), key=lambda kv: str(kv[0]))]

    def query(self, q: CostQuery) -> QueryResult:
        """Totals (and series, with q.granularity) for one billing currency. With data in
        several currencies and none chosen, raises InvalidInput naming them."""
        results = self._q.totals(q)
        if not results:
            return QueryResult(currency=q.currency, rows=[], total={"BilledCost": ZERO, "EffectiveCost": ZERO},
                               dimensions=list(q.group_by))
        if len(results) > 1:
            names = ", ".join(sorted(str(c) for c in results))
            raise InvalidInput(
                f"The selected costs are in several currencies ({names}); amounts in different "
                "currencies are never added. Choose one with currency=..., or use query_by_currency."
            )
        return next(iter(results.values()))

    def untagged(self, q: CostQuery, tag_key: str | None = None, *,
                 existing_resource_ids: Iterable[str] | None = None,
                 inventoried_subscriptions: Iterable[str] | None = None) -> list[UntaggedResult]:
        """Untagged share per currency and why. `tag_key` None = rows without any tag.
        `existing_resource_ids` (from the inventory) enables the resource_gone reason, for
        rows whose ResourceId is in one of `inventoried_subscriptions` (subscription ids;
        None: the ids cover every subscription). Rows of other subscriptions keep their
        other reasons: their resources were never listed."""
        res = self._q.untagged(q, tag_key, existing_resource_ids, inventoried_subscriptions)
        return [r for _, r in sorted(res.items(), key=lambda kv: str(kv[0]))]

    def export(self, dest: Path | str, *, billing_accounts: Sequence[str],
               start: date | None = None, end: date | None = None,
               format: Literal["parquet", "csv"] = "parquet",
               currency: str | None = None) -> dict[str, Any]:
        """Write the scope's rows as FOCUS 1.2 (Parquet or CSV, Tags as JSON)."""
        if not billing_accounts:
            raise InvalidInput("Export needs at least one billing account.")
        q = CostQuery(billing_accounts=list(billing_accounts), start=start, end=end, currency=currency)
        return self._q.export(q, Path(dest), format)


_OPEN: dict[Path, CostStore] = {}
_OPEN_LOCK = threading.Lock()


def open_store(root: Path | str) -> CostStore:
    """This process's cost store at `root` for reading: opened (and crash-recovered) once,
    then shared by every request (each query takes its own DuckDB cursor). Imports open
    their own `CostStore`."""
    key = Path(root).resolve()
    with _OPEN_LOCK:
        store = _OPEN.get(key)
        if store is None:
            store = _OPEN[key] = CostStore(key)
        return store

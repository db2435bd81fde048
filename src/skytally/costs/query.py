"""Queries over the store: totals and series grouped by FOCUS columns or tag keys,
filters, top-N, untagged cost with reasons, export. The SQL lives in `sql/*.sql`; the
dimensions a query may name are in dimensions.py, the predicates it becomes in
predicates.py (allow-listed identifiers, every value bound as a parameter)."""

from __future__ import annotations

import calendar
import contextlib
import threading
from collections.abc import Iterable, Iterator
from datetime import date
from decimal import Decimal
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb
import yaml

from skytally.errors import InvalidInput

from . import coverage
from .csv_cells import CSV_SAFE
from .dimensions import TAG_PREFIX, canonical_dimension
from .predicates import Params, agg_filter, dim_expr, row_filter
from .schemas import ZERO, CostQuery, QueryResult, UntaggedReason, UntaggedResult
from .store.engine import connect, sql_text
from .store.mapping import focus_columns, quote_ident, store_schema
from .store.storage import PeriodKey, StoreLayout

OTHER = "Other"


@cache
def untaggable_types() -> list[str]:
    text = resources.files("skytally.costs").joinpath("mappings", "untaggable_types.yaml").read_text("utf-8")
    return [str(t).lower() for t in (yaml.safe_load(text) or {}).get("types", [])]


def _month_add(d: date, months: int) -> date:
    y, m = divmod(d.year * 12 + d.month - 1 + months, 12)
    return date(y, m + 1, min(d.day, calendar.monthrange(y, m + 1)[1]))


class _Read:
    """What a read covers after choosing one source per (subscription, period): the files
    of the partitions that count, and a predicate dropping the rows of partitions that
    count only in part (another source covers some of their subscriptions)."""

    def __init__(self, keys: list[PeriodKey], files: list[str], where: str, partial: bool) -> None:
        self.keys, self.files, self.where, self.partial = keys, files, where, partial


class QueryService:
    def __init__(self, store: StoreLayout) -> None:
        self.store = store
        self._con = connect(memory_limit="2GB")
        self._lock = threading.Lock()
        # coverage of partitions imported before manifests recorded it, by (key, import id)
        self._legacy: dict[tuple[PeriodKey, str], dict[str, dict[str, Any]]] = {}

    # -- one source per (subscription, period) ------------------------------------------
    def partitions(self, keys: list[PeriodKey]) -> list[coverage.Partition]:
        out = []
        for key in keys:
            m = self.store.manifest(key) or {}
            src = coverage.source_of(m)
            cov = m.get("coverage")
            import_id = str(m.get("import_id") or "")
            if not isinstance(cov, dict):
                cached = self._legacy.get((key, import_id))
                if cached is None:
                    files = self.store.files([key])
                    cached = coverage.coverage_from_rows(
                        self._run(coverage.COVERAGE_SQL, {"files": files})) if files else {}
                    self._legacy[(key, import_id)] = cached
                cov = cached
            out.append(coverage.Partition(key, src["kind"], src["name"], import_id,
                                          str(m.get("imported_at") or ""), cov))
        return out

    def resolution(self, keys: list[PeriodKey]) -> coverage.Resolution:
        return coverage.resolve(self.partitions(keys))

    def _read(self, q: CostQuery, params: Params) -> _Read:
        keys = self._keys(q)
        res = self.resolution(keys)
        used = [k for k in keys if k in res.keep]
        conds = []
        for k, skip in res.partial.items():
            conds.append(
                f"NOT (x_StoreAccount = {params.add(k.billing_account)} AND x_StorePeriod = "
                f"{params.add(k.billing_period)} AND ({coverage.KEY_SQL}) IN (SELECT unnest({params.add(sorted(skip))})))")
        return _Read(used, self.store.files(used), " AND ".join(conds), bool(conds))

    @contextlib.contextmanager
    def _cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with self._lock:
            cur = self._con.cursor()
        try:
            yield cur
        finally:
            cur.close()

    def close(self) -> None:
        self._con.close()

    # -- scope -----------------------------------------------------------------
    def files(self, q: CostQuery) -> list[str]:
        """The Parquet files of the caller's accounts that count (one source per
        subscription and period); periods far outside the range are pruned (charges may
        be billed a period or two after they happen)."""
        return self._read(q, Params()).files

    def _keys(self, q: CostQuery) -> list[PeriodKey]:
        keys = self.store.periods(list(q.billing_accounts))
        lo = _month_add(q.start, -2).strftime("%Y-%m") if q.start else None
        hi = _month_add(q.end, 2).strftime("%Y-%m") if q.end else None

        def keep(k: PeriodKey) -> bool:
            p = k.billing_period
            if not (len(p) == 7 and p[4] == "-"):
                return True
            return (lo is None or p >= lo) and (hi is None or p <= hi)

        return [k for k in keys if keep(k)]

    def _run(self, sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        for attempt in range(3):
            with self._cursor() as cur:
                try:
                    return cur.execute(sql, params).fetchall()
                except duckdb.IOException:
                    # a period was swapped by a concurrent import between listing and reading
                    if attempt == 2:
                        raise
        raise AssertionError("unreachable")  # pragma: no cover

    # -- totals ------------------------------------------------------------------
    def totals(self, q: CostQuery) -> dict[str | None, QueryResult]:
        """One result per billing currency (money in different currencies never adds)."""
        if q.granularity not in (None, "day", "month"):
            raise InvalidInput("granularity must be 'day', 'month' or empty.")
        if q.order_by not in ("BilledCost", "EffectiveCost"):
            raise InvalidInput("order_by must be BilledCost or EffectiveCost.")
        if q.top is not None and q.top < 1:
            raise InvalidInput("top must be a positive number of groups.")
        dims = [canonical_dimension(d) for d in q.group_by]
        if len(set(dims)) != len(dims):
            raise InvalidInput("A dimension is listed twice in group_by.")
        params = Params()
        read = self._read(q, params)
        files = read.files
        if not files:
            return {}
        agg_files = (self.store.tag_daily_files(read.keys)
                     if len(dims) == 1 and dims[0].startswith(TAG_PREFIX) and not q.filters
                     and not read.partial else None)
        if agg_files:
            # one tag key (x date), no filters: from the per-period pre-aggregates
            params = Params()
            params.values.update({"agg_files": agg_files, "tag_key": dims[0][len(TAG_PREFIX):]})
            inner = sql_text("tag_totals").format(
                date={None: "NULL", "day": "day",
                      "month": "CAST(date_trunc('month', day) AS DATE)"}[q.granularity],
                where=agg_filter(q, params))
        else:
            params.values["files"] = files
            inner = self._detail_totals(q, dims, params, read.where)
        return self._totals_rows(q, dims, inner, params)

    def _detail_totals(self, q: CostQuery, dims: list[str], params: Params, extra: str = "") -> str:
        dim_sql = "".join(
            f"{('CAST(' + dim_expr(d, params) + ' AS VARCHAR)') if q.top else dim_expr(d, params)} AS d{i},\n        "
            for i, d in enumerate(dims)
        )
        date_sql = {
            None: "NULL",
            "day": "CAST(date_trunc('day', ChargePeriodStart) AS DATE)",
            "month": "CAST(date_trunc('month', ChargePeriodStart) AS DATE)",
        }[q.granularity]
        where = row_filter(q, params) + (f" AND {extra}" if extra else "")
        return sql_text("totals").format(dims=dim_sql, date=date_sql, where=where)

    def _totals_rows(self, q: CostQuery, dims: list[str], inner: str,
                     params: Params) -> dict[str | None, QueryResult]:
        if q.top and dims:
            cols = [f"d{i}" for i in range(len(dims))]
            sql = sql_text("top_n").format(
                inner=inner,
                group_cols=", ".join(cols),
                group_cols_nulls_last=", ".join(f"{c} NULLS LAST" for c in cols),
                other_cols=", ".join(
                    f"CASE WHEN rank <= {params.add(int(q.top))} THEN {c} ELSE '{OTHER}' END AS {c}"
                    for c in cols
                ),
                metric="billed" if q.order_by == "BilledCost" else "effective",
            )
        else:
            sql = inner
        rows = self._run(sql, params.values)
        results: dict[str | None, QueryResult] = {}
        n = len(dims)
        for row in rows:
            cur = row[0]
            res = results.get(cur)
            if res is None:
                res = results[cur] = QueryResult(currency=cur, rows=[], total={"BilledCost": ZERO, "EffectiveCost": ZERO},
                                                 dimensions=dims)
            item: dict[str, Any] = {}
            for i, d in enumerate(dims):
                item[d] = row[1 + i]
            if q.granularity:
                d_val = row[1 + n]
                item["date"] = (d_val.strftime("%Y-%m") if q.granularity == "month" else d_val.isoformat()) if d_val else None
            billed = Decimal(row[2 + n] or 0)
            effective = Decimal(row[3 + n] or 0)
            item["BilledCost"] = billed
            item["EffectiveCost"] = effective
            res.rows.append(item)
            res.total["BilledCost"] += billed
            res.total["EffectiveCost"] += effective
        key = q.order_by
        for res in results.values():
            res.rows.sort(key=lambda r: (r.get("date") or "", any(r.get(d) == OTHER for d in dims) if q.top else False, -r[key]))
        return results

    # -- untagged -------------------------------------------------------------------
    def untagged(self, q: CostQuery, tag_key: str | None,
                 existing_resource_ids: Iterable[str] | None = None,
                 inventoried_subscriptions: Iterable[str] | None = None) -> dict[str | None, UntaggedResult]:
        params = Params()
        read = self._read(q, params)
        files = read.files
        if not files:
            return {}
        params.values.update({
            "files": files,
            "tag_key": (tag_key or "").strip().lower(),
            "untaggable": untaggable_types(),
            "check_gone": existing_resource_ids is not None,
            "all_subs": inventoried_subscriptions is None,
        })
        where = row_filter(q, params) + (f" AND {read.where}" if read.where else "")
        sql = sql_text("untagged").format(where=where)
        with self._cursor() as cur:
            ids = sorted({i.lower() for i in (existing_resource_ids or [])})
            cur.execute("CREATE OR REPLACE TEMP TABLE live_ids (id VARCHAR)")
            if ids:
                cur.execute("INSERT INTO live_ids SELECT unnest($ids)", {"ids": ids})
            subs = sorted({s.strip().lower().removeprefix("/subscriptions/") for s in inventoried_subscriptions or []})
            cur.execute("CREATE OR REPLACE TEMP TABLE covered_subs (id VARCHAR)")
            if subs:
                cur.execute("INSERT INTO covered_subs SELECT unnest($subs)", {"subs": subs})
            rows = cur.execute(sql, params.values).fetchall()
        order = ["purchase", "unused_commitment", "marketplace", "no_resource",
                 "untaggable_resource_type", "resource_gone", "no_tags", "key_missing"]
        out: dict[str | None, UntaggedResult] = {}
        for cur_code, reason, n, billed, effective in rows:
            res = out.get(cur_code)
            if res is None:
                res = out[cur_code] = UntaggedResult(
                    currency=cur_code, tag_key=tag_key or None, total={"BilledCost": ZERO, "EffectiveCost": ZERO},
                    untagged={"BilledCost": ZERO, "EffectiveCost": ZERO}, share=0.0, reasons=[])
            b, e = Decimal(billed or 0), Decimal(effective or 0)
            res.total["BilledCost"] += b
            res.total["EffectiveCost"] += e
            if reason != "tagged":
                res.untagged["BilledCost"] += b
                res.untagged["EffectiveCost"] += e
                res.reasons.append(UntaggedReason(reason=reason, rows=int(n), BilledCost=b, EffectiveCost=e))
        for res in out.values():
            res.reasons.sort(key=lambda r: order.index(r.reason))
            t = res.total["EffectiveCost"]
            res.share = float(res.untagged["EffectiveCost"] / t) if t else 0.0
        return out

    # -- export -----------------------------------------------------------------------
    def export(self, q: CostQuery, dest: Path, fmt: str) -> dict[str, Any]:
        if fmt not in ("parquet", "csv"):
            raise InvalidInput("Export format must be parquet or csv.")
        params = Params()
        read = self._read(q, params)
        files = read.files
        params.values["files"] = files
        cols = []
        types = store_schema()
        for c in focus_columns():
            if c == "Tags":
                cols.append("to_json(Tags)::VARCHAR AS Tags")
            elif fmt == "csv" and types[c] == "VARCHAR":  # no spreadsheet formulas (CSV injection)
                cols.append(f"{CSV_SAFE.format(c=quote_ident(c))} AS {quote_ident(c)}")
            else:
                cols.append(quote_ident(c))
        where = row_filter(q, params) + (f" AND {read.where}" if read.where else "")
        select = sql_text("export").format(columns=", ".join(cols), where=where)
        dest = Path(dest)
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(dest.name + ".part")
        if not files:
            # an empty file with the FOCUS header
            empty = ", ".join(f"CAST(NULL AS VARCHAR) AS {quote_ident(c)}" for c in focus_columns())
            select = f"SELECT {empty} WHERE false"
            params.values.clear()
        opts = "FORMAT parquet, COMPRESSION zstd" if fmt == "parquet" else "FORMAT csv, HEADER true"
        try:
            with self._cursor() as cur:
                cur.execute(f"COPY ({select}) TO '{str(tmp).replace(chr(39), chr(39) * 2)}' ({opts})", params.values)
                # (an empty export's columns are all VARCHAR: the sums cast)
                totals = cur.execute(
                    "SELECT BillingCurrency, count(*), sum(TRY_CAST(BilledCost AS DECIMAL(38, 18))), "
                    "sum(TRY_CAST(EffectiveCost AS DECIMAL(38, 18))) FROM "
                    + ("read_parquet($f)" if fmt == "parquet" else "read_csv($f, header = true, types = {'BilledCost': 'DECIMAL(38,18)', 'EffectiveCost': 'DECIMAL(38,18)', 'BillingCurrency': 'VARCHAR'})")
                    + " GROUP BY ALL ORDER BY 1",
                    {"f": str(tmp)},
                ).fetchall()
        except BaseException:
            tmp.unlink(missing_ok=True)  # a failed export leaves no partial file
            raise
        tmp.replace(dest)
        return {
            "path": str(dest),
            "format": fmt,
            "rows": sum(int(r[1]) for r in totals),
            "by_currency": {r[0]: {"rows": int(r[1]), "BilledCost": Decimal(r[2] or 0),
                                   "EffectiveCost": Decimal(r[3] or 0)} for r in totals},
        }

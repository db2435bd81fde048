"""A period's rows summed per currency, charge day and tag set: its *tag sets*, from
which the import computes the period's tag pre-aggregate (sql/tag_daily.sql) and its
totals.

The CSV fast path sums its rows while they stream (`TagSetTally`, fed batch by batch by
fast.py, grouped by the number of each row's tag set in the mapper's results), so
the import does not read its millions of stored rows back: on a 5M-row file that
reading took ~1.8 s after the rows were written, ~10 % of the import. Files read by
DuckDB's reader, and rows rewritten when actual and amortized data are paired, are
summed from their Parquet (`sql/tag_sets.sql`).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import NamedTuple

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..schemas import PeriodKey
from .distinct import run_sql
from .engine import sql_text
from .writer import value_codes

MONEY = pa.decimal128(38, 18)
SCHEMA = pa.schema([
    ("currency", pa.string()), ("day", pa.date32()),
    ("Tags", pa.map_(pa.string(), pa.string())), ("x_TagKeys", pa.list_(pa.string())),
    ("rows", pa.int64()), ("billed", MONEY), ("effective", MONEY),
])
# a period's partial sums (one table per batch) are summed again once they pass this many
# rows, or twice what they were after the last time (many distinct days x tag sets), so
# memory stays proportional to the distinct sums and re-summing to the rows added
COMPACT_ROWS = 100_000

# a batch is summed over integers (the codes of account, period and currency, the day
# number, the tag set's number): grouping by their text cost the stream twice as much
_BATCH_SQL = """
SELECT account, period, currency, day, tag_set,
       count(*) AS rows, sum(BilledCost) AS billed, sum(EffectiveCost) AS effective
FROM _in GROUP BY ALL
"""
_NO_DAY = np.iinfo(np.int64).min
_US_PER_DAY = 86_400_000_000
_COMPACT_SQL = """
SELECT currency, day, Tags, x_TagKeys, CAST(sum(rows) AS BIGINT) AS rows,
       sum(billed) AS billed, sum(effective) AS effective
FROM _in GROUP BY ALL
"""


def conform(table: pa.Table) -> pa.Table:
    """The table with SCHEMA's names and types (DuckDB names a map's fields its own way)."""
    return table.select(SCHEMA.names).cast(SCHEMA)


class TagSetTally:
    """Sums of streamed store rows per period, currency, day and tag set."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self.parts: dict[PeriodKey, list[pa.Table]] = {}
        self.rows: dict[PeriodKey, int] = {}
        self.limit: dict[PeriodKey, int] = {}

    def add(self, columns: dict[str, pa.Array], tag_set: np.ndarray, tags: pa.Array,
            tag_keys: pa.Array) -> None:
        """Add a batch of store rows: `columns` holds x_StoreAccount, x_StorePeriod,
        BillingCurrency, ChargePeriodStart, BilledCost and EffectiveCost; row r has the tag set
        numbered tag_set[r], whose Tags and x_TagKeys are tags[n] and tag_keys[n]."""
        (account, accounts), (period, periods), (currency, currencies) = (
            value_codes(columns[c]) for c in ("x_StoreAccount", "x_StorePeriod", "BillingCurrency"))
        start = columns["ChargePeriodStart"].cast(pa.timestamp("us")).cast(pa.int64())
        micros = pc.fill_null(start, _NO_DAY).to_numpy()
        day = np.where(micros == _NO_DAY, _NO_DAY, micros // _US_PER_DAY)
        table = pa.table({"account": account, "period": period, "currency": currency, "day": day,
                          "tag_set": tag_set, "BilledCost": columns["BilledCost"],
                          "EffectiveCost": columns["EffectiveCost"]})
        sums = run_sql(self.con, _BATCH_SQL, table)
        days = sums.column("day").to_numpy()
        parts = pa.table({
            "currency": pa.array(currencies, pa.string()).take(sums.column("currency")),
            "day": pa.array(days, mask=days == _NO_DAY).cast(pa.int32()).cast(pa.date32()),
            "Tags": tags.take(sums.column("tag_set")), "x_TagKeys": tag_keys.take(sums.column("tag_set")),
            "rows": sums.column("rows"), "billed": sums.column("billed"), "effective": sums.column("effective"),
        })
        partition = sums.column("account").to_numpy() * (len(periods) + 1) + sums.column("period").to_numpy()
        for code in np.unique(partition).tolist():
            a, p = divmod(code, len(periods) + 1)
            mine = parts if len(parts) and (partition == code).all() else \
                parts.take(pa.array(np.flatnonzero(partition == code)))
            self._append(PeriodKey(str(accounts[a]), str(periods[p])), conform(mine))

    def _append(self, key: PeriodKey, part: pa.Table) -> None:
        self.parts.setdefault(key, []).append(part)
        self.rows[key] = self.rows.get(key, 0) + part.num_rows
        if self.rows[key] > self.limit.get(key, COMPACT_ROWS):
            compacted = conform(run_sql(self.con, _COMPACT_SQL, pa.concat_tables(self.parts[key])))
            self.parts[key] = [compacted]
            self.rows[key] = compacted.num_rows
            self.limit[key] = max(COMPACT_ROWS, 2 * compacted.num_rows)

    def tables(self) -> dict[PeriodKey, pa.Table]:
        return {k: pa.concat_tables(parts) if parts else SCHEMA.empty_table()
                for k, parts in self.parts.items()}


def tag_sets_of(con: duckdb.DuckDBPyConnection, files: list[Path]) -> pa.Table:
    """The tag sets of stored rows, read from their Parquet files."""
    if not files:
        return SCHEMA.empty_table()
    table = con.sql(sql_text("tag_sets"), params={"files": [str(f) for f in files]}).to_arrow_table()
    return conform(table)


class CurrencyTotal(NamedTuple):
    currency: str | None
    rows: int
    billed: Decimal
    effective: Decimal


def totals(con: duckdb.DuckDBPyConnection, tag_sets: pa.Table) -> list[CurrencyTotal]:
    """The rows' totals per currency, in currency order."""
    con.register("_tag_sets", tag_sets)
    try:
        rows = con.execute(
            "SELECT currency, CAST(sum(rows) AS BIGINT), coalesce(sum(billed), 0), "
            "coalesce(sum(effective), 0) FROM _tag_sets GROUP BY ALL ORDER BY 1"
        ).fetchall()
    finally:
        con.unregister("_tag_sets")
    return [CurrencyTotal(cur, int(n), Decimal(b), Decimal(e)) for cur, n, b, e in rows]

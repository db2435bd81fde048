"""A period's rows summed per currency, charge day and tag set: its *tag sets*, from
which the import computes the period's tag pre-aggregate (sql/tag_daily.sql) and its
totals. The fast reader sums its rows while they stream (`TagSetTally`), so that the
import does not read millions of stored rows back; files read by the exact reader,
and rows rewritten when actual and amortized data are paired, are summed from their
Parquet (`sql/tag_sets.sql`)."""

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

MONEY = pa.decimal128(38, 18)
SCHEMA = pa.schema([
    ("currency", pa.string()), ("day", pa.date32()),
    ("Tags", pa.map_(pa.string(), pa.string())), ("x_TagKeys", pa.list_(pa.string())),
    ("rows", pa.int64()), ("billed", MONEY), ("effective", MONEY),
])


def conform(table: pa.Table) -> pa.Table:
    """The table with SCHEMA's names and types (DuckDB names a map's fields its own way)."""
    return table.select(SCHEMA.names).cast(SCHEMA)


KEYS = ("x_StoreAccount", "x_StorePeriod", "BillingCurrency")
_PARTS = pa.schema([(KEYS[0], pa.string()), (KEYS[1], pa.string()), *SCHEMA])
COMPACT_ROWS = 100_000  # partial sums are summed again past this many rows (or twice the last sum)
# a batch is grouped by the codes of its text columns (grouping by their text cost twice as much)
_BATCH_SQL = f"""SELECT {", ".join(KEYS)}, CAST(ChargePeriodStart AS DATE) AS day, tag_set,
count(*) AS rows, sum(BilledCost) AS billed, sum(EffectiveCost) AS effective FROM _in GROUP BY ALL"""
_COMPACT_SQL = f"""SELECT {", ".join(KEYS[:2])}, currency, day, Tags, x_TagKeys, CAST(sum(rows) AS BIGINT) AS rows,
sum(billed) AS billed, sum(effective) AS effective FROM _in GROUP BY ALL"""


class TagSetTally:
    """The fast reader's rows summed per partition, currency, day and tag set."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con, self.limit = con, COMPACT_ROWS
        self.parts: list[pa.Table] = []

    def add(self, columns: dict[str, pa.Array], tag_set: np.ndarray, tags: pa.Array, tag_keys: pa.Array) -> None:
        """A batch of store rows (`KEYS` dictionary-encoded, ChargePeriodStart, BilledCost,
        EffectiveCost); row r has the tag set numbered tag_set[r], whose Tags and x_TagKeys
        are tags[n] and tag_keys[n]."""
        table = pa.table({**{c: columns[c].indices for c in KEYS}, "tag_set": tag_set,
                          **{c: columns[c] for c in ("ChargePeriodStart", "BilledCost", "EffectiveCost")}})
        sums = run_sql(self.con, _BATCH_SQL, table)
        self.parts.append(pa.table({
            **{c: columns[c].dictionary.take(sums.column(c)) for c in KEYS[:2]},
            "currency": columns["BillingCurrency"].dictionary.take(sums.column("BillingCurrency")),
            "day": sums.column("day"), "Tags": tags.take(sums.column("tag_set")),
            "x_TagKeys": tag_keys.take(sums.column("tag_set")),
            **{c: sums.column(c) for c in ("rows", "billed", "effective")}}).cast(_PARTS))
        if sum(p.num_rows for p in self.parts) > self.limit:
            self.parts = [self._compacted()]
            self.limit = max(COMPACT_ROWS, 2 * self.parts[0].num_rows)

    def _compacted(self) -> pa.Table:
        return run_sql(self.con, _COMPACT_SQL, pa.concat_tables(self.parts)).cast(_PARTS)

    def tables(self) -> dict[PeriodKey, pa.Table]:
        """Each partition's tag sets."""
        if not self.parts:
            return {}
        sums = self._compacted()
        out: dict[PeriodKey, pa.Table] = {}
        for key in sums.select(list(KEYS[:2])).group_by(list(KEYS[:2])).aggregate([]).to_pylist():
            mine = pc.and_(pc.equal(sums.column(KEYS[0]), key[KEYS[0]]), pc.equal(sums.column(KEYS[1]), key[KEYS[1]]))
            out[PeriodKey(key[KEYS[0]], key[KEYS[1]])] = conform(sums.filter(mine))
        return out


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

"""The CSV fast path: Polars parses the file, and the mapping's SQL runs once per
*distinct* input instead of once per row.

Cost files are wide and repetitive: 5M rows of an MCA file hold a few thousand resource
ids, a few dozen meters and 90 dates. Parsing is what a plain CSV-to-Parquet copy pays
for; evaluating ~100 mapping expressions on every row (and handing ~100 flat string
columns from DuckDB to Arrow) cost the import three times that. Here:

* Polars' multi-threaded reader parses money columns as DECIMAL(38, 18) and every other
  column as a categorical, i.e. already dictionary-encoded;
* each store column whose inputs are text (plan.py says which) is computed by DuckDB,
  with the very same SQL as the exact path (mapping.build_select), over the distinct
  input values of a batch, cached across batches, and handed to the Parquet writer as a
  dictionary array (indices reused, nothing copied per row);
* the columns that depend on money (BilledCost, EffectiveCost, ...) are computed per
  row, by the same SQL, over just the columns they need.

The fast path only takes files it can vouch for. Anything it cannot parse exactly as the
exact path would (a value that is not a number or a date, a row with too many fields,
a row that may be short) raises `UseExactPath`, and the importer imports that file with
DuckDB's reader instead, which reports every bad line with its number.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import duckdb
import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from . import udf
from .detect import SourceFile
from .engine import sql_text
from .mapping import build_select, output_order, quote_ident, quote_literal, store_schema
from .plan import dependencies

BATCH_ROWS = 131_072
_DENSE = 0.05  # a money column with more distinct values per row than this is computed per row
_CACHE_LIMIT = 1_000_000  # distinct input combinations kept per group before starting afresh
_DECIMAL = re.compile(r"DECIMAL\((\d+),\s*(\d+)\)", re.IGNORECASE)


class _Codes:
    """A column of a batch as dictionary codes. `dictionary` and `values` end with a
    NULL: the slot that NULL rows point at once filled; `ids` numbers each value the same
    way in every batch (the caches' keys)."""

    def __init__(self, arr: pa.Array, ids: dict[Any, int]) -> None:
        if not isinstance(arr, pa.DictionaryArray):
            arr = pc.dictionary_encode(arr)
        self.indices: pa.Array = arr.indices.cast(pa.uint32())
        dictionary = arr.dictionary
        if pa.types.is_large_string(dictionary.type):
            dictionary = dictionary.cast(pa.string())
        self.dictionary = pa.concat_arrays([dictionary, pa.nulls(1, dictionary.type)])
        self.values: list[Any] = [*dictionary.to_pylist(), None]
        self.ids = np.fromiter((ids.setdefault(v, len(ids)) for v in self.values),
                               dtype=np.int64, count=len(self.values))
        self._filled: pa.Array | None = None

    def filled(self) -> pa.Array:
        if self._filled is None:
            self._filled = (pc.fill_null(self.indices, len(self.values) - 1)
                            if self.indices.null_count else self.indices)
        return self._filled


class _Rows:
    """Which distinct value each row of a batch has."""

    def __init__(self, indices: pa.Array, filled: Any, has_null_slot: bool = True) -> None:
        self.indices = indices  # may hold NULLs (rows whose input is NULL)
        self.filled = filled  # () -> indices with NULL rows pointing at the last value
        self.has_null_slot = has_null_slot

    @staticmethod
    def constant(n: int) -> _Rows:
        zeros = pa.array(np.zeros(n, dtype=np.uint32))
        return _Rows(zeros, lambda: zeros, has_null_slot=False)


class UseExactPath(Exception):
    """This file must be imported by the exact (DuckDB reader) path; str() says why."""


def refusal(src: SourceFile) -> str | None:
    """Why the fast path will not take this file, or None if it may."""
    if src.format != "csv" or src.compression != "none":
        return "not an uncompressed CSV file"
    if len({h.lower() for h in src.header}) != len(src.header) or any(not h for h in src.header):
        return "the header has empty or repeated column names"
    return None


def arrow_type(sql: str) -> pa.DataType:
    """The Arrow type a store column is written with (text: dictionary-encoded)."""
    t = sql.upper()
    if m := _DECIMAL.fullmatch(t):
        return pa.decimal128(int(m.group(1)), int(m.group(2)))
    simple = {"VARCHAR": pa.dictionary(pa.uint32(), pa.string()), "TIMESTAMP": pa.timestamp("us"),
              "DATE": pa.date32(), "BOOLEAN": pa.bool_(), "DOUBLE": pa.float64(),
              "BIGINT": pa.int64(), "VARCHAR[]": pa.list_(pa.string()),
              "MAP(VARCHAR, VARCHAR)": pa.map_(pa.string(), pa.string())}
    return simple[t]


@dataclass
class _Group:
    """Store columns computed from the same header columns."""

    columns: list[str]
    deps: tuple[str, ...]
    sql: str
    cache: dict[Any, int] = field(default_factory=dict)
    results: pa.Table | None = None

    def positions(self, con: duckdb.DuckDBPyConnection, keys: list[Any],
                  inputs: Callable[[np.ndarray], dict[str, pa.Array]]) -> np.ndarray:
        """Row of `results` for each of a batch's distinct keys (value ids), computing
        those not seen before from `inputs(positions of the missing keys)`."""
        missing = [i for i, k in enumerate(keys) if k not in self.cache]
        if missing:
            if len(self.cache) + len(missing) > _CACHE_LIMIT:
                self.cache.clear()
                self.results = None
                missing = list(range(len(keys)))
            cols = inputs(np.array(missing, dtype=np.int64))
            computed = _run(con, self.sql, pa.table(cols) if cols else pa.table({"_": [0]}))
            base = 0 if self.results is None else self.results.num_rows
            self.results = computed if self.results is None else pa.concat_tables([self.results, computed])
            for j, i in enumerate(missing):
                self.cache[keys[i]] = base + j
        return np.fromiter((self.cache[k] for k in keys), dtype=np.int64, count=len(keys))


def _inputs(deps: tuple[str, ...], parts: list[_Codes], digits: list[np.ndarray] | None,
            missing: np.ndarray) -> dict[str, pa.Array]:
    """The input values of a group's missing keys: for one dep, positions in its
    dictionary; for several, positions in the batch's distinct combinations (`digits`)."""
    if digits is None:
        return {deps[0]: parts[0].dictionary.take(pa.array(missing))}
    return {d: p.dictionary.take(pa.array(dig[missing])) for d, p, dig in zip(deps, parts, digits, strict=True)}


def _merge_by_money(grouped: dict[frozenset[str], list[str]],
                    money: set[str]) -> dict[frozenset[str], list[str]]:
    """Groups that share a money input (a quantity, a price) are computed together: their
    inputs have many distinct values, and one query per batch beats one per column."""
    merged: dict[frozenset[str], list[str]] = {}
    for deps, cols in grouped.items():
        for other in [k for k in merged if k & deps & money]:
            cols = merged.pop(other) + cols
            deps = deps | other
        merged[deps] = list(cols) if deps not in merged else merged[deps] + cols
    return merged


def _run(con: duckdb.DuckDBPyConnection, sql: str, table: pa.Table) -> pa.Table:
    con.register("_in", table)
    try:
        result: pa.Table = con.sql(sql).to_arrow_table()
    except duckdb.Error as exc:
        raise UseExactPath(str(exc).splitlines()[0]) from exc
    finally:
        con.unregister("_in")
    return result.combine_chunks()


class FactoredMapper:
    """Maps the rows of one CSV file to store columns, batch by batch."""

    def __init__(self, src: SourceFile, parameters: dict[str, str | None], *,
                 trust_row_lengths: bool = False) -> None:
        self.src = src
        self.trust_row_lengths = trust_row_lengths  # tests: files known to be well formed
        header = src.header
        layout = src.layout
        self.read_types = {h: src.read_type(h) for h in header}
        self.money = {h for h, t in self.read_types.items() if _DECIMAL.fullmatch(t)}
        self.parameters = parameters
        self.schema = store_schema()
        self.output = output_order()
        self.types = {c: arrow_type(t) for c, t in self.schema.items()}
        self.order = {h: i for i, h in enumerate(header)}
        self.deps = deps = dependencies(layout, header)
        # the last column tells a complete row from a short one (see _check_short_rows)
        self.last = header[-1]
        self.read_columns = list(self._ordered(frozenset().union(*deps.values()) | {self.last}))
        self.groups: list[_Group] = []
        self.ids: dict[str, dict[Any, int]] = {}  # per column: value -> id, across batches
        self.row_columns: list[str] = []
        self.row_inputs: tuple[str, ...] = ()
        self.row_helpers: frozenset[str] = frozenset()
        self.row_sql = ""
        self.planned = False
        self.con = duckdb.connect(":memory:")
        self.con.execute("SET threads = 1")
        self.con.execute("SET preserve_insertion_order = true")  # results align with inputs
        udf.register(self.con)
        self.con.execute(sql_text("macros"))

    def _ordered(self, names: frozenset[str]) -> tuple[str, ...]:
        return tuple(sorted(names, key=lambda n: (self.order.get(n, len(self.order)), n)))

    def _plan(self, first: pa.RecordBatch) -> None:
        """Decide, from the first batch, which columns are computed per row: those that
        need a money column with many distinct values (costs; prices and exchange rates
        repeat, and are computed per distinct value like text)."""
        layout, header = self.src.layout, self.src.header
        n = max(first.num_rows, 1)
        dense = {h for h in self.money if h in self.read_columns
                 and pc.count_distinct(first.column(first.schema.get_field_index(h))).as_py() > n * _DENSE}
        deps = self.deps
        self.row_columns = [c for c in self.schema if deps[c] & dense]
        # the helpers those columns use that do not need dense money (_ct, _commit, _block,
        # ...) are computed per distinct input and handed to the per-row query
        self.row_helpers = frozenset(n for n in layout.derived if not deps[n] & dense)
        given = dependencies(layout, header, given=self.row_helpers)
        self.row_inputs = self._ordered(frozenset().union(*(given[c] for c in self.row_columns)))
        grouped: dict[frozenset[str], list[str]] = {}
        for c in self.schema:
            if c not in self.row_columns:
                grouped.setdefault(deps[c], []).append(c)
        for name in sorted(self.row_helpers & set(self.row_inputs)):
            grouped.setdefault(deps[name], []).append(name)

        self.groups = [_Group(cols, d := self._ordered(key), self._sql(cols, set(d)))
                       for key, cols in _merge_by_money(grouped, self.money).items()]
        self.row_sql = self._sql(self.row_columns, set(self.row_inputs),
                                 given=self.row_helpers & set(self.row_inputs))
        self.planned = True

    def close(self) -> None:
        self.con.close()

    # -- SQL ---------------------------------------------------------------------
    def _source_expr(self, h: str, available: set[str]) -> str:
        t = self.read_types[h]
        q = quote_ident(h)
        if h not in available:
            return f"CAST(NULL AS {t}) AS {q}"
        if h in self.money:
            return f"CAST({q} AS {t}) AS {q}"
        # DuckDB's reader reads an empty field (quoted or not) as NULL
        text = f"nullif(CAST({q} AS VARCHAR), '')"
        if t == "VARCHAR":
            return f"{text} AS {q}"
        if t in ("DATE", "TIMESTAMP") and self.src.date_format:
            return f"CAST(strptime({text}, {quote_literal(self.src.date_format)}) AS {t}) AS {q}"
        return f"CAST({text} AS {t}) AS {q}"

    def _sql(self, columns: list[str], available: set[str], given: frozenset[str] = frozenset()) -> str:
        exprs = [self._source_expr(h, available) for h in self.src.header]
        exprs += [quote_ident(n) for n in sorted(given)]
        source = f"(SELECT {', '.join(exprs)} FROM _in)"
        select = build_select(self.src.layout, self.src.header, source, parameters=self.parameters,
                              columns=columns, given=given)
        return f"SELECT {', '.join(quote_ident(c) for c in columns)} FROM ({select})"

    # -- reading -----------------------------------------------------------------
    def batches(self) -> Iterator[pa.RecordBatch]:
        """The file's rows as store rows (raises UseExactPath)."""
        schema: dict[str, Any] = {}
        for h in self.src.header:
            m = _DECIMAL.fullmatch(self.read_types[h])
            schema[h] = pl.Decimal(int(m.group(1)), int(m.group(2))) if m else pl.Categorical
        frame = pl.scan_csv(self.src.path, schema=schema, has_header=True, quote_char='"',
                            encoding="utf8", raise_if_empty=False).select(self.read_columns)
        try:
            for df in frame.collect_batches(chunk_size=BATCH_ROWS):
                table = df.rechunk().to_arrow()
                for rb in table.to_batches():
                    if rb.num_rows:
                        yield self.map_batch(rb)
        except pl.exceptions.PolarsError as exc:
            raise UseExactPath(str(exc).splitlines()[0]) from exc

    def map_batch(self, rb: pa.RecordBatch) -> pa.RecordBatch:
        n = rb.num_rows
        names = rb.schema.names
        if not self.planned:
            self._plan(rb)
        self._check_short_rows(rb.column(names.index(self.last)))
        encoded: dict[str, _Codes] = {}

        def codes(h: str) -> _Codes:
            if h not in encoded:
                encoded[h] = _Codes(rb.column(names.index(h)), self.ids.setdefault(h, {}))
            return encoded[h]

        out: dict[str, pa.Array] = {}
        for g in self.groups:
            if not g.deps:
                pos = g.positions(self.con, [0], lambda _: {})
                rows: _Rows = _Rows.constant(n)
            elif len(g.deps) == 1:
                c = codes(g.deps[0])
                pos = g.positions(self.con, c.ids.tolist(), partial(_inputs, g.deps, [c], None))
                rows = _Rows(c.indices, c.filled)
            else:
                parts = [codes(d) for d in g.deps]
                combined = np.zeros(n, dtype=np.int64)
                for part in parts:
                    combined = combined * len(part.values) + part.filled().to_numpy(zero_copy_only=False)
                enc = pc.dictionary_encode(pa.array(combined))
                uniq = enc.dictionary.to_numpy()
                digits: list[np.ndarray] = []
                for part in reversed(parts):
                    uniq, digit = np.divmod(uniq, len(part.values))
                    digits.append(digit)
                digits.reverse()
                keys = list(zip(*[p.ids[dig].tolist() for dig, p in zip(digits, parts, strict=True)],
                                strict=True))
                pos = g.positions(self.con, keys, partial(_inputs, g.deps, parts, digits))
                idx = enc.indices.cast(pa.uint32())
                rows = _Rows(idx, lambda idx=idx: idx, has_null_slot=False)
            assert g.results is not None
            take = pa.array(pos)
            for col in g.columns:
                out[col] = self._expand(col, g.results.column(col).take(take).combine_chunks(), rows)
        if self.row_columns:
            table = pa.table({h: out[h] if h in self.row_helpers else rb.column(names.index(h))
                              for h in self.row_inputs}) if self.row_inputs \
                else pa.table({"_": np.zeros(n, dtype=np.int8)})
            computed = _run(self.con, self.row_sql, table)
            for col in self.row_columns:
                arr = computed.column(col).chunk(0)
                t = self.types[col]
                out[col] = pc.dictionary_encode(arr).cast(t) if pa.types.is_dictionary(t) else arr.cast(t)
        return pa.RecordBatch.from_arrays([out[c] for c in self.output], names=self.output)

    def _expand(self, col: str, distinct: pa.Array, rows: _Rows) -> pa.Array:
        """A column's per-distinct values spread over the batch's rows."""
        t = self.types.get(col)
        if t is None or not pa.types.is_dictionary(t):  # helpers keep their own type
            out = distinct.take(rows.filled())
            return out if t is None else out.cast(t)
        # text: a dictionary array over the distinct values, NULL as a NULL index (the
        # Parquet writer takes no NULL dictionary entry); no per-row work when the input
        # has no NULL and no value maps to NULL
        values = distinct.cast(pa.string())
        if rows.indices.null_count == 0:
            used = values.slice(0, len(values) - 1) if rows.has_null_slot else values
            if used.null_count == 0:
                return pa.DictionaryArray.from_arrays(rows.indices, used)
        valid = pc.is_valid(values).to_numpy(zero_copy_only=False)
        remap = pa.array(np.cumsum(valid, dtype=np.int64) - 1, mask=~valid).cast(pa.uint32())
        return pa.DictionaryArray.from_arrays(remap.take(rows.filled()), values.filter(pa.array(valid)))

    def _check_short_rows(self, last: pa.Array) -> None:
        # Polars pads a row with too few fields with NULLs where DuckDB's reader rejects
        # it; a row whose last field is empty may be such a row, so let the exact path
        # (which tells them apart and reports the line) read the file.
        if last.null_count and not self.trust_row_lengths:
            raise UseExactPath(f"a row has no value in the last column ({self.last}): it may be short")

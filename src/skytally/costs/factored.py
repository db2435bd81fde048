"""The CSV fast path: Polars parses the file, and the mapping's SQL runs once per
*distinct* input instead of once per row.

Cost files are wide and repetitive: 5M rows of an MCA file hold a few thousand resource
ids, a few dozen meters and 90 dates. Parsing is what a plain CSV-to-Parquet copy pays
for; evaluating ~100 mapping expressions on every row (and handing ~100 flat string
columns from DuckDB to Arrow) cost the import three times that. Here:

* Polars' multi-threaded reader parses money columns as DECIMAL(38, 18) and every other
  column as a categorical of its own: each value gets a number (its key) that is the
  same in every batch of the file;
* each store column whose inputs are text (plan.py says which) is computed by DuckDB,
  with the very same SQL as the exact path (mapping.build_select), once per distinct
  input key, and the result is kept for the rest of the file;
* text store columns are handed to the Parquet writer as dictionary arrays over one
  dictionary per column that only grows (new values at the end), so the writer stores
  the codes as they are instead of hashing every value again;
* the columns that depend on money (BilledCost, EffectiveCost, ...) are computed per
  row, by the same SQL, over just the columns they need;
* each batch comes out ordered by (billing account, billing period), so the writer
  splits it by slicing.

The fast path only takes files it can vouch for. Anything it cannot parse exactly as the
exact path would (a value that is not a number or a date, a row with too many fields,
a row that may be short) raises `UseExactPath`, and the importer imports that file with
DuckDB's reader instead, which reports every bad line with its number.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
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
_MAX_COMBINED = 2**62  # keys of a group's inputs are combined into one int64
_NULL = np.uint32(0xFFFFFFFF)  # dictionary code of a NULL text value
PARTITION_KEYS = ("x_StoreAccount", "x_StorePeriod")
_NO_KEYS = np.zeros(0, dtype=np.int64)
_KEY = "\x00key:"  # the key column of a text column
_DECIMAL = re.compile(r"DECIMAL\((\d+),\s*(\d+)\)", re.IGNORECASE)


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


def _grow(arr: np.ndarray, size: int, fill: Any) -> np.ndarray:
    if size <= len(arr):
        return arr
    return np.concatenate([arr, np.full(max(size, 2 * len(arr)) - len(arr), fill, dtype=arr.dtype)])


class _TextKeys:
    """Keys of a text column's values: Polars' categorical codes plus one (0 is NULL),
    the same in every batch; and the value of every key met so far."""

    def __init__(self) -> None:
        self.text: list[str | None] = [None]
        self.known = np.zeros(1, dtype=bool)  # NULL too is met (and computed) once
        self.solid = 0  # every key below this one is known

    def keys(self, df: pl.DataFrame, h: str) -> tuple[np.ndarray, np.ndarray]:
        """Each row's key, and the keys met for the first time in this batch."""
        keys: np.ndarray = df.get_column(_KEY + h).to_numpy()
        top = int(keys.max()) if len(keys) else 0
        if top < self.solid or (top < len(self.known) and self.known[keys].all()):
            return keys, _NO_KEYS  # the usual case once the file's values have all been met
        if top >= len(self.known):
            self.known = _grow(self.known, top + 1, False)
            self.text.extend([None] * (len(self.known) - len(self.text)))
        present = np.zeros(len(self.known), dtype=bool)
        present[keys] = True
        new = np.flatnonzero(present & ~self.known)
        if new.size:
            row = np.empty(len(self.known), dtype=np.int64)
            row[keys] = np.arange(len(keys))
            values = df.get_column(h).gather(row[new]).cast(pl.String).to_list()
            for k, v in zip(new.tolist(), values, strict=True):
                self.text[k] = v
            self.known[new] = True
            self.solid = len(self.known) if self.known.all() else int(np.argmin(self.known))
        return keys, new

    @property
    def size(self) -> int:
        return len(self.known)

    def values(self, keys: np.ndarray) -> pa.Array:
        return pa.array([self.text[k] for k in keys.tolist()], pa.string())


class _MoneyKeys:
    """Keys of a money column's values (NULL included), the same in every batch."""

    def __init__(self, type_: pa.DataType) -> None:
        self.type = type_
        self.ids: dict[Decimal | None, int] = {}
        self.by_key: list[Decimal | None] = []

    def _id(self, v: Decimal | None) -> int:
        k = self.ids.get(v)
        if k is None:
            k = self.ids[v] = len(self.by_key)
            self.by_key.append(v)
        return k

    def keys(self, df: pl.DataFrame, h: str) -> tuple[np.ndarray, np.ndarray]:
        """Each row's key, and the keys met for the first time in this batch."""
        before = len(self.by_key)
        enc = pc.dictionary_encode(df.get_column(h).to_arrow())
        distinct = enc.dictionary.to_pylist()
        remap = np.fromiter((self._id(v) for v in [*distinct, None]), dtype=np.uint32, count=len(distinct) + 1)
        keys = remap[pc.fill_null(enc.indices, len(distinct)).to_numpy(zero_copy_only=False)]
        return keys, np.arange(before, len(self.by_key))

    @property
    def size(self) -> int:
        """Room for the keys met so far (grows in steps: it is the radix of key tuples)."""
        return 1 << max(len(self.by_key), 1).bit_length()

    def values(self, keys: np.ndarray) -> pa.Array:
        return pa.array([self.by_key[k] for k in keys.tolist()], self.type)


class _Dictionary:
    """One text store column's dictionary: its values in the order first met, without
    NULL or repeats; it only grows, so the writer sees the same dictionary batch after
    batch."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}
        self.array: pa.Array = pa.array([], pa.string())

    def codes(self, values: pa.Array) -> np.ndarray:
        before = len(self.ids)
        codes = np.fromiter((_NULL if v is None else self.ids.setdefault(v, len(self.ids))
                             for v in values.cast(pa.string()).to_pylist()),
                            dtype=np.uint32, count=len(values))
        if len(self.ids) > before:
            self.array = pa.concat_arrays([self.array, pa.array(list(self.ids)[before:], pa.string())])
        return codes


@dataclass
class _Group:
    """Store columns computed from the same header columns, once per distinct input.

    With one input column, results are kept for every value of the file (as many as the
    Polars categorical holds anyway) and looked up by key; with several, by the tuple of
    their keys, up to _CACHE_LIMIT combinations."""

    columns: list[str]
    deps: tuple[str, ...]
    sql: str
    text: list[str]  # its dictionary-encoded store columns
    results: pa.Table | None = None
    codes: dict[str, np.ndarray] = field(default_factory=dict)  # text column: result -> code
    dictionaries: dict[str, _Dictionary] = field(default_factory=dict)
    at: np.ndarray = field(default_factory=lambda: np.full(1, -1, dtype=np.int64))  # key -> result
    by_key: dict[str, np.ndarray] = field(default_factory=dict)  # text column: key -> code
    # several input columns: the key tuple of each result, and those tuples as one int64
    # each (mixed with radix `radix`), sorted, for lookups
    tuples: list[np.ndarray] = field(default_factory=list)
    radix: tuple[int, ...] = ()
    combined: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    combined_at: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    def reset(self) -> None:
        self.results = None
        self.codes = {c: np.zeros(0, dtype=np.uint32) for c in self.text}
        # a fresh dictionary: the old one may have grown past any use
        self.dictionaries = {c: _Dictionary() for c in self.text}
        self.at = np.full(1, -1, dtype=np.int64)
        self.by_key = {c: np.full(1, _NULL, dtype=np.uint32) for c in self.text}
        self.tuples = [np.zeros(0, dtype=np.int64) for _ in self.deps]
        self.radix = ()
        self.combined = self.combined_at = np.zeros(0, dtype=np.int64)

    def full(self, count: int) -> bool:
        """Would `count` more results pass the cache limit?"""
        return self.results is not None and self.results.num_rows + count > _CACHE_LIMIT

    def compute(self, con: duckdb.DuckDBPyConnection, inputs: dict[str, pa.Array]) -> int:
        """Append the results of new distinct inputs; returns the row the first is at."""
        computed = _run(con, self.sql, pa.table(inputs) if inputs else pa.table({"_": [0]}))
        base = 0 if self.results is None else self.results.num_rows
        self.results = computed if self.results is None else \
            pa.concat_tables([self.results, computed]).combine_chunks()
        for c in self.text:
            self.codes[c] = np.concatenate([self.codes[c], self.dictionaries[c].codes(computed.column(c))])
        return base

    def rekey(self, radix: tuple[int, ...]) -> None:
        self.radix = radix
        combined = _mix(self.tuples, radix)
        order = np.argsort(combined)
        self.combined, self.combined_at = combined[order], order

    def lookup(self, combined: np.ndarray) -> np.ndarray:
        """The result row of each combination (mixed with `radix`), -1 if not computed."""
        if not len(self.combined):
            return np.full(len(combined), -1, dtype=np.int64)
        pos = np.minimum(np.searchsorted(self.combined, combined), len(self.combined) - 1)
        return np.where(self.combined[pos] == combined, self.combined_at[pos], -1)

    def add_tuples(self, digits: list[np.ndarray], combined: np.ndarray, at: np.ndarray) -> None:
        self.tuples = [np.concatenate([t, d]) for t, d in zip(self.tuples, digits, strict=True)]
        merged = np.concatenate([self.combined, combined])
        order = np.argsort(merged, kind="stable")
        self.combined, self.combined_at = merged[order], np.concatenate([self.combined_at, at])[order]

    def add_keys(self, con: duckdb.DuckDBPyConnection, keyer: _TextKeys | _MoneyKeys, new: np.ndarray) -> None:
        """Compute the results of keys met for the first time (one input column)."""
        self.at = _grow(self.at, keyer.size, -1)
        rows = self.compute(con, {self.deps[0]: keyer.values(new)}) + np.arange(new.size)
        self.at[new] = rows
        for c in self.text:
            self.by_key[c] = _grow(self.by_key[c], keyer.size, _NULL)
            self.by_key[c][new] = self.codes[c][rows]


def _mix(keys: list[np.ndarray], radix: tuple[int, ...]) -> np.ndarray:
    """Key tuples as one int64 each (keys[i] < radix[i])."""
    mixed = np.zeros(len(keys[0]) if keys else 0, dtype=np.int64)
    for k, size in zip(keys, radix, strict=True):
        mixed *= size
        mixed += k
    return mixed


def _unmix(mixed: np.ndarray, radix: tuple[int, ...]) -> list[np.ndarray]:
    backwards: list[np.ndarray] = []
    for size in reversed(radix):
        mixed, digit = np.divmod(mixed, size)
        backwards.append(digit)
    return backwards[::-1]


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
        self.read_types = {h: src.read_type(h) for h in header}
        self.money = {h for h, t in self.read_types.items() if _DECIMAL.fullmatch(t)}
        self.parameters = parameters
        self.schema = store_schema()
        self.output = output_order()
        self.types = {c: arrow_type(t) for c, t in self.schema.items()}
        self.order = {h: i for i, h in enumerate(header)}
        self.deps = deps = dependencies(src.layout, header)
        # the last column tells a complete row from a short one (see _check_short_rows)
        self.last = header[-1]
        self.read_columns = list(self._ordered(frozenset().union(*deps.values()) | {self.last}))
        self.keyers: dict[str, _TextKeys | _MoneyKeys] = {}
        self.groups: list[_Group] = []
        self.partition_group = 0
        self.key_columns: list[str] = []  # the header columns groups are computed from
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

    def _keyer(self, h: str) -> _TextKeys | _MoneyKeys:
        if h not in self.keyers:
            m = _DECIMAL.fullmatch(self.read_types[h])
            self.keyers[h] = _MoneyKeys(pa.decimal128(int(m.group(1)), int(m.group(2)))) if m else _TextKeys()
        return self.keyers[h]

    def _plan(self, first: pl.DataFrame) -> None:
        """Decide, from the first batch, which columns are computed per row: those that
        need a money column with many distinct values (costs; prices and exchange rates
        repeat, and are computed per distinct value like text)."""
        layout, header = self.src.layout, self.src.header
        n = max(first.height, 1)
        dense = {h for h in self.money if h in self.read_columns and first.get_column(h).n_unique() > n * _DENSE}
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
        for key, cols in _merge_by_money(grouped, self.money).items():
            d = self._ordered(key)
            text = [c for c in cols if pa.types.is_dictionary(self.types.get(c, pa.null()))]
            g = _Group(cols, d, self._sql(cols, set(d)), text)
            g.reset()
            self.groups.append(g)
        self.partition_group = next(i for i, g in enumerate(self.groups) if PARTITION_KEYS[0] in g.columns)
        self.key_columns = sorted(frozenset().union(*(g.deps for g in self.groups)))
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
            # a Categories of its own per column and file: keys stay small and are
            # forgotten with the import
            schema[h] = (pl.Decimal(int(m.group(1)), int(m.group(2))) if m
                         else pl.Categorical(pl.Categories.random()))
        # each text value's key is computed by Polars' threads, next to the parsing
        keys = [(pl.col(h).to_physical() + 1).fill_null(0).alias(_KEY + h)
                for h in self.read_columns if h not in self.money]
        frame = pl.scan_csv(self.src.path, schema=schema, has_header=True, quote_char='"',
                            encoding="utf8", raise_if_empty=False).select(*self.read_columns, *keys)
        try:
            for df in frame.collect_batches(chunk_size=BATCH_ROWS):
                if df.height:
                    yield self.map_batch(df)
        except pl.exceptions.PolarsError as exc:
            raise UseExactPath(str(exc).splitlines()[0]) from exc

    def map_batch(self, df: pl.DataFrame) -> pa.RecordBatch:
        n = df.height
        if not self.planned:
            self._plan(df)
        self._check_short_rows(df.get_column(self.last))
        keys = {h: self._keyer(h).keys(df, h) for h in self.key_columns}
        # rows ordered by (billing account, billing period): the writer then splits the
        # batch by slicing, and reordering keys here is cheaper than reordering the
        # finished columns there
        part = self.groups[self.partition_group]
        inner, at = self._locate(part, keys, n)
        order = self._partition_order(part, inner, at)
        located = {self.partition_group: (inner if order is None else inner[order], at)}
        if order is not None:
            keys = {h: (k[order], new) for h, (k, new) in keys.items()}
        out: dict[str, pa.Array] = {}
        for i, g in enumerate(self.groups):
            inner, at = located[i] if i in located else self._locate(g, keys, n)
            assert g.results is not None
            rows: pa.Array | None = None
            for col in g.columns:
                if col in g.codes:
                    small = self._codes(g, col, at)
                    codes = small[inner]
                    # NULL: a NULL index (the Parquet writer takes no NULL dictionary value)
                    indices = pa.array(codes, mask=codes == _NULL) if (small == _NULL).any() else pa.array(codes)
                    out[col] = pa.DictionaryArray.from_arrays(indices, g.dictionaries[col].array, safe=False)
                else:
                    rows = pa.array(at[inner]) if rows is None else rows
                    arr = g.results.column(col).chunk(0).take(rows)
                    out[col] = arr.cast(self.types[col]) if col in self.types else arr
        if self.row_columns:
            out.update(self._per_row(df, out, order, n))
        return pa.RecordBatch.from_arrays([out[c] for c in self.output], names=self.output)

    @staticmethod
    def _codes(g: _Group, col: str, at: np.ndarray) -> np.ndarray:
        """A text column's dictionary code for each value `_locate` indexes."""
        return g.by_key[col] if len(g.deps) == 1 else g.codes[col][at]

    def _locate(self, g: _Group, keys: dict[str, tuple[np.ndarray, np.ndarray]],
                n: int) -> tuple[np.ndarray, np.ndarray]:
        """(inner, at): row r of the batch finds its values at row at[inner[r]] of the
        group's results. Computes the results of inputs not met before."""
        if not g.deps:
            if g.results is None:
                g.compute(self.con, {})
            return np.zeros(n, dtype=np.intp), np.zeros(1, dtype=np.int64)
        if len(g.deps) == 1:
            dep = g.deps[0]
            k, new = keys[dep]
            if new.size:
                g.add_keys(self.con, self._keyer(dep), new)
            return k, g.at
        # several inputs: one int64 per row combines their keys (radix: the key counts),
        # the batch's distinct combinations are found by Arrow's hashing and looked up in
        # the group's sorted combinations
        radix = tuple(self._keyer(d).size for d in g.deps)
        if np.prod(np.array(radix, dtype=np.float64)) >= _MAX_COMBINED:
            raise UseExactPath(f"too many distinct combinations of {', '.join(g.deps)}")
        if radix != g.radix:
            g.rekey(radix)
        combined = _mix([keys[d][0] for d in g.deps], radix)
        enc = pc.dictionary_encode(pa.array(combined))
        uniq = enc.dictionary.to_numpy()
        at = g.lookup(uniq)
        missing = np.flatnonzero(at < 0)
        if missing.size:
            if g.full(missing.size):
                g.reset()
                g.rekey(radix)
                missing = np.arange(len(uniq))
            digits = _unmix(uniq[missing], radix)
            base = g.compute(self.con, {d: self._keyer(d).values(digit)
                                        for d, digit in zip(g.deps, digits, strict=True)})
            at[missing] = base + np.arange(missing.size)
            g.add_tuples(digits, uniq[missing], at[missing])
        return enc.indices.to_numpy(), at

    def _partition_order(self, g: _Group, inner: np.ndarray, at: np.ndarray) -> np.ndarray | None:
        """The order that sorts the batch by (billing account, billing period), None if
        the batch holds one partition."""
        account, period = (self._codes(g, c, at)[inner].astype(np.int64) for c in PARTITION_KEYS)
        code = account * (len(g.dictionaries[PARTITION_KEYS[1]].ids) + 1) + period
        if not len(code) or not (code != code[0]).any():
            return None
        return np.argsort(code, kind="stable")

    def _per_row(self, df: pl.DataFrame, out: dict[str, pa.Array], order: np.ndarray | None,
                 n: int) -> dict[str, pa.Array]:
        cols: dict[str, pa.Array] = {}
        for h in self.row_inputs:
            if h in self.row_helpers:
                cols[h] = out[h]
            else:
                arr = df.get_column(h).to_arrow()
                cols[h] = arr if order is None else arr.take(pa.array(order))
        table = pa.table(cols) if cols else pa.table({"_": np.zeros(n, dtype=np.int8)})
        computed = _run(self.con, self.row_sql, table)
        result: dict[str, pa.Array] = {}
        for col in self.row_columns:
            arr = computed.column(col).chunk(0)
            t = self.types[col]
            result[col] = pc.dictionary_encode(arr).cast(t) if pa.types.is_dictionary(t) else arr.cast(t)
        return result

    def _check_short_rows(self, last: pl.Series) -> None:
        # Polars pads a row with too few fields with NULLs where DuckDB's reader rejects
        # it; a row whose last field is empty may be such a row, so let the exact path
        # (which tells them apart and reports the line) read the file.
        if last.null_count() and not self.trust_row_lengths:
            raise UseExactPath(f"a row has no value in the last column ({self.last}): it may be short")

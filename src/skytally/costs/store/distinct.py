"""Computing store columns once per distinct input, for the fast reader (fast.py).

* a text column's values are numbered by Polars (its categorical codes plus one, 0 for
  NULL: a value's *key*, the same in every batch of a file);
* a `Group` holds the results of store columns that read the same header columns, for
  every input met so far, computed by DuckDB with the mapping's SQL (`run_sql`);
* a `Dictionary` holds one text store column's distinct values, growing only at the end,
  so that the Parquet writer keeps the codes it is given instead of hashing every value.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

CACHE_LIMIT = 1_000_000  # input tuples kept per group of several inputs before starting afresh
MAX_COMBINED = 2**62  # the keys of a group's inputs are combined into one int64
NULL_CODE = np.uint32(0xFFFFFFFF)  # dictionary code of a NULL text value


class UseExactPath(Exception):
    """This file must be imported by the exact reader; str() says why."""


def grow(arr: np.ndarray, size: int, fill: object) -> np.ndarray:
    if size <= len(arr):
        return arr
    return np.concatenate([arr, np.full(max(size, 2 * len(arr)) - len(arr), fill, dtype=arr.dtype)])


class Dictionary:
    """One text store column's dictionary: its values in the order first met, without
    NULL or repeats; it only grows, so the writer sees the same dictionary batch after
    batch."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}
        self.array: pa.Array = pa.array([], pa.string())

    def codes(self, values: pa.Array) -> np.ndarray:
        before = len(self.ids)
        codes = np.fromiter((NULL_CODE if v is None else self.ids.setdefault(v, len(self.ids))
                             for v in values.cast(pa.string()).to_pylist()),
                            dtype=np.uint32, count=len(values))
        if len(self.ids) > before:
            self.array = pa.concat_arrays([self.array, pa.array(list(self.ids)[before:], pa.string())])
        return codes


@dataclass
class Group:
    """Store columns computed from the same header columns, once per distinct input:
    with one input column, looked up by its key (`at`); with several, by the tuple of
    their keys (`rows`), up to CACHE_LIMIT tuples before starting afresh."""

    columns: list[str]
    deps: tuple[str, ...]
    make_sql: Callable[[], str]  # its query, built when first run (most groups never run theirs)
    text: list[str]  # its dictionary-encoded store columns
    sql: str = ""
    results: pa.Table | None = None
    codes: dict[str, np.ndarray] = field(default_factory=dict)  # text column: result row -> code
    dictionaries: dict[str, Dictionary] = field(default_factory=dict)
    has_null: dict[str, bool] = field(default_factory=dict)  # text column: some result is NULL
    at: np.ndarray = field(default_factory=lambda: np.full(1, -1, dtype=np.int64))  # key -> result row
    rows: dict[tuple[int, ...], int] = field(default_factory=dict)  # key tuple -> result row

    def __post_init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.results = None
        self.codes = {c: np.zeros(0, dtype=np.uint32) for c in self.text}
        self.dictionaries = {c: Dictionary() for c in self.text}
        self.has_null = dict.fromkeys(self.text, False)
        self.rows = {}

    def compute(self, con: duckdb.DuckDBPyConnection, inputs: dict[str, pa.Array]) -> np.ndarray:
        """Compute the results of new distinct inputs; returns their result rows."""
        self.sql = self.sql or self.make_sql()
        return self.append(run_sql(con, self.sql, pa.table(inputs) if inputs else pa.table({"_": [0]})))

    def append(self, computed: pa.Table) -> np.ndarray:
        """Append results computed for new distinct inputs; returns their result rows."""
        base = 0 if self.results is None else self.results.num_rows
        self.results = computed if self.results is None else \
            pa.concat_tables([self.results, computed]).combine_chunks()
        for c in self.text:
            codes = self.dictionaries[c].codes(computed.column(c))
            self.codes[c] = np.concatenate([self.codes[c], codes])
            self.has_null[c] = self.has_null[c] or bool((codes == NULL_CODE).any())
        return base + np.arange(computed.num_rows)

    def locate(self, con: duckdb.DuckDBPyConnection, keys: dict[str, np.ndarray],
               values: Callable[[str, np.ndarray], pa.Array], n: int) -> np.ndarray:
        """Each of the batch's n rows' result row, computing the results of inputs not
        met before (`values(column, rows)`: a header column's values on those rows)."""
        if not self.deps:
            if self.results is None:
                self.compute(con, {})
            return np.zeros(n, dtype=np.int64)
        if len(self.deps) == 1:
            k = keys[self.deps[0]]
            self.at = grow(self.at, int(k.max()) + 1, -1)
            # np.take: indexing by the uint32 keys with [] is ~3x slower
            found = np.take(self.at, k, mode="clip")
            if (found < 0).any():
                new, rows = distinct_keys(k, np.flatnonzero(found < 0))
                self.at[new] = self.compute(con, {self.deps[0]: values(self.deps[0], rows)})
                found = np.take(self.at, k, mode="clip")
            return found
        # several inputs: each row's keys combined into one int64, its distinct values
        # found by Arrow's hashing, and their key tuples looked up
        radix = [int(keys[d].max()) + 1 for d in self.deps]
        if np.prod(np.array(radix, dtype=np.float64)) >= MAX_COMBINED:
            raise UseExactPath(f"too many distinct combinations of {', '.join(self.deps)}")
        mixed = np.zeros(n, dtype=np.int64)
        for d, size in zip(self.deps, radix, strict=True):
            mixed = mixed * size + keys[d]
        enc = pc.dictionary_encode(pa.array(mixed))
        indices = enc.indices.to_numpy()
        digits: list[np.ndarray] = []
        rest = enc.dictionary.to_numpy()
        for size in reversed(radix):
            rest, digit = np.divmod(rest, size)
            digits.insert(0, digit)
        tuples = list(zip(*(d.tolist() for d in digits), strict=True))
        at = np.array([self.rows.get(t, -1) for t in tuples], dtype=np.int64)
        missing = np.flatnonzero(at < 0)
        if missing.size:
            if len(self.rows) + missing.size > CACHE_LIMIT:
                self.reset()
                missing = np.arange(len(tuples))
            first = np.empty(len(tuples), dtype=np.int64)
            first[indices[::-1]] = np.arange(n - 1, -1, -1)  # each tuple's first row
            at[missing] = self.compute(con, {d: values(d, first[missing]) for d in self.deps})
            self.rows.update(zip([tuples[i] for i in missing.tolist()], at[missing].tolist(), strict=True))
        return at[indices]


def distinct_keys(k: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct keys of `k` on `rows`, and a row holding each (keys are small
    numbers: a table indexed by key, no sort)."""
    row_of = np.full(int(k.max()) + 1, -1, dtype=np.int64)
    row_of[k[rows]] = rows
    found = np.flatnonzero(row_of >= 0)
    return found, row_of[found]


def run_sql(con: duckdb.DuckDBPyConnection, sql: str, table: pa.Table) -> pa.Table:
    con.register("_in", table)
    try:
        result: pa.Table = con.sql(sql).to_arrow_table()
    except duckdb.Error as exc:
        raise UseExactPath(str(exc).splitlines()[0]) from exc
    finally:
        con.unregister("_in")
    return result.combine_chunks()

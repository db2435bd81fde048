"""Computing store columns once per distinct input, for the CSV fast path (fast.py).

* `TextKeys` / `MoneyKeys` number a column's values (keys), the same in every batch of
  a file;
* a `Group` holds the results of a group of store columns for every input (key, or tuple
  of keys) met so far, computed by DuckDB with the mapping's SQL (`run_sql`);
* a `Dictionary` holds one text store column's distinct values, growing only at the end,
  so that the Parquet writer keeps the codes it is given instead of hashing every value.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import duckdb
import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

CACHE_LIMIT = 1_000_000  # input combinations kept per group before starting afresh
# a group with several inputs finds its results by key (one gather per row, no hashing)
# while the product of its inputs' key counts is at most this
DENSE_SPACE = 1 << 20
MAX_COMBINED = 2**62  # keys of a group's inputs are combined into one int64
NULL_CODE = np.uint32(0xFFFFFFFF)  # dictionary code of a NULL text value
NO_KEYS = np.zeros(0, dtype=np.int64)
KEY_PREFIX = "\x00key:"  # Polars computes the key column of text column h as KEY_PREFIX + h


class UseExactPath(Exception):
    """This file must be imported by the exact (DuckDB reader) path; str() says why."""


def grow(arr: np.ndarray, size: int, fill: Any) -> np.ndarray:
    if size <= len(arr):
        return arr
    return np.concatenate([arr, np.full(max(size, 2 * len(arr)) - len(arr), fill, dtype=arr.dtype)])


class TextKeys:
    """Keys of a text column's values: Polars' categorical codes plus one (0 is NULL),
    the same in every batch; and the value of every key met so far."""

    def __init__(self) -> None:
        self.text: list[str | None] = [None]
        self.known = np.zeros(1, dtype=bool)  # NULL too is met (and computed) once
        self.solid = 1  # every key from 1 up to this one is known (0, NULL, aside)

    def keys(self, df: pl.DataFrame, h: str) -> tuple[np.ndarray, np.ndarray]:
        """Each row's key, and the keys met for the first time in this batch."""
        keys: np.ndarray = df.get_column(KEY_PREFIX + h).to_numpy()
        if not len(keys):
            return keys, NO_KEYS
        top = int(keys.max())
        # the usual case once the file's values have all been met (checked without a
        # gather per row: keys are numbered in the order Polars meets values)
        if top < self.solid and (self.known[0] or int(keys.min()) > 0):
            return keys, NO_KEYS
        if top >= len(self.known):
            self.known = grow(self.known, top + 1, False)
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
            rest = self.known[1:]
            self.solid = len(self.known) if rest.all() else 1 + int(np.argmin(rest))
        return keys, new

    @property
    def size(self) -> int:
        return len(self.known)

    def values(self, keys: np.ndarray) -> pa.Array:
        return pa.array([self.text[k] for k in keys.tolist()], pa.string())


class MoneyKeys:
    """Keys of a money column's values (NULL included), the same in every batch.

    Values are told apart by their 16 bytes (a DECIMAL's unscaled integer): Arrow hashes
    them as fixed-size binary, and the batch's distinct values reach Python as `bytes`,
    which are far cheaper to make and to hash than `Decimal`s."""

    def __init__(self, type_: pa.DataType) -> None:
        self.type = type_
        self.ids: dict[bytes | None, int] = {}
        self.by_key: list[bytes | None] = []

    def _id(self, v: bytes | None) -> int:
        k = self.ids.get(v)
        if k is None:
            k = self.ids[v] = len(self.by_key)
            self.by_key.append(v)
        return k

    def keys(self, df: pl.DataFrame, h: str) -> tuple[np.ndarray, np.ndarray]:
        """Each row's key, and the keys met for the first time in this batch."""
        before = len(self.by_key)
        arr = df.get_column(h).to_arrow()
        if isinstance(arr, pa.ChunkedArray):
            arr = arr.combine_chunks()
        raw = pa.Array.from_buffers(pa.binary(16), len(arr), arr.buffers(), offset=arr.offset)
        enc = pc.dictionary_encode(raw)
        distinct = enc.dictionary.to_pylist()
        ids = self.ids
        remap = np.fromiter((ids[v] if v in ids else self._id(v) for v in [*distinct, None]),
                            dtype=np.uint32, count=len(distinct) + 1)
        indices = enc.indices if not enc.null_count else pc.fill_null(enc.indices, len(distinct))
        keys = remap[indices.to_numpy(zero_copy_only=False)]
        return keys, np.arange(before, len(self.by_key))

    @property
    def size(self) -> int:
        """Room for the keys met so far (grows in steps: it is the radix of key tuples)."""
        return 1 << max(len(self.by_key), 1).bit_length()

    def values(self, keys: np.ndarray) -> pa.Array:
        return pa.array([self.by_key[k] for k in keys.tolist()], pa.binary(16)).view(self.type)


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
    """Store columns computed from the same header columns, once per distinct input.

    With one input column, results are kept for every value of the file and looked up by
    key (for text, Polars' categorical holds those values anyway; a money input is one
    whose values repeat, see FactoredMapper._plan); with several, by the tuple of their
    keys, up to CACHE_LIMIT tuples before starting afresh."""

    columns: list[str]
    deps: tuple[str, ...]
    make_sql: Callable[[], str]  # the group's query, built when first needed
    text: list[str]  # its dictionary-encoded store columns
    sql: str = ""
    results: pa.Table | None = None
    codes: dict[str, np.ndarray] = field(default_factory=dict)  # text column: result -> code
    dictionaries: dict[str, Dictionary] = field(default_factory=dict)
    at: np.ndarray = field(default_factory=lambda: np.full(1, -1, dtype=np.int64))  # key -> result
    by_key: dict[str, np.ndarray] = field(default_factory=dict)  # text column: key -> code
    # text column: does some key met so far give NULL
    null_by_key: dict[str, bool] = field(default_factory=dict)
    # results are found by key (`at`, `by_key`): always with one input column; with
    # several, while their keys mixed (with `radix`) fit in DENSE_SPACE
    keyed: bool = False
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
        self.dictionaries = {c: Dictionary() for c in self.text}
        self.at = np.full(1, -1, dtype=np.int64)
        self.by_key = {c: np.full(1, NULL_CODE, dtype=np.uint32) for c in self.text}
        self.null_by_key = dict.fromkeys(self.text, False)
        self.tuples = [np.zeros(0, dtype=np.int64) for _ in self.deps]
        self.radix = ()
        self.combined = self.combined_at = np.zeros(0, dtype=np.int64)
        self.keyed = len(self.deps) == 1

    def full(self, count: int) -> bool:
        """Would `count` more results pass the cache limit?"""
        return self.results is not None and self.results.num_rows + count > CACHE_LIMIT

    def compute(self, con: duckdb.DuckDBPyConnection, inputs: dict[str, pa.Array],
                computed: pa.Table | None = None) -> int:
        """Append the results of new distinct inputs (or the given results, computed
        elsewhere); returns the row the first is at."""
        if computed is None:
            if not self.sql:
                self.sql = self.make_sql()
            computed = run_sql(con, self.sql, pa.table(inputs) if inputs else pa.table({"_": [0]}))
        base = 0 if self.results is None else self.results.num_rows
        self.results = computed if self.results is None else \
            pa.concat_tables([self.results, computed]).combine_chunks()
        for c in self.text:
            self.codes[c] = np.concatenate([self.codes[c], self.dictionaries[c].codes(computed.column(c))])
        return base

    def rekey(self, radix: tuple[int, ...]) -> None:
        """Mix the key tuples met so far with `radix` (the inputs' key counts grew)."""
        self.radix = radix
        combined = mix(self.tuples, radix)
        space = int(np.prod(np.array(radix, dtype=np.float64)))
        self.keyed = space <= DENSE_SPACE
        if self.keyed:
            self.at = np.full(space, -1, dtype=np.int64)
            self.at[combined] = np.arange(len(combined))
            for c in self.text:
                self.by_key[c] = np.full(space, NULL_CODE, dtype=np.uint32)
                self.by_key[c][combined] = self.codes[c]
                self.null_by_key[c] = bool((self.codes[c] == NULL_CODE).any())
            return
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
        if self.keyed:
            self.at[combined] = at
            for c in self.text:
                codes = self.codes[c][at]
                self.by_key[c][combined] = codes
                self.null_by_key[c] = self.null_by_key[c] or bool((codes == NULL_CODE).any())
            return
        merged = np.concatenate([self.combined, combined])
        order = np.argsort(merged, kind="stable")
        self.combined, self.combined_at = merged[order], np.concatenate([self.combined_at, at])[order]

    def add_keys(self, con: duckdb.DuckDBPyConnection, keyer: TextKeys | MoneyKeys, new: np.ndarray,
                 computed: pa.Table | None = None) -> None:
        """Compute (or take) the results of keys met for the first time (one input column)."""
        self.at = grow(self.at, keyer.size, -1)
        inputs = {} if computed is not None else {self.deps[0]: keyer.values(new)}
        rows = self.compute(con, inputs, computed) + np.arange(new.size)
        self.at[new] = rows
        for c in self.text:
            self.by_key[c] = grow(self.by_key[c], keyer.size, NULL_CODE)
            self.by_key[c][new] = self.codes[c][rows]
            self.null_by_key[c] = self.null_by_key[c] or bool((self.codes[c][rows] == NULL_CODE).any())


def mix(keys: list[np.ndarray], radix: tuple[int, ...]) -> np.ndarray:
    """Key tuples as one int64 each (keys[i] < radix[i])."""
    mixed = np.zeros(len(keys[0]) if keys else 0, dtype=np.int64)
    for k, size in zip(keys, radix, strict=True):
        mixed *= size
        mixed += k
    return mixed


def unmix(mixed: np.ndarray, radix: tuple[int, ...]) -> list[np.ndarray]:
    backwards: list[np.ndarray] = []
    for size in reversed(radix):
        mixed, digit = np.divmod(mixed, size)
        backwards.append(digit)
    return backwards[::-1]


def run_sql(con: duckdb.DuckDBPyConnection, sql: str, table: pa.Table) -> pa.Table:
    con.register("_in", table)
    try:
        result: pa.Table = con.sql(sql).to_arrow_table()
    except duckdb.Error as exc:
        raise UseExactPath(str(exc).splitlines()[0]) from exc
    finally:
        con.unregister("_in")
    return result.combine_chunks()

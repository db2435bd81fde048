"""The fast reader, `batches(source, params)`: Polars parses a CSV file, and the
mapping's SQL runs once per *distinct* input instead of once per row.

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
a row with too few, found by counting the fields of each line when some row's last
field is empty: rowcheck.py) raises `UseExactPath`, and the file is read by the exact reader
(exact.py) instead, which reports every bad line with its number.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any

import duckdb
import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from . import udf
from .detect import SourceFile
from .distinct import (
    KEY_PREFIX,
    MAX_COMBINED,
    NO_KEYS,
    NULL_CODE,
    Group,
    MoneyKeys,
    TextKeys,
    UseExactPath,
    mix,
    run_sql,
    unmix,
)
from .engine import sql_text
from .mapping import (
    STORE_KEY_COLUMNS,
    copied_column,
    output_order,
    store_schema,
)
from .plan import DECIMAL, arrow_type, dependencies, mapped_sql, merge_by_money, refusal
from .reading import ReadParams, bytes_per_row
from .rowcheck import unequal_rows
from .storage import PeriodKey
from .tally import TagSetTally

BATCH_ROWS = 131_072
_DENSE = 0.05  # a money column with more distinct values per row than this is computed per row


def batches(src: SourceFile, params: ReadParams) -> Iterator[pa.RecordBatch]:
    """The file's rows in store columns, and their tag sets in `params.tag_sets`
    (raises UseExactPath when the file is not one it can vouch for)."""
    if why := refusal(src):
        raise UseExactPath(why)
    mapper = FactoredMapper(src, params.values)
    per_row, rows = bytes_per_row(src.path), 0
    try:
        for batch in mapper.batches():
            rows += batch.num_rows
            params.progress.bytes_read(int(rows * per_row))
            yield batch
        params.tag_sets = mapper.tag_sets()
    finally:
        mapper.close()


class FactoredMapper:
    """Maps the rows of one CSV file to store columns, batch by batch."""

    def __init__(self, src: SourceFile, parameters: dict[str, str | None]) -> None:
        self.src = src
        self.verify_rows = False  # some row's last field is empty: count the fields per line
        header = src.header
        self.read_types = {h: src.read_type(h) for h in header}
        self.money = {h for h, t in self.read_types.items() if DECIMAL.fullmatch(t)}
        self.parameters = parameters
        self.schema = store_schema()
        self.output = output_order()
        self.types = {c: arrow_type(t) for c, t in self.schema.items()}
        self.order = {h: i for i, h in enumerate(header)}
        self.deps = deps = dependencies(src.layout, header)
        # the last column tells a complete row from a short one (see _check_short_rows)
        self.last = header[-1]
        self.read_columns = list(self._ordered(frozenset().union(*deps.values()) | {self.last}))
        self.keyers: dict[str, TextKeys | MoneyKeys] = {}
        self.groups: list[Group] = []
        self.partition_group = 0
        self.key_columns: list[str] = []  # the header columns groups are computed from
        self.row_columns: list[str] = []
        self.copied: dict[str, str] = {}  # per-row store column -> the header column it copies
        self.row_inputs: tuple[str, ...] = ()
        self.row_helpers: frozenset[str] = frozenset()
        self.row_sql = ""
        self.planned = False
        # the rows' sums per period, day and tag set (None: Tags is not computed per
        # distinct input, and the importer sums the stored rows instead)
        self.tally: TagSetTally | None = None
        self.tag_group = -1
        self.zeros: pa.Array = pa.array(np.zeros(0, dtype=np.uint32))
        self.together: dict[tuple[int, ...], str] = {}  # SQL of groups computed together
        self.con = duckdb.connect(":memory:")
        self.con.execute("SET threads = 1")
        self.con.execute("SET preserve_insertion_order = true")  # results align with inputs
        udf.register(self.con)
        self.con.execute(sql_text("macros"))

    def _ordered(self, names: frozenset[str]) -> tuple[str, ...]:
        return tuple(sorted(names, key=lambda n: (self.order.get(n, len(self.order)), n)))

    def _keyer(self, h: str) -> TextKeys | MoneyKeys:
        if h not in self.keyers:
            self.keyers[h] = MoneyKeys(arrow_type(self.read_types[h])) if h in self.money else TextKeys()
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
        # per-row columns that copy a header column unchanged are passed through (the
        # query would only convert them to DuckDB's decimals and back)
        self.copied = {c: h for c in self.row_columns if (h := copied_column(layout, header, c))}
        computed = [c for c in self.row_columns if c not in self.copied]
        # the helpers those columns use that do not need dense money (_ct, _commit, _block,
        # ...) are computed per distinct input and handed to the per-row query
        self.row_helpers = frozenset(n for n in layout.derived if not deps[n] & dense)
        given = dependencies(layout, header, given=self.row_helpers)
        self.row_inputs = self._ordered(frozenset().union(*(given[c] for c in computed)))
        grouped: dict[frozenset[str], list[str]] = {}
        for c in self.schema:
            if c not in self.row_columns:
                grouped.setdefault(deps[c], []).append(c)
        for name in sorted(self.row_helpers & set(self.row_inputs)):
            grouped.setdefault(deps[name], []).append(name)
        for key, cols in merge_by_money(grouped, self.money).items():
            d = self._ordered(key)
            text = [c for c in cols if pa.types.is_dictionary(self.types.get(c, pa.null()))]
            g = Group(cols, d, functools.partial(self._sql, cols, set(d)), text)
            g.reset()
            self.groups.append(g)
        self.partition_group = next(i for i, g in enumerate(self.groups) if STORE_KEY_COLUMNS[0] in g.columns)
        self.key_columns = sorted(frozenset().union(*(g.deps for g in self.groups)))
        self.tag_group = next((i for i, g in enumerate(self.groups)
                               if "Tags" in g.columns and "x_TagKeys" in g.columns), -1)
        self.tally = TagSetTally(self.con) if self.tag_group >= 0 else None
        self.row_sql = self._sql(computed, set(self.row_inputs),
                                 given=self.row_helpers & set(self.row_inputs)) if computed else ""
        self.planned = True

    def close(self) -> None:
        self.con.close()

    def tag_sets(self) -> dict[PeriodKey, pa.Table] | None:
        """The file's rows summed per period, currency, day and tag set (tally.py), once
        every batch is mapped; None if they must be read back from the stored rows."""
        return None if self.tally is None else self.tally.tables()

    def _sql(self, columns: list[str], available: set[str], given: frozenset[str] = frozenset()) -> str:
        return mapped_sql(self.src, self.parameters, columns, available, given)

    # -- reading -----------------------------------------------------------------
    def batches(self) -> Iterator[pa.RecordBatch]:
        """The file's rows as store rows (raises UseExactPath)."""
        schema: dict[str, Any] = {}
        for h in self.src.header:
            m = DECIMAL.fullmatch(self.read_types[h])
            # a Categories of its own per column and file: keys stay small and are
            # forgotten with the import
            schema[h] = (pl.Decimal(int(m.group(1)), int(m.group(2))) if m
                         else pl.Categorical(pl.Categories.random()))
        # each text value's key is computed by Polars' threads, next to the parsing (as
        # uint32: widening them there cost more than it saved; gathers use mode="clip",
        # which is as fast with uint32 indices as with int64 ones)
        keys = [(pl.col(h).to_physical() + 1).fill_null(0).alias(KEY_PREFIX + h)
                for h in self.read_columns if h not in self.money]
        frame = pl.scan_csv(self.src.path, schema=schema, has_header=True, quote_char='"',
                            encoding="utf8", raise_if_empty=False).select(*self.read_columns, *keys)
        try:
            for df in frame.collect_batches(chunk_size=BATCH_ROWS):
                if df.height:
                    # a batch comes in ~45 chunks (the reader's morsels): every column
                    # handed to numpy or Arrow would be made contiguous one by one on
                    # this thread; Polars' pool does them all at once (−13 % here)
                    yield self.map_batch(df.rechunk())
        except pl.exceptions.PolarsError as exc:
            raise UseExactPath(str(exc).splitlines()[0]) from exc
        # before the writer finishes: a failure discards the file, and the exact path tells
        # short rows apart and reports their lines
        if self.verify_rows and (why := unequal_rows(self.src.path, len(self.src.header))):
            raise UseExactPath(f"a row has no value in the last column ({self.last}) and {why}")

    def map_batch(self, df: pl.DataFrame) -> pa.RecordBatch:
        n = df.height
        if not self.planned:
            self._plan(df)
        self._check_short_rows(df.get_column(self.last))
        keys = {h: self._keyer(h).keys(df, h) for h in self.key_columns}
        keys = self._add_new_keys_together(keys)
        # rows ordered by (billing account, billing period): the writer then splits the
        # batch by slicing. A group's row indices are reordered (once per group, or per
        # input column for groups of one), not its finished columns, and only when the
        # group has a column that is not the same on every row
        part = self.groups[self.partition_group]
        inner, at = self._locate(part, keys, n)
        order = self._partition_order(part, inner, at)
        located = {self.partition_group: (inner if order is None else np.take(inner, order, mode="clip"), at)}
        reordered: dict[str, np.ndarray] = {}
        out: dict[str, pa.Array] = {}
        tag_sets: np.ndarray | None = None
        for i, g in enumerate(self.groups):
            inner, at = located[i] if i in located else self._locate(g, keys, n)
            assert g.results is not None
            codes = {col: self._codes(g, col, at) for col in g.columns if col in g.codes}
            nulls = {col: g.null_by_key[col] if g.keyed else bool((c == NULL_CODE).any())
                     for col, c in codes.items()}
            varying = [col for col in g.columns
                       if col not in codes or nulls[col] or len(g.dictionaries[col].ids) != 1]
            if order is not None and i not in located and g.deps and (varying or i == self.tag_group):
                inner = self._reorder(g, inner, order, reordered)
            if i == self.tag_group:
                tag_sets = np.take(at, inner, mode="clip")
            rows: pa.Array | None = None
            for col in g.columns:
                if col in codes:
                    out[col] = self._text_column(g, col, codes[col], nulls[col], inner, n)
                else:
                    rows = pa.array(np.take(at, inner, mode="clip")) if rows is None else rows
                    arr = g.results.column(col).chunk(0).take(rows)
                    out[col] = arr.cast(self.types[col]) if col in self.types else arr
        if self.row_columns:
            out.update(self._per_row(df, out, order, n))
        if self.tally is not None and tag_sets is not None:
            results = self.groups[self.tag_group].results
            assert results is not None
            self.tally.add(out, tag_sets, results.column("Tags"), results.column("x_TagKeys"))
        return pa.RecordBatch.from_arrays([out[c] for c in self.output], names=self.output)

    @staticmethod
    def _reorder(g: Group, inner: np.ndarray, order: np.ndarray,
                 reordered: dict[str, np.ndarray]) -> np.ndarray:
        """A group's row indices in the batch's partition order; the key column of a group
        of one input is reordered once for every group that reads it."""
        if len(g.deps) != 1:
            return np.take(inner, order, mode="clip")
        dep = g.deps[0]
        if dep not in reordered:
            reordered[dep] = np.take(inner, order, mode="clip")
        return reordered[dep]

    def _add_new_keys_together(self, keys: dict[str, tuple[np.ndarray, np.ndarray]],
                               ) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Compute the results of the new values of every group with one input column in
        one query; returns `keys` with those values no longer new. On the first batch
        nearly every such group meets all its values at once, and compiling ~50 queries
        cost more than running them. Each row of the query's input holds the i-th new
        value of every input column (NULL past a column's count): the mapping is row
        by row, and each group's columns depend on its own input only."""
        pending = [i for i, g in enumerate(self.groups) if len(g.deps) == 1 and keys[g.deps[0]][1].size]
        if len(pending) < 2:
            return keys
        ids = tuple(pending)
        if ids not in self.together:
            cols = [c for i in ids for c in self.groups[i].columns]
            self.together[ids] = self._sql(cols, {self.groups[i].deps[0] for i in ids})
        longest = max(keys[self.groups[i].deps[0]][1].size for i in ids)
        inputs: dict[str, pa.Array] = {}
        for i in ids:
            dep = self.groups[i].deps[0]
            values = self._keyer(dep).values(keys[dep][1])
            inputs[dep] = values if len(values) == longest else \
                pa.concat_arrays([values, pa.nulls(longest - len(values), values.type)])
        computed = run_sql(self.con, self.together[ids], pa.table(inputs))
        keys = dict(keys)
        for i in ids:
            g = self.groups[i]
            dep = g.deps[0]
            k, new = keys[dep]
            g.add_keys(self.con, self._keyer(dep), new, computed.select(g.columns).slice(0, new.size))
            keys[dep] = (k, NO_KEYS)
        return keys

    def _text_column(self, g: Group, col: str, small: np.ndarray, has_null: bool,
                     inner: np.ndarray, n: int) -> pa.Array:
        dictionary = g.dictionaries[col]
        if not has_null and len(dictionary.ids) == 1:
            indices = self._zeros(n)  # one value on every row (many FOCUS columns are constant)
        else:
            codes = np.take(small, inner, mode="clip")
            # NULL: a NULL index (the Parquet writer takes no NULL dictionary value)
            indices = pa.array(codes, mask=codes == NULL_CODE) if has_null else pa.array(codes)
        return pa.DictionaryArray.from_arrays(indices, dictionary.array, safe=False)

    def _zeros(self, n: int) -> pa.Array:
        if len(self.zeros) != n:
            self.zeros = pa.array(np.zeros(n, dtype=np.uint32))
        return self.zeros

    @staticmethod
    def _codes(g: Group, col: str, at: np.ndarray) -> np.ndarray:
        """A text column's dictionary code for each value `_locate` indexes."""
        return g.by_key[col] if g.keyed else g.codes[col][at]

    def _locate(self, g: Group, keys: dict[str, tuple[np.ndarray, np.ndarray]],
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
        # several inputs: one int64 per row combines their keys (radix: the key counts);
        # while they fit in DENSE_SPACE that is the key of a lookup table, beyond it the
        # batch's distinct combinations are found by Arrow's hashing and looked up in the
        # group's sorted combinations
        radix = tuple(self._keyer(d).size for d in g.deps)
        if np.prod(np.array(radix, dtype=np.float64)) >= MAX_COMBINED:
            raise UseExactPath(f"too many distinct combinations of {', '.join(g.deps)}")
        if radix != g.radix:
            g.rekey(radix)
        combined = mix([keys[d][0] for d in g.deps], radix)
        if g.keyed:
            unknown = combined[g.at[combined] < 0]
            if unknown.size:
                self._add_combinations(g, np.unique(unknown), radix)
            return combined, g.at
        enc = pc.dictionary_encode(pa.array(combined))
        uniq = enc.dictionary.to_numpy()
        at = g.lookup(uniq)
        missing = np.flatnonzero(at < 0)
        if missing.size:
            if g.full(missing.size):
                g.reset()
                g.rekey(radix)
                missing = np.arange(len(uniq))
            at[missing] = self._add_combinations(g, uniq[missing], radix)
        return enc.indices.to_numpy(), at

    def _add_combinations(self, g: Group, mixed: np.ndarray, radix: tuple[int, ...]) -> np.ndarray:
        """Compute the results of key combinations not met before; their result rows."""
        digits = unmix(mixed, radix)
        base = g.compute(self.con, {d: self._keyer(d).values(digit)
                                    for d, digit in zip(g.deps, digits, strict=True)})
        rows = base + np.arange(len(mixed))
        g.add_tuples(digits, mixed, rows)
        return rows

    def _partition_order(self, g: Group, inner: np.ndarray, at: np.ndarray) -> np.ndarray | None:
        """The order that sorts the batch by (billing account, billing period), None if
        the batch holds one partition."""
        account, period = (self._codes(g, c, at)[inner].astype(np.int64) for c in STORE_KEY_COLUMNS)
        code = account * (len(g.dictionaries[STORE_KEY_COLUMNS[1]].ids) + 1) + period
        if not len(code) or not (code != code[0]).any():
            return None
        return np.argsort(code, kind="stable")

    def _per_row(self, df: pl.DataFrame, out: dict[str, pa.Array], order: np.ndarray | None,
                 n: int) -> dict[str, pa.Array]:
        rows = None if order is None else pa.array(order)

        def source(h: str) -> pa.Array:
            arr = df.get_column(h).to_arrow()
            return arr if rows is None else arr.take(rows)

        result: dict[str, pa.Array] = {c: source(h) for c, h in self.copied.items()}
        if not self.row_sql:
            return result
        cols = {h: out[h] if h in self.row_helpers else source(h) for h in self.row_inputs}
        table = pa.table(cols) if cols else pa.table({"_": np.zeros(n, dtype=np.int8)})
        computed = run_sql(self.con, self.row_sql, table)
        for col in computed.column_names:
            arr = computed.column(col).chunk(0)
            t = self.types[col]
            result[col] = pc.dictionary_encode(arr).cast(t) if pa.types.is_dictionary(t) else arr.cast(t)
        return result

    def _check_short_rows(self, last: pl.Series) -> None:
        # Polars pads a row with too few fields with NULLs where DuckDB's reader rejects
        # it; a row whose last field is empty may be such a row, so the file's lines are
        # counted once it is read (rowcheck.py)
        if last.null_count():
            self.verify_rows = True

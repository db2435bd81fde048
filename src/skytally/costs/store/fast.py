"""The fast reader, `batches(source, params)`: Polars parses a CSV file, and the
mapping's SQL runs once per *distinct* input instead of once per row.

Cost files are wide and repetitive: 5M rows of an MCA file hold a few thousand resource
ids, a few dozen meters and 90 dates. Here:

* Polars' multi-threaded reader parses amounts as decimals and every other column as a
  categorical of its own: each value gets a number (its key) that is the same in every
  batch of the file;
* store columns that read only text (mapping.dependencies says which) are grouped by
  the header columns they read and computed by DuckDB, with the very same SQL as the
  exact reader, once per distinct input (distinct.py);
* the columns that read an amount (BilledCost, prices, quantities...) are computed per
  row by the same SQL over just the columns they need, with the text helpers they use
  (`_ct`, `_commit`, ...) computed per distinct input and handed over;
* text store columns leave as dictionary arrays over one dictionary per column that only
  grows, so the Parquet writer keeps the codes instead of hashing every value again;
* each batch comes out ordered by (billing account, billing period), so the writer
  splits it by slicing.

The fast reader only takes files it can vouch for: a value Polars cannot parse as the
exact reader would, a row with too many fields, or one with too few (found by counting
the fields of each line when some row's last field is empty: rowcheck.py) raises
`UseExactPath`, and the file is read by the exact reader (exact.py) instead, which
reports every bad line with its number.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator

import duckdb
import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from . import udf
from .detect import SourceFile
from .distinct import NULL_CODE, Group, UseExactPath, distinct_keys, grow, run_sql
from .engine import sql_text
from .mapping import (
    STORE_KEY_COLUMNS,
    build_select,
    dependencies,
    output_order,
    quote_ident,
    quote_literal,
    store_schema,
)
from .reading import ReadParams, bytes_per_row
from .rowcheck import unequal_rows
from .sql_refs import column_refs
from .tally import TagSetTally

BATCH_ROWS = 131_072
KEY = "\x00key:"  # Polars computes the key column of text column h as KEY + h
SAMPLE_ROWS, DENSE = 10_000, 0.05 # an amount with more distinct values per row is not keyed
DECIMAL = re.compile(r"DECIMAL\((\d+),\s*(\d+)\)", re.IGNORECASE)


def refusal(src: SourceFile) -> str | None:
    """Why the fast reader will not take this file, or None if it may."""
    if src.format != "csv" or src.compression != "none":
        return "not an uncompressed CSV file"
    if len({h.lower() for h in src.header}) != len(src.header) or any(not h for h in src.header):
        return "the header has empty or repeated column names"
    return None


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
        params.tag_sets = mapper.tally.tables() if mapper.tally is not None else None
    finally:
        mapper.con.close()


def varying_amounts(src: SourceFile) -> set[str]:
    """The amount columns read as decimals, whose columns are computed per row: those with
    many distinct values in the file's first rows (costs). Amounts that repeat (prices,
    exchange rates) are read as text and keyed like it, and DuckDB casts them."""
    money = [h for h in src.header if DECIMAL.fullmatch(src.read_type(h))]
    try:
        first = pl.read_csv(src.path, columns=money, n_rows=SAMPLE_ROWS, infer_schema=False,
                            quote_char='"', encoding="utf8", raise_if_empty=False) if money else None
    except pl.exceptions.PolarsError:
        return set(money)
    return {h for h in money if first is None or first.get_column(h).n_unique() > first.height * DENSE}


def arrow_type(sql: str) -> pa.DataType:
    """The Arrow type a store column is written with (text: dictionary-encoded)."""
    t = sql.upper()
    if m := DECIMAL.fullmatch(t):
        return pa.decimal128(int(m.group(1)), int(m.group(2)))
    simple = {"VARCHAR": pa.dictionary(pa.uint32(), pa.string()), "TIMESTAMP": pa.timestamp("us"),
              "DATE": pa.date32(), "BOOLEAN": pa.bool_(), "DOUBLE": pa.float64(),
              "BIGINT": pa.int64(), "VARCHAR[]": pa.list_(pa.string()),
              "MAP(VARCHAR, VARCHAR)": pa.map_(pa.string(), pa.string())}
    return simple[t]


class FactoredMapper:
    """Maps the rows of one CSV file to store columns, batch by batch."""

    def __init__(self, src: SourceFile, parameters: dict[str, str | None]) -> None:
        layout, header = src.layout, src.header
        self.src, self.parameters = src, parameters
        self.money = varying_amounts(src)
        self.types = {c: arrow_type(t) for c, t in store_schema().items()}
        self.output = output_order()
        place = {h: i for i, h in enumerate(header)}

        def ordered(names: frozenset[str]) -> tuple[str, ...]:
            return tuple(sorted(names, key=lambda n: (place.get(n, len(place)), n)))

        deps = dependencies(layout, header)
        self.last = header[-1]  # an empty last field may be a short row (see map_batch)
        self.verify_rows = False
        self.read_columns = ordered(frozenset().union(*deps.values()) | {self.last})
        # columns that read an amount are computed per row; the text helpers they use
        # (_ct, _commit, ...) once per distinct input, like every other column
        self.row_columns = [c for c in self.types if deps[c] & self.money]
        helpers = frozenset(n for n in layout.derived if not deps[n] & self.money)
        given = dependencies(layout, header, given=helpers)
        self.row_inputs = ordered(frozenset().union(*(given[c] for c in self.row_columns)))
        self.row_helpers = helpers & set(self.row_inputs)
        grouped: dict[frozenset[str], list[str]] = {}
        for c in [*(c for c in self.types if c not in self.row_columns), *sorted(self.row_helpers)]:
            grouped.setdefault(deps[c], []).append(c)
        self.groups = [Group(cols, ordered(d), functools.partial(self._sql, cols, set(d)),
                             [c for c in cols if pa.types.is_dictionary(self.types.get(c, pa.null()))])
                       for d, cols in grouped.items()]
        self.key_columns = sorted({h for g in self.groups for h in g.deps})
        self.row_sql = self._sql(self.row_columns, set(self.row_inputs), self.row_helpers) \
            if self.row_columns else ""
        self.con = duckdb.connect(":memory:")
        self.con.execute("SET threads = 1")
        self.con.execute("SET preserve_insertion_order = true")  # results align with inputs
        udf.register(self.con)
        self.con.execute(sql_text("macros"))
        # the rows' sums per partition, day and tag set, while they stream (tally.py)
        self.tag_group = next((i for i, g in enumerate(self.groups) if "Tags" in g.columns), -1)
        self.tally = TagSetTally(self.con) if self.tag_group >= 0 and len(self.groups[self.tag_group].deps) == 1 \
            and "x_TagKeys" in self.groups[self.tag_group].columns else None

    def _sql(self, columns: list[str], available: set[str], given: frozenset[str] = frozenset()) -> str:
        """The mapping's SQL for just `columns`, over a table `_in` holding the
        `available` header columns (as Polars read them) and the `given` helpers."""
        src = self.src

        def select(source: str) -> str:
            return build_select(src.layout, src.header, source, parameters=self.parameters,
                                columns=columns, given=given)

        def read(h: str) -> str:  # header column h as DuckDB's reader would read it
            t, q = src.read_type(h), quote_ident(h)
            if h not in available:
                return f"CAST(NULL AS {t}) AS {q}"
            if h in self.money:
                return f"CAST({q} AS {t}) AS {q}"
            text = f"nullif(CAST({q} AS VARCHAR), '')"  # DuckDB reads an empty field as NULL
            if t in ("DATE", "TIMESTAMP") and src.date_format:
                text = f"strptime({text}, {quote_literal(src.date_format)})"
            return f"{text} AS {q}" if t == "VARCHAR" else f"CAST({text} AS {t}) AS {q}"

        # only the header columns the query names: DuckDB binds the query at every batch
        named = column_refs(select("_placeholder"))
        exprs = [read(h) for h in src.header if h in available or h.lower() in named]
        exprs += [quote_ident(n) for n in sorted(given)]
        inner = select(f"(SELECT {', '.join(exprs) or 'NULL AS _none'} FROM _in)")
        return f"SELECT {', '.join(quote_ident(c) for c in columns)} FROM ({inner})"

    def _compute_first_together(self, keys: dict[str, np.ndarray],
                                values: Callable[[str, np.ndarray], pa.Array]) -> None:
        """The first batch meets most values of every group of one input column at once:
        their results come from one query, since compiling ~40 queries cost more than
        running them. Row i holds the i-th distinct value of each input column (NULL past
        its count); each group's columns read its own input only, row by row."""
        fresh = [g for g in self.groups if len(g.deps) == 1 and g.results is None]
        if len(fresh) < 2:
            return
        firsts = {g.deps[0]: distinct_keys(keys[g.deps[0]], np.arange(len(keys[g.deps[0]]))) for g in fresh}
        longest = max(len(rows) for _, rows in firsts.values())
        inputs = {h: pa.concat_arrays([values(h, rows), pa.nulls(longest - len(rows), pa.string())])
                  for h, (_, rows) in firsts.items()}
        computed = run_sql(self.con, self._sql([c for g in fresh for c in g.columns], set(inputs)),
                           pa.table(inputs))
        for g in fresh:
            new, _ = firsts[g.deps[0]]
            g.at = grow(g.at, int(new.max()) + 1, -1)
            g.at[new] = g.append(computed.select(g.columns).slice(0, len(new)))

    def parse(self) -> pl.LazyFrame:
        """The header columns the mapping reads, and the keys of its text columns, as
        Polars parses them."""
        src = self.src
        schema = {h: pl.Decimal(int(m.group(1)), int(m.group(2)))
                  if h in self.money and (m := DECIMAL.fullmatch(src.read_type(h)))
                  else pl.Categorical(pl.Categories.random()) for h in src.header}
        # each text value's key is computed by Polars' threads, next to the parsing
        keys = [(pl.col(h).to_physical() + 1).fill_null(0).alias(KEY + h) for h in self.key_columns]
        return pl.scan_csv(src.path, schema=schema, has_header=True, quote_char='"', encoding="utf8",
                           raise_if_empty=False).select(*self.read_columns, *keys)

    def batches(self) -> Iterator[pa.RecordBatch]:
        """The file's rows as store rows (raises UseExactPath)."""
        src = self.src
        try:
            for df in self.parse().collect_batches(chunk_size=BATCH_ROWS):
                if df.height:
                    # a batch comes in many chunks: Polars' pool makes the columns
                    # contiguous at once, instead of one by one on this thread
                    yield self.map_batch(df.rechunk())
        except pl.exceptions.PolarsError as exc:
            raise UseExactPath(str(exc).splitlines()[0]) from exc
        # before the writer finishes: a failure discards the file
        if self.verify_rows and (why := unequal_rows(src.path, len(src.header))):
            raise UseExactPath(f"a row has no value in the last column ({self.last}) and {why}")

    def map_batch(self, df: pl.DataFrame) -> pa.RecordBatch:
        n = df.height
        # Polars pads a row with too few fields with NULLs where DuckDB's reader rejects
        # it: when some row's last field is empty, the file's lines are counted once read
        self.verify_rows = self.verify_rows or bool(df.get_column(self.last).null_count())
        keys = {h: df.get_column(KEY + h).to_numpy() for h in self.key_columns}

        def values(h: str, rows: np.ndarray) -> pa.Array:
            return df.get_column(h).gather(rows).cast(pl.String).to_arrow().cast(pa.string())

        self._compute_first_together(keys, values)
        at = [g.locate(self.con, keys, values, n) for g in self.groups]
        # rows ordered by (billing account, billing period): the writer splits by slicing
        i, part = next((i, g) for i, g in enumerate(self.groups) if STORE_KEY_COLUMNS[0] in g.columns)
        account, period = (part.codes[c][at[i]].astype(np.int64) for c in STORE_KEY_COLUMNS)
        code = account * (len(part.dictionaries[STORE_KEY_COLUMNS[1]].ids) + 1) + period
        order = np.argsort(code, kind="stable") if (code != code[0]).any() else None
        if order is not None:  # a group with one result so far is the same on every row
            at = [rows if g.results is None or g.results.num_rows == 1 else rows[order]
                  for g, rows in zip(self.groups, at, strict=True)]
        out: dict[str, pa.Array] = {}
        for g, rows in zip(self.groups, at, strict=True):
            assert g.results is not None
            taken = pa.array(rows)
            for col in g.columns:
                if col in g.codes:
                    codes = g.codes[col][rows]
                    indices = pa.array(codes, mask=codes == NULL_CODE) if g.has_null[col] else pa.array(codes)
                    out[col] = pa.DictionaryArray.from_arrays(indices, g.dictionaries[col].array, safe=False)
                else:
                    arr = g.results.column(col).chunk(0).take(taken)
                    out[col] = arr.cast(self.types[col]) if col in self.types else arr
        if self.row_sql:
            take = None if order is None else pa.array(order)
            inputs = {h: out[h] if h in self.row_helpers else
                      (df.get_column(h).to_arrow() if take is None else df.get_column(h).to_arrow().take(take))
                      for h in self.row_inputs}
            computed = run_sql(self.con, self.row_sql, pa.table(inputs) if inputs else
                               pa.table({"_": np.zeros(n, dtype=np.int8)}))
            for col in computed.column_names:
                arr, t = computed.column(col).chunk(0), self.types[col]
                out[col] = pc.dictionary_encode(arr).cast(t) if pa.types.is_dictionary(t) else arr.cast(t)
        if self.tally is not None:
            tags = self.groups[self.tag_group].results
            assert tags is not None
            self.tally.add(out, at[self.tag_group], tags.column("Tags"), tags.column("x_TagKeys"))
        return pa.RecordBatch.from_arrays([out[c] for c in self.output], names=self.output)

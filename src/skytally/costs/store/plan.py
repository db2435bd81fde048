"""Which source columns each store column is computed from, and the rest of the CSV
fast path's plan: which files it takes (`refusal`), the Arrow types it writes, how store
columns are grouped and the SQL each group runs (`mapped_sql`).

The mapping (mapping.py) is SQL over three layers: canonical columns renamed from the
header, helper values (`derived`), then the store columns. Following identifiers
through those layers tells, for every store column, the set of header columns its
value depends on. The CSV fast path (fast.py) uses it to compute a store column
once per distinct combination of those inputs instead of once per row.

The names an expression reads come from DuckDB's parser (mapping.identifiers), matched
case-insensitively as DuckDB does.
"""

from __future__ import annotations

import re

import pyarrow as pa

from .detect import SourceFile
from .mapping import (
    INTERNAL_COLUMNS,
    PARTITION_INPUTS,
    STORE_KEY_COLUMNS,
    Layout,
    build_select,
    column_refs,
    identifiers,
    norm,
    quote_ident,
    quote_literal,
    store_schema,
)


def dependencies(layout: Layout, header: list[str],
                 given: frozenset[str] = frozenset()) -> dict[str, frozenset[str]]:
    """Store column, and helper (`derived`) name -> the header columns (as spelled in
    the file) it is computed from. A helper in `given` counts as an input of its own
    name (it is computed separately and handed over)."""
    by_norm = {norm(h): h for h in header}

    def header_refs(expr: str) -> set[str]:
        return {by_norm[norm(i)] for i in identifiers(expr) if norm(i) in by_norm}

    # layer 1: canonical column -> header columns
    canonical: dict[str, frozenset[str]] = {}
    for canon in layout.canonical_types:
        if canon in layout.rename:
            canonical[canon.lower()] = frozenset(header_refs(layout.rename[canon]))
        elif norm(canon) in by_norm:
            canonical[canon.lower()] = frozenset({by_norm[norm(canon)]})
        else:
            canonical[canon.lower()] = frozenset()
    canon_norms = {norm(c) for c in layout.canonical_types}
    for h in header:  # non-canonical source columns stay reachable under their own name
        if norm(h) not in canon_norms:
            canonical.setdefault(h.lower(), frozenset({h}))

    def resolve(expr: str, names: dict[str, frozenset[str]]) -> frozenset[str]:
        deps: set[str] = set()
        for ident in identifiers(expr):
            deps |= names.get(ident, frozenset())
        return frozenset(deps)

    # layer 2: helpers (may use earlier helpers) and the parsed tags
    names = dict(canonical)
    names["_tags"] = canonical.get("tags", frozenset())
    names["_ti"] = names["_tags"]
    for name, expr in layout.derived.items():
        names[name.lower()] = frozenset({name}) if name in given else resolve(expr, names)

    # layer 3: store columns
    out: dict[str, frozenset[str]] = {}
    for col in store_schema():
        if col in STORE_KEY_COLUMNS:
            continue
        if col in ("x_TagKeys", "x_TagsInvalid"):
            out[col] = names["_tags"]
        elif col in INTERNAL_COLUMNS:  # x_SourceLayout: a constant
            out[col] = frozenset()
        elif col in layout.columns:
            out[col] = resolve(layout.columns[col], names)
        elif layout.identity and col in layout.canonical_types:
            out[col] = names.get(col.lower(), frozenset())
        else:
            out[col] = frozenset()
    key = frozenset().union(*(out[c] for c in PARTITION_INPUTS))
    for col in STORE_KEY_COLUMNS:
        out[col] = key
    for name in layout.derived:
        out[name] = names[name.lower()]
    return out


# -- the CSV fast path's plan: which files it takes, its types, groups and queries -------
DECIMAL = re.compile(r"DECIMAL\((\d+),\s*(\d+)\)", re.IGNORECASE)


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
    if m := DECIMAL.fullmatch(t):
        return pa.decimal128(int(m.group(1)), int(m.group(2)))
    simple = {"VARCHAR": pa.dictionary(pa.uint32(), pa.string()), "TIMESTAMP": pa.timestamp("us"),
              "DATE": pa.date32(), "BOOLEAN": pa.bool_(), "DOUBLE": pa.float64(),
              "BIGINT": pa.int64(), "VARCHAR[]": pa.list_(pa.string()),
              "MAP(VARCHAR, VARCHAR)": pa.map_(pa.string(), pa.string())}
    return simple[t]


def merge_by_money(grouped: dict[frozenset[str], list[str]],
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


def _source_expr(src: SourceFile, h: str, available: set[str]) -> str:
    """Header column h of the fast path's input (`_in`: Polars' values) as DuckDB's
    reader would read it."""
    t = src.read_type(h)
    q = quote_ident(h)
    if h not in available:
        return f"CAST(NULL AS {t}) AS {q}"
    if DECIMAL.fullmatch(t):
        return f"CAST({q} AS {t}) AS {q}"
    # DuckDB's reader reads an empty field (quoted or not) as NULL
    text = f"nullif(CAST({q} AS VARCHAR), '')"
    if t == "VARCHAR":
        return f"{text} AS {q}"
    if t in ("DATE", "TIMESTAMP") and src.date_format:
        return f"CAST(strptime({text}, {quote_literal(src.date_format)}) AS {t}) AS {q}"
    return f"CAST({text} AS {t}) AS {q}"


_SOURCE = "_source_placeholder"


def mapped_sql(src: SourceFile, parameters: dict[str, str | None], columns: list[str],
               available: set[str], given: frozenset[str] = frozenset()) -> str:
    """The mapping's SQL for just `columns`, over a table `_in` holding the `available`
    header columns (and the `given` helpers)."""
    # only the header columns the query names: DuckDB parses and binds a query at every
    # batch, and ~65 unused NULL columns cost more than running it (6.1 vs 2.8 ms)
    named = column_refs(build_select(src.layout, src.header, _SOURCE, parameters=parameters,
                                     columns=columns, given=given))
    exprs = [_source_expr(src, h, available) for h in src.header if h in available or h.lower() in named]
    exprs += [quote_ident(n) for n in sorted(given)]
    source = f"(SELECT {', '.join(exprs) or 'NULL AS _none'} FROM _in)"
    select = build_select(src.layout, src.header, source, parameters=parameters, columns=columns, given=given)
    return f"SELECT {', '.join(quote_ident(c) for c in columns)} FROM ({select})"

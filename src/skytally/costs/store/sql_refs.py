"""What columns a SQL text reads, as DuckDB's own parser sees them (`json_serialize_sql`),
not as a regular expression guesses: the mapping's column dependencies are taken from it."""

from __future__ import annotations

import json
import re
import threading
from functools import cache, lru_cache

import duckdb

PARAMETER = re.compile(r":([a-z_]+)\b")  # `:billing_account_id`: a value the caller gives
_parser_lock = threading.Lock()


@cache
def _parser() -> duckdb.DuckDBPyConnection:
    return duckdb.connect(":memory:")


@lru_cache(maxsize=4096)
def column_refs(sql: str) -> frozenset[str]:
    """Lower-cased names of the columns a SQL statement reads, as DuckDB's parser sees
    them (every part of a dotted name: `_ti.keys` gives `_ti` and `keys`). Function
    names, keywords and string literals are not columns; a lambda's parameter is one,
    which only adds a dependency (always safe: more distinct inputs, never a wrong value)."""
    with _parser_lock:
        row = _parser().execute("SELECT json_serialize_sql(?)", [PARAMETER.sub("NULL", sql)]).fetchone()
    tree = json.loads(row[0]) if row else {"error": True}
    if tree.get("error"):
        raise ValueError(f"the mapping's SQL does not parse: {sql!r} ({tree.get('error_message')})")
    names: set[str] = set()
    todo: list[object] = [tree]
    while todo:
        node = todo.pop()
        if isinstance(node, dict):
            if node.get("class") == "COLUMN_REF":
                names.update(n.lower() for n in node["column_names"])
            todo.extend(node.values())
        elif isinstance(node, list):
            todo.extend(node)
    return frozenset(names)


def identifiers(expr: str) -> frozenset[str]:
    """Lower-cased names of the columns a SQL expression reads (column_refs)."""
    return column_refs(f"SELECT {expr}")

"""Which source columns each store column is computed from.

The mapping (mapping.py) is SQL over three layers: canonical columns renamed from the
header, helper values (`derived`), then the store columns. Following identifiers
through those layers tells, for every store column, the set of header columns its
value depends on. The CSV fast path (factored.py) uses it to compute a store column
once per distinct combination of those inputs instead of once per row.

Identifiers are matched case-insensitively, as DuckDB does; a function or keyword that
happens to share a column's name only adds a dependency, which is always safe (the
column is then computed over more distinct values, never wrongly).
"""

from __future__ import annotations

from .mapping import (
    INTERNAL_COLUMNS,
    PARTITION_INPUTS,
    STORE_KEY_COLUMNS,
    Layout,
    identifiers,
    norm,
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

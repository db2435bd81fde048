"""Source layouts and their mapping to the store's FOCUS 1.2 columns, loaded from
`mappings/*.yaml` (data, not code) and turned into one DuckDB SELECT per file.

A layout file says: the header it is recognised by (`required`), how its columns are
renamed to the canonical names of its base (`rename`: canonical -> SQL expression), and
which FOCUS columns it computes differently from its base (`columns`: target -> SQL).
The base (`cost_management.yaml`, `focus.yaml`) holds the shared target table.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from functools import cache, lru_cache
from importlib import resources
from typing import Any

import duckdb
import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

DECIMAL_TYPE = "DECIMAL(38, 18)"
_TYPE_ALIASES = {"DECIMAL": DECIMAL_TYPE}
# skytally's own columns, computed by the importer for every layout
TAG_COLUMNS = ("x_TagKeys", "x_TagsInvalid")
STORE_KEY_COLUMNS = ("x_StoreAccount", "x_StorePeriod")
INTERNAL_COLUMNS = (*TAG_COLUMNS, "x_SourceLayout", *STORE_KEY_COLUMNS)
# the store columns partition_key_sql computes the store keys from
PARTITION_INPUTS = ("x_BillingAccountId", "BillingAccountId", "BillingPeriodStart", "ChargePeriodStart")


def _load_yaml(name: str) -> dict[str, Any]:
    text = resources.files("skytally.costs").joinpath("mappings", name).read_text("utf-8")
    # libyaml's loader when present: the pure-Python one took ~0.13 s of every import
    data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    if not isinstance(data, dict):
        raise ValueError(f"mapping file {name} is not a mapping")
    return data


def norm(name: str) -> str:
    """Header names match case-insensitively, ignoring spaces, underscores and a BOM."""
    return re.sub(r"[\s_\ufeff\"]", "", name).lower()


def sql_type(t: str) -> str:
    return _TYPE_ALIASES.get(t.upper(), t)


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


@cache
def store_schema() -> dict[str, str]:
    """Store column -> DuckDB type, in FOCUS 1.2 export order then skytally's x_ columns."""
    cols = _load_yaml("store_schema.yaml")["columns"]
    return {str(k): sql_type(str(v)) for k, v in cols.items()}


def output_order() -> list[str]:
    """The order of build_select's columns (the tag and partition columns last)."""
    last = (*TAG_COLUMNS, *STORE_KEY_COLUMNS)
    return [c for c in store_schema() if c not in last] + list(last)


def partition_key_sql(billing_account_override: str | None) -> tuple[str, str]:
    """(billing account, billing period) of a stored row, as SQL over the store columns.
    The account is skytally's key: the EA enrollment / MCA billing account (FOCUS puts
    the MCA billing *profile* in BillingAccountId and the account in x_BillingAccountId)."""
    account = (
        quote_literal(billing_account_override)
        if billing_account_override
        else "coalesce(nullif(x_BillingAccountId, ''), nullif(BillingAccountId, ''), 'unassigned')"
    )
    period = "coalesce(strftime(coalesce(BillingPeriodStart, ChargePeriodStart), '%Y-%m'), 'unknown')"
    return account, period


def focus_columns() -> list[str]:
    """The FOCUS (and Microsoft x_) columns a caller may group or filter by."""
    return [c for c in store_schema() if c not in INTERNAL_COLUMNS]


@dataclass(frozen=True)
class Layout:
    name: str
    title: str
    family: str
    kinds: tuple[str, ...]
    header: tuple[str, ...]
    required: tuple[tuple[str, ...], ...]  # each entry: alternatives, one must be present
    canonical_types: dict[str, str]
    source_types: dict[str, str]
    rename: dict[str, str]
    derived: dict[str, str]
    columns: dict[str, str]
    identity: bool
    cost_column: str
    date_column: str
    requires_parameters: tuple[str, ...] = field(default=())

    # -- detection -------------------------------------------------------------
    def missing(self, header: list[str]) -> list[str]:
        have = {norm(h) for h in header}
        return ["|".join(alts) for alts in self.required if not any(norm(a) in have for a in alts)]

    def score(self, header: list[str]) -> int:
        known = {norm(h) for h in self.header}
        return sum(1 for h in header if norm(h) in known)

    # -- reading ---------------------------------------------------------------
    def read_type(self, column: str) -> str:
        """The type a source column is read with (VARCHAR when unknown)."""
        n = norm(column)
        for name, t in self.source_types.items():
            if norm(name) == n:
                return t
        for canon, expr in self.rename.items():
            if norm(expr) == n and _is_ident(expr):
                return self.canonical_types.get(canon, "VARCHAR")
        for canon, t in self.canonical_types.items():
            if norm(canon) == n and canon not in self.rename:
                return t
        return "VARCHAR"

    def cost_source(self, header: list[str]) -> str | None:
        """The header column holding a row's money (to total rejected rows)."""
        expr = self.rename.get(self.cost_column, self.cost_column)
        by_norm = {norm(h): h for h in header}
        named = sorted(identifiers(expr), key=expr.lower().find)  # the first one named
        return next((by_norm[norm(i)] for i in named if norm(i) in by_norm), None)


def _is_ident(expr: str) -> bool:
    return re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", expr) is not None


class MappingFile(BaseModel):
    """One `mappings/*.yaml` file as written, validated when it is loaded (an unknown key,
    a wrong type or a concrete layout without its cost or date column is refused)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str | None = None  # a base without one is known by its file name
    title: str | None = None
    extends: str | None = None
    abstract: bool = False
    family: str = ""
    kinds: tuple[str, ...] = ()
    header: tuple[str, ...] | None = None  # None: a base, not a file layout
    required: tuple[str, ...] = ()  # each entry: alternatives separated by "|"
    source_types: dict[str, str] = {}
    requires_parameters: tuple[str, ...] = ()
    rename: dict[str, str] = {}
    columns: dict[str, str] = {}
    derived: dict[str, str] = {}
    canonical: dict[str, str] = {}
    canonical_from_store: bool = False
    identity: bool = False
    cost_column: str | None = None
    date_column: str | None = None


@cache
def layouts() -> dict[str, Layout]:
    """All concrete layouts by name, bases resolved."""
    names = [
        p.name
        for p in resources.files("skytally.costs").joinpath("mappings").iterdir()
        if p.name.endswith(".yaml") and p.name not in ("store_schema.yaml", "untaggable_types.yaml")
    ]
    files: dict[str, MappingFile] = {}
    for n in sorted(names):
        try:
            files[n] = MappingFile.model_validate(_load_yaml(n))
        except ValidationError as exc:
            raise ValueError(f"costs/mappings/{n} is not a valid mapping: {exc}") from None
    bases = {f.name or n.removesuffix(".yaml"): f for n, f in files.items()}
    result: dict[str, Layout] = {}
    for n, data in files.items():
        if data.abstract or data.header is None:
            continue
        base = bases[data.extends] if data.extends else MappingFile()
        cost_column, date_column = data.cost_column or base.cost_column, data.date_column or base.date_column
        if data.name is None or cost_column is None or date_column is None:
            raise ValueError(f"costs/mappings/{n}: a file layout needs a name, a cost_column and a date_column "
                             "(its own or from the layout it extends)")
        if base.canonical_from_store:
            canonical = {
                c: ("VARCHAR" if c == "Tags" or t == "BOOLEAN" else t)
                for c, t in store_schema().items()
                if c not in INTERNAL_COLUMNS
            }
        else:
            canonical = {k: sql_type(v) for k, v in base.canonical.items()}
        layout = Layout(
            name=data.name,
            title=data.title or data.name,
            family=data.family,
            kinds=data.kinds,
            header=data.header,
            required=tuple(tuple(r.split("|")) for r in data.required),
            canonical_types=canonical,
            source_types={k: sql_type(v) for k, v in data.source_types.items()},
            rename=dict(data.rename),
            derived={**base.derived, **data.derived},
            columns={**base.columns, **data.columns},
            identity=base.identity or data.identity,
            cost_column=cost_column,
            date_column=date_column,
            requires_parameters=data.requires_parameters,
        )
        result[layout.name] = layout
    return result


_PARAMETER = re.compile(r":([a-z_]+)\b")  # `:billing_account_id`: a value the caller gives
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
        row = _parser().execute("SELECT json_serialize_sql(?)", [_PARAMETER.sub("NULL", sql)]).fetchone()
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


def _store_expr(layout: Layout, col: str) -> str:
    if col in layout.columns:
        return layout.columns[col]
    if layout.identity and col in layout.canonical_types:
        return quote_ident(col)
    return "NULL"


def copied_column(layout: Layout, header: list[str], col: str) -> str | None:
    """The header column store column `col` is an unchanged copy of, or None: its
    expression names a canonical column read straight from that header column (no
    rename expression, no helper), and the read, canonical and store types are one."""
    expr = _store_expr(layout, col)
    if col in INTERNAL_COLUMNS or col == "Tags" or not _is_ident(expr):
        return None
    if any(norm(d) == norm(expr) for d in layout.derived):
        return None
    canon = next((c for c in layout.canonical_types if norm(c) == norm(expr)), None)
    source = next((h for h in header if norm(h) == norm(expr)), None)
    if canon is None or canon in layout.rename or source is None:
        return None
    ctype = layout.canonical_types[canon]
    return source if ctype == store_schema()[col] == layout.read_type(source) else None


def _needed_names(layout: Layout, columns: list[str], given: set[str]) -> set[str]:
    """Lower-cased helper and canonical names the given store columns (or helpers)
    refer to; `given` helpers are inputs, not followed."""
    refs: set[str] = set()
    for col in columns:
        if col in TAG_COLUMNS:
            refs.add("_tags")
        elif col in layout.derived:
            refs.add(col.lower())
        elif col not in INTERNAL_COLUMNS:
            refs |= identifiers(_store_expr(layout, col))
    helpers = {n.lower(): e for n, e in layout.derived.items() if n not in given}
    todo = [r for r in refs if r in helpers]
    while todo:  # helpers may use earlier helpers
        for ident in identifiers(helpers[todo.pop()]):
            if ident in helpers and ident not in refs:
                todo.append(ident)
            refs.add(ident)
    if "_tags" in refs:
        refs.add("tags")
    return refs


def build_select(
    layout: Layout,
    header: list[str],
    source_sql: str,
    *,
    parameters: dict[str, str | None],
    where: str | None = None,
    exclude: tuple[str, ...] = (),
    columns: list[str] | None = None,
    given: frozenset[str] = frozenset(),
) -> str:
    """One SELECT producing the store's columns from `source_sql` (a read_csv /
    read_parquet call whose columns are `header`); with `columns`, only those (plus
    the store columns the partition keys are computed from), for a smaller query.
    `columns` may name helpers (`derived`); helpers in `given` are read from the
    source (computed elsewhere) instead of computed."""
    by_norm = {norm(h): h for h in header}
    schema = store_schema()
    wanted = set(schema)
    names: set[str] = set()
    if columns is not None:
        wanted = set(columns)
        if wanted & set(STORE_KEY_COLUMNS):
            wanted |= set(PARTITION_INPUTS)
        names = _needed_names(layout, sorted(wanted), set(given))

    def substitute(expr: str) -> str:
        def repl(m: re.Match[str]) -> str:
            value = parameters.get(m.group(1))
            return "NULL" if value is None else quote_literal(value)

        return re.sub(r":([a-z_]+)\b", repl, expr)

    # layer 1: canonical names with canonical types
    canon_sql: list[str] = []
    for canon, ctype in layout.canonical_types.items():
        if columns is not None and canon.lower() not in names:
            continue
        if canon in layout.rename:
            expr = substitute(layout.rename[canon])
            if _is_ident(expr) and norm(expr) not in by_norm:
                expr = "NULL"
            canon_sql.append(f"CAST(({expr}) AS {ctype}) AS {quote_ident(canon)}")
        elif norm(canon) in by_norm:
            src = quote_ident(by_norm[norm(canon)])
            canon_sql.append(f"CAST({src} AS {ctype}) AS {quote_ident(canon)}")
        else:
            canon_sql.append(f"CAST(NULL AS {ctype}) AS {quote_ident(canon)}")
    # source columns that are not canonical stay reachable under their own name
    canon_norms = {norm(c) for c in layout.canonical_types}
    for h in header:
        if norm(h) not in canon_norms and (columns is None or h.lower() in names):
            canon_sql.append(quote_ident(h))
    canon_sql.extend(quote_ident(n) for n in sorted(given))
    if not canon_sql:
        canon_sql.append("NULL AS _none")
    tags = columns is None or "_tags" in names

    # layer 2: tags and helpers
    helpers = [f"({substitute(e)}) AS {quote_ident(n)}" for n, e in layout.derived.items()
               if (columns is None or n.lower() in names) and n not in given]
    if tags:
        helpers.append("_ti.tags AS _tags")
    if not helpers:
        helpers.append("NULL AS _nohelper")

    # layer 3: the store columns
    out: list[str] = []
    for col, ctype in schema.items():
        if col in TAG_COLUMNS or col in STORE_KEY_COLUMNS or col not in wanted:
            continue
        if col == "x_SourceLayout":
            out.append(f"{quote_literal(layout.name)} AS {quote_ident(col)}")
            continue
        expr = substitute(_store_expr(layout, col))
        if col == "Tags":
            out.append(f"({expr}) AS {quote_ident(col)}")
        else:
            out.append(f"CAST(({expr}) AS {ctype}) AS {quote_ident(col)}")
    if tags:
        out.append('_ti."keys" AS x_TagKeys')
        out.append("_ti.invalid AS x_TagsInvalid")
    # the partition keys, computed from the columns above (DuckDB's lateral aliases)
    account, period = partition_key_sql(parameters.get("billing_account_id"))
    if "x_StoreAccount" in wanted:
        out.append(f"{account} AS x_StoreAccount")
    if "x_StorePeriod" in wanted:
        out.append(f"{period} AS x_StorePeriod")
    out.extend(quote_ident(n) for n in (columns or ()) if n in layout.derived)
    if not out:
        out.append("NULL AS _nothing")
    # declared source columns this file lacks are NULL (expressions may name them)
    absent = [
        f"CAST(NULL AS {layout.read_type(c)}) AS {quote_ident(c)}"
        for c in dict.fromkeys([*layout.header, *layout.source_types])
        if norm(c) not in by_norm
    ]
    extra = (", " + ", ".join(absent)) if absent else ""
    tags_canon = "Tags"
    excl = f" EXCLUDE ({', '.join(quote_ident(c) for c in exclude)})" if exclude else ""
    filt = f" WHERE {where}" if where else ""
    return (
        f"WITH _src AS (SELECT *{excl}{extra} FROM {source_sql}{filt}),\n"
        f"_c AS (SELECT {', '.join(canon_sql)} FROM _src),\n"
        + (f"_d AS (SELECT *, st_parse_tags({tags_canon}) AS _ti FROM _c),\n" if tags
           else "_d AS (SELECT * FROM _c),\n") +
        f"_t AS (SELECT *, {', '.join(helpers)} FROM _d)\n"
        f"SELECT {', '.join(out)} FROM _t"
    )

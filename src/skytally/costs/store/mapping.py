"""Source layouts and their mapping to the store's FOCUS 1.2 columns, loaded from
`mappings/*.yaml` (data, not code) and turned into one DuckDB SELECT per file.

A layout file says: the header it is recognised by (`required`), how its columns are
renamed to the canonical names of its base (`rename`: canonical -> SQL expression), and
which FOCUS columns it computes differently from its base (`columns`: target -> SQL).
The base (`cost_management.yaml`, `focus.yaml`) holds the shared target table.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from importlib import resources
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from .sql_refs import PARAMETER, identifiers

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


class Layout(BaseModel):
    """One `mappings/*.yaml` file, validated when it is loaded (an unknown key or a wrong
    type is refused). A base has no `header`; a file layout is used over the base it
    `extends` (`over`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = ""  # a base without one is known by its file name
    title: str = ""
    extends: str | None = None
    abstract: bool = False
    family: str = ""
    kinds: tuple[str, ...] = ()
    header: tuple[str, ...] = ()
    required: tuple[tuple[str, ...], ...] = ()  # written "a|b": one of the alternatives must be present
    canonical: dict[str, str] = {}  # canonical name -> the type it is read with
    canonical_from_store: bool = False  # a base whose canonical names are the store's columns
    source_types: dict[str, str] = {}  # the types other source columns are read with
    requires_parameters: tuple[str, ...] = ()  # the :parameters an import of the file must give
    rename: dict[str, str] = {}  # canonical name -> SQL over the file's columns
    derived: dict[str, str] = {}  # helper -> SQL over the canonical names and earlier helpers
    columns: dict[str, str] = {}  # store column -> SQL over the canonical names and helpers
    identity: bool = False  # a store column not in `columns` is the canonical one of its name, if any
    cost_column: str = ""
    date_column: str = ""

    @field_validator("required", mode="before")
    @classmethod
    def _alternatives(cls, value: Any) -> Any:
        return [r.split("|") if isinstance(r, str) else r for r in value] if isinstance(value, list) else value

    @field_validator("canonical", "source_types")
    @classmethod
    def _types(cls, types: dict[str, str]) -> dict[str, str]:
        return {k: sql_type(t) for k, t in types.items()}

    def over(self, base: Layout) -> Layout:
        """This file layout as used: with its base's canonical names, identity, cost and
        date columns, and its base's helpers and store columns under its own."""
        canonical = base.canonical
        if base.canonical_from_store:
            canonical = {c: ("VARCHAR" if c == "Tags" or t == "BOOLEAN" else t)
                         for c, t in store_schema().items() if c not in INTERNAL_COLUMNS}
        return self.model_copy(update={
            "title": self.title or self.name, "canonical": canonical,
            "derived": base.derived | self.derived, "columns": base.columns | self.columns,
            "identity": base.identity or self.identity,
            "cost_column": self.cost_column or base.cost_column, "date_column": self.date_column or base.date_column,
        })

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
                return self.canonical.get(canon, "VARCHAR")
        for canon, t in self.canonical.items():
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


@cache
def layouts() -> dict[str, Layout]:
    """The file layouts by name, each over its base."""
    names = [p.name for p in resources.files("skytally.costs").joinpath("mappings").iterdir()
             if p.name.endswith(".yaml") and p.name not in ("store_schema.yaml", "untaggable_types.yaml")]
    files: dict[str, Layout] = {}
    for n in sorted(names):
        try:
            files[n] = Layout.model_validate(_load_yaml(n))
        except ValidationError as exc:
            raise ValueError(f"costs/mappings/{n} is not a valid mapping: {exc}") from None
    bases = {f.name or n.removesuffix(".yaml"): f for n, f in files.items()}
    result: dict[str, Layout] = {}
    for n, file in files.items():
        if file.abstract or not file.header:
            continue
        layout = file.over(bases[file.extends] if file.extends else Layout())
        if not (layout.name and layout.cost_column and layout.date_column):
            raise ValueError(f"costs/mappings/{n}: a file layout needs a name, a cost_column and a date_column "
                             "(its own or from the layout it extends)")
        result[layout.name] = layout
    return result


def _store_expr(layout: Layout, col: str) -> str:
    if col in layout.columns:
        return layout.columns[col]
    if layout.identity and col in layout.canonical:
        return quote_ident(col)
    return "NULL"


def _reads(layout: Layout, given: frozenset[str] = frozenset()) -> dict[str, frozenset[str]]:
    """Store column, and helper (`derived`) name -> the lower-cased names (canonical,
    header, helper, `_tags`) it reads, itself or through helpers; a helper in `given`
    is read, not followed (it is computed elsewhere and handed over)."""
    names = {"_tags": frozenset({"_tags", "tags"}), "_ti": frozenset({"_ti", "tags"})}

    def closure(expr: str) -> frozenset[str]:
        return frozenset().union(*(names.get(i, frozenset({i})) for i in identifiers(expr)))

    for name, expr in layout.derived.items():  # helpers may use earlier helpers
        names[name.lower()] = frozenset({name.lower()}) | (frozenset() if name in given else closure(expr))
    out = {col: names["_tags"] if col in TAG_COLUMNS else frozenset() if col in INTERNAL_COLUMNS
           else closure(_store_expr(layout, col)) for col in store_schema()}
    for col in STORE_KEY_COLUMNS:
        out[col] = frozenset().union(*(out[c] for c in PARTITION_INPUTS))
    return out | {name: names[name.lower()] for name in layout.derived}


def dependencies(layout: Layout, header: list[str],
                 given: frozenset[str] = frozenset()) -> dict[str, frozenset[str]]:
    """Store column, and helper (`derived`) name -> the header columns (as spelled in
    the file) it is computed from. A helper in `given` counts as an input of its own
    name (it is computed separately and handed over)."""
    by_norm = {norm(h): h for h in header}
    canon_norms = {norm(c) for c in layout.canonical}
    inputs: dict[str, frozenset[str]] = {h.lower(): frozenset({h}) for h in header if norm(h) not in canon_norms}
    for canon in layout.canonical:
        refs = identifiers(layout.rename[canon]) if canon in layout.rename else {canon}
        inputs[canon.lower()] = frozenset(by_norm[norm(i)] for i in refs if norm(i) in by_norm)
    inputs |= {name.lower(): frozenset({name}) for name in given}
    return {col: frozenset().union(*(inputs.get(n, frozenset()) for n in names))
            for col, names in _reads(layout, given).items()}


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
    """One SELECT producing store columns from `source_sql` (a read_csv / read_parquet
    call, or the fast reader's input, whose columns are `header`), layer by layer: the
    source (`_src`), canonical names (`_c`), parsed tags (`_d`), helpers (`_t`), the
    store columns. With `columns`, only those (plus the store columns the partition keys
    are computed from) and only what they read; `columns` may name helpers, and helpers
    in `given` are read from the source (computed elsewhere) instead of computed."""
    wanted = list(store_schema()) if columns is None else \
        [c for c in store_schema() if c in columns or (c in PARTITION_INPUTS and set(columns) & set(STORE_KEY_COLUMNS))]
    names: set[str] | None = None  # the lower-cased names the columns read (None: all)
    if columns is not None:
        reads = _reads(layout, given)
        names = set().union(*(reads[c] for c in [*wanted, *columns]))

    def sub(expr: str) -> str:  # the :parameters the caller gives, as literals
        return PARAMETER.sub(lambda m: "NULL" if (v := parameters.get(m.group(1))) is None else quote_literal(v), expr)

    tags = names is None or "_tags" in names
    helpers = [f"({sub(e)}) AS {quote_ident(n)}" for n, e in layout.derived.items()
               if (names is None or n.lower() in names) and n not in given]
    store = _store_exprs(layout, wanted, tags, parameters, sub)
    store += [quote_ident(n) for n in columns or () if n in layout.derived]
    return (
        f"WITH _src AS ({_source(layout, header, source_sql, where, exclude)}),\n"
        f"_c AS (SELECT {_listed(_canonical_exprs(layout, header, names, given, sub), '_none')} FROM _src),\n"
        f"_d AS (SELECT *{', st_parse_tags(Tags) AS _ti' if tags else ''} FROM _c),\n"
        f"_t AS (SELECT *, {_listed([*helpers, *(['_ti.tags AS _tags'] if tags else [])], '_nohelper')} FROM _d)\n"
        f"SELECT {_listed(store, '_nothing')} FROM _t"
    )


def _listed(exprs: list[str], none: str) -> str:
    return ", ".join(exprs) or f"NULL AS {none}"


def _source(layout: Layout, header: list[str], source_sql: str, where: str | None,
            exclude: tuple[str, ...]) -> str:
    """The source's rows, with the declared source columns the file lacks as NULLs
    (expressions may name them)."""
    have = {norm(h) for h in header}
    absent = [f", CAST(NULL AS {layout.read_type(c)}) AS {quote_ident(c)}"
              for c in dict.fromkeys([*layout.header, *layout.source_types]) if norm(c) not in have]
    excl = f" EXCLUDE ({', '.join(quote_ident(c) for c in exclude)})" if exclude else ""
    return f"SELECT *{excl}{''.join(absent)} FROM {source_sql}" + (f" WHERE {where}" if where else "")


def _canonical_exprs(layout: Layout, header: list[str], names: set[str] | None, given: frozenset[str],
                     sub: Callable[[str], str]) -> list[str]:
    """Each canonical name (those in `names`, or all) with its canonical type; header
    columns that are not canonical keep their own name; then the `given` helpers."""
    by_norm = {norm(h): h for h in header}
    out: list[str] = []
    for canon, ctype in layout.canonical.items():
        if names is not None and canon.lower() not in names:
            continue
        if canon in layout.rename:
            expr = sub(layout.rename[canon])
            expr = "NULL" if _is_ident(expr) and norm(expr) not in by_norm else f"({expr})"
        else:
            expr = quote_ident(by_norm[norm(canon)]) if norm(canon) in by_norm else "NULL"
        out.append(f"CAST({expr} AS {ctype}) AS {quote_ident(canon)}")
    canon_norms = {norm(c) for c in layout.canonical}
    out += [quote_ident(h) for h in header if norm(h) not in canon_norms and (names is None or h.lower() in names)]
    return out + [quote_ident(n) for n in sorted(given)]


def _store_exprs(layout: Layout, wanted: list[str], tags: bool, parameters: dict[str, str | None],
                 sub: Callable[[str], str]) -> list[str]:
    """The `wanted` store columns (with their types), the partition keys last: they are
    computed from the columns before them (DuckDB's lateral aliases)."""
    out: list[str] = []
    for col in wanted:
        if col in TAG_COLUMNS or col in STORE_KEY_COLUMNS:
            continue
        if col == "x_SourceLayout":
            out.append(f"{quote_literal(layout.name)} AS {quote_ident(col)}")
        elif col == "Tags":
            out.append(f"({sub(_store_expr(layout, col))}) AS {quote_ident(col)}")
        else:
            out.append(f"CAST(({sub(_store_expr(layout, col))}) AS {store_schema()[col]}) AS {quote_ident(col)}")
    if tags:
        out += ['_ti."keys" AS x_TagKeys', "_ti.invalid AS x_TagsInvalid"]
    account, period = partition_key_sql(parameters.get("billing_account_id"))
    out += [f"{sql} AS {col}" for col, sql in zip(STORE_KEY_COLUMNS, (account, period), strict=True) if col in wanted]
    return out

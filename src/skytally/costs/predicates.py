"""The SQL predicates a `CostQuery` becomes: allow-listed identifiers filled in, every
value bound as a named parameter (`Params`)."""

from __future__ import annotations

from typing import Any

from .dimensions import TAG_PREFIX, canonical_dimension
from .schemas import CostQuery
from .store.mapping import quote_ident


class Params:
    """Named parameters for one statement (names are generated, values bound)."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}

    def add(self, value: Any) -> str:
        name = f"p{len(self.values)}"
        self.values[name] = value
        return "$" + name


def dim_expr(dim: str, params: Params) -> str:
    if dim.startswith(TAG_PREFIX):
        key = params.add(dim[len(TAG_PREFIX):])
        return f"map_values(Tags)[list_position(x_TagKeys, {key})]"
    return quote_ident(dim)


def row_filter(q: CostQuery, params: Params) -> str:
    parts = ["true"]
    if q.start is not None:
        parts.append(f"ChargePeriodStart >= {params.add(q.start)}::TIMESTAMP")
    if q.end is not None:
        parts.append(f"ChargePeriodStart < {params.add(q.end)}::TIMESTAMP")
    if q.currency:
        parts.append(f"BillingCurrency = {params.add(q.currency)}")
    for dim, values in q.filters.items():
        expr = dim_expr(canonical_dimension(dim), params)
        vals = [v for v in values if v is not None]
        cond = []
        if vals:
            cond.append(f"CAST({expr} AS VARCHAR) IN (SELECT unnest({params.add([str(v) for v in vals])}))")
        if any(v is None for v in values):
            cond.append(f"{expr} IS NULL")
        parts.append("(" + (" OR ".join(cond) or "false") + ")")
    return " AND ".join(parts)


def agg_filter(q: CostQuery, params: Params) -> str:
    """row_filter for the tag pre-aggregates: `day` is the charge day (dates bound the
    charge start at midnight, so comparing days selects the same rows)."""
    parts = ["true"]
    if q.start is not None:
        parts.append(f"day >= {params.add(q.start)}::DATE")
    if q.end is not None:
        parts.append(f"day < {params.add(q.end)}::DATE")
    if q.currency:
        parts.append(f"currency = {params.add(q.currency)}")
    return " AND ".join(parts)

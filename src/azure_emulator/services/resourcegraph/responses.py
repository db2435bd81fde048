"""Resource Graph response envelope, result formats, facets and error shapes (2024-04-01)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from azure_emulator.core.errors import ApiError
from azure_emulator.services.resourcegraph import engine, kql
from azure_emulator.services.resourcegraph.backend import COLUMN_TYPES


def _support(now: datetime) -> str:
    stamp = now.strftime("%Y-%m-%dT%H:%M:%S.%f") + "0Z"
    return f"Please provide below info when asking for support: timestamp = {stamp}, correlationId = {uuid.uuid4()}."


def bad_request(now: datetime, details: list[dict[str, Any]]) -> ApiError:
    return ApiError(400, {"error": {"code": "BadRequest", "message": _support(now), "details": details}})


def query_error(now: datetime, exc: kql.KqlError) -> ApiError:
    detail: dict[str, Any] = {"code": exc.code, "message": exc.message}
    if exc.code in ("ParserFailure", "UnsupportedOperator", "UnknownFunction", "FailedToResolveScalarExpression",
                    "UnsupportedExpression"):
        detail.update({"line": exc.line, "characterPositionInLine": exc.pos})
        if exc.token is not None:
            detail["token"] = exc.token
        detail.update(exc.extra)
    if exc.code == "DisallowedLogicalTableName":
        return bad_request(now, [detail])
    invalid = {
        "code": "InvalidQuery",
        "message": "Query is invalid. Please refer to the documentation for the Azure Resource Graph service and fix the error before retrying.",
    }
    return bad_request(now, [invalid, detail])


def throttled(now: datetime, reset_seconds: float) -> ApiError:
    headers = {
        "x-ms-user-quota-remaining": "0",
        "x-ms-user-quota-resets-after": quota_reset(reset_seconds),
        "Retry-After": str(max(1, int(reset_seconds + 0.999))),
    }
    return ApiError(
        429,
        {
            "error": {
                "code": "RateLimiting",
                "message": _support(now),
                "details": [
                    {
                        "code": "RateLimiting",
                        "message": "Client application has been throttled and should not attempt to repeat the "
                        "request until an amount of time has elapsed. Please see https://aka.ms/resourcegraph-throttling for help.",
                    }
                ],
            }
        },
        headers,
    )


def quota_reset(seconds: float) -> str:
    total = max(0, int(seconds + 0.999))
    return f"{total // 3600:02d}:{total % 3600 // 60:02d}:{total % 60:02d}"


def _column_type(name: str, rows: list[dict[str, Any]]) -> str:
    if name in COLUMN_TYPES:
        return COLUMN_TYPES[name]
    for row in rows:
        v = row.get(name)
        if v is None:
            continue
        if isinstance(v, bool):
            return "boolean"
        if isinstance(v, int):
            return "integer"
        if isinstance(v, float):
            return "number"
        if isinstance(v, dict | list):
            return "object"
        return "string"
    return "string"


def format_rows(rows: list[dict[str, Any]], columns: list[str], result_format: str) -> Any:
    if result_format == "table":
        return {
            "columns": [{"name": c, "type": _column_type(c, rows)} for c in columns],
            "rows": [[row.get(c) for c in columns] for row in rows],
        }
    return [{c: row.get(c) for c in columns} for row in rows]


def facets(result: engine.Result, requests: list[Any], result_format: str) -> list[dict[str, Any]]:
    """Facets computed over the whole (materialized) result, grouped by the expression."""
    if not requests:
        return []
    rows = result.materialize(result.rows) if result.pending else result.rows
    out: list[dict[str, Any]] = []
    for req in requests:
        expression = str((req or {}).get("expression", ""))
        options = (req or {}).get("options") or {}
        try:
            expr_ast = kql.Parser(expression).expr()
            fn = engine.compile_expr(expr_ast, result.columns, "facet")
        except kql.KqlError as exc:
            out.append({"expression": expression, "resultType": "FacetError",
                        "errors": [{"code": exc.code, "message": exc.message}]})
            continue
        counts: dict[Any, tuple[Any, int]] = {}
        for row in rows:
            value = fn(row)
            key = engine._freeze(value)
            prev = counts.get(key)
            counts[key] = (value, (prev[1] if prev else 0) + 1)
        items = [{expression: v, "count": n} for v, n in counts.values()]
        desc = str(options.get("sortOrder", "desc")).lower() != "asc"
        sort_by = options.get("sortBy") or "count"
        items.sort(key=lambda d: (d.get(sort_by) is None, str(d.get(sort_by)) if sort_by != "count" else d["count"]),
                   reverse=desc)
        top = int(options.get("$top") or 10)
        page = items[:top]
        out.append({
            "expression": expression, "resultType": "FacetResult", "totalRecords": len(items),
            "count": len(page), "data": format_rows(page, [expression, "count"], result_format),
        })
    return out

"""Evaluate a parsed KQL query over rows (dicts), with a static column schema.

Row-wise operators at the tail of the pipeline (``project``, ``extend``, ``project-away``)
are deferred and applied only to the page being returned, so paging a 100k-row result
costs one scan plus one page of projection.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from azure_emulator.services.resourcegraph.kql import KqlError, Op, Query

Row = dict[str, Any]
Fn = Callable[[Row], Any]


@lru_cache(maxsize=1024)
def _term_regex(term: str, case: bool) -> re.Pattern[str]:
    return re.compile(r"(?<![0-9A-Za-z])" + re.escape(term) + r"(?![0-9A-Za-z])", 0 if case else re.IGNORECASE)


def _s(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    return v if isinstance(v, str) else str(v)


def _cmp(op: str, a: Any, b: Any) -> bool:
    if a is None or b is None:
        return False
    try:
        if op == "<":
            return bool(a < b)
        if op == "<=":
            return bool(a <= b)
        if op == ">":
            return bool(a > b)
        return bool(a >= b)
    except TypeError:
        return False


def _binary(op: str) -> Callable[[Any, Any], bool]:
    neg = op.startswith("!") and op not in ("!=", "!~")
    base = op[1:] if neg else op
    fn: Callable[[Any, Any], bool]
    if base == "==":
        fn = lambda a, b: a is not None and a == b  # noqa: E731
    elif base == "!=":
        fn = lambda a, b: a is not None and a != b  # noqa: E731
    elif base == "=~":
        fn = lambda a, b: _s(a).lower() == _s(b).lower() and a is not None  # noqa: E731
    elif base == "!~":
        fn = lambda a, b: _s(a).lower() != _s(b).lower()  # noqa: E731
    elif base in ("<", "<=", ">", ">="):
        fn = lambda a, b: _cmp(base, a, b)  # noqa: E731
    elif base in ("has", "has_cs"):
        case = base == "has_cs"
        fn = lambda a, b: bool(_term_regex(_s(b), case).search(_s(a)))  # noqa: E731
    elif base == "contains":
        fn = lambda a, b: _s(b).lower() in _s(a).lower()  # noqa: E731
    elif base == "contains_cs":
        fn = lambda a, b: _s(b) in _s(a)  # noqa: E731
    elif base in ("startswith", "hasprefix"):
        fn = lambda a, b: _s(a).lower().startswith(_s(b).lower())  # noqa: E731
    elif base == "startswith_cs":
        fn = lambda a, b: _s(a).startswith(_s(b))  # noqa: E731
    elif base in ("endswith", "hassuffix"):
        fn = lambda a, b: _s(a).lower().endswith(_s(b).lower())  # noqa: E731
    else:  # endswith_cs
        fn = lambda a, b: _s(a).endswith(_s(b))  # noqa: E731
    if neg:
        return lambda a, b: not fn(a, b)
    return fn


def _empty(v: Any) -> bool:
    return v is None or v == ""


_FUNCS: dict[str, tuple[int, int, Callable[..., Any]]] = {
    "isempty": (1, 1, _empty),
    "isnotempty": (1, 1, lambda v: not _empty(v)),
    "isnull": (1, 1, lambda v: v is None),
    "isnotnull": (1, 1, lambda v: v is not None),
    "tolower": (1, 1, lambda v: None if v is None else _s(v).lower()),
    "toupper": (1, 1, lambda v: None if v is None else _s(v).upper()),
    "tostring": (1, 1, lambda v: "" if v is None else (_s(v) if not isinstance(v, (dict, list)) else __import__("json").dumps(v, separators=(",", ":")))),
    "strlen": (1, 1, lambda v: len(_s(v))),
    "not": (1, 1, lambda v: not v),
    "strcat": (1, 64, lambda *vs: "".join(_s(v) for v in vs)),
    "iff": (3, 3, lambda c, a, b: a if c else b),
    "iif": (3, 3, lambda c, a, b: a if c else b),
    "coalesce": (1, 64, lambda *vs: next((v for v in vs if v is not None and v != ""), None)),
    "array_length": (1, 1, lambda v: len(v) if isinstance(v, list) else None),
}
_AGGS = {"count", "countif", "dcount", "sum", "min", "max", "avg", "any", "make_set", "make_list"}


def _unresolved(name: str, where: str, token: Any) -> KqlError:
    return KqlError(
        "FailedToResolveScalarExpression",
        f"'{where}' operator: Failed to resolve scalar expression named '{name}'",
        line=getattr(token, "line", 1), pos=getattr(token, "col", 0), token=name,
    )


def compile_expr(node: Any, columns: list[str], where: str) -> Fn:
    kind = node[0]
    if kind == "lit":
        value = node[1]
        return lambda r: value
    if kind == "col":
        name = node[1]
        if name not in columns:
            raise _unresolved(name, where, node[2])
        return lambda r: r.get(name)
    if kind == "get":
        inner = compile_expr(node[1], columns, where)
        key = node[2]
        if isinstance(key, int):
            return lambda r: (lambda v: v[key] if isinstance(v, list) and -len(v) <= key < len(v) else None)(inner(r))
        return lambda r: (lambda v: v.get(key) if isinstance(v, dict) else None)(inner(r))
    if kind == "call":
        fname, args, tok = node[1], node[2], node[3]
        spec = _FUNCS.get(fname)
        if spec is None or not spec[0] <= len(args) <= spec[1]:
            raise KqlError("UnknownFunction", f"Unknown function: '{fname}'.", line=tok.line, pos=tok.col, token=fname)
        fns = [compile_expr(a, columns, where) for a in args]
        impl = spec[2]
        if len(fns) == 1:
            f0 = fns[0]
            return lambda r: impl(f0(r))
        return lambda r: impl(*(f(r) for f in fns))
    if kind == "bin":
        left = compile_expr(node[2], columns, where)
        right = compile_expr(node[3], columns, where)
        op = _binary(node[1])
        if node[3][0] == "lit":
            const = node[3][1]
            fast = _column_vs_literal(node[1], node[2], const, columns)
            if fast is not None:
                return fast
            if node[1] == "=~" and isinstance(const, str):
                low = const.lower()
                return lambda r: (lambda v: v is not None and _s(v).lower() == low)(left(r))
            if node[1] == "==":
                return lambda r: left(r) == const
            return lambda r: op(left(r), const)
        return lambda r: op(left(r), right(r))
    if kind == "in":
        op, left, values = node[1], compile_expr(node[2], columns, where), node[3]
        if op.endswith("~"):
            lowered = {_s(v).lower() for v in values}
            test: Callable[[Any], bool] = lambda v: v is not None and _s(v).lower() in lowered  # noqa: E731
        else:
            exact = set(values)
            test = lambda v: v is not None and v in exact  # noqa: E731
        if op.startswith("!"):
            return lambda r: not test(left(r))
        return lambda r: test(left(r))
    parts = [compile_expr(p, columns, where) for p in node[1]]
    # Two-term and/or are the common case; a plain boolean expression beats a generator.
    if len(parts) == 2:
        a, b = parts
        if kind == "and":
            return lambda r: bool(a(r)) and bool(b(r))
        return lambda r: bool(a(r)) or bool(b(r))
    if kind == "and":
        return lambda r: all(p(r) for p in parts)
    return lambda r: any(p(r) for p in parts)


def _column_vs_literal(op: str, left: Any, const: Any, columns: list[str]) -> Fn | None:
    """`column <op> 'literal'` read straight from the row: the hot path of `where` filters."""
    if left[0] != "col" or left[1] not in columns:
        return None
    name = left[1]
    if op == "==":
        return lambda r: r.get(name) == const
    if isinstance(const, str) and op in ("=~", "!="):
        if op == "!=":
            return lambda r: (v := r.get(name)) is not None and v != const
        low = const.lower()
        return lambda r: (v := r.get(name)) is not None and (v if type(v) is str else _s(v)).lower() == low
    return None


def _default_name(expr: Any, index: int) -> str:
    if expr[0] == "col":
        return str(expr[1])
    if expr[0] == "get":
        inner = _default_name(expr[1], index)
        return f"{inner}_{expr[2]}"
    if expr[0] == "call":
        arg = expr[2][0] if expr[2] else None
        suffix = f"_{_default_name(arg, index)}" if arg is not None and arg[0] in ("col", "get") else "_"
        return f"{expr[1]}{suffix}" if suffix != "_" else f"{expr[1]}_"
    return f"Column{index + 1}"


@dataclass(slots=True)
class Result:
    rows: list[Row]
    columns: list[str]
    pending: list[Callable[[Row], Row]] = field(default_factory=list)

    def materialize(self, rows: list[Row]) -> list[Row]:
        out = rows
        for fn in self.pending:
            out = [fn(r) for r in out]
        return out


def _mapper(cols: list[tuple[str, Fn]], keep: list[str] | None) -> Callable[[Row], Row]:
    if keep is None:
        return lambda r: {name: f(r) for name, f in cols}

    def extend(r: Row) -> Row:
        out = {k: r.get(k) for k in keep}
        for name, f in cols:
            out[name] = f(r)
        return out

    return extend


def _sort_key(f: Fn, nulls_first: bool, desc: bool) -> Callable[[Row], Any]:
    def key(r: Row) -> Any:
        v = f(r)
        if v is None:
            rank = 0 if nulls_first != desc else 2
            return (rank, 0, "")
        if isinstance(v, bool | int | float):
            return (1, 0, v)
        return (1, 1, _s(v))

    return key


def execute(query: Query, rows: list[Row], columns: list[str]) -> Result:
    res = Result(rows, list(columns))
    for op in query.ops:
        _apply(op, res)
    return res


def _flush(res: Result) -> None:
    if res.pending:
        res.rows = res.materialize(res.rows)
        res.pending = []


def _apply(op: Op, res: Result) -> None:
    kind = op.kind
    if kind == "limit":
        res.rows = res.rows[: max(0, op.args["n"])]
        return
    if kind in ("project", "extend"):
        cols = []
        for i, (name, expr) in enumerate(op.args["cols"]):
            cols.append((name or _default_name(expr, i), compile_expr(expr, res.columns, kind)))
        keep = None if kind == "project" else [c for c in res.columns if c not in {n for n, _ in cols}]
        res.pending.append(_mapper(cols, keep))
        res.columns = [n for n, _ in cols] if keep is None else keep + [n for n, _ in cols]
        return
    if kind == "project-away":
        for name in op.args["names"]:
            if name not in res.columns:
                raise _unresolved(name, "project-away", op.token)
        keep = [c for c in res.columns if c not in op.args["names"]]
        res.pending.append(lambda r: {k: r.get(k) for k in keep})
        res.columns = keep
        return
    _flush(res)
    if kind == "where":
        pred = compile_expr(op.args["expr"], res.columns, "where")
        res.rows = [r for r in res.rows if pred(r)]
    elif kind == "order":
        for expr, desc, nulls_first in reversed(op.args["keys"]):
            f = compile_expr(expr, res.columns, "order")
            res.rows = sorted(res.rows, key=_sort_key(f, nulls_first, desc), reverse=desc)
    elif kind == "count":
        res.rows, res.columns = [{"Count": len(res.rows)}], ["Count"]
    elif kind == "distinct":
        cols = [(name or _default_name(e, i), compile_expr(e, res.columns, "distinct")) for i, (name, e) in enumerate(op.args["cols"])]
        seen: dict[Any, Row] = {}
        for r in res.rows:
            out = {n: f(r) for n, f in cols}
            seen.setdefault(_freeze(tuple(out.values())), out)
        res.rows, res.columns = list(seen.values()), [n for n, _ in cols]
    elif kind == "summarize":
        _summarize(op, res)


def _freeze(v: Any) -> Any:
    if isinstance(v, dict):
        return tuple(sorted((k, _freeze(x)) for k, x in v.items()))
    if isinstance(v, list | tuple):
        return tuple(_freeze(x) for x in v)
    return v


def _summarize(op: Op, res: Result) -> None:
    by = [(name or _default_name(e, i), compile_expr(e, res.columns, "summarize")) for i, (name, e) in enumerate(op.args["by"])]
    aggs = []
    for i, (name, expr) in enumerate(op.args["aggs"]):
        if expr[0] != "call" or expr[1] not in _AGGS:
            raise KqlError("UnsupportedExpression", "summarize supports count(), countif(), dcount(), sum(), min(), max(), avg(), any(), make_set(), make_list().",
                           token=str(expr[1]) if expr[0] == "call" else None)
        fname, args = expr[1], expr[2]
        arg = compile_expr(args[0], res.columns, "summarize") if args else None
        aggs.append((name or _default_name(expr, i), fname, arg))
    groups: dict[Any, tuple[Row, list[Row]]] = {}
    for r in res.rows:
        key_row = {n: f(r) for n, f in by}
        key = _freeze(tuple(key_row.values()))
        entry = groups.get(key)
        if entry is None:
            groups[key] = (key_row, [r])
        else:
            entry[1].append(r)
    if not by and not groups:
        groups[()] = ({}, [])
    out = []
    for key_row, members in groups.values():
        row = dict(key_row)
        for name, fname, arg in aggs:
            row[name] = _aggregate(fname, arg, members)
        out.append(row)
    res.rows = out
    res.columns = [n for n, _ in by] + [n for n, _, _ in aggs]


def _aggregate(fname: str, arg: Fn | None, rows: list[Row]) -> Any:
    if fname == "count":
        return len(rows)
    assert arg is not None
    values = [arg(r) for r in rows]
    if fname == "countif":
        return sum(1 for v in values if v)
    present = [v for v in values if v is not None]
    if fname == "dcount":
        return len({_freeze(v) for v in present})
    if fname in ("make_set", "make_list"):
        if fname == "make_list":
            return present
        seen: dict[Any, Any] = {}
        for v in present:
            seen.setdefault(_freeze(v), v)
        return list(seen.values())
    if fname == "any":
        return present[0] if present else None
    nums = [v for v in present if isinstance(v, int | float) and not isinstance(v, bool)]
    if fname == "sum":
        return sum(nums)
    if fname == "avg":
        return sum(nums) / len(nums) if nums else None
    if not present:
        return None
    try:
        return min(present) if fname == "min" else max(present)
    except TypeError:
        return None

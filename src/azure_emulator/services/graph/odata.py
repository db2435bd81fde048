"""The OData subset Graph directory queries use: $filter, $select, $top, $skiptoken,
$count, $orderby.

``$filter`` grammar: comparisons (``eq ne gt ge lt le``) of a property path with a literal
(string, number, true/false/null, GUID); ``in (…)``; ``startswith(p,'x')``,
``endswith(p,'x')``; ``and``/``or``/``not``, parentheses; lambda ``coll/any(x: x eq 'v')``,
``coll/any(x: x/prop eq v)`` and ``coll/any()``. String comparisons ignore case, as in the
directory. ``endswith`` and ``not`` are advanced queries: they need
``ConsistencyLevel: eventual`` (and ``$count=true``), like Graph.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

Pred = Callable[[dict[str, Any]], bool]

_TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<guid>[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})"
    r"|(?P<num>-?\d+(?:\.\d+)?)|(?P<punct>[(),:])|(?P<word>[A-Za-z_@$][\w./@$]*))"
)


class FilterError(ValueError):
    def __init__(self, message: str, *, unsupported: bool = False) -> None:
        super().__init__(message)
        self.unsupported = unsupported


def _tokens(text: str) -> list[tuple[str, str]]:
    pos, out = 0, []
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise FilterError(f"Invalid filter clause: syntax error at position {pos} in '{text}'.")
        kind = m.lastgroup or ""
        out.append((kind, m.group(kind)))
        pos = m.end()
    return out


def lookup(obj: Any, path: str) -> Any:
    for part in path.split("/"):
        if not isinstance(obj, dict):
            return None
        if part in obj:
            obj = obj[part]
            continue
        low = part.lower()
        obj = next((v for k, v in obj.items() if k.lower() == low), None)
    return obj


def _norm(v: Any) -> Any:
    return v.lower() if isinstance(v, str) else v


def _compare(op: str, a: Any, b: Any) -> bool:
    a, b = _norm(a), _norm(b)
    if op == "eq":
        return bool(a == b)
    if op == "ne":
        return bool(a != b)
    if a is None or b is None:
        return False
    try:
        return {"gt": a > b, "ge": a >= b, "lt": a < b, "le": a <= b}[op]
    except TypeError:
        return False


class _Parser:
    def __init__(self, text: str, advanced: bool) -> None:
        self.toks = _tokens(text)
        self.i = 0
        self.advanced = advanced
        self.text = text

    def peek(self, offset: int = 0) -> tuple[str, str] | None:
        j = self.i + offset
        return self.toks[j] if j < len(self.toks) else None

    def take(self, value: str | None = None) -> tuple[str, str]:
        tok = self.peek()
        if tok is None or (value is not None and tok[1].lower() != value):
            raise FilterError(f"Invalid filter clause: expected '{value or 'token'}' in '{self.text}'.")
        self.i += 1
        return tok

    def parse(self) -> Pred:
        pred = self.expr_or()
        if self.peek() is not None:
            raise FilterError(f"Invalid filter clause: unexpected '{self.peek()[1]}'.")  # type: ignore[index]
        return pred

    def expr_or(self) -> Pred:
        left = self.expr_and()
        while (t := self.peek()) and t[1].lower() == "or":
            self.take()
            right = self.expr_and()
            left = (lambda a, b: lambda o: a(o) or b(o))(left, right)
        return left

    def expr_and(self) -> Pred:
        left = self.unary()
        while (t := self.peek()) and t[1].lower() == "and":
            self.take()
            right = self.unary()
            left = (lambda a, b: lambda o: a(o) and b(o))(left, right)
        return left

    def unary(self) -> Pred:
        tok = self.peek()
        if tok and tok[1].lower() == "not":
            if not self.advanced:
                raise FilterError("Unsupported Query.", unsupported=True)
            self.take()
            inner = self.unary()
            return lambda o: not inner(o)
        if tok and tok[1] == "(":
            self.take()
            inner = self.expr_or()
            self.take(")")
            return inner
        return self.atom()

    def literal(self) -> Any:
        kind, value = self.take()
        if kind == "str":
            return value[1:-1].replace("''", "'")
        if kind == "guid":
            return value
        if kind == "num":
            return float(value) if "." in value else int(value)
        low = value.lower()
        if low in ("true", "false"):
            return low == "true"
        if low == "null":
            return None
        raise FilterError(f"Invalid filter clause: '{value}' is not a literal.")

    def atom(self) -> Pred:
        kind, word = self.take()
        if kind != "word":
            raise FilterError(f"Invalid filter clause: unexpected '{word}'.")
        low = word.lower()
        if low in ("startswith", "endswith") and self.peek() and self.peek()[1] == "(":  # type: ignore[index]
            if low == "endswith" and not self.advanced:
                raise FilterError("Unsupported Query.", unsupported=True)
            self.take("(")
            prop = self.take()[1]
            self.take(",")
            needle = str(self.literal()).lower()
            self.take(")")
            if low == "startswith":
                return lambda o: isinstance(v := lookup(o, prop), str) and v.lower().startswith(needle)
            return lambda o: isinstance(v := lookup(o, prop), str) and v.lower().endswith(needle)
        if low.endswith("/any") and self.peek() and self.peek()[1] == "(":  # type: ignore[index]
            return self.any_lambda(word[:-4])
        op_tok = self.take()
        op = op_tok[1].lower()
        if op == "in":
            self.take("(")
            values = [self.literal()]
            while self.peek() and self.peek()[1] == ",":  # type: ignore[index]
                self.take(",")
                values.append(self.literal())
            self.take(")")
            normed = {_norm(v) for v in values}
            return lambda o: _norm(lookup(o, word)) in normed
        if op not in ("eq", "ne", "gt", "ge", "lt", "le"):
            raise FilterError(f"Invalid filter clause: unsupported operator '{op_tok[1]}'.", unsupported=True)
        value = self.literal()
        return lambda o: _compare(op, lookup(o, word), value)

    def any_lambda(self, collection: str) -> Pred:
        self.take("(")
        if self.peek() and self.peek()[1] == ")":  # type: ignore[index]
            self.take(")")
            return lambda o: bool(lookup(o, collection))
        var = self.take()[1]
        self.take(":")
        _, left = self.take()
        op = self.take()[1].lower()
        if op != "eq":
            raise FilterError("Invalid filter clause: only 'eq' is supported inside any().", unsupported=True)
        value = self.literal()
        self.take(")")
        sub = left[len(var) + 1:] if left.startswith(var + "/") else None

        def pred(o: dict[str, Any]) -> bool:
            items = lookup(o, collection) or []
            for item in items:
                candidate = lookup(item, sub) if sub else item
                if _compare("eq", candidate, value):
                    return True
            return False

        return pred


def compile_filter(text: str, *, advanced: bool = False) -> Pred:
    return _Parser(text, advanced).parse()

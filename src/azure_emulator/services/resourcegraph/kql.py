"""Tokenizer and recursive-descent parser for the KQL subset Resource Graph needs.

Grammar (case-insensitive keywords, case-sensitive column names as in KQL)::

    query     := ( table | operator ) ( '|' operator )*     (no table: Resources, as Azure does)
    table     := 'Resources' | 'ResourceContainers'
    operator  := 'where' expr | 'project' cols | 'project-away' names | 'extend' cols
               | ('order'|'sort') 'by' sortkey (',' sortkey)* | ('limit'|'take') number
               | 'summarize' aggs [ 'by' cols ] | 'count' | 'distinct' cols
    cols      := [name '='] expr (',' [name '='] expr)*
    sortkey   := expr ['asc'|'desc'] ['nulls' ('first'|'last')]
    expr      := and ('or' and)*
    and       := cmp ('and' cmp)*
    cmp       := primary [ binop primary | inop '(' literal (',' literal)* ')' ]
    primary   := literal | '(' expr ')' | name '(' args ')' | name ( '.' name | '[' literal ']' )*

Anything else is rejected with Resource Graph's BadRequest/InvalidQuery error shape.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

BINARY_OPS = {
    "==", "!=", "=~", "!~", "<", "<=", ">", ">=",
    "has", "!has", "has_cs", "!has_cs", "contains", "!contains", "contains_cs", "!contains_cs",
    "startswith", "!startswith", "startswith_cs", "!startswith_cs", "endswith", "!endswith",
    "endswith_cs", "!endswith_cs", "hasprefix", "!hasprefix", "hassuffix", "!hassuffix",
}
IN_OPS = {"in", "!in", "in~", "!in~"}
# Words that start a tabular operator: a query beginning with one has no table (→ Resources).
OPERATOR_WORDS = {"where", "project", "project-away", "extend", "distinct", "order", "sort", "limit", "take",
                  "count", "summarize", "top", "mv-expand", "join", "union", "parse"}
KNOWN_UNSUPPORTED = {
    "join", "union", "mv-expand", "mvexpand", "parse", "make-series", "top", "lookup", "render",
    "evaluate", "sample", "serialize", "invoke", "as", "fork", "facet", "find", "search", "let",
    "project-rename", "project-reorder", "mv-apply", "top-nested", "summarize-by",
}


class KqlError(Exception):
    """A query the emulator rejects; ``code`` is the detail code Resource Graph reports."""

    def __init__(self, code: str, message: str, *, line: int = 1, pos: int = 0, token: str | None = None,
                 extra: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.line = line
        self.pos = pos
        self.token = token
        self.extra = extra or {}


@dataclass(slots=True)
class Token:
    kind: str  # ident, string, number, op, eof
    value: Any
    pos: int
    line: int
    col: int


_TWO_CHAR = ("==", "!=", "=~", "!~", "<=", ">=")
_ONE_CHAR = "|(),.[]=<>-+*/%{}:;!"


def tokenize(text: str) -> list[Token]:
    toks: list[Token] = []
    i, n, line, line_start = 0, len(text), 1, 0
    while i < n:
        c = text[i]
        if c == "\n":
            line, line_start = line + 1, i + 1
            i += 1
            continue
        if c.isspace():
            i += 1
            continue
        if text.startswith("//", i):
            while i < n and text[i] != "\n":
                i += 1
            continue
        col = i - line_start
        if c in "'\"":
            j, buf = i + 1, []
            while j < n and text[j] != c:
                if text[j] == "\\" and j + 1 < n:
                    j += 1
                    buf.append({"n": "\n", "t": "\t"}.get(text[j], text[j]))
                else:
                    buf.append(text[j])
                j += 1
            if j >= n:
                raise KqlError("ParserFailure", "ParserFailure", line=line, pos=col, token=text[i:])
            toks.append(Token("string", "".join(buf), i, line, col))
            i = j + 1
            continue
        if c.isdigit():
            j = i
            while j < n and (text[j].isdigit() or text[j] == "."):
                j += 1
            raw = text[i:j]
            toks.append(Token("number", float(raw) if "." in raw else int(raw), i, line, col))
            i = j
            continue
        if c.isalpha() or c == "_" or (c == "!" and i + 1 < n and text[i + 1].isalpha()):
            j = i + 1
            while j < n and (text[j].isalnum() or text[j] in "_-~"):
                j += 1
            word = text[i:j]
            while word.endswith("-"):
                word, j = word[:-1], j - 1
            toks.append(Token("ident", word, i, line, col))
            i = j
            continue
        two = text[i : i + 2]
        if two in _TWO_CHAR:
            toks.append(Token("op", two, i, line, col))
            i += 2
            continue
        if c in _ONE_CHAR:
            toks.append(Token("op", c, i, line, col))
            i += 1
            continue
        raise KqlError("ParserFailure", "ParserFailure", line=line, pos=col, token=c)
    toks.append(Token("eof", None, n, line, n - line_start))
    return toks


# --- AST ------------------------------------------------------------------------------------
# Expressions are tuples: ("lit", v) ("col", name) ("get", expr, key) ("call", fname, [args])
# ("bin", op, left, right) ("in", op, left, [values]) ("and", [..]) ("or", [..])


@dataclass(slots=True)
class Op:
    kind: str  # where project project-away extend order limit summarize count distinct
    args: dict[str, Any] = field(default_factory=dict)
    token: Token | None = None


@dataclass(slots=True)
class Query:
    table: str
    ops: list[Op]


class Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.toks = tokenize(text)
        self.i = 0

    # helpers
    @property
    def tok(self) -> Token:
        return self.toks[self.i]

    def fail(self, expected: str | None = None) -> KqlError:
        t = self.tok
        extra = {"expectedToken": expected} if expected else None
        token = "<EOF>" if t.kind == "eof" else str(t.value)
        return KqlError("ParserFailure", "ParserFailure", line=t.line, pos=t.col, token=token, extra=extra)

    def is_op(self, value: str) -> bool:
        return self.tok.kind == "op" and self.tok.value == value

    def is_word(self, *values: str) -> bool:
        return self.tok.kind == "ident" and self.tok.value.lower() in values

    def expect_op(self, value: str) -> Token:
        if not self.is_op(value):
            raise self.fail(value)
        t = self.tok
        self.i += 1
        return t

    def expect_word(self, *values: str) -> str:
        if not self.is_word(*values):
            raise self.fail(values[0])
        v: str = self.tok.value
        self.i += 1
        return v.lower()

    def ident(self) -> str:
        if self.tok.kind != "ident":
            raise self.fail("identifier")
        v: str = self.tok.value
        self.i += 1
        return v

    # query
    def parse(self) -> Query:
        ops: list[Op] = []
        if self.tok.kind == "ident" and str(self.tok.value).lower() in OPERATOR_WORDS:
            # No table: Resource Graph answers a query that starts with an operator from Resources
            table = "Resources"
            ops.append(self.operator())
        else:
            table = self.ident()
        while self.is_op("|"):
            self.i += 1
            ops.append(self.operator())
        if self.tok.kind != "eof":
            raise self.fail("|")
        return Query(table, ops)

    def operator(self) -> Op:
        t = self.tok
        name = self.ident().lower()
        if name == "where":
            return Op("where", {"expr": self.expr()}, t)
        if name in ("project", "extend", "distinct"):
            return Op(name, {"cols": self.columns()}, t)
        if name == "project-away":
            names = [self.ident()]
            while self.is_op(","):
                self.i += 1
                names.append(self.ident())
            return Op("project-away", {"names": names}, t)
        if name in ("order", "sort"):
            self.expect_word("by")
            keys = [self.sort_key()]
            while self.is_op(","):
                self.i += 1
                keys.append(self.sort_key())
            return Op("order", {"keys": keys}, t)
        if name in ("limit", "take"):
            if self.tok.kind != "number":
                raise self.fail("number")
            n = int(self.tok.value)
            self.i += 1
            return Op("limit", {"n": n}, t)
        if name == "count":
            return Op("count", {}, t)
        if name == "summarize":
            aggs = [] if self.is_word("by") else self.columns()
            by = []
            if self.is_word("by"):
                self.i += 1
                by = self.columns()
            return Op("summarize", {"aggs": aggs, "by": by}, t)
        code = "UnsupportedOperator" if name in KNOWN_UNSUPPORTED else "ParserFailure"
        raise KqlError(code, f"Operator '{name}' is not supported by the emulator's KQL subset."
                       if code == "UnsupportedOperator" else "ParserFailure",
                       line=t.line, pos=t.col, token=name)

    def columns(self) -> list[tuple[str | None, Any]]:
        cols = [self.column()]
        while self.is_op(","):
            self.i += 1
            cols.append(self.column())
        return cols

    def column(self) -> tuple[str | None, Any]:
        if self.tok.kind == "ident" and self.toks[self.i + 1].kind == "op" and self.toks[self.i + 1].value == "=":
            name = self.ident()
            self.i += 1
            return name, self.expr()
        return None, self.expr()

    def sort_key(self) -> tuple[Any, bool, bool]:
        expr = self.expr()
        desc = True  # KQL's default order is descending
        if self.is_word("asc", "desc"):
            desc = self.expect_word("asc", "desc") == "desc"
        nulls_first = not desc
        if self.is_word("nulls"):
            self.i += 1
            nulls_first = self.expect_word("first", "last") == "first"
        return expr, desc, nulls_first

    # expressions
    def expr(self) -> Any:
        parts = [self.conj()]
        while self.is_word("or"):
            self.i += 1
            parts.append(self.conj())
        return parts[0] if len(parts) == 1 else ("or", parts)

    def conj(self) -> Any:
        parts = [self.comparison()]
        while self.is_word("and"):
            self.i += 1
            parts.append(self.comparison())
        return parts[0] if len(parts) == 1 else ("and", parts)

    def comparison(self) -> Any:
        left = self.primary()
        t = self.tok
        op = str(t.value).lower() if t.kind in ("op", "ident") else None
        if op in IN_OPS:
            self.i += 1
            self.expect_op("(")
            values = [self.primary()]
            while self.is_op(","):
                self.i += 1
                values.append(self.primary())
            self.expect_op(")")
            if any(v[0] != "lit" for v in values):
                raise KqlError("UnsupportedExpression", "Only literal lists are supported after 'in'.",
                               line=t.line, pos=t.col, token=str(t.value))
            return ("in", op, left, [v[1] for v in values])
        if op in BINARY_OPS:
            self.i += 1
            return ("bin", op, left, self.primary())
        return left

    def primary(self) -> Any:
        t = self.tok
        if t.kind in ("string", "number"):
            self.i += 1
            return ("lit", t.value)
        if self.is_op("("):
            self.i += 1
            node = self.expr()
            self.expect_op(")")
            return node
        if self.is_op("-") and self.toks[self.i + 1].kind == "number":
            self.i += 2
            return ("lit", -self.toks[self.i - 1].value)
        if t.kind != "ident":
            raise self.fail("expression")
        name = self.ident()
        low = name.lower()
        if low in ("true", "false"):
            return ("lit", low == "true")
        if low == "null":
            return ("lit", None)
        if self.is_op("("):
            self.i += 1
            args = []
            if not self.is_op(")"):
                args.append(self.expr())
                while self.is_op(","):
                    self.i += 1
                    args.append(self.expr())
            self.expect_op(")")
            node: Any = ("call", low, args, t)
        else:
            node = ("col", name, t)
        while self.is_op(".") or self.is_op("["):
            if self.is_op("."):
                self.i += 1
                node = ("get", node, self.ident())
            else:
                self.i += 1
                key = self.primary()
                if key[0] != "lit":
                    raise self.fail("literal")
                self.expect_op("]")
                node = ("get", node, key[1])
        return node


def parse(text: str) -> Query:
    if not text or not text.strip():
        raise KqlError("ParserFailure", "ParserFailure", token="<EOF>")
    return Parser(text).parse()

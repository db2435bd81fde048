"""The OData ``$filter`` subset ARM accepts on resource and resource-group lists.

Supported (as documented for Resources_List / ResourceGroups_List):
``resourceType eq 'T'``, ``name eq 'n'``, ``location eq 'l'``, ``resourceGroup eq 'g'``
(also ``ne``), ``substringof('x', name)`` / ``substringof('x', resourceGroup)``,
``tagName eq 'k'``, ``tagName eq 'k' and tagValue eq 'v'``, ``startswith(tagName, 'p')``,
combined with ``and`` / ``or`` and parentheses. Names, types and tag names compare
case-insensitively; tag values case-sensitively.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from azure_emulator.core.errors import ApiError, arm_error

Predicate = Callable[[Any], bool]
_TOKEN_RE = re.compile(r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<punct>[(),])|(?P<word>[A-Za-z_][A-Za-z0-9_/.]*))")
_PROPS = {
    "resourcetype": "type",
    "name": "name",
    "location": "location",
    "resourcegroup": "resource_group",
    "tagname": "tagname",
    "tagvalue": "tagvalue",
}


@dataclass(slots=True)
class Compiled:
    predicate: Predicate
    uses_tags: bool  # ARM omits tags from results filtered by tag name/value


def _bad(text: str) -> ApiError:
    return arm_error(400, "InvalidFilterInQueryString", f"Invalid $filter '{text}' specified in the query string.")


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN_RE.match(text, pos)
        if m is None or m.end() == pos:
            raise _bad(text)
        kind = m.lastgroup or ""
        value = m.group(kind)
        if kind == "str":
            value = value[1:-1].replace("''", "'")
        out.append((kind, value))
        pos = m.end()
    return out


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.toks = _tokens(text)
        self.i = 0

    def peek(self) -> tuple[str, str] | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self, kind: str, value: str | None = None) -> str:
        tok = self.peek()
        if tok is None or tok[0] != kind or (value is not None and tok[1].lower() != value):
            raise _bad(self.text)
        self.i += 1
        return tok[1]

    def word_is(self, value: str) -> bool:
        tok = self.peek()
        return tok is not None and tok[0] == "word" and tok[1].lower() == value

    def parse(self) -> Any:
        node = self.expr()
        if self.peek() is not None:
            raise _bad(self.text)
        return node

    def expr(self) -> Any:
        parts = [self.conj()]
        while self.word_is("or"):
            self.i += 1
            parts.append(self.conj())
        return parts[0] if len(parts) == 1 else ("or", parts)

    def conj(self) -> Any:
        parts = [self.atom()]
        while self.word_is("and"):
            self.i += 1
            parts.append(self.atom())
        return parts[0] if len(parts) == 1 else ("and", parts)

    def atom(self) -> Any:
        tok = self.peek()
        if tok == ("punct", "("):
            self.i += 1
            node = self.expr()
            self.take("punct", ")")
            return node
        word = self.take("word").lower()
        if word in ("substringof", "startswith"):
            self.take("punct", "(")
            if word == "substringof":
                value = self.take("str")
                self.take("punct", ",")
                prop = self._prop()
            else:
                prop = self._prop()
                self.take("punct", ",")
                value = self.take("str")
            self.take("punct", ")")
            return (word, prop, value)
        prop = _PROPS.get(word)
        if prop is None:
            raise _bad(self.text)
        op = self.take("word").lower()
        if op not in ("eq", "ne"):
            raise _bad(self.text)
        return ("cmp", prop, op, self.take("str"))

    def _prop(self) -> str:
        prop = _PROPS.get(self.take("word").lower())
        if prop is None:
            raise _bad(self.text)
        return prop


def _is_tag(node: Any) -> bool:
    return node[0] in ("cmp", "substringof", "startswith") and node[1] in ("tagname", "tagvalue")


def _tag_test(node: Any) -> Callable[[str, str], bool]:
    kind, prop = node[0], node[1]
    if kind == "cmp":
        want, neg = node[3], node[2] == "ne"
        if prop == "tagname":
            wl = want.lower()
            return lambda k, v: (k.lower() == wl) != neg
        return lambda k, v: (v == want) != neg
    if kind == "startswith":
        p = node[2].lower()
        return (lambda k, v: k.lower().startswith(p)) if prop == "tagname" else (lambda k, v: v.startswith(node[2]))
    s = node[2].lower()
    return (lambda k, v: s in k.lower()) if prop == "tagname" else (lambda k, v: node[2] in v)


def _compile(node: Any) -> Predicate:
    kind = node[0]
    if kind in ("and", "or"):
        children = node[1]
        tag_nodes = [c for c in children if _is_tag(c)] if kind == "and" else []
        others = [_compile(c) for c in children if c not in tag_nodes]
        if tag_nodes:
            tests = [_tag_test(c) for c in tag_nodes]

            def tag_pred(r: Any) -> bool:
                tags = r.tags or {}
                return any(all(t(k, v) for t in tests) for k, v in tags.items())

            others.append(tag_pred)
        if kind == "and":
            return lambda r: all(p(r) for p in others)
        return lambda r: any(p(r) for p in others)
    if _is_tag(node):
        test = _tag_test(node)
        return lambda r: any(test(k, v) for k, v in (r.tags or {}).items())
    prop = node[1]
    if kind == "cmp":
        want, neg = node[3].lower(), node[2] == "ne"
        return lambda r: (str(getattr(r, prop, "") or "").lower() == want) != neg
    if kind == "substringof":
        s = node[2].lower()
        return lambda r: s in str(getattr(r, prop, "") or "").lower()
    p = node[2].lower()
    return lambda r: str(getattr(r, prop, "") or "").lower().startswith(p)


def _mentions_tags(node: Any) -> bool:
    if node[0] in ("and", "or"):
        return any(_mentions_tags(c) for c in node[1])
    return _is_tag(node)


def compile_filter(text: str | None) -> Compiled | None:
    """Compile ``$filter`` into a predicate over ``Resource``/``ResourceGroup`` objects."""
    if text is None or not text.strip():
        return None
    node = _Parser(text).parse()
    return Compiled(_compile(node), _mentions_tags(node))

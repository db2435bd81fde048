"""Sign-in activity read in parallel chains split by the UPN's first character: every user
is covered (stragglers read one by one, many stragglers in one unsplit pass), a refused
filter falls back to one pass, and a 403 is Graph's answer for all."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from skytally.azure.rest import AzureHttpError
from skytally.licences import signin

_PREFIX = re.compile(r"startswith\(userPrincipalName,'((?:[^']|'')*)'\)")


class FakeGraph:
    """Answers /users with signInActivity like Graph (120 a page), optionally refusing filters."""

    def __init__(self, upns: list[str], *, refuse_filter: bool = False, status: int | None = None) -> None:
        self.users = [{"id": f"id-{i}", "userPrincipalName": upn,
                       "signInActivity": {"lastSignInDateTime": f"2026-11-{1 + i % 28:02d}T10:00:00Z",
                                          "lastNonInteractiveSignInDateTime": "0001-01-01T00:00:00Z"}}
                      for i, upn in enumerate(upns)]
        self.refuse_filter, self.status = refuse_filter, status
        self.calls: list[str] = []
        self.lock = threading.Lock()

    def pages(self, path: str, params: dict[str, str] | None = None) -> Iterator[list[dict[str, Any]]]:
        params = params or {}
        flt = params.get("$filter")
        with self.lock:
            self.calls.append(flt or "")
        if self.status:
            raise AzureHttpError(self.status, "Authentication_RequestFromNonPremiumTenantOrB2CTenant", "no premium")
        if flt and self.refuse_filter:
            raise AzureHttpError(400, "Request_UnsupportedQuery", "Unsupported query.")
        users = self.users
        if flt:
            m = _PREFIX.fullmatch(flt)
            assert m
            needle = m.group(1).replace("''", "'").lower()
            users = [u for u in users if u["userPrincipalName"].lower().startswith(needle)]
        for i in range(0, len(users), 120):
            yield [{"id": u["id"], "signInActivity": u["signInActivity"]} for u in users[i:i + 120]]

    def get(self, path: str, **params: str) -> dict[str, Any]:
        with self.lock:
            self.calls.append(path)
        uid = path.rsplit("/", 1)[1]
        return next({"id": u["id"], "signInActivity": u["signInActivity"]} for u in self.users if u["id"] == uid)


def _read(graph: FakeGraph, expected: set[str] | None) -> signin.SignIns:
    with ThreadPoolExecutor(max_workers=4) as pool:
        return signin.start(pool, graph).result(graph, pool, expected)  # type: ignore[arg-type]


def test_every_user_is_read_once_across_the_chains() -> None:
    upns = [f"{c}{i}@contoso.com" for i in range(300) for c in "aZ9_'"] + ["O'Brien@contoso.com"]
    graph = FakeGraph(upns)
    seen = _read(graph, {u["id"] for u in graph.users})
    assert set(seen) == {u["id"] for u in graph.users}
    assert all(v is not None and v.tzinfo is not None for v in seen.values())
    assert not any(c.startswith("/users/") for c in graph.calls)  # nobody needed reading alone


def test_users_no_chain_covers_are_read_one_by_one_or_in_one_pass() -> None:
    graph = FakeGraph(["alice@contoso.com", "+odd@contoso.com", "éva@contoso.com"])
    seen = _read(graph, {u["id"] for u in graph.users})
    assert set(seen) == {"id-0", "id-1", "id-2"}
    assert sorted(c for c in graph.calls if c.startswith("/users/")) == ["/users/id-1", "/users/id-2"]
    many = FakeGraph([f"+{i}@contoso.com" for i in range(signin.MAX_SINGLE + 1)])
    assert len(_read(many, {u["id"] for u in many.users})) == signin.MAX_SINGLE + 1
    assert "" in many.calls and not any(c.startswith("/users/") for c in many.calls)  # one unsplit pass


def test_a_refused_filter_falls_back_to_one_unsplit_pass() -> None:
    graph = FakeGraph([f"user{i}@contoso.com" for i in range(250)], refuse_filter=True)
    assert len(_read(graph, {u["id"] for u in graph.users})) == 250
    assert "" in graph.calls


def test_graphs_refusal_is_raised_and_stops_the_chains() -> None:
    graph = FakeGraph(["a@contoso.com"], status=403)
    with pytest.raises(AzureHttpError) as info:
        _read(graph, None)
    assert info.value.status == 403
    assert len(graph.calls) < len(signin.PREFIXES)  # chains not yet started were cancelled

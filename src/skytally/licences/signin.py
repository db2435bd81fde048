"""Every user's last sign-in, read in parallel chains.

Graph pages ``signInActivity`` 120 users at a time (user-list.md: "the maximum page size
for $top is 120"), so a 50,000-user tenant is ~420 pages, and one ``@odata.nextLink`` chain
would be the import's longest wait by far. The reading is split by the first character of
``userPrincipalName`` (``$filter=startswith(userPrincipalName,'a')``, a filter Graph serves
on users without advanced queries): one chain per character, side by side. An Entra ID UPN
starts with a letter, a digit or one of ``' - _ ! # ^ ~``, and Graph compares
case-insensitively, so the chains cover every user; whoever is still missing afterwards (a
user created meanwhile, an unexpected character) is read one by one, or by one unsplit pass
when there are many. If Graph refuses the filter (400), the unsplit pass is used.

A user missing here would look as if they never signed in (and be flagged inactive), hence
the completeness check against the users the import read.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from skytally.azure.rest import AzureHttpError, GraphClient

PREFIXES = (*"abcdefghijklmnopqrstuvwxyz0123456789", "'", "-", "_", "!", "#", "^", "~")
SELECT = "id,signInActivity"
PAGE = "120"
MAX_SINGLE = 200  # more users missing than this: one unsplit pass instead of single reads

SignIns = dict[str, datetime | None]


def when(value: str | None) -> datetime | None:
    if not value or value.startswith("0001-01-01"):  # Graph's "never"
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def last_sign_in(user: dict[str, Any]) -> datetime | None:
    act = user.get("signInActivity") or {}
    times = [t for t in (when(act.get("lastSignInDateTime")), when(act.get("lastNonInteractiveSignInDateTime"))) if t]
    return max(times) if times else None


def scan(graph: GraphClient, prefix: str | None) -> SignIns:
    """One chain of pages: the users whose UPN starts with ``prefix`` (all users: None)."""
    params = {"$select": SELECT, "$top": PAGE}
    if prefix is not None:
        params["$filter"] = "startswith(userPrincipalName,'{}')".format(prefix.replace("'", "''"))
    out: SignIns = {}
    for page in graph.pages("/users", params):
        for u in page:
            out[u["id"]] = last_sign_in(u)
    return out


def _one(graph: GraphClient, uid: str) -> tuple[str, datetime | None] | None:
    try:
        return uid, last_sign_in(graph.get(f"/users/{quote(uid, safe='')}", **{"$select": SELECT}))
    except AzureHttpError as exc:
        if exc.status == 404:  # deleted since the users were read
            return None
        raise


@dataclass
class Reading:
    """The chains under way (one future per prefix)."""

    futures: list[Future[SignIns]]

    def cancel(self) -> None:
        for f in self.futures:
            f.cancel()

    def result(self, graph: GraphClient, pool: ThreadPoolExecutor, expected: set[str] | None) -> SignIns:
        """Every chain's users, completed against ``expected`` (the users read; None when
        they could not be read). Raises Graph's error when a chain failed (403: no
        premium licence or no permission), after stopping the chains not yet started."""
        wait(self.futures)  # a chain cancelled after another's failure counts as done
        failed = [e for f in self.futures if not f.cancelled() and (e := f.exception()) is not None]
        if failed:
            if isinstance(failed[0], AzureHttpError) and failed[0].status == 400:
                return scan(graph, None)  # the filter was refused: one unsplit pass
            raise failed[0]
        seen: SignIns = {}
        for f in self.futures:
            seen.update(f.result())
        missing = sorted(expected - seen.keys()) if expected else []
        if len(missing) > MAX_SINGLE:
            seen.update(scan(graph, None))
        elif missing:
            seen.update(r for r in pool.map(lambda uid: _one(graph, uid), missing) if r is not None)
        return seen


def start(pool: ThreadPoolExecutor, graph: GraphClient) -> Reading:
    reading = Reading([pool.submit(scan, graph, p) for p in PREFIXES])

    def stop_on_failure(f: Future[SignIns]) -> None:
        # a 403 (no Entra ID P1, no AuditLog.Read.All) answers every chain alike: start no more
        if not f.cancelled() and f.exception() is not None:
            reading.cancel()

    for f in reading.futures:
        f.add_done_callback(stop_on_failure)
    return reading

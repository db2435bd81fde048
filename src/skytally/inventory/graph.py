"""Listing resources with Azure Resource Graph (the official SDK client that
`AzureConnector.resource_graph` builds), following `$skipToken` pages.

Resource Graph searches only the subscriptions the caller may read and silently leaves
out the others: an empty answer for a subscription whose role was removed looks like an
empty subscription. So a sync first asks which of the requested subscriptions are
readable (`ResourceContainers`), and a subscription that is not is a failure, never
"every resource gone".
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from azure.core.exceptions import ClientAuthenticationError, HttpResponseError, ServiceRequestError
from azure.mgmt.resourcegraph import ResourceGraphClient
from azure.mgmt.resourcegraph.models import QueryRequest, QueryRequestOptions, ResultFormat

from skytally.azure.messages import readable
from skytally.inventory.schemas import Container, LiveResource

PAGE_SIZE = 1000  # Resource Graph's largest page
# Ordered by id (unique) so that pages are repeatable and can be checked to follow on. The tags are stored
# only for subscriptions at access level `tags` / `tags-writeback`.
RESOURCES_QUERY = ("Resources | project id, name, type, resourceGroup, location, subscriptionId, tags "
                   "| order by id asc")
SUBSCRIPTIONS_QUERY = ("ResourceContainers | where type =~ 'microsoft.resources/subscriptions' "
                       "| project id, subscriptionId | order by id asc")
# The subscriptions and resource groups with their tags (and which subscriptions are readable).
CONTAINERS_QUERY = ("ResourceContainers | project id, name, type, resourceGroup, subscriptionId, tags "
                    "| order by id asc")
SUBSCRIPTION_TYPE = "microsoft.resources/subscriptions"


class GraphIncomplete(Exception):
    """Resource Graph did not give the whole result (truncated without a skip token)."""


# Pages of one query fetched at once: Resource Graph's quota (15 queries per 5 s) allows
# about 3 a second, and one page takes about a second to answer and read, so 4 in flight
# keep the quota busy without holding more than a few pages in memory.
PARALLEL_PAGES = 4


def pages(client: ResourceGraphClient, query: str, subscriptions: Sequence[str], *,
          page_size: int = PAGE_SIZE, quota: Quota | None = None,
          parallel: int = PARALLEL_PAGES) -> Iterator[list[dict[str, Any]]]:
    """Every page of a query over these subscriptions, in order, each row once, never more
    than `parallel` + 1 pages held at a time. The query must be ordered by a unique column
    (`order by id asc`): Resource Graph's pages are repeatable only then.

    The first page says how many rows there are (`totalRecords`); the others are asked for
    at once with `$skip` instead of one after the other through `$skipToken`, which would
    leave the quota idle while each answer travels. The pages overlap by one row: each is
    read from the last row of the page before it and must start with that very row. Each
    page is a run of consecutive ids of the result as it was when that page was read, so
    with every boundary row matched the pages cover the whole id range without a gap: a
    resource deleted before a boundary while the pages were read (which shifts the later
    rows up by one, and with another created after it the total stays the same) or one
    created before it (which shifts them down) makes the next page start with another row,
    and is refused. So is a page that announces another total, ends short of its rows, or
    a result truncated without a skip token: `GraphIncomplete`, never a silent truncation."""
    quota = quota or Quota()
    _plain_objects(client)
    first, total, token, truncated = _query(client, quota, query, subscriptions, page_size, None)
    yield first
    if not token:
        if truncated:
            raise GraphIncomplete("Resource Graph truncated the result without a skip token")
        if total is not None and len(first) != total:
            raise GraphIncomplete(f"Resource Graph announced {total} rows but its pages held {len(first)}")
        return
    if total is None or page_size < 2 or not first:  # nothing to split by: follow the skip tokens
        yield from _follow(client, quota, query, subscriptions, page_size, token, len(first))
        return
    # Page k > 0 is read from row `len(first) - 1 + (k - 1) * (page_size - 1)`: its first row
    # is the last row of page k - 1, the other page_size - 1 rows are new.
    offsets = list(range(len(first) - 1, total - 1, page_size - 1))
    anchor = first[-1].get("id")
    with ThreadPoolExecutor(max_workers=max(1, parallel), thread_name_prefix="resource-graph") as pool:
        pending: deque[tuple[int, Future[tuple[list[dict[str, Any]], int | None, str | None, bool]]]] = deque()
        try:
            for offset in offsets:
                pending.append((offset, pool.submit(_query, client, quota, query, subscriptions, page_size, offset)))
                if len(pending) >= parallel:
                    page = _checked(*pending.popleft(), total, page_size, anchor)
                    anchor = page[-1].get("id")
                    yield page[1:]
            while pending:
                page = _checked(*pending.popleft(), total, page_size, anchor)
                anchor = page[-1].get("id")
                yield page[1:]
        finally:
            for _offset, future in pending:
                future.cancel()


def _checked(offset: int, future: Future[tuple[list[dict[str, Any]], int | None, str | None, bool]], total: int,
             page_size: int, anchor: Any) -> list[dict[str, Any]]:
    """A page read from `offset` (the row before its new rows), checked whole; returned with
    that overlapping row."""
    data, again, _token, _truncated = future.result()
    if again is not None and again != total:
        raise GraphIncomplete(f"the result changed while it was read ({total} rows, then {again}); "
                              "nothing of it was stored")
    expected = min(page_size, total - offset)
    if len(data) != expected:
        raise GraphIncomplete(f"Resource Graph announced {total} rows but the page at row {offset} held {len(data)} "
                              f"of {expected}")
    # The rows before this page's first new row moved while the pages were read (one deleted
    # or created before the boundary): a row would be skipped or repeated.
    if anchor is None or data[0].get("id") != anchor:
        raise GraphIncomplete(f"the result changed while it was read (the page at row {offset} does not start "
                              "with the last row of the page before); nothing of it was stored")
    return data


def _follow(client: ResourceGraphClient, quota: Quota, query: str, subscriptions: Sequence[str], page_size: int,
            token: str | None, seen: int) -> Iterator[list[dict[str, Any]]]:
    while token:
        data, total, token, truncated = _query(client, quota, query, subscriptions, page_size, None, token)
        seen += len(data)
        yield data
        if not token and truncated:
            raise GraphIncomplete("Resource Graph truncated the result without a skip token")
        if not token and total is not None and seen != total:
            raise GraphIncomplete(f"Resource Graph announced {total} rows but its pages held {seen}")


def _query(client: ResourceGraphClient, quota: Quota, query: str, subscriptions: Sequence[str], page_size: int,
           skip: int | None, token: str | None = None) -> tuple[list[dict[str, Any]], int | None, str | None, bool]:
    """One page: (rows, totalRecords, $skipToken, resultTruncated)."""
    quota.acquire()
    options = QueryRequestOptions(top=page_size, skip=skip, skip_token=token, result_format=ResultFormat.OBJECT_ARRAY)
    try:
        response = client.resources(QueryRequest(subscriptions=list(subscriptions), query=query, options=options),
                                    raw_response_hook=quota.observe)
    finally:
        quota.release()
    data: Any = response.data or []
    if not isinstance(data, list):
        raise GraphIncomplete("Resource Graph answered in table format; expected an object array")
    total = int(response.total_records) if response.total_records is not None else None
    return data, total, response.skip_token, str(response.result_truncated or "false").lower() == "true"


def _plain_objects(client: Any) -> None:
    """The rows are plain JSON already: the SDK's generic-object deserializer would copy
    every value of every row once more (a tenth of a 100k-resource sync's time)."""
    deserializer = getattr(client, "_deserialize", None)
    types = getattr(deserializer, "deserialize_type", None)
    if isinstance(types, dict) and "object" in types:
        types["object"] = lambda attr, **_kwargs: attr


class Quota:
    """Resource Graph's per-user quota (15 queries per 5 s window by default), learned from
    its `x-ms-user-quota-remaining` / `-resets-after` headers and shared by the threads of
    a sync: a query is sent only while the window has some left, else it waits for the
    window to reset instead of being answered 429 (the SDK's retry would wait too, but
    later). The window starts with its first query: its end is taken from the moment that
    query's answer arrived plus the window's length (the header counts whole seconds)."""

    def __init__(self, clock: Any = time.monotonic, sleep: Any = time.sleep) -> None:
        self._clock, self._sleep = clock, sleep
        self._cond = threading.Condition()
        self._limit: int | None = None  # queries per window (learned from the first answer)
        self._window: float | None = None  # the window's length in seconds (learned likewise)
        self._left: int | None = None  # queries left in this window (None: unknown, one probe at a time)
        self._reset_at = 0.0
        self._fresh = True  # the next answer is the first of a window
        self._in_flight = 0

    def acquire(self) -> None:
        with self._cond:
            while True:
                now = self._clock()
                if self._reset_at and now >= self._reset_at:  # a new window
                    self._reset_at, self._fresh = 0.0, True
                    self._left = self._limit
                if self._left is None:
                    if self._in_flight == 0:  # unknown quota: one query finds it out
                        break
                    self._cond.wait(timeout=1.0)
                    continue
                if self._left > 0:
                    self._left -= 1
                    break
                delay = (self._reset_at - now) if self._reset_at else 1.0
                if delay > 0:
                    self._cond.release()
                    try:
                        self._sleep(min(delay, 60.0))
                    finally:
                        self._cond.acquire()
            self._in_flight += 1

    def release(self) -> None:
        with self._cond:
            self._in_flight -= 1
            self._cond.notify_all()

    def observe(self, response: Any) -> None:
        headers = response.http_response.headers
        remaining, resets = headers.get("x-ms-user-quota-remaining"), headers.get("x-ms-user-quota-resets-after")
        if remaining is None or resets is None:
            with self._cond:  # not metered (no quota headers): only a 429 would slow us down
                if self._limit is None:
                    self._left, self._limit = 1 << 30, 1 << 30
                self._cond.notify_all()
            return
        try:
            left = int(remaining)
            h, m, sec = (int(x) for x in resets.split(":"))
        except ValueError:
            return
        seconds = h * 3600 + m * 60 + sec
        now = self._clock()
        with self._cond:
            if self._fresh and left > 0:  # the first answer of a window: its length and the quota
                self._window = float(max(seconds, 1))
                self._limit = max(self._limit or 0, left + 1)
                self._reset_at = now + self._window
                self._fresh = False
            elif not self._reset_at or now + seconds < self._reset_at:
                self._reset_at = now + seconds
            self._left = left if self._left is None else min(self._left, left)
            self._cond.notify_all()


def rows(client: ResourceGraphClient, query: str, subscriptions: Sequence[str], *,
         page_size: int = PAGE_SIZE, quota: Quota | None = None) -> Iterator[dict[str, Any]]:
    """Every row of a query over these subscriptions, page after page."""
    for page in pages(client, query, subscriptions, page_size=page_size, quota=quota):
        yield from page


def readable_subscriptions(client: ResourceGraphClient, subscriptions: Sequence[str]) -> set[str]:
    """The subscriptions (lower-case ids) among these that the credential may read."""
    return {str(r.get("subscriptionId") or "").lower() for r in rows(client, SUBSCRIPTIONS_QUERY, subscriptions)}


def list_resources(client: ResourceGraphClient, subscription_id: str, *,
                   page_size: int = PAGE_SIZE) -> list[LiveResource]:
    """Every resource of one subscription (small listings; the sync streams `resource_pages`)."""
    return [LiveResource.from_row(r) for r in rows(client, RESOURCES_QUERY, [subscription_id], page_size=page_size)]


def resource_pages(client: ResourceGraphClient, subscriptions: Sequence[str], *,
                   page_size: int = PAGE_SIZE, quota: Quota | None = None) -> Iterator[list[LiveResource]]:
    """The resources of these subscriptions, one page at a time."""
    for page in pages(client, RESOURCES_QUERY, subscriptions, page_size=page_size, quota=quota):
        yield [LiveResource.from_row(r) for r in page]


def containers(client: ResourceGraphClient, subscriptions: Sequence[str], *,
               quota: Quota | None = None) -> list[Container]:
    """The readable subscriptions and resource groups among these, with their tags."""
    return [Container.from_row(r) for r in rows(client, CONTAINERS_QUERY, subscriptions, quota=quota)]


# Failures `describe` words precisely (others are logged with their trace as well).
HANDLED = (ClientAuthenticationError, HttpResponseError, ServiceRequestError, GraphIncomplete)


def describe(exc: Exception) -> str:
    """Why a Resource Graph call failed, in words a user can act on."""
    if isinstance(exc, ClientAuthenticationError):
        return f"signing in to Azure failed: {_first_line(exc)}; check the tenant's credential in Cloud Tenant Setup"
    if isinstance(exc, HttpResponseError):
        code = getattr(getattr(exc, "error", None), "code", None) or ""
        status = exc.status_code or ""
        if status == 403:
            return (f"Azure refused to list resources (403 {code or 'Forbidden'}): skytally's role on the "
                    "subscription is missing; run Add Existing Subscriptions again")
        return f"Resource Graph answered {status} {code}: {_first_line(exc)}".strip()
    if isinstance(exc, ServiceRequestError):
        return f"Azure could not be reached: {_first_line(exc)}; the next sync retries"
    if isinstance(exc, GraphIncomplete):
        return f"{exc}; the next sync retries"
    return f"{type(exc).__name__}: {_first_line(exc)}"


def _first_line(exc: Exception) -> str:
    """Microsoft's message in full (AADSTS text whole, trace IDs dropped): never cut mid-word."""
    return readable(str(getattr(exc, "message", None) or exc)) or type(exc).__name__

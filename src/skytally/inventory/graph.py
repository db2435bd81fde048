"""Listing resources with Azure Resource Graph (the official SDK client that
`AzureConnector.resource_graph` builds), following `$skipToken` pages.

Resource Graph searches only the subscriptions the caller may read and silently leaves
out the others: an empty answer for a subscription whose role was removed looks like an
empty subscription. So a sync first asks which of the requested subscriptions are
readable (`ResourceContainers`), and a subscription that is not is a failure, never
"every resource gone".
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from typing import Any

from azure.core.exceptions import ClientAuthenticationError, HttpResponseError, ServiceRequestError
from azure.mgmt.resourcegraph import ResourceGraphClient
from azure.mgmt.resourcegraph.models import QueryRequest, QueryRequestOptions, ResultFormat

from skytally.azure.messages import readable
from skytally.inventory.schemas import Container, LiveResource

PAGE_SIZE = 1000  # Resource Graph's largest page
# Ordered by id so that pages are stable while following $skipToken. The tags are stored
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


def pages(client: ResourceGraphClient, query: str, subscriptions: Sequence[str], *,
          page_size: int = PAGE_SIZE) -> Iterator[list[dict[str, Any]]]:
    """Every page of a query over these subscriptions, one after the other (only one page is
    held at a time). A result that ends short of the total Resource Graph announced, or is
    truncated without a skip token, raises `GraphIncomplete`: never a silent truncation."""
    token: str | None = None
    total: int | None = None
    seen = 0
    quota = _Quota()
    while True:
        quota.wait()
        options = QueryRequestOptions(top=page_size, skip_token=token, result_format=ResultFormat.OBJECT_ARRAY)
        response = client.resources(QueryRequest(subscriptions=list(subscriptions), query=query, options=options),
                                    raw_response_hook=quota.observe)
        data: Any = response.data or []
        if not isinstance(data, list):
            raise GraphIncomplete("Resource Graph answered in table format; expected an object array")
        if total is None and response.total_records is not None:
            total = int(response.total_records)
        seen += len(data)
        yield data
        token = response.skip_token
        if not token:
            if str(response.result_truncated or "false").lower() == "true":
                raise GraphIncomplete("Resource Graph truncated the result without a skip token")
            if total is not None and seen != total:
                raise GraphIncomplete(f"Resource Graph announced {total} rows but its pages held {seen}")
            return


class _Quota:
    """Resource Graph's per-user quota (15 queries per 5 s window by default), read from its
    `x-ms-user-quota-remaining` / `-resets-after` headers: when none is left, wait for the
    window to reset instead of being answered 429 (the SDK's retry would wait too, but later)."""

    def __init__(self) -> None:
        self._wait_until = 0.0

    def observe(self, response: Any) -> None:
        headers = response.http_response.headers
        remaining, resets = headers.get("x-ms-user-quota-remaining"), headers.get("x-ms-user-quota-resets-after")
        if remaining is None or resets is None:
            return
        try:
            if int(remaining) > 0:
                return
            h, m, sec = (int(x) for x in resets.split(":"))
        except ValueError:
            return
        self._wait_until = time.monotonic() + h * 3600 + m * 60 + sec

    def wait(self) -> None:
        delay = self._wait_until - time.monotonic()
        if delay > 0:
            time.sleep(min(delay, 60.0))


def rows(client: ResourceGraphClient, query: str, subscriptions: Sequence[str], *,
         page_size: int = PAGE_SIZE) -> Iterator[dict[str, Any]]:
    """Every row of a query over these subscriptions, page after page."""
    for page in pages(client, query, subscriptions, page_size=page_size):
        yield from page


def readable_subscriptions(client: ResourceGraphClient, subscriptions: Sequence[str]) -> set[str]:
    """The subscriptions (lower-case ids) among these that the credential may read."""
    return {str(r.get("subscriptionId") or "").lower() for r in rows(client, SUBSCRIPTIONS_QUERY, subscriptions)}


def list_resources(client: ResourceGraphClient, subscription_id: str, *,
                   page_size: int = PAGE_SIZE) -> list[LiveResource]:
    """Every resource of one subscription (small listings; the sync streams `resource_pages`)."""
    return [LiveResource.from_row(r) for r in rows(client, RESOURCES_QUERY, [subscription_id], page_size=page_size)]


def resource_pages(client: ResourceGraphClient, subscriptions: Sequence[str], *,
                   page_size: int = PAGE_SIZE) -> Iterator[list[LiveResource]]:
    """The resources of these subscriptions, one page at a time."""
    for page in pages(client, RESOURCES_QUERY, subscriptions, page_size=page_size):
        yield [LiveResource.from_row(r) for r in page]


def containers(client: ResourceGraphClient, subscriptions: Sequence[str]) -> list[Container]:
    """The readable subscriptions and resource groups among these, with their tags."""
    return [Container.from_row(r) for r in rows(client, CONTAINERS_QUERY, subscriptions)]


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

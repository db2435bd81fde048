"""Listing resources with Azure Resource Graph (the official SDK client that
`AzureConnector.resource_graph` builds), following `$skipToken` pages.

Resource Graph searches only the subscriptions the caller may read and silently leaves
out the others: an empty answer for a subscription whose role was removed looks like an
empty subscription. So a sync first asks which of the requested subscriptions are
readable (`ResourceContainers`), and a subscription that is not is a failure, never
"every resource gone".
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from azure.core.exceptions import ClientAuthenticationError, HttpResponseError, ServiceRequestError
from azure.mgmt.resourcegraph import ResourceGraphClient
from azure.mgmt.resourcegraph.models import QueryRequest, QueryRequestOptions, ResultFormat

from skytally.inventory.schemas import LiveResource

PAGE_SIZE = 1000  # Resource Graph's largest page
# Ordered by id so that pages are stable while following $skipToken. Tags will be added
# to this projection by the tag sync (access levels `tags` / `tags-writeback`).
RESOURCES_QUERY = ("Resources | project id, name, type, resourceGroup, location, subscriptionId "
                   "| order by id asc")
SUBSCRIPTIONS_QUERY = ("ResourceContainers | where type =~ 'microsoft.resources/subscriptions' "
                       "| project id, subscriptionId | order by id asc")


class GraphIncomplete(Exception):
    """Resource Graph did not give the whole result (truncated without a skip token)."""


def rows(client: ResourceGraphClient, query: str, subscriptions: Sequence[str], *,
         page_size: int = PAGE_SIZE) -> Iterator[dict[str, Any]]:
    """Every row of a query over these subscriptions, page after page."""
    token: str | None = None
    while True:
        options = QueryRequestOptions(top=page_size, skip_token=token, result_format=ResultFormat.OBJECT_ARRAY)
        response = client.resources(QueryRequest(subscriptions=list(subscriptions), query=query, options=options))
        data: Any = response.data or []
        if not isinstance(data, list):
            raise GraphIncomplete("Resource Graph answered in table format; expected an object array")
        yield from data
        token = response.skip_token
        if not token:
            if str(response.result_truncated or "false").lower() == "true":
                raise GraphIncomplete("Resource Graph truncated the result without a skip token")
            return


def readable_subscriptions(client: ResourceGraphClient, subscriptions: Sequence[str]) -> set[str]:
    """The subscriptions (lower-case ids) among these that the credential may read."""
    return {str(r.get("subscriptionId") or "").lower() for r in rows(client, SUBSCRIPTIONS_QUERY, subscriptions)}


def list_resources(client: ResourceGraphClient, subscription_id: str, *,
                   page_size: int = PAGE_SIZE) -> list[LiveResource]:
    """Every resource of one subscription."""
    return [LiveResource.from_row(r) for r in rows(client, RESOURCES_QUERY, [subscription_id], page_size=page_size)]


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
    text = str(getattr(exc, "message", None) or exc).strip()
    return text.splitlines()[0][:300] if text else type(exc).__name__

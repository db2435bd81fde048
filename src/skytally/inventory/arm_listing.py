"""Listing a subscription through Resource Manager when Resource Graph is refused (a
policy or a tenant setting can refuse it while plain ARM reads still work).

Slower than Resource Graph (one listing per subscription, ARM's paging) but the same
result: resources with their tags, the resource groups' and the subscription's tags.
"""

from __future__ import annotations

from collections.abc import Iterator

from azure.core.credentials import TokenCredential

from skytally.azure.clients import AzureConnector
from skytally.inventory.schemas import Container, LiveResource, tag_map

_PAGE = 1000


def _group_of(resource_id: str) -> str:
    parts = resource_id.split("/")
    lower = [p.lower() for p in parts]
    if "resourcegroups" in lower:
        i = lower.index("resourcegroups")
        if i + 1 < len(parts):
            return parts[i + 1].lower()
    return ""


def resource_pages(connector: AzureConnector, credential: TokenCredential,
                   subscription_id: str) -> Iterator[list[LiveResource]]:
    client = connector.resources(credential, subscription_id)
    page: list[LiveResource] = []
    for res in client.resources.list():
        rid = res.id or ""
        page.append(LiveResource(resource_id=rid, name=res.name or "", type=(res.type or "").lower(),
                                 resource_group=_group_of(rid), location=res.location or "",
                                 subscription_id=subscription_id.lower(), tags=tag_map(res.tags)))
        if len(page) >= _PAGE:
            yield page
            page = []
    if page:
        yield page


def containers(connector: AzureConnector, credential: TokenCredential, subscription_id: str,
               name: str) -> list[Container]:
    client = connector.resources(credential, subscription_id)
    sub_tags = client.tags.get_at_scope(f"/subscriptions/{subscription_id}")
    found = [Container(subscription_id.lower(), "", name,
                       tag_map(getattr(sub_tags.properties, "tags", None) if sub_tags.properties else None))]
    for rg in client.resource_groups.list():
        found.append(Container(subscription_id.lower(), (rg.name or "").lower(), rg.name or "", tag_map(rg.tags)))
    return found

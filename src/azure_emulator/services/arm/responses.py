"""ARM JSON shapes (Microsoft.Resources 2022-12-01 subscriptions, 2025-04-01 resources)."""

from __future__ import annotations

from typing import Any

from azure_emulator.services.arm.backend import utc
from azure_emulator.world.model import Resource, ResourceGroup, Subscription, Tenant

_QUOTA_BY_OFFER = {
    "MS-AZR-0017P": "EnterpriseAgreement_2014-09-01",
    "MS-AZR-0148P": "EnterpriseAgreement_2014-09-01",  # EA dev/test
    "MS-AZR-0003P": "PayAsYouGo_2014-09-01",
    "MS-AZR-0017G": "PayAsYouGo_2014-09-01",  # Microsoft Azure Plan (MCA)
    "MS-AZR-0023P": "MSDN_2014-09-01",
}


def tenant_json(tenant: Tenant) -> dict[str, Any]:
    return {
        "id": f"/tenants/{tenant.tenant_id}",
        "tenantId": tenant.tenant_id,
        "countryCode": tenant.country_letter_code,
        "displayName": tenant.display_name,
        "domains": list(tenant.verified_domains or [tenant.default_domain]),
        "tenantCategory": "Home",
        "defaultDomain": tenant.default_domain,
        "tenantType": "AAD",
    }


def subscription_json(sub: Subscription) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": f"/subscriptions/{sub.subscription_id}",
        "authorizationSource": "RoleBased",
        "managedByTenants": [],
        "subscriptionId": sub.subscription_id,
        "tenantId": sub.tenant_id,
        "displayName": sub.display_name,
        "state": sub.state,
        "subscriptionPolicies": {
            "locationPlacementId": "Public_2014-09-01",
            "quotaId": _QUOTA_BY_OFFER.get(sub.offer, "PayAsYouGo_2014-09-01"),
            "spendingLimit": "Off",
        },
    }
    if sub.tags:
        body["tags"] = dict(sub.tags)
    return body


def resource_group_json(rg: ResourceGroup) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": rg.id,
        "name": rg.name,
        "type": "Microsoft.Resources/resourceGroups",
        "location": rg.location,
    }
    if rg.tags or rg.tags_written:
        body["tags"] = dict(rg.tags)
    body["properties"] = {"provisioningState": "Succeeded"}
    return body


def generic_resource_json(res: Resource, *, include_tags: bool = True, expand: frozenset[str] = frozenset()) -> dict[str, Any]:
    """A list entry (GenericResourceExpanded): no properties, ``tags`` only when set."""
    body: dict[str, Any] = {"id": res.id, "name": res.name, "type": res.type}
    if res.sku is not None:
        body["sku"] = res.sku
    if res.kind is not None:
        body["kind"] = res.kind
    body["location"] = res.location
    if include_tags and res.tags:
        body["tags"] = res.tags
    if expand:
        if "createdtime" in expand:
            body["createdTime"] = utc(res.created)
        if "changedtime" in expand:
            body["changedTime"] = utc(res.changed or res.created)
        if "provisioningstate" in expand:
            body["provisioningState"] = "Succeeded"
    return body


def full_resource_json(res: Resource) -> dict[str, Any]:
    """GET by id: the provider's shape (properties included)."""
    body = generic_resource_json(res)
    if res.tags is not None and "tags" not in body and res.tags == {}:
        body["tags"] = {}
    props = dict(res.properties)
    props.setdefault("provisioningState", "Succeeded")
    body["properties"] = props
    return body


def tags_json(scope: str, tags: dict[str, str]) -> dict[str, Any]:
    return {
        "id": f"{scope.rstrip('/')}/providers/Microsoft.Resources/tags/default",
        "name": "default",
        "type": "Microsoft.Resources/tags",
        "properties": {"tags": dict(tags)},
    }

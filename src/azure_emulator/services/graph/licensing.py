"""Graph JSON for Microsoft 365 licensing: subscribedSkus, a user's assignedLicenses and
licenseAssignmentStates (direct or through a group), signInActivity.

Shapes: subscribedsku-list.md and user-list.md in ../shared/azure-reference/graph/; the
licenseAssignmentState fields (assignedByGroup, disabledPlans, error, lastUpdatedDateTime,
skuId, state) as Graph v1.0 documents the type.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from starlette.requests import Request

from azure_emulator.core.auth import Principal
from azure_emulator.core.context import get_world
from azure_emulator.core.errors import graph_error
from azure_emulator.world.generate_m365 import effective_skus, is_premium
from azure_emulator.world.model import SubscribedSku, Tenant, User

NEVER = "0001-01-01T00:00:00Z"  # how Graph writes "no sign-in" in signInActivity


def ts(value: datetime | None) -> str | None:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value else None


GroupIndex = dict[str, list[tuple[str, str]]]  # user id → [(skuId, group id)]


def group_index(tenant: Tenant) -> GroupIndex:
    """Who gets which product through which group (group-based licensing)."""
    out: GroupIndex = {}
    for g in tenant.groups.values():
        if not g.assigned_licenses:
            continue
        pairs = [(sku, g.object_id) for sku in g.assigned_licenses]
        for uid in g.member_ids:
            out.setdefault(uid, []).extend(pairs)
    return out


def licences(u: User, via_groups: list[tuple[str, str]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(assignedLicenses, licenseAssignmentStates) of a user."""
    states: list[dict[str, Any]] = []
    assigned: dict[str, dict[str, Any]] = {}
    for sku in u.assigned_licenses:
        disabled = list(u.disabled_plans.get(sku, []))
        states.append({"assignedByGroup": None, "disabledPlans": disabled, "error": "None",
                       "lastUpdatedDateTime": ts(u.licence_assigned.get(sku)), "skuId": sku, "state": "Active"})
        assigned[sku] = {"disabledPlans": disabled, "skuId": sku}
    for sku, group_id in via_groups:
        error = u.licence_errors.get(sku)
        states.append({"assignedByGroup": group_id, "disabledPlans": [], "error": error or "None",
                       "lastUpdatedDateTime": ts(u.licence_assigned.get(sku)), "skuId": sku,
                       "state": "Error" if error else "Active"})
        if not error:
            if sku in assigned:  # both ways: the plans enabled by either are enabled
                assigned[sku]["disabledPlans"] = []
            else:
                assigned[sku] = {"disabledPlans": [], "skuId": sku}
    return list(assigned.values()), states


def sign_in_activity(u: User) -> dict[str, Any]:
    use = u.usage
    last = use.last_sign_in if use else None
    non_interactive = use.last_non_interactive_sign_in if use else None
    return {
        "lastSignInDateTime": ts(last) or NEVER,
        "lastSignInRequestId": str(uuid.uuid5(uuid.NAMESPACE_OID, u.object_id + "i")) if last else "",
        "lastNonInteractiveSignInDateTime": ts(non_interactive) or NEVER,
        "lastNonInteractiveSignInRequestId": str(uuid.uuid5(uuid.NAMESPACE_OID, u.object_id + "n")) if non_interactive else "",
    }


def wants_sign_in(request: Request) -> bool:
    q = request.query_params
    return "signinactivity" in q.get("$select", "").lower() or "signinactivity" in q.get("$filter", "").lower()


def check_sign_in(request: Request, principal: Principal, tenant: Tenant) -> None:
    """signInActivity needs AuditLog.Read.All and an Entra ID P1/P2 tenant, as in Graph."""
    now = get_world(request).clock.now()
    rid = request.headers.get("client-request-id")
    held = principal.roles if principal.is_app else principal.scopes
    if "AuditLog.Read.All" not in held:
        raise graph_error(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.",
                          client_request_id=rid, now=now)
    if not is_premium(tenant):
        raise graph_error(403, "Authentication_RequestFromNonPremiumTenantOrB2CTenant",
                          "Neither tenant is B2C or tenant doesn't have premium license", client_request_id=rid, now=now)


def consumed_units(tenant: Tenant) -> dict[str, int]:
    counts: dict[str, int] = {}
    for skus in effective_skus(tenant).values():
        for s in skus:
            counts[s] = counts.get(s, 0) + 1
    return counts


def subscribed_sku(tenant: Tenant, sku: SubscribedSku, consumed: int) -> dict[str, Any]:
    return {
        "accountName": tenant.display_name, "accountId": tenant.tenant_id, "appliesTo": sku.applies_to,
        "capabilityStatus": sku.capability_status, "consumedUnits": consumed,
        "id": f"{tenant.tenant_id}_{sku.sku_id}",
        "prepaidUnits": {"enabled": sku.enabled, "lockedOut": sku.locked_out, "suspended": sku.suspended, "warning": sku.warning},
        "servicePlans": [{"servicePlanId": p.service_plan_id, "servicePlanName": p.service_plan_name,
                          "provisioningStatus": "Success", "appliesTo": p.applies_to} for p in sku.service_plans],
        "skuId": sku.sku_id, "skuPartNumber": sku.sku_part_number, "subscriptionIds": list(sku.subscription_ids),
    }


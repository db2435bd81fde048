"""Resource Graph backend: the ``Resources`` / ``ResourceContainers`` tables, RBAC scoping,
query execution with a small result cache (for ``$skipToken`` paging), and the per-user quota.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from azure_emulator.core.arm_index import arm_index, no_gc, tags_version
from azure_emulator.services.authorization import rbac
from azure_emulator.services.authorization.rbac import Caller
from azure_emulator.services.resourcegraph import engine, kql
from azure_emulator.world.model import Resource, ResourceGroup, Subscription, World

COLUMNS = [
    "id", "name", "type", "tenantId", "kind", "location", "resourceGroup", "subscriptionId",
    "managedBy", "sku", "plan", "properties", "tags", "identity", "zones", "extendedLocation",
]
COLUMN_TYPES = {
    "id": "string", "name": "string", "type": "string", "tenantId": "string", "kind": "string",
    "location": "string", "resourceGroup": "string", "subscriptionId": "string", "managedBy": "string",
    "sku": "object", "plan": "object", "properties": "object", "tags": "object", "identity": "object",
    "zones": "object", "extendedLocation": "object",
}
TABLES = {"resources": "Resources", "resourcecontainers": "ResourceContainers"}
_CACHE_SIZE = 32


@dataclass(slots=True)
class GraphIndex:
    revision: int
    # subscription id (lower) → [(resource group lower, row)]
    resources: dict[str, list[tuple[str, dict[str, Any]]]]
    # id(Resource) → (Resource, row): rows survive rebuilds for resources that did not change
    rows: dict[int, tuple[Resource, dict[str, Any]]]


def _resource_row(res: Resource, tenant_id: str, types: dict[str, str], rgs: dict[str, str]) -> dict[str, Any]:
    t = types.get(res.type)
    if t is None:
        t = types[res.type] = res.type.lower()
    rg = rgs.get(res.resource_group)
    if rg is None:
        rg = rgs[res.resource_group] = res.resource_group.lower()
    return {
        "id": res.id, "name": res.name, "type": t, "tenantId": tenant_id, "kind": res.kind or "",
        "location": res.location, "resourceGroup": rg, "subscriptionId": res.subscription_id,
        "managedBy": "", "sku": res.sku, "plan": None, "properties": res.properties,
        "tags": res.tags, "identity": None, "zones": None, "extendedLocation": None,
    }


def graph_index(world: World) -> GraphIndex:
    cached = world.derived.get("arg")
    if isinstance(cached, GraphIndex) and cached.revision == world.revision:
        return cached
    with no_gc():
        return _build_graph_index(world, cached)


def _build_graph_index(world: World, cached: object) -> GraphIndex:
    idx = arm_index(world)
    old = cached.rows if isinstance(cached, GraphIndex) else {}
    types: dict[str, str] = {}
    rgs: dict[str, str] = {}
    by_sub: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    rows: dict[int, tuple[Resource, dict[str, Any]]] = {}
    for sid, resources in idx.sub_resources.items():
        tenant_id = idx.subscriptions[sid].tenant_id
        entries = []
        for res in resources:
            prev = old.get(id(res))
            if prev is not None and prev[0] is res and prev[1]["resourceGroup"] == res.resource_group.lower():
                row = prev[1]
                row["tags"] = res.tags
                row["properties"] = res.properties
            else:
                row = _resource_row(res, tenant_id, types, rgs)
            rows[id(res)] = (res, row)
            entries.append((row["resourceGroup"], row))
        by_sub[sid] = entries
    graph = GraphIndex(world.revision, by_sub, rows)
    world.derived["arg"] = graph
    return graph


def _subscription_row(sub: Subscription) -> dict[str, Any]:
    return {
        "id": f"/subscriptions/{sub.subscription_id}", "name": sub.display_name,
        "type": "microsoft.resources/subscriptions", "tenantId": sub.tenant_id, "kind": "",
        "location": "", "resourceGroup": "", "subscriptionId": sub.subscription_id, "managedBy": "",
        "sku": None, "plan": None,
        "properties": {"state": sub.state, "subscriptionPolicies": {"locationPlacementId": "Public_2014-09-01",
                                                                    "spendingLimit": "Off"},
                       "managementGroupAncestorsChain": []},
        "tags": sub.tags, "identity": None, "zones": None, "extendedLocation": None,
    }


def _group_row(sub: Subscription, rg: ResourceGroup) -> dict[str, Any]:
    return {
        "id": rg.id, "name": rg.name, "type": "microsoft.resources/subscriptions/resourcegroups",
        "tenantId": sub.tenant_id, "kind": "", "location": rg.location, "resourceGroup": rg.name.lower(),
        "subscriptionId": sub.subscription_id, "managedBy": "", "sku": None, "plan": None,
        "properties": {"provisioningState": "Succeeded"}, "tags": rg.tags, "identity": None, "zones": None,
        "extendedLocation": None,
    }


def scoped_subscriptions(world: World, caller: Caller, requested: list[str] | None) -> list[Subscription]:
    """The caller's tenant subscriptions it may see, intersected with the request's list."""
    tenant = world.tenants.get(caller.tenant_id.lower()) or world.tenants.get(caller.tenant_id)
    if tenant is None:
        return []
    subs = list(tenant.subscriptions.values())
    if requested is not None:
        wanted = {s.lower() for s in requested}
        subs = [s for s in subs if s.subscription_id.lower() in wanted]
    allowed = rbac.subscriptions_with_access(world, caller)
    return [s for s in subs if allowed is None or s.subscription_id.lower() in allowed]


def source_rows(world: World, caller: Caller, table: str, subs: list[Subscription]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    if table == "Resources":
        graph = graph_index(world)
        for sub in subs:
            sub_rows = graph.resources.get(sub.subscription_id.lower(), [])
            allowed = rbac.readable_resource_groups(world, caller, sub.subscription_id, "Microsoft.Resources/subscriptions/resources/read")
            if allowed is None:
                rows.extend(row for _, row in sub_rows)
            elif allowed:
                rows.extend(row for rg, row in sub_rows if rg in allowed)
        return rows
    for sub in subs:
        sub_scope = f"/subscriptions/{sub.subscription_id}"
        if rbac.is_authorized(world, caller, "Microsoft.Resources/subscriptions/read", sub_scope):
            rows.append(_subscription_row(sub))
        allowed = rbac.readable_resource_groups(world, caller, sub.subscription_id, "Microsoft.Resources/subscriptions/resourceGroups/read")
        for rg in sub.resource_groups.values():
            if allowed is None or rg.name.lower() in allowed:
                rows.append(_group_row(sub, rg))
    return rows


def parse_query(text: str) -> kql.Query:
    query = kql.parse(text)
    table = TABLES.get(query.table.lower())
    if table is None:
        raise kql.KqlError("DisallowedLogicalTableName", f"Table {query.table} is invalid, unsupported or disallowed.")
    query.table = table
    return query


def run(world: World, caller: Caller, text: str, requested: list[str] | None) -> engine.Result:
    """Execute (or fetch from the cache) the full result of a query for this caller."""
    subs = scoped_subscriptions(world, caller, requested)
    key = (caller.object_id, caller.tenant_id, text, tuple(sorted(s.subscription_id.lower() for s in subs)),
           world.revision, tags_version(world), rbac.version(world))
    cache = world.derived.get("arg_cache")
    if not isinstance(cache, OrderedDict):
        cache = OrderedDict()
        world.derived["arg_cache"] = cache
    hit = cache.get(key)
    if hit is not None:
        cache.move_to_end(key)
        return hit  # type: ignore[no-any-return]
    query = parse_query(text)
    result = engine.execute(query, source_rows(world, caller, query.table, subs), COLUMNS)
    cache[key] = result
    while len(cache) > _CACHE_SIZE:
        cache.popitem(last=False)
    return result


def query_fingerprint(text: str, requested: list[str] | None) -> str:
    raw = json.dumps([text, sorted(s.lower() for s in requested or [])]).encode()
    return hashlib.sha256(raw).hexdigest()[:16]


def encode_skip_token(offset: int, fingerprint: str) -> str:
    return base64.b64encode(json.dumps({"$skip": offset, "$fp": fingerprint}).encode()).decode()


def decode_skip_token(token: str, fingerprint: str) -> int | None:
    try:
        data = json.loads(base64.b64decode(token.encode(), validate=False))
        if data.get("$fp") != fingerprint:
            return None
        offset = int(data["$skip"])
        return offset if offset >= 0 else None
    except (ValueError, KeyError, TypeError):
        return None


def consume_quota(world: World, caller: Caller) -> tuple[bool, int, float]:
    """Count one query against the caller's quota: ``(allowed, remaining, seconds to reset)``.
    ``world.arg_quota`` queries per ``world.arg_quota_window`` (emulator clock); 0 disables it."""
    window = world.arg_quota_window.total_seconds() or 5.0
    if world.arg_quota <= 0:
        return True, 15, window
    now = world.clock.now().timestamp()
    state = world.derived.setdefault("arg_quota_state", {})
    assert isinstance(state, dict)
    start, used = state.get(caller.object_id, (now, 0))
    if now - start >= window:
        start, used = now, 0
    reset = max(0.0, window - (now - start))
    if used >= world.arg_quota:
        return False, 0, reset
    state[caller.object_id] = (start, used + 1)
    return True, world.arg_quota - used - 1, reset

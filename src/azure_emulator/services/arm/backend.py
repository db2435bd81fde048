"""In-memory ARM backend over the world: visibility, resource groups, resources. The index and
the lookups are ``core/arm_index.py`` (re-exported here for the arm service's modules)."""

from __future__ import annotations

from azure_emulator.core.arm_index import (
    ArmIndex,
    arm_index,
    bump_tags_version,
    find_resource,
    get_resource_group,
    get_subscription,
    no_gc,
    resource_group_not_found,
    resource_not_found,
    subscription_not_found,
    tags_version,
    utc,
    wrong_tenant,
)
from azure_emulator.core.errors import arm_error
from azure_emulator.services.authorization import rbac
from azure_emulator.services.authorization.rbac import Caller
from azure_emulator.world.model import Resource, ResourceGroup, Subscription, World

__all__ = ["ArmIndex", "arm_index", "bump_tags_version", "find_resource", "get_resource_group", "get_subscription",
           "no_gc", "resource_group_not_found", "resource_not_found", "subscription_not_found", "tags_version",
           "utc", "wrong_tenant"]


def structural_change(world: World) -> None:
    """Call after adding/removing subscriptions, groups, resources or role assignments."""
    world.touch()
    rbac.invalidate(world)


def visible_subscriptions(world: World, caller: Caller) -> list[Subscription]:
    """Subscriptions of the token's tenant where the caller has any effective role
    assignment (at the subscription, above it, or on something inside it)."""
    tenant = world.tenants.get(caller.tenant_id.lower()) or world.tenants.get(caller.tenant_id)
    if tenant is None:
        return []
    allowed = rbac.subscriptions_with_access(world, caller)
    return [s for s in tenant.subscriptions.values() if allowed is None or s.subscription_id.lower() in allowed]


def require_visible(world: World, caller: Caller, sub: Subscription, action: str) -> None:
    scope = f"/subscriptions/{sub.subscription_id}"
    if not rbac.has_access_within(world, caller, scope):
        raise rbac.authorization_failed(caller, action, scope)


# --- resource groups ------------------------------------------------------------------------


def create_or_update_group(
    world: World, sub: Subscription, name: str, location: str | None, tags: dict[str, str] | None
) -> tuple[ResourceGroup, bool]:
    with world.lock:
        existing = sub.resource_groups.get(name.lower())
        if existing is not None:
            if location and location.replace(" ", "").lower() != existing.location.lower():
                raise arm_error(
                    409,
                    "InvalidResourceGroupLocation",
                    f"Invalid resource group location '{location}'. The Resource group already exists "
                    f"in location '{existing.location}'.",
                )
            if tags is not None:
                existing.tags.clear()
                existing.tags.update(tags)
                existing.tags_written = True
                bump_tags_version(world)
            return existing, False
        if not location:
            raise arm_error(400, "LocationRequired", "The location property is required for this definition.")
        rg = ResourceGroup(name=name, subscription_id=sub.subscription_id, location=location.replace(" ", "").lower(),
                           tags=dict(tags or {}), tags_written=tags is not None)
        sub.resource_groups[name.lower()] = rg
        structural_change(world)
        return rg, True


def delete_group(world: World, sub: Subscription, rg: ResourceGroup) -> None:
    """Remove the group, its resources and the role assignments at or below it."""
    with world.lock:
        sub.resource_groups.pop(rg.name.lower(), None)
        prefix = rg.id.lower()
        for name in [n for n, ra in world.role_assignments.items() if rbac.scope_covers(prefix, ra.scope)]:
            del world.role_assignments[name]
        structural_change(world)
        rbac.assignments_changed(world)


def group_resources(rg: ResourceGroup) -> list[Resource]:
    return list(rg.resources.values())


def subscription_resources(world: World, sub: Subscription) -> list[Resource]:
    return arm_index(world).sub_resources.get(sub.subscription_id.lower(), [])

"""ARM's index over the world and its lookups (subscription, group, resource by id), with
ARM's not-found and wrong-tenant errors. In ``core`` so that every service under ``/arm`` can
resolve scopes without importing the ``arm`` service.

Indexes (``ArmIndex``) are derived from the world and rebuilt when ``world.revision``
changes; tag edits mutate tag dicts in place and bump ``tags_version`` instead.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from azure_emulator.core.errors import ApiError, arm_error
from azure_emulator.world.model import Resource, ResourceGroup, Subscription, World


class Caller(Protocol):
    @property
    def tenant_id(self) -> str: ...


@dataclass(slots=True)
class ArmIndex:
    revision: int
    resources_by_id: dict[str, Resource] = field(default_factory=dict)
    sub_resources: dict[str, list[Resource]] = field(default_factory=dict)
    subscriptions: dict[str, Subscription] = field(default_factory=dict)


@contextmanager
def no_gc() -> Iterator[None]:
    """Pause the cyclic GC while building large indexes: they allocate only acyclic
    containers, and generation-2 passes over a 100k-resource heap would dominate."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def arm_index(world: World) -> ArmIndex:
    cached = world.derived.get("arm")
    if isinstance(cached, ArmIndex) and cached.revision == world.revision:
        return cached
    with world.lock, no_gc():
        idx = ArmIndex(world.revision)
        for tenant in world.tenants.values():
            for sub in tenant.subscriptions.values():
                sid = sub.subscription_id.lower()
                idx.subscriptions[sid] = sub
                rows: list[Resource] = []
                for rg in sub.resource_groups.values():
                    for res in rg.resources.values():
                        idx.resources_by_id[res.id.lower()] = res
                        rows.append(res)
                idx.sub_resources[sid] = rows
        world.derived["arm"] = idx
    return idx


def tags_version(world: World) -> int:
    value = world.derived.get("tags_version", 0)
    return value if isinstance(value, int) else 0


def bump_tags_version(world: World) -> None:
    world.derived["tags_version"] = tags_version(world) + 1


# --- lookups ------------------------------------------------------------------------------


def subscription_not_found(subscription_id: str) -> ApiError:
    return arm_error(404, "SubscriptionNotFound", f"The subscription '{subscription_id}' could not be found.")


def wrong_tenant(caller: Caller, sub: Subscription, base_login: str = "https://login.windows.net") -> ApiError:
    message = (
        f"The access token is from the wrong issuer 'https://sts.windows.net/{caller.tenant_id}/'. "
        f"It must match the tenant 'https://sts.windows.net/{sub.tenant_id}/' associated with this "
        f"subscription. Please use the authority (URL) '{base_login}/{sub.tenant_id}' to get the "
        "token. Note, if the subscription is transferred to another tenant there is no impact to "
        "the services, but information about new tenant could take time to propagate (up to an "
        "hour). If you just transferred your subscription and see this error message, please try "
        "back later."
    )
    return arm_error(
        401,
        "InvalidAuthenticationTokenTenant",
        message,
        {
            "WWW-Authenticate": (
                f'Bearer authorization_uri="{base_login}/{sub.tenant_id}", error="invalid_token", '
                'error_description="The access token is from the wrong issuer."'
            )
        },
    )


def get_subscription(world: World, caller: Caller, subscription_id: str) -> Subscription:
    """The subscription, 404 when unknown, 401 when it lives in another tenant than the token's."""
    sub = arm_index(world).subscriptions.get(subscription_id.lower())
    if sub is None:
        raise subscription_not_found(subscription_id)
    if sub.tenant_id.lower() != caller.tenant_id.lower():
        raise wrong_tenant(caller, sub)
    return sub


def resource_group_not_found(name: str) -> ApiError:
    return arm_error(404, "ResourceGroupNotFound", f"Resource group '{name}' could not be found.")


def get_resource_group(sub: Subscription, name: str) -> ResourceGroup:
    rg = sub.resource_groups.get(name.lower())
    if rg is None:
        raise resource_group_not_found(name)
    return rg


def resource_not_found(resource_id: str) -> ApiError:
    parts = resource_id.strip("/").split("/")
    rg = parts[3] if len(parts) > 3 else ""
    try:
        i = [p.lower() for p in parts].index("providers")
        what = "/".join(parts[i + 1 :])
    except ValueError:
        what = resource_id
    return arm_error(
        404,
        "ResourceNotFound",
        f"The Resource '{what}' under resource group '{rg}' was not found. For more details please "
        "go to https://aka.ms/ARMResourceNotFoundFix",
    )


def find_resource(world: World, resource_id: str) -> Resource | None:
    return arm_index(world).resources_by_id.get(resource_id.rstrip("/").lower())


def utc(ts: datetime | None) -> str | None:
    if ts is None:
        return None
    return ts.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond:06d}0Z"

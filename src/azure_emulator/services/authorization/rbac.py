"""RBAC evaluation: which effective role assignments cover a scope, and whether an action is allowed.

One entry point for every ARM call: ``authorize(world, principal, action, scope)``. It honours
action wildcards (``*``, ``*/read``, ``Microsoft.Resources/tags/*``), notActions, assignments
inherited from parent scopes (subscription → resource group → resource), group membership,
and only assignments already in effect (``effective_from`` ≤ now: propagation delay).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from functools import lru_cache
from typing import Protocol

from azure_emulator.core.errors import ApiError, arm_error
from azure_emulator.world.model import RoleAssignment, RoleDefinition, World


class Caller(Protocol):
    """What RBAC needs of a principal (``azure_emulator.core.auth.Principal`` fits)."""

    @property
    def tenant_id(self) -> str: ...
    @property
    def object_id(self) -> str: ...
    @property
    def upn(self) -> str | None: ...


@lru_cache(maxsize=4096)
def _action_regex(pattern: str) -> re.Pattern[str]:
    return re.compile("^" + re.escape(pattern).replace(r"\*", ".*") + "$", re.IGNORECASE)


def action_matches(pattern: str, action: str) -> bool:
    """Whether a role's action pattern (with ``*`` wildcards, case-insensitive) covers ``action``."""
    if pattern == "*":
        return True
    return _action_regex(pattern).match(action) is not None


def role_allows(role: RoleDefinition, action: str) -> bool:
    return any(action_matches(p, action) for p in role.actions) and not any(
        action_matches(p, action) for p in role.not_actions
    )


def scope_covers(assignment_scope: str, target: str) -> bool:
    """An assignment at ``assignment_scope`` applies at ``target`` (itself or a descendant)."""
    a = assignment_scope.rstrip("/").lower()
    t = target.rstrip("/").lower()
    return a == "" or t == a or t.startswith(a + "/")


def _by_principal(world: World) -> dict[str, list[RoleAssignment]]:
    """Assignments grouped by principal id, rebuilt when the assignment set changes."""
    key = (id(world.role_assignments), len(world.role_assignments), world.revision, version(world))
    cached = world.derived.get("rbac")
    if isinstance(cached, tuple) and cached[0] == key:
        return cached[1]  # type: ignore[no-any-return]
    grouped: dict[str, list[RoleAssignment]] = {}
    for ra in world.role_assignments.values():
        grouped.setdefault(ra.principal_id.lower(), []).append(ra)
    world.derived["rbac"] = (key, grouped)
    return grouped


def invalidate(world: World) -> None:
    world.derived.pop("rbac", None)


def version(world: World) -> int:
    value = world.derived.get("rbac_version", 0)
    return value if isinstance(value, int) else 0


def assignments_changed(world: World) -> None:
    """Call after creating or deleting role assignments (no resource index is rebuilt)."""
    world.derived["rbac_version"] = version(world) + 1
    invalidate(world)


def _memberships(world: World) -> dict[str, set[str]]:
    """member object id → group ids (all tenants), rebuilt when groups or their sizes change."""
    key = tuple((t.tenant_id, len(t.groups), sum(len(g.member_ids) for g in t.groups.values()))
                for t in world.tenants.values())
    cached = world.derived.get("rbac_groups")
    if isinstance(cached, tuple) and cached[0] == key:
        return cached[1]  # type: ignore[no-any-return]
    index: dict[str, set[str]] = {}
    for tenant in world.tenants.values():
        for group in tenant.groups.values():
            for member in group.member_ids:
                index.setdefault(member.lower(), set()).add(group.object_id.lower())
    world.derived["rbac_groups"] = (key, index)
    return index


def principal_ids(world: World, caller: Caller) -> set[str]:
    """The caller's object id plus the groups it is a member of."""
    oid = caller.object_id.lower()
    return {oid} | _memberships(world).get(oid, set())


def caller_assignments(world: World, caller: Caller, now: datetime | None = None) -> list[RoleAssignment]:
    """The caller's assignments (direct and through groups); only effective ones when ``now``."""
    grouped = _by_principal(world)
    found: list[RoleAssignment] = []
    for pid in principal_ids(world, caller):
        for ra in grouped.get(pid, ()):
            if now is not None and ra.effective_from is not None and ra.effective_from > now:
                continue
            found.append(ra)
    return found


def covering(assignments: Iterable[RoleAssignment], scope: str) -> list[RoleAssignment]:
    return [ra for ra in assignments if scope_covers(ra.scope, scope)]


def is_authorized(world: World, caller: Caller, action: str, scope: str) -> bool:
    now = world.clock.now()
    for ra in caller_assignments(world, caller, now):
        if not scope_covers(ra.scope, scope):
            continue
        role = world.role_definitions.get(ra.role_definition_id)
        if role is not None and role_allows(role, action):
            return True
    return False


def has_access_within(world: World, caller: Caller, scope: str) -> bool:
    """Any effective assignment at, above or below ``scope`` (how ARM decides a
    subscription is visible to the caller)."""
    now = world.clock.now()
    for ra in caller_assignments(world, caller, now):
        if scope_covers(ra.scope, scope) or scope_covers(scope, ra.scope):
            return True
    return False


def subscriptions_with_access(world: World, caller: Caller) -> set[str] | None:
    """Lowercased ids of subscriptions where the caller has any effective assignment (at,
    below or above them); ``None`` when an assignment above every subscription exists."""
    found: set[str] = set()
    for ra in caller_assignments(world, caller, world.clock.now()):
        parts = ra.scope.strip("/").split("/")
        if len(parts) >= 2 and parts[0].lower() == "subscriptions":
            found.add(parts[1].lower())
        elif ra.scope.strip("/") == "" or (parts[0].lower() == "providers" and parts[1:2] == ["Microsoft.Management"]):
            return None
    return found


def authorization_failed(caller: Caller, action: str, scope: str) -> ApiError:
    client = caller.upn or caller.object_id
    return arm_error(
        403,
        "AuthorizationFailed",
        f"The client '{client}' with object id '{caller.object_id}' does not have authorization to "
        f"perform action '{action}' over scope '{scope}' or the scope is invalid. If access was "
        "recently granted, please refresh your credentials.",
    )


def authorize(world: World, caller: Caller, action: str, scope: str) -> None:
    """Raise 403 AuthorizationFailed unless an effective assignment allows ``action`` at ``scope``."""
    if not is_authorized(world, caller, action, scope):
        raise authorization_failed(caller, action, scope)


def readable_resource_groups(world: World, caller: Caller, subscription_id: str, action: str) -> set[str] | None:
    """For listing inside a subscription: ``None`` when ``action`` is allowed on the whole
    subscription, else the lowercased resource-group names where it is allowed."""
    sub_scope = f"/subscriptions/{subscription_id}"
    if is_authorized(world, caller, action, sub_scope):
        return None
    now = world.clock.now()
    prefix = sub_scope.lower() + "/resourcegroups/"
    groups: set[str] = set()
    for ra in caller_assignments(world, caller, now):
        s = ra.scope.lower()
        if s.startswith(prefix):
            rg = s[len(prefix):].split("/", 1)[0]
            role = world.role_definitions.get(ra.role_definition_id)
            if role is not None and role_allows(role, action) and "/" not in s[len(prefix):]:
                groups.add(rg)
    return groups

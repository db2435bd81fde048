"""RBAC evaluation: action wildcards, notActions, inheritance, groups, propagation delay."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from azure_emulator.services.authorization import rbac
from azure_emulator.world import builtin_roles as roles
from azure_emulator.world.model import Group, RoleAssignment, Tenant, World


@dataclass(frozen=True)
class Caller:
    tenant_id: str
    object_id: str
    upn: str | None = None


def _world() -> World:
    world = World(seed=0, size="custom")
    roles.install_builtin_roles(world)
    tenant = Tenant(tenant_id="t1", display_name="T", default_domain="t.onmicrosoft.com")
    tenant.groups["g1"] = Group(object_id="g1", tenant_id="t1", display_name="G", mail_nickname="g", member_ids=["u2"])
    world.tenants["t1"] = tenant
    return world


def _assign(world: World, scope: str, role: str, principal: str, delay: timedelta = timedelta(0)) -> None:
    now = world.clock.now()
    name = f"ra{len(world.role_assignments)}"
    world.role_assignments[name] = RoleAssignment(name, scope, role, principal, "User", "t1", now, None, now + delay)
    world.touch()


def test_action_patterns() -> None:
    assert rbac.action_matches("*/read", "Microsoft.Compute/virtualMachines/read")
    assert rbac.action_matches("Microsoft.Resources/tags/*", "microsoft.resources/TAGS/write")
    assert rbac.action_matches("Microsoft.Authorization/*/read", "Microsoft.Authorization/roleAssignments/read")
    assert not rbac.action_matches("*/read", "Microsoft.Resources/tags/write")
    world = _world()
    contributor = world.role_definitions[roles.CONTRIBUTOR]
    assert rbac.role_allows(contributor, "Microsoft.Resources/subscriptions/resourceGroups/write")
    assert not rbac.role_allows(contributor, "Microsoft.Authorization/roleAssignments/write")


def test_inheritance_groups_and_delay() -> None:
    world = _world()
    sub = "/subscriptions/s1"
    rg = f"{sub}/resourceGroups/rg1"
    _assign(world, sub, roles.READER, "u1")
    _assign(world, rg, roles.TAG_CONTRIBUTOR, "g1")
    _assign(world, sub, roles.OWNER, "u3", delay=timedelta(minutes=5))
    u1, u2, u3 = Caller("t1", "u1"), Caller("t1", "u2"), Caller("t1", "u3")
    res = f"{rg}/providers/Microsoft.Compute/virtualMachines/vm1"
    assert rbac.is_authorized(world, u1, "Microsoft.Compute/virtualMachines/read", res)
    assert not rbac.is_authorized(world, u1, "Microsoft.Resources/tags/write", res)
    assert rbac.is_authorized(world, u2, "Microsoft.Resources/tags/write", res)  # through its group
    assert not rbac.is_authorized(world, u2, "Microsoft.Resources/tags/write", sub)
    assert rbac.readable_resource_groups(world, u2, "s1", "Microsoft.Resources/subscriptions/resourceGroups/read") == {"rg1"}
    assert not rbac.is_authorized(world, u3, "Microsoft.Resources/tags/write", sub)
    world.clock.advance(timedelta(minutes=6))
    assert rbac.is_authorized(world, u3, "Microsoft.Authorization/roleAssignments/write", sub)
    err = rbac.authorization_failed(Caller("t1", "u9", "x@t"), "a/b", sub)
    assert err.status == 403 and err.body["error"]["message"].startswith("The client 'x@t' with object id 'u9'")
    assert datetime.now(UTC) < world.clock.now()

"""Helpers for the inventory tests: the cost-import fixtures (one HTTPS emulator per module,
a fresh runtime per test) plus changes made in the emulator's world the way Azure would
see them (a role granted or removed, a resource group deleted) and the world's truth."""

from __future__ import annotations

import uuid
from datetime import timedelta

from azure_emulator.services.arm import backend as arm
from azure_emulator.services.authorization import rbac
from azure_emulator.testing import RunningEmulator
from azure_emulator.world import builtin_roles as roles
from azure_emulator.world.model import Resource, ResourceGroup, RoleAssignment, Subscription
from skytally.inventory.jobs import SYNC
from skytally.jobs import service as jobs
from skytally.jobs.schemas import JobRunOut
from skytally.runtime import Runtime

INSTALLATION_EMAIL = "test"


def subscription(emu: RunningEmulator, subscription_id: str) -> Subscription:
    assert emu.world is not None
    for tenant in emu.world.tenants.values():
        sub = tenant.subscriptions.get(subscription_id) or tenant.subscriptions.get(subscription_id.lower())
        if sub is not None:
            return sub
    raise AssertionError(f"no subscription {subscription_id}")


def enrollment_subscriptions(emu: RunningEmulator) -> list[str]:
    """The primary tenant's subscriptions billed to the EA enrollment (sorted)."""
    world = emu.world
    assert world is not None
    tenant = world.tenants[emu.fixtures["primary_tenant_id"]]
    ea = emu.fixtures["ea_enrollment_number"]
    return sorted(s.subscription_id for s in tenant.subscriptions.values() if s.billing_account_id == ea)


def resource_ids(emu: RunningEmulator, *subscription_ids: str) -> set[str]:
    """The lower-cased ids of every resource of these subscriptions (the truth)."""
    return {r.id.lower() for sid in subscription_ids for rg in subscription(emu, sid).resource_groups.values()
            for r in rg.resources.values()}


def grant_reader(emu: RunningEmulator, subscription_id: str) -> str:
    """Reader on a subscription for the customer's service principal; returns the assignment name."""
    world = emu.world
    assert world is not None
    name = str(uuid.uuid4())
    with world.lock:
        world.role_assignments[name] = RoleAssignment(
            name=name, scope=f"/subscriptions/{subscription_id}", role_definition_id=roles.READER,
            principal_id=emu.fixtures["customer_sp_object_id"], principal_type="ServicePrincipal",
            tenant_id=emu.fixtures["primary_tenant_id"], created=world.clock.now() - timedelta(days=1))
        world.touch()
        rbac.assignments_changed(world)
    return name


def remove_role(emu: RunningEmulator, name: str) -> None:
    world = emu.world
    assert world is not None
    with world.lock:
        del world.role_assignments[name]
        world.touch()
        rbac.assignments_changed(world)


def untagged_group(emu: RunningEmulator, subscription_id: str) -> ResourceGroup:
    """The resource group with the most taggable resources that carry no tag."""
    groups = subscription(emu, subscription_id).resource_groups.values()
    return max(groups, key=lambda g: (sum(1 for r in g.resources.values() if r.tags == {}), g.name))


def delete_group(emu: RunningEmulator, rg: ResourceGroup) -> set[str]:
    """Delete a resource group as ARM's DELETE does; returns its resources' ids (lower case)."""
    assert emu.world is not None
    gone = {r.id.lower() for r in rg.resources.values()}
    arm.delete_group(emu.world, subscription(emu, rg.subscription_id), rg)
    return gone


def sync_now(rt: Runtime, account_id: int | None = None) -> JobRunOut:
    params = {"account_id": account_id} if account_id else {}
    run = jobs.submit(rt.db, rt.queue, SYNC, params=params, queued_by=INSTALLATION_EMAIL)
    with rt.db.session() as s:
        from skytally.jobs.models import JobRun

        row = s.get(JobRun, run.id)
        assert row is not None
        return JobRunOut.model_validate(row)


def grant(emu: RunningEmulator, subscription_id: str, role_definition_id: str) -> str:
    """A role on a subscription for the customer's service principal; returns the assignment name."""
    world = emu.world
    assert world is not None
    name = str(uuid.uuid4())
    with world.lock:
        world.role_assignments[name] = RoleAssignment(
            name=name, scope=f"/subscriptions/{subscription_id}", role_definition_id=role_definition_id,
            principal_id=emu.fixtures["customer_sp_object_id"], principal_type="ServicePrincipal",
            tenant_id=emu.fixtures["primary_tenant_id"], created=world.clock.now() - timedelta(days=1))
        world.touch()
        rbac.assignments_changed(world)
    return name


def resources_of(emu: RunningEmulator, subscription_id: str) -> list[Resource]:
    return sorted((r for rg in subscription(emu, subscription_id).resource_groups.values()
                   for r in rg.resources.values()), key=lambda r: r.id.lower())


def set_tags(emu: RunningEmulator, holder: Resource | ResourceGroup | Subscription, tags: dict[str, str]) -> None:
    """Replace the tags of a resource, group or subscription as someone in Azure would."""
    world = emu.world
    assert world is not None and holder.tags is not None
    with world.lock:
        holder.tags.clear()
        holder.tags.update(tags)
        arm.bump_tags_version(world)


def azure_tags(emu: RunningEmulator, resource_id: str) -> dict[str, str]:
    world = emu.world
    assert world is not None
    res = arm.find_resource(world, resource_id)
    assert res is not None and res.tags is not None
    return dict(res.tags)


def delete_resource(emu: RunningEmulator, resource_id: str) -> None:
    """Delete one resource as Azure would (someone removed it after the last sync)."""
    world = emu.world
    assert world is not None
    res = arm.find_resource(world, resource_id)
    assert res is not None
    with world.lock:
        for rg in subscription(emu, res.subscription_id).resource_groups.values():
            for key in [k for k, r in rg.resources.items() if r is res]:
                del rg.resources[key]
        arm.structural_change(world)


def tag_writes(emu: RunningEmulator, resource_id: str) -> list[tuple[str, dict[str, str]]]:
    """The tag writes ARM applied on one scope, in order (the emulator's journal)."""
    entries = emu.control.get("/tag-writes").json()["value"]
    return [(e["operation"], e["tags"]) for e in entries if e["scope"].lower() == resource_id.lower()]

"""The tag-governance scenario of the sample tenant (``generate_world(..., tag_demo=True)``,
``azure-emulator serve --tag-demo``), applied after the rest of the world is generated.

In the primary tenant's second subscription (``tag_writeback_subscription_id``):

- the customer's service principal (the demo's connection) holds **Reader and Tag Contributor**,
  so it may write tags there (and only read tags on its first subscription). In medium, large
  and bench worlds it also reads every other subscription of the tenant and holds Tag
  Contributor on ten (``tag_writeback_subscription_ids``, space-separated);
- messy tags, guaranteed whatever the seed: the environment key spelled ``env``, ``Env`` and
  ``ENV`` on different resources, values ``prod`` / ``Prod`` / ``Production``, and resources
  without ``CostCenter``;
- a **ReadOnly lock** on one resource group (``locked_resource_group_id``, lock ``change-freeze``);
- a Notification Hubs namespace, whose provider lower-cases tag names
  (``lowercase_tags_resource_id``), and a subnet, which takes no tags (``subnet_resource_id``).

For the demo's other Cost Management path, the customer's service principal also holds
**Billing account reader** on the MCA billing account (``mca_billing_account_id``), as a
customer following the service-principal (Vantage) onboarding grants it: connecting with that
principal and the billing account ID can be tried in the demo. The plain world leaves that
role out (tests see "role missing on the billing scope").

Nothing here draws from the world's random generators and the two added resources have no
meters, so cost data (totals, rows) is the same with or without the scenario.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from azure_emulator.world import builtin_roles as roles
from azure_emulator.world.billing import billing_scope
from azure_emulator.world.io import resource_key
from azure_emulator.world.model import (
    ManagementLock,
    Resource,
    ResourceGroup,
    RoleAssignment,
    Subscription,
    World,
)

_NS = uuid.UUID("6f1d7a52-0c57-4b8e-9b1e-7a6c3f9d2e10")
_ENV_SPELLINGS = (("env", "prod"), ("Env", "Prod"), ("ENV", "Production"))


def _guid(*parts: str) -> str:
    return str(uuid.uuid5(_NS, "|".join(parts)))


def apply_tag_demo(world: World) -> None:
    fx = world.fixtures
    tenant = world.tenants.get(fx.get("primary_tenant_id", "").lower())
    sp = fx.get("customer_sp_object_id")
    if tenant is None or sp is None or len(tenant.subscriptions) < 2:
        return
    subs = list(tenant.subscriptions.values())
    sub = subs[1]
    # Small worlds: one write-back subscription. Larger ones (the product's benchmarks): Reader on
    # every subscription of the tenant and Tag Contributor on ten of them.
    writeback = subs[1:2] if world.size == "small" else subs[1:11]
    readers = writeback if world.size == "small" else subs[1:]
    for target in readers:
        _grant(world, tenant.tenant_id, f"/subscriptions/{target.subscription_id}", sp, roles.READER)
    for target in writeback:
        _grant(world, tenant.tenant_id, f"/subscriptions/{target.subscription_id}", sp, roles.TAG_CONTRIBUTOR)
    fx["tag_writeback_subscription_id"] = sub.subscription_id
    fx["tag_writeback_subscription_ids"] = " ".join(s.subscription_id for s in writeback)
    _messy_tags(sub)
    locked = _lock(world, sub, fx)
    _special_resources(sub, locked, fx)
    mca = fx.get("mca_billing_account_id")
    if mca:
        _grant(world, fx["mca_billing_tenant_id"], billing_scope(mca), sp,
               roles.MCA_BILLING_ACCOUNT_READER)
    world.touch()


def _grant(world: World, tenant_id: str, scope: str, principal: str, role: str) -> None:
    name = _guid(scope, principal, role)
    world.role_assignments[name] = RoleAssignment(
        name=name, scope=scope, role_definition_id=role, principal_id=principal, principal_type="ServicePrincipal",
        tenant_id=tenant_id, created=datetime(2025, 3, 3, 9, 0, tzinfo=UTC), created_by=None,
    )


def _workload_groups(sub: Subscription) -> list[ResourceGroup]:
    return [g for g in sub.resource_groups.values()
            if len(g.resources) >= 3 and g.name != "NetworkWatcherRG" and not g.name.startswith("MC_")]


def _messy_tags(sub: Subscription) -> None:
    tagged = [r for g in _workload_groups(sub) for r in g.resources.values() if r.tags]
    for index, res in enumerate(tagged[: 3 * len(_ENV_SPELLINGS)]):
        assert res.tags is not None
        for key in [k for k in res.tags if k.lower() in ("env", "environment")]:
            del res.tags[key]
        spelling, value = _ENV_SPELLINGS[index % len(_ENV_SPELLINGS)]
        res.tags[spelling] = value
        if index % 2 == 1:  # every other one lacks a cost centre
            for key in [k for k in res.tags if k.lower().replace("-", "").replace("_", "") == "costcenter"]:
                del res.tags[key]


def _lock(world: World, sub: Subscription, fx: dict[str, str]) -> ResourceGroup:
    protected = {fx.get(k, "").lower() for k in fx if k.endswith("_id")}
    groups = _workload_groups(sub)
    locked = next((g for g in reversed(groups) if g.id.lower() not in protected
                   and not any(r.id.lower() in protected for r in g.resources.values())), groups[-1])
    lock = ManagementLock(name="change-freeze", scope=locked.id, level="ReadOnly",
                          notes="Change freeze until the quarter closes: ask the platform team.",
                          created=datetime(2025, 3, 3, 9, 0, tzinfo=UTC))
    world.locks[lock.id.lower()] = lock
    fx["locked_resource_group_id"] = locked.id
    fx["locked_resource_id"] = next(r.id for r in locked.resources.values() if r.tags is not None)
    fx["lock_id"] = lock.id
    return locked


def _special_resources(sub: Subscription, locked: ResourceGroup, fx: dict[str, str]) -> None:
    group = next(g for g in _workload_groups(sub) if g is not locked)
    created = min((r.created for r in group.resources.values() if r.created), default=None)
    base = f"/subscriptions/{sub.subscription_id}/resourceGroups/{group.name}/providers/"
    hub = Resource(
        id=base + "Microsoft.NotificationHubs/namespaces/ntf-contoso-alerts", name="ntf-contoso-alerts",
        type="Microsoft.NotificationHubs/namespaces", location=group.location, resource_group=group.name,
        subscription_id=sub.subscription_id, tags={"env": "prod", "owner": "mobile team"}, sku={"name": "Free"},
        properties={"provisioningState": "Succeeded", "namespaceType": "NotificationHub"}, created=created, changed=created,
    )
    vnet = next((r for r in group.resources.values() if r.type == "Microsoft.Network/virtualNetworks"), None)
    vnet_name = vnet.name if vnet is not None else "vnet-demo"
    subnet = Resource(
        id=base + f"Microsoft.Network/virtualNetworks/{vnet_name}/subnets/default", name="default",
        type="Microsoft.Network/virtualNetworks/subnets", location=group.location, resource_group=group.name,
        subscription_id=sub.subscription_id, tags=None, properties={"addressPrefix": "10.0.0.0/24"},
        created=created, changed=created,
    )
    for res in (hub, subnet):
        group.resources[resource_key(res.type, res.name.rsplit("/", 1)[-1])] = res
    fx["lowercase_tags_resource_id"] = hub.id
    fx["subnet_resource_id"] = subnet.id

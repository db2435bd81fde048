"""Generate subscriptions, resource groups, resources and role assignments for a world.

Called by ``generate_world`` after identities exist (``world.owners[tenant_id]`` lists the
users who own subscriptions there). Sizes: small ≈ 6 subscriptions / 600 resources,
medium ≈ 50 / 20k, large ≈ 200 / 100k, bench ≈ 200 / 100k all in the primary tenant. Tag habits are realistic: env/Env/ENV casing
variants, values like prod/Prod/Production, cost-centre codes (CC-1234), owner e-mails,
resources without tags, and classic resources that take no tags at all (``tags=None``).

Role assignments: each owner holds Owner on the subscriptions they own; the first owner
also sees (Reader, not Owner) a subscription owned by the second; one subscription has
both as owners; a group has Reader on one subscription; the plain user has Reader on one
resource group; the customer-made service principal has Reader on the first subscription.
skytally's service principal has no role (consent gives it one).
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from azure_emulator.world import builtin_roles as roles
from azure_emulator.world.generate_arm_catalog import (
    APPS,
    ENV_STYLES,
    REGION_SHORT,
    REGIONS,
    SUB_NAMES,
    Spec,
    workload_specs,
)
from azure_emulator.world.io import resource_key
from azure_emulator.world.model import (
    Resource,
    ResourceGroup,
    RoleAssignment,
    Subscription,
    Tenant,
    World,
)

# (subscriptions in the first owner tenant, in the second, resources in total)
SIZES = {"small": (4, 2, 600), "medium": (35, 15, 20_000), "large": (140, 60, 100_000), "bench": (200, 0, 100_000)}
_EA, _MCA = "MS-AZR-0017P", "MS-AZR-0017G"


class _ArmGen:
    def __init__(self, world: World, rng: random.Random) -> None:
        self.world = world
        self.rng = rng
        self.anchor = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        self.created = [self.anchor - timedelta(days=d, hours=h) for d in range(0, 1100, 7) for h in (3, 11, 19)]
        self.sku_cache: dict[tuple[str, ...], dict[str, Any]] = {}

    def guid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def hex(self, n: int) -> str:
        return f"{self.rng.getrandbits(4 * n):0{n}x}"

    # --- subscriptions --------------------------------------------------------------
    def subscription(self, tenant: Tenant, index: int, offer: str) -> Subscription:
        base = SUB_NAMES[index % len(SUB_NAMES)]
        prefix = tenant.display_name.split()[0]
        name = f"{prefix} {base}" if index < len(SUB_NAMES) else f"{prefix} {base} {index // len(SUB_NAMES) + 1}"
        sub = Subscription(subscription_id=self.guid(), tenant_id=tenant.tenant_id, display_name=name, offer=offer)
        if self.rng.random() < 0.5:
            sub.tags = {"CostCenter": f"CC-{self.rng.randint(1000, 9999)}"}
        tenant.subscriptions[sub.subscription_id] = sub
        return sub

    def assign(self, scope: str, role_id: str, principal_id: str, kind: str, tenant_id: str) -> RoleAssignment:
        ra = RoleAssignment(
            name=self.guid(), scope=scope, role_definition_id=role_id, principal_id=principal_id,
            principal_type=kind,  # type: ignore[arg-type]
            tenant_id=tenant_id, created=self.rng.choice(self.created), created_by=None, effective_from=None,
        )
        self.world.role_assignments[ra.name] = ra
        return ra

    # --- resource groups and resources ------------------------------------------------
    def fill(self, sub: Subscription, target: int, owners: list[str]) -> None:
        made = 0
        n = 0
        if self.rng.random() < 0.7:
            region = self.rng.choice(REGIONS)
            rg = self.group(sub, "NetworkWatcherRG", region, None)
            made += self.add(sub, rg, [Spec("Microsoft.Network/networkWatchers", f"NetworkWatcher_{region}")], None)
        while made < target:
            app = self.rng.choice(APPS)
            env = self.rng.choice(("prod", "prod", "dev", "test", "uat", "staging"))
            region = self.rng.choice(REGIONS)
            style = self.rng.choice(ENV_STYLES)
            name = self.rng.choice((f"rg-{app}-{env}-{REGION_SHORT[region]}", f"{app.capitalize()}-{env.upper()}-RG",
                                    f"rg-{app}-{env}"))
            if name.lower() in sub.resource_groups:
                name = f"{name}-{n:02d}"
            n += 1
            tags = self.tags(style, app, env, owners) if style is not None else {}
            rg = self.group(sub, name, region, dict(tags) if self.rng.random() < 0.8 else {})
            specs = workload_specs(self.rng, app, env, self.hex)
            made += self.add(sub, rg, specs, None if style is None else (style, app, env, owners))
            if any(s.type == "Microsoft.ContainerService/managedClusters" for s in specs):
                node_rg = self.group(sub, f"MC_{rg.name}_aks-{app}-{env}_{region}", region, {})
                made += self.add(sub, node_rg, [
                    Spec("Microsoft.Compute/virtualMachineScaleSets", f"aks-nodepool1-{self.rng.randint(10**7, 10**8 - 1)}-vmss",
                         sku=("Standard_D4s_v5", "Standard", str(self.rng.randint(2, 6)))),
                    Spec("Microsoft.Network/loadBalancers", "kubernetes", sku=("Standard",)),
                    Spec("Microsoft.Network/publicIPAddresses", self.guid(), sku=("Standard",)),
                    Spec("Microsoft.Network/networkSecurityGroups", f"aks-agentpool-{self.rng.randint(10**7, 10**8 - 1)}-nsg"),
                ], None, aks_tags={"aks-managed-cluster-name": f"aks-{app}-{env}", "aks-managed-cluster-rg": rg.name})

    def group(self, sub: Subscription, name: str, region: str, tags: dict[str, str] | None) -> ResourceGroup:
        existing = sub.resource_groups.get(name.lower())
        if existing is not None:
            return existing
        rg = ResourceGroup(name=name, subscription_id=sub.subscription_id, location=region, tags=tags or {})
        sub.resource_groups[name.lower()] = rg
        return rg

    def tags(self, style: Any, app: str, env: str, owners: list[str]) -> dict[str, str]:
        env_key, env_values, owner_key, cc_key, app_key = style
        out = {env_key: self.rng.choice(env_values[env])}
        if self.rng.random() < 0.8:
            out[cc_key] = self.rng.choice((f"CC-{self.rng.randint(1000, 1040)}", f"{self.rng.randint(1000, 1040)}"))
        if owners and self.rng.random() < 0.6:
            out[owner_key] = self.rng.choice(owners)
        if self.rng.random() < 0.7:
            out[app_key] = app
        return out

    def add(self, sub: Subscription, rg: ResourceGroup, specs: list[Spec], style: Any,
            aks_tags: dict[str, str] | None = None) -> int:
        base = f"/subscriptions/{sub.subscription_id}/resourceGroups/{rg.name}/providers/"
        for spec in specs:
            path = spec.path()
            rid = base + path
            key = resource_key(spec.type, spec.name.rsplit("/", 1)[-1])
            if key in rg.resources:
                continue
            if spec.untaggable:
                tags: dict[str, str] | None = None
            elif aks_tags is not None:
                tags = dict(aks_tags)
            elif style is None or self.rng.random() < 0.12:
                tags = {}
            else:
                tags = self.tags(*style)
                if self.rng.random() < 0.15:
                    tags.pop(next(iter(tags)))
            created = self.rng.choice(self.created)
            sku = None
            if spec.sku:
                sku = self.sku_cache.get(spec.sku)
                if sku is None:
                    sku = dict(zip(("name", "tier"), spec.sku[:2], strict=False))
                    if len(spec.sku) > 2:
                        sku["capacity"] = int(spec.sku[2])  # type: ignore[assignment]
                    self.sku_cache[spec.sku] = sku
            rg.resources[key] = Resource(
                id=rid, name=spec.name.rsplit("/", 1)[-1],
                type=spec.type, location=spec.location or rg.location, resource_group=rg.name,
                subscription_id=sub.subscription_id, tags=tags, kind=spec.kind, sku=sku,
                properties=spec.properties, created=created, changed=created,
            )
        return len(specs)


def generate_arm(world: World, rng: random.Random, size: str) -> None:
    """Populate ``world`` with subscriptions, groups, resources and role assignments."""
    from azure_emulator.core.arm_index import no_gc

    with no_gc():
        _generate(world, rng, size)
    _prebuild_indexes(world)


def _generate(world: World, rng: random.Random, size: str) -> None:
    roles.install_builtin_roles(world)
    n_first, n_second, total = SIZES.get(size, SIZES["small"])
    gen = _ArmGen(world, rng)
    owner_tenants = [t for t in world.tenants.values() if world.owners.get(t.tenant_id)]
    per_sub = total // (n_first + n_second)
    counts = [n_first, n_second]
    for t_index, tenant in enumerate(owner_tenants[:2]):
        owners = world.owners[tenant.tenant_id]
        owner_emails = [tenant.users[o].user_principal_name for o in owners if o in tenant.users]
        offer = _EA if t_index == 0 else _MCA
        subs = [gen.subscription(tenant, i, offer) for i in range(counts[t_index])]
        for sub in subs:
            jitter = rng.randint(-per_sub // 5, per_sub // 5) if per_sub >= 10 else 0
            gen.fill(sub, per_sub + jitter, owner_emails)
        if len(subs) > 8:
            for sub in rng.sample(subs[4:], max(1, len(subs) // 40)):
                sub.state = rng.choice(("Warned", "Disabled", "PastDue"))
        _assign_roles(gen, world, tenant, subs, owners, t_index == 0)
    _classic_resources(gen, world, owner_tenants)
    world.touch()


def _prebuild_indexes(world: World) -> None:
    """Build the ARM and Resource Graph indexes now rather than on the first request."""
    from azure_emulator.services.resourcegraph.backend import graph_index

    graph_index(world)


def _assign_roles(gen: _ArmGen, world: World, tenant: Tenant, subs: list[Subscription], owners: list[str],
                  primary: bool) -> None:
    fx = world.fixtures
    sub_scope = [f"/subscriptions/{s.subscription_id}" for s in subs]
    first = owners[0]
    second = owners[1] if len(owners) > 1 else None
    owned_by_first: list[str] = []
    for i, sub in enumerate(subs):
        if second is None or i in (0, 1, 2) or (i >= 4 and i % 2 == 0):
            gen.assign(sub_scope[i], roles.OWNER, first, "User", tenant.tenant_id)
            owned_by_first.append(sub.subscription_id)
        if second is not None and (i in (2, 3) or (i >= 4 and i % 2 == 1)):
            gen.assign(sub_scope[i], roles.OWNER, second, "User", tenant.tenant_id)
    if not primary:
        fx["second_owner_subscription_ids"] = " ".join(owned_by_first)
        return
    fx["owned_subscription_ids"] = " ".join(owned_by_first)
    fx["owned_subscription_id"] = subs[0].subscription_id
    fx["shared_subscription_id"] = subs[2].subscription_id
    if second is not None and len(subs) > 3:
        gen.assign(sub_scope[3], roles.READER, first, "User", tenant.tenant_id)
        fx["not_owned_subscription_id"] = subs[3].subscription_id
        co_owner = tenant.users.get(second)
        if co_owner is not None:
            fx["co_owner_upn"] = co_owner.user_principal_name
            fx["co_owner_password"] = co_owner.password
            fx["co_owner_object_id"] = co_owner.object_id
    customer_sp = fx.get("customer_sp_object_id")
    if customer_sp:
        gen.assign(sub_scope[0], roles.READER, customer_sp, "ServicePrincipal", tenant.tenant_id)
        fx["customer_sp_subscription_id"] = subs[0].subscription_id
    security_groups = [g for g in tenant.groups.values() if g.security_enabled]
    if security_groups and len(subs) > 3:
        group = security_groups[0]
        gen.assign(sub_scope[3], roles.READER, group.object_id, "Group", tenant.tenant_id)
        fx["reader_group_object_id"] = group.object_id
    plain = next((u for u in tenant.users.values() if u.user_principal_name == fx.get("plain_user_upn")), None)
    if plain is not None and len(subs) > 1:
        rg = _workload_group(subs[1])
        gen.assign(rg.id, roles.READER, plain.object_id, "User", tenant.tenant_id)
        fx["plain_user_resource_group_id"] = rg.id
    _resource_fixtures(fx, subs[0])


def _resource_fixtures(fx: dict[str, str], sub: Subscription) -> None:
    wanted = {
        "microsoft.compute/virtualmachines": "vm_resource_id",
        "microsoft.storage/storageaccounts": "storage_account_id",
        "microsoft.automation/automationaccounts": "automation_account_id",
        "microsoft.sql/servers/databases": "sql_database_id",
    }
    for rg in sub.resource_groups.values():
        for res in rg.resources.values():
            key = wanted.get(res.type.lower())
            if key and key not in fx:
                fx[key] = res.id
            if "tagged_resource_id" not in fx and res.tags and len(res.tags) >= 2:
                fx["tagged_resource_id"] = res.id
            if "untagged_resource_id" not in fx and res.tags == {}:
                fx["untagged_resource_id"] = res.id
    fx["owned_resource_group_id"] = _workload_group(sub).id


def _workload_group(sub: Subscription) -> ResourceGroup:
    groups = list(sub.resource_groups.values())
    return next((g for g in groups if len(g.resources) >= 2 and g.name != "NetworkWatcherRG"), groups[0])


def _classic_resources(gen: _ArmGen, world: World, tenants: list[Tenant]) -> None:
    """A few classic (untaggable) resources in the first subscription of each owner tenant."""
    for tenant in tenants[:2]:
        sub = next(iter(tenant.subscriptions.values()), None)
        if sub is None:
            continue
        rg = gen.group(sub, "Default-Classic-EastUS", "eastus", {})
        name = f"contosolegacy{gen.hex(4)}"
        gen.add(sub, rg, [
            Spec("Microsoft.ClassicCompute/domainNames", name, untaggable=True),
            Spec("Microsoft.ClassicStorage/storageAccounts", f"{name}store", untaggable=True),
        ], None)
        if tenant.tenant_id == world.fixtures.get("primary_tenant_id"):
            world.fixtures["untaggable_resource_id"] = next(
                r.id for r in rg.resources.values() if r.type == "Microsoft.ClassicCompute/domainNames"
            )

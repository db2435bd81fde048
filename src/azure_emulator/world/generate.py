"""Generate a deterministic world from a seed and a size.

This module builds the identities (tenants, domains, users with passwords, groups,
app registrations, service principals, consents) and then, if it exists, calls
``azure_emulator.world.generate_arm.generate_arm(world, rng, size)`` for subscriptions,
resource groups, resources and role assignments.

Contract with ``generate_arm``:

- ``world.owners[tenant_id]`` lists the object ids of users who should own subscriptions
  in that tenant (the first one is ``fixtures["owner_upn"]`` in the primary tenant,
  ``fixtures["second_owner_upn"]`` in the second tenant). The Office 365 tenant
  (``has_office365`` and no owners) gets no subscriptions.
- Service principals that may be given roles: ``fixtures["skytally_sp_object_id"]``
  (skytally in the primary tenant) and ``fixtures["customer_sp_object_id"]``.
- ``rng`` is a ``random.Random`` seeded from ``seed`` independently of identity
  generation, so changing identities never reshuffles resources.

Fixture keys (all strings): see ``FIXTURE_KEYS`` below and docs/emulator.md.
Timestamps are anchored at today's midnight UTC (secrets expiring/expired relative to
the clock), so a world is deterministic for a seed within a day.
"""

from __future__ import annotations

import random
import string
import uuid
from datetime import UTC, datetime, timedelta
from typing import Literal

from azure_emulator.world import names
from azure_emulator.world.firstparty import (
    ARM_APP_ID,
    ARM_DISPLAY_NAME,
    ARM_SCOPES,
    FIRST_PARTY_CLIENTS,
    GRAPH_APP_ID,
    GRAPH_APP_ROLES,
    GRAPH_DISPLAY_NAME,
    GRAPH_SCOPES,
    M365_SKUS,
    MICROSOFT_SERVICES_TENANT,
    first_party_sp_id,
)
from azure_emulator.world.generate_arm import generate_arm
from azure_emulator.world.generate_billing import generate_billing
from azure_emulator.world.generate_m365 import generate_m365
from azure_emulator.world.model import (
    Application,
    AppRoleAssignment,
    DelegatedGrant,
    Group,
    PasswordCredential,
    RequiredPermission,
    ServicePrincipal,
    Tenant,
    User,
    World,
)

Size = Literal["small", "medium", "large", "bench"]

# (primary, second, o365) random users per size, groups per tenant, extra apps per tenant
SIZES: dict[str, tuple[tuple[int, int, int], int, int]] = {
    "small": ((25, 12, 40), 6, 4),
    "medium": ((600, 200, 800), 14, 12),
    "large": ((3000, 1000, 4000), 14, 30),
    # the product's sync benchmark: ≈100k resources in 200 subscriptions of the primary tenant
    "bench": ((600, 200, 800), 14, 12),
}

FIXTURE_KEYS = [
    "primary_tenant_id", "primary_domain", "primary_custom_domain", "second_tenant_id",
    "second_domain", "o365_tenant_id", "o365_domain", "global_admin_upn",
    "global_admin_password", "owner_upn", "owner_password", "owner_object_id",
    "plain_user_upn", "plain_user_password", "second_admin_upn", "second_admin_password",
    "second_owner_upn", "second_owner_password", "o365_admin_upn", "o365_admin_password",
    "skytally_client_id", "skytally_client_secret", "skytally_app_object_id",
    "skytally_sp_object_id", "skytally_redirect_uris", "customer_sp_client_id",
    "customer_sp_secret", "customer_sp_object_id", "customer_sp_expiring_key_id",
    "expired_sp_client_id", "expired_sp_secret", "expired_sp_key_id",
]

SKYTALLY_REDIRECT_URIS = [
    "http://localhost/auth/callback",
    "http://localhost/accounts/consent/callback",
    "http://127.0.0.1/auth/callback",
    "http://127.0.0.1/accounts/consent/callback",
    "https://localhost/auth/callback",
]
SKYTALLY_APP_ROLES = ["Application.Read.All", "Directory.Read.All", "User.Read.All", "Group.Read.All", "Reports.Read.All",
                      "Organization.Read.All", "LicenseAssignment.Read.All", "AuditLog.Read.All"]
SKYTALLY_GRAPH_SCOPES = ["User.Read", "openid", "profile", "offline_access", "email"]


class _Gen:
    def __init__(self, seed: int, size: str) -> None:
        self.rng = random.Random(seed)
        self.size = size
        self.anchor = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        self.upns: set[str] = set()

    def guid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def secret(self) -> str:
        alphabet = string.ascii_letters + string.digits
        head = "".join(self.rng.choice(alphabet) for _ in range(3))
        tail = "".join(self.rng.choice(alphabet + "_-.~") for _ in range(34))
        return f"{head}8Q~{tail}"

    def password(self) -> str:
        words = self.rng.sample(names.PASSWORD_WORDS, 2)
        return f"{words[0]}-{words[1]}-{self.rng.randint(1000, 9999)}!"

    def days_ago(self, lo: int, hi: int) -> datetime:
        return self.anchor - timedelta(days=self.rng.randint(lo, hi), minutes=self.rng.randint(0, 1439))

    def credential(self, name: str, start_days_ago: int, valid_days: int) -> PasswordCredential:
        secret = self.secret()
        start = self.anchor - timedelta(days=start_days_ago)
        return PasswordCredential(
            key_id=self.guid(), display_name=name, secret=secret, hint=secret[:3],
            start=start, end=start + timedelta(days=valid_days),
        )

    # --- tenants ----------------------------------------------------------------
    def tenant(self, name: str, prefix: str, extra_domains: list[str], country: str, o365: bool) -> Tenant:
        domain = f"{prefix}.onmicrosoft.com"
        tenant = Tenant(
            tenant_id=self.guid(), display_name=name, default_domain=domain,
            verified_domains=[domain, *extra_domains], country_letter_code=country, has_office365=o365,
        )
        for app_id, display, roles, scopes in (
            (ARM_APP_ID, ARM_DISPLAY_NAME, [], list(ARM_SCOPES)),
            (GRAPH_APP_ID, GRAPH_DISPLAY_NAME, list(GRAPH_APP_ROLES), list(GRAPH_SCOPES)),
        ):
            sp = ServicePrincipal(self.guid(), app_id, tenant.tenant_id, display, roles, scopes, self.days_ago(900, 1500))
            tenant.service_principals[sp.object_id] = sp
        for client in FIRST_PARTY_CLIENTS.values():
            sp = ServicePrincipal(first_party_sp_id(tenant.tenant_id, client.app_id), client.app_id, tenant.tenant_id,
                                  client.display_name, created=self.anchor - timedelta(days=1500))
            tenant.service_principals[sp.object_id] = sp
        return tenant

    def user(self, tenant: Tenant, first: str, last: str, *, alias: str | None = None,
             roles: list[str] | None = None, licensed: bool = False, dept: str | None = None) -> User:
        domain = tenant.verified_domains[-1] if len(tenant.verified_domains) > 1 else tenant.default_domain
        base_alias = alias or f"{first}.{last}".lower()
        upn_alias, n = base_alias, 1
        while f"{upn_alias}@{domain}" in self.upns:
            n += 1
            upn_alias = f"{base_alias}{n}"
        dept = dept or self.rng.choice(names.DEPARTMENTS)
        upn = f"{upn_alias}@{domain}"
        self.upns.add(upn)
        user = User(
            object_id=self.guid(), tenant_id=tenant.tenant_id, user_principal_name=upn,
            display_name=f"{first} {last}", password=self.password(), mail=upn,
            given_name=first, surname=last, job_title=self.rng.choice(names.JOB_TITLES[dept]),
            department=dept, usage_location=self.rng.choice(names.LOCATIONS) if self.rng.random() < 0.3 else tenant.country_letter_code,
            account_enabled=self.rng.random() > 0.04, directory_roles=list(roles or []),
            created=self.days_ago(30, 2000),
        )
        if roles:
            user.account_enabled = True
        if licensed:
            user.assigned_licenses = self.licences()
        tenant.users[user.object_id] = user
        return user

    def licences(self) -> list[str]:
        r = self.rng.random()
        if r < 0.08:
            return []
        main = self.rng.choice(M365_SKUS[:5])[0]
        extra = [s[0] for s in M365_SKUS[5:] if self.rng.random() < 0.2]
        return [main, *extra]

    def random_users(self, tenant: Tenant, count: int, licensed: bool) -> list[User]:
        return [
            self.user(tenant, self.rng.choice(names.FIRST_NAMES), self.rng.choice(names.LAST_NAMES), licensed=licensed)
            for _ in range(count)
        ]

    def groups(self, tenant: Tenant, count: int) -> None:
        user_ids = list(tenant.users)
        for name in names.GROUP_NAMES[:count]:
            unified = self.rng.random() < 0.4
            members = self.rng.sample(user_ids, min(len(user_ids), self.rng.randint(2, max(2, len(user_ids) // 3))))
            group = Group(
                object_id=self.guid(), tenant_id=tenant.tenant_id, display_name=name,
                mail_nickname=name.lower().replace(" ", "-"), description=f"{name} ({tenant.display_name})",
                security_enabled=not unified, mail_enabled=unified, group_types=["Unified"] if unified else [],
                member_ids=members, created=self.days_ago(60, 1500),
            )
            tenant.groups[group.object_id] = group

    def app(self, tenant: Tenant, name: str, audience: Literal["AzureADMyOrg", "AzureADMultipleOrgs"],
            creds: list[PasswordCredential], redirect_uris: list[str] | None = None,
            permissions: list[RequiredPermission] | None = None) -> tuple[Application, ServicePrincipal]:
        app = Application(
            app_id=self.guid(), object_id=self.guid(), home_tenant_id=tenant.tenant_id, display_name=name,
            sign_in_audience=audience, redirect_uris=list(redirect_uris or []), password_credentials=creds,
            required_permissions=list(permissions or []),
        )
        tenant.applications[app.app_id] = app
        sp = ServicePrincipal(self.guid(), app.app_id, tenant.tenant_id, name, created=self.days_ago(1, 400))
        tenant.service_principals[sp.object_id] = sp
        return app, sp

    def grant_app_roles(self, tenant: Tenant, sp: ServicePrincipal, values: list[str]) -> None:
        for value in values:
            tenant.app_role_assignments.append(
                AppRoleAssignment(self.guid(), sp.object_id, GRAPH_APP_ID, value, self.days_ago(1, 300))
            )

    def extra_apps(self, tenant: Tenant, count: int) -> None:
        for i in range(count):
            name = names.APP_NAMES[i % len(names.APP_NAMES)] + ("" if i < len(names.APP_NAMES) else f" {i}")
            creds = []
            for j in range(self.rng.randint(0, 3)):
                start = self.rng.randint(0, 800)
                creds.append(self.credential(f"secret-{j + 1}", start, self.rng.choice([90, 180, 365, 730])))
            _, sp = self.app(tenant, name, "AzureADMyOrg", creds)
            if self.rng.random() < 0.4:
                self.grant_app_roles(tenant, sp, [self.rng.choice(["User.Read.All", "Directory.Read.All", "Group.Read.All"])])


def add_first_party_apps(world: World) -> None:
    """Microsoft's public clients (Azure CLI, Azure PowerShell), so people sign in with them."""
    for client in FIRST_PARTY_CLIENTS.values():
        world.first_party_apps[client.app_id] = Application(
            app_id=client.app_id, object_id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"first-party:{client.app_id}")),
            home_tenant_id=MICROSOFT_SERVICES_TENANT, display_name=client.display_name,
            sign_in_audience="AzureADMultipleOrgs", redirect_uris=list(client.redirect_uris), is_public_client=True,
            required_permissions=[RequiredPermission(resource, scope, "Delegated")
                                  for resource, scopes in client.preauthorized for scope in scopes],
        )


def generate_world(seed: int, size: Size | str = "small", *, tag_demo: bool = False) -> World:
    """A deterministic world for ``seed`` and ``size`` ("small", "medium" or "large");
    ``tag_demo`` adds the tag-governance scenario (``world/generate_tag_demo.py``)."""
    if size not in SIZES:
        raise ValueError(f"size must be one of {sorted(SIZES)}, not {size!r}")
    g = _Gen(seed, size)
    (n_primary, n_second, n_o365), n_groups, n_apps = SIZES[size]
    world = World(seed=seed, size=size)
    fx = world.fixtures
    add_first_party_apps(world)

    primary = g.tenant("Contoso Ltd", "contoso", ["contoso.com"], "US", True)
    second = g.tenant("Fabrikam Inc", "fabrikam", [], "GB", False)
    o365 = g.tenant("Northwind Traders", "northwind", ["northwindtraders.com"], "DE", True)
    for t in (primary, second, o365):
        world.tenants[t.tenant_id] = t

    admin = g.user(primary, "Alex", "Wilber", alias="alex.admin", roles=["Global Administrator"], licensed=True, dept="IT")
    owner = g.user(primary, "Olivia", "Owens", alias="olivia.owner", licensed=True, dept="IT")
    owner2 = g.user(primary, "Omar", "Haddad", alias="omar.owner", licensed=True, dept="Engineering")
    plain = g.user(primary, "Paul", "Plain", alias="paul.plain", licensed=True, dept="Sales")
    g.random_users(primary, n_primary, licensed=True)
    second_admin = g.user(second, "Fiona", "Fischer", alias="fiona.admin", roles=["Global Administrator"], dept="IT")
    second_owner = g.user(second, "Felix", "Fournier", alias="felix.owner", dept="Finance")
    g.random_users(second, n_second, licensed=False)
    o365_admin = g.user(o365, "Nina", "Novak", alias="nina.admin", roles=["Global Administrator"], licensed=True, dept="IT")
    g.random_users(o365, n_o365, licensed=True)
    for t in (primary, second, o365):
        g.groups(t, n_groups)
    world.owners = {primary.tenant_id: [owner.object_id, owner2.object_id], second.tenant_id: [second_owner.object_id]}

    # skytally: multi-tenant, registered in the primary tenant, admin-consented there.
    sky_secret = g.credential("skytally", 10, 365)
    sky_perms = [RequiredPermission(GRAPH_APP_ID, v, "Application") for v in SKYTALLY_APP_ROLES]
    sky_perms += [RequiredPermission(GRAPH_APP_ID, v, "Delegated") for v in SKYTALLY_GRAPH_SCOPES]
    sky_perms.append(RequiredPermission(ARM_APP_ID, "user_impersonation", "Delegated"))
    sky_app, sky_sp = g.app(primary, "skytally", "AzureADMultipleOrgs", [sky_secret], SKYTALLY_REDIRECT_URIS, sky_perms)
    g.grant_app_roles(primary, sky_sp, SKYTALLY_APP_ROLES)
    for resource, scopes in ((GRAPH_APP_ID, SKYTALLY_GRAPH_SCOPES), (ARM_APP_ID, ["user_impersonation"])):
        primary.delegated_grants.append(
            DelegatedGrant(g.guid(), sky_app.app_id, resource, list(scopes), "AllPrincipals", None, g.days_ago(1, 9))
        )

    # A customer-made single-tenant service principal, with a second secret about to expire.
    cust_secret = g.credential("exporter", 30, 365)
    cust_expiring = g.credential("exporter-old", 355, 365)  # ends in 10 days
    cust_app, cust_sp = g.app(primary, "Contoso FinOps Exporter", "AzureADMyOrg", [cust_secret, cust_expiring],
                              permissions=[RequiredPermission(GRAPH_APP_ID, "Application.Read.All", "Application")])
    g.grant_app_roles(primary, cust_sp, ["Application.Read.All"])
    # A script whose only secret has expired.
    old_secret = g.credential("legacy", 400, 365)  # ended 35 days ago
    old_app, _ = g.app(primary, "Contoso Legacy Billing Script", "AzureADMyOrg", [old_secret])
    for t in (primary, second, o365):
        g.extra_apps(t, n_apps)

    fx.update({
        "primary_tenant_id": primary.tenant_id, "primary_domain": primary.default_domain,
        "primary_custom_domain": "contoso.com", "second_tenant_id": second.tenant_id,
        "second_domain": second.default_domain, "o365_tenant_id": o365.tenant_id, "o365_domain": o365.default_domain,
        "global_admin_upn": admin.user_principal_name, "global_admin_password": admin.password,
        "owner_upn": owner.user_principal_name, "owner_password": owner.password, "owner_object_id": owner.object_id,
        "plain_user_upn": plain.user_principal_name, "plain_user_password": plain.password,
        "second_admin_upn": second_admin.user_principal_name, "second_admin_password": second_admin.password,
        "second_owner_upn": second_owner.user_principal_name, "second_owner_password": second_owner.password,
        "o365_admin_upn": o365_admin.user_principal_name, "o365_admin_password": o365_admin.password,
        "skytally_client_id": sky_app.app_id, "skytally_client_secret": sky_secret.secret,
        "skytally_app_object_id": sky_app.object_id, "skytally_sp_object_id": sky_sp.object_id,
        "skytally_redirect_uris": " ".join(SKYTALLY_REDIRECT_URIS),
        "customer_sp_client_id": cust_app.app_id, "customer_sp_secret": cust_secret.secret,
        "customer_sp_object_id": cust_sp.object_id, "customer_sp_expiring_key_id": cust_expiring.key_id,
        "expired_sp_client_id": old_app.app_id, "expired_sp_secret": old_secret.secret,
        "expired_sp_key_id": old_secret.key_id,
    })
    _generate_arm(world, seed, size)
    _generate_billing(world, seed)
    generate_m365(world, seed, g.anchor)
    if tag_demo:
        from azure_emulator.world.generate_tag_demo import apply_tag_demo

        apply_tag_demo(world)
    return world


def _generate_arm(world: World, seed: int, size: str) -> None:
    generate_arm(world, random.Random(f"arm:{seed}"), size)


def _generate_billing(world: World, seed: int) -> None:
    generate_billing(world, seed)

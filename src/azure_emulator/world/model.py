"""The world model shared by every emulated service.

This is the contract between the per-service backends (Entra ID, Graph, ARM,
authorization, Resource Graph, billing): each reads and mutates these objects and
nothing else. Keyed by tenant as in Azure; lookups that cross tenants (a
subscription by id, an application by appId) go through the indexes on `World`.

Plain dataclasses with slots so a large world (100k resources) stays small and
fast to build.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal

# Directory (Entra ID, Microsoft 365) and billing types live in their own modules; imported
# here so world files (io.py) resolve them and `model.<Type>` keeps naming every type.
from azure_emulator.world.billing import (  # noqa: F401
    AgreementType,
    BillingAccount,
    BillingProfile,
    Budget,
    CostExport,
    EnrollmentAccount,
    ExportRun,
    InvoiceSection,
)
from azure_emulator.world.directory import (  # noqa: F401
    Application,
    AppRoleAssignment,
    DelegatedGrant,
    Group,
    KeyCredential,
    M365Usage,
    PasswordCredential,
    PrincipalType,
    RequiredPermission,
    ServicePlan,
    ServicePrincipal,
    SubscribedSku,
    User,
)
from azure_emulator.world.graph_limits import GraphLimits


class Clock:
    """The emulator's clock: real time plus an offset that tests may advance."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, delta: timedelta) -> None:
        self.offset += delta


@dataclass(slots=True)
class Resource:
    id: str  # full ARM id, canonical casing as created
    name: str
    type: str  # "Microsoft.Compute/virtualMachines"
    location: str
    resource_group: str
    subscription_id: str
    tags: dict[str, str] | None = None  # None: the type takes no tags
    kind: str | None = None
    sku: dict[str, str] | None = None
    properties: dict[str, object] = field(default_factory=dict)
    created: datetime | None = None
    changed: datetime | None = None


@dataclass(slots=True)
class ResourceGroup:
    name: str
    subscription_id: str
    location: str
    tags: dict[str, str] = field(default_factory=dict)
    # True once a write has carried ``tags`` (even ``{}``): ARM then echoes ``tags`` though empty.
    tags_written: bool = False
    # lowercased resource name/type key → resource, insertion-ordered for stable paging
    resources: dict[str, Resource] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"/subscriptions/{self.subscription_id}/resourceGroups/{self.name}"


@dataclass(slots=True)
class Subscription:
    subscription_id: str
    tenant_id: str
    display_name: str
    state: Literal["Enabled", "Warned", "PastDue", "Disabled", "Deleted"] = "Enabled"
    offer: str = "MS-AZR-0017P"  # EA; MCA is MS-AZR-0017G / MS-AZR-0003P payg
    billing_account_id: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    # lowercased group name → group
    resource_groups: dict[str, ResourceGroup] = field(default_factory=dict)
    # Predefined tag names and their predefined values (Tags_CreateOrUpdate[Value]).
    predefined_tags: dict[str, list[str]] = field(default_factory=dict)


@dataclass(slots=True)
class RoleDefinition:
    id: str  # GUID (the built-in's real id)
    role_name: str
    description: str
    actions: list[str]
    not_actions: list[str] = field(default_factory=list)
    data_actions: list[str] = field(default_factory=list)
    not_data_actions: list[str] = field(default_factory=list)
    role_type: Literal["BuiltInRole", "CustomRole"] = "BuiltInRole"
    # "/" for Azure RBAC roles; billing roles are assignable on billing scopes only
    assignable_scopes: list[str] = field(default_factory=lambda: ["/"])


@dataclass(slots=True)
class RoleAssignment:
    name: str  # GUID, the assignment's resource name
    scope: str  # "/subscriptions/…", "/subscriptions/…/resourceGroups/…", "/providers/Microsoft.Billing/billingAccounts/…"
    role_definition_id: str  # GUID of the RoleDefinition
    principal_id: str
    principal_type: PrincipalType
    tenant_id: str
    created: datetime
    created_by: str | None = None
    # RBAC honours an assignment only from this instant (propagation delay).
    effective_from: datetime | None = None


LockLevel = Literal["CanNotDelete", "ReadOnly", "NotSpecified"]


@dataclass(slots=True)
class ManagementLock:
    """A management lock (Microsoft.Authorization/locks) on a subscription, group or resource.
    ReadOnly blocks writes and deletes at and below its scope; CanNotDelete blocks deletes."""

    name: str
    scope: str  # "/subscriptions/…[/resourceGroups/…[/providers/…]]", casing as given
    level: LockLevel
    notes: str | None = None
    owners: list[str] = field(default_factory=list)  # application ids
    created: datetime | None = None

    @property
    def id(self) -> str:
        return f"{self.scope}/providers/Microsoft.Authorization/locks/{self.name}"


@dataclass(slots=True)
class PolicyDenial:
    """A policy assignment with a deny effect, configured through the control API: tag writes
    at or below ``scope`` get 403 RequestDisallowedByPolicy naming the assignment.
    ``resource_types`` (empty: all) limits it; with ``require_tag`` it denies only writes
    whose resulting tags lack that name (like the built-in "Require a tag on resources")."""

    scope: str
    assignment_name: str
    assignment_display_name: str = "Deny tag changes"
    definition_name: str = "deny-tag-changes"
    definition_display_name: str = "Deny tag changes"
    resource_types: list[str] = field(default_factory=list)
    require_tag: str | None = None


@dataclass(slots=True)
class Tenant:
    tenant_id: str
    display_name: str
    default_domain: str  # "contoso.onmicrosoft.com"
    verified_domains: list[str] = field(default_factory=list)  # includes default_domain
    country_letter_code: str = "US"
    has_office365: bool = False
    users: dict[str, User] = field(default_factory=dict)  # object_id → user
    groups: dict[str, Group] = field(default_factory=dict)
    applications: dict[str, Application] = field(default_factory=dict)  # app_id → app registered here
    service_principals: dict[str, ServicePrincipal] = field(default_factory=dict)  # object_id → sp
    app_role_assignments: list[AppRoleAssignment] = field(default_factory=list)
    delegated_grants: list[DelegatedGrant] = field(default_factory=list)
    subscriptions: dict[str, Subscription] = field(default_factory=dict)  # subscription_id → sub
    skus: list[SubscribedSku] = field(default_factory=list)  # Microsoft 365 products bought
    # admin/reportSettings.displayConcealedNames (on by default in real tenants since 2021)
    display_concealed_names: bool = True

    # --- helpers (added by the Entra/Graph work; additive) ------------------------
    def service_principal_by_app_id(self, app_id: str) -> ServicePrincipal | None:
        app_id_l = app_id.lower()
        for sp in self.service_principals.values():
            if sp.app_id.lower() == app_id_l:
                return sp
        return None

    def user_by_upn(self, upn: str) -> User | None:
        upn_l = upn.lower()
        for user in self.users.values():
            if user.user_principal_name.lower() == upn_l:
                return user
        return None


@dataclass
class World:
    """Everything the emulator knows. Mutations happen under `lock`."""

    seed: int
    size: str
    tenants: dict[str, Tenant] = field(default_factory=dict)
    role_definitions: dict[str, RoleDefinition] = field(default_factory=dict)  # GUID → def
    role_assignments: dict[str, RoleAssignment] = field(default_factory=dict)  # name → assignment
    # Who may use which password for which user (by UPN, lowercased) is derivable from tenants;
    # these notes help tests and the demo find the interesting fixtures.
    fixtures: dict[str, str] = field(default_factory=dict)
    clock: Clock = field(default_factory=Clock)
    role_propagation_delay: timedelta = timedelta(seconds=0)
    lock: threading.RLock = field(default_factory=threading.RLock)
    # tenant_id → object ids of users who should own subscriptions (set by generate.py,
    # used by generate_arm to create Owner role assignments).
    owners: dict[str, list[str]] = field(default_factory=dict)
    # Billing accounts (EA enrollments, MCA accounts) keyed by lowercased name.
    billing_accounts: dict[str, BillingAccount] = field(default_factory=dict)
    # Microsoft's public client apps (Azure CLI, Azure PowerShell): homed in Microsoft's tenant,
    # so in no tenant's registrations; their service principals are in every tenant.
    first_party_apps: dict[str, Application] = field(default_factory=dict)
    # Budgets and cost exports customers define, keyed by lowercased resource id.
    budgets: dict[str, Budget] = field(default_factory=dict)
    cost_exports: dict[str, CostExport] = field(default_factory=dict)
    # Legacy EA API keys the control API revoked (the EA service rejects them).
    revoked_ea_keys: list[str] = field(default_factory=list)
    # Bumped by `touch()` whenever subscriptions, resource groups, resources or role
    # assignments are added or removed; derived indexes (ARM, Resource Graph) rebuild on it.
    revision: int = 0
    # Management locks keyed by lowercased lock id; deny policy assignments (control API).
    locks: dict[str, ManagementLock] = field(default_factory=dict)
    policy_denials: list[PolicyDenial] = field(default_factory=list)
    # Resource Graph per-user quota: queries per window (0 disables the quota).
    arg_quota: int = 15
    arg_quota_window: timedelta = timedelta(seconds=5)
    # Microsoft Graph throttling (resource units, writes, usage reports); see graph_limits.py.
    graph_limits: GraphLimits = field(default_factory=GraphLimits)
    # Derived, rebuildable state (indexes, caches) keyed by service; never serialised.
    derived: dict[str, object] = field(default_factory=dict, repr=False, compare=False)

    def billing_account(self, name: str) -> BillingAccount | None:
        return self.billing_accounts.get(name.lower())

    def touch(self) -> None:
        """Note a structural change (see `revision`)."""
        self.revision += 1

    # --- indexes (rebuilt by `reindex`) -------------------------------------------
    def tenant_by_domain_or_id(self, key: str) -> Tenant | None:
        key_l = key.lower()
        if key_l in self.tenants:
            return self.tenants[key_l]
        for tenant in self.tenants.values():
            if key_l in (d.lower() for d in tenant.verified_domains):
                return tenant
        return None

    def subscription(self, subscription_id: str) -> Subscription | None:
        sid = subscription_id.lower()
        for tenant in self.tenants.values():
            sub = tenant.subscriptions.get(sid)
            if sub is not None:
                return sub
        return None

    def application(self, app_id: str) -> Application | None:
        for tenant in self.tenants.values():
            app = tenant.applications.get(app_id)
            if app is not None:
                return app
        return self.first_party_apps.get(app_id.lower())

    def user_by_upn(self, upn: str) -> User | None:
        """A user by UPN in any tenant (UPN domains are unique across tenants)."""
        for tenant in self.tenants.values():
            user = tenant.user_by_upn(upn)
            if user is not None:
                return user
        return None

    def user(self, object_id: str) -> User | None:
        for tenant in self.tenants.values():
            user = tenant.users.get(object_id)
            if user is not None:
                return user
        return None

"""The directory part of the world model: Entra ID objects (applications and their
credentials, service principals, grants, users, groups) and what Microsoft 365 knows of
them (subscribed SKUs, per-user activity). Plain dataclasses with slots, like the rest of
the model (model.py re-exports every type here)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

PrincipalType = Literal["User", "ServicePrincipal", "Group"]


@dataclass(slots=True)
class PasswordCredential:
    key_id: str
    display_name: str
    secret: str  # the emulator keeps the clear text: it is a test fixture, not a vault
    hint: str
    start: datetime
    end: datetime
    revoked: bool = False


@dataclass(slots=True)
class KeyCredential:
    """A certificate credential: the public certificate (PEM) and its thumbprint."""

    key_id: str
    display_name: str
    certificate_pem: str
    thumbprint_sha1_b64url: str
    start: datetime
    end: datetime


@dataclass(slots=True)
class RequiredPermission:
    """One permission an application asks for (Application = app role, Delegated = scope)."""

    resource_app_id: str  # e.g. Microsoft Graph / Azure Service Management appId
    value: str  # "User.Read.All", "user_impersonation"
    kind: Literal["Application", "Delegated"]


@dataclass(slots=True)
class Application:
    """An app registration, owned by its home tenant."""

    app_id: str
    object_id: str
    home_tenant_id: str
    display_name: str
    sign_in_audience: Literal["AzureADMyOrg", "AzureADMultipleOrgs"]
    redirect_uris: list[str] = field(default_factory=list)
    password_credentials: list[PasswordCredential] = field(default_factory=list)
    key_credentials: list[KeyCredential] = field(default_factory=list)
    required_permissions: list[RequiredPermission] = field(default_factory=list)
    is_public_client: bool = False


@dataclass(slots=True)
class AppRoleAssignment:
    """An application permission granted (admin consent) to a service principal."""

    id: str
    principal_id: str  # the client service principal's object id
    resource_app_id: str
    value: str  # "Reports.Read.All"
    created: datetime


@dataclass(slots=True)
class DelegatedGrant:
    """oauth2PermissionGrant: delegated scopes consented for a client in a tenant."""

    id: str
    client_app_id: str
    resource_app_id: str
    scopes: list[str]
    consent_type: Literal["AllPrincipals", "Principal"]
    user_id: str | None
    created: datetime


@dataclass(slots=True)
class ServicePrincipal:
    object_id: str
    app_id: str
    tenant_id: str
    display_name: str
    # First-party Microsoft resources (ARM, Graph) expose these to grants.
    app_roles: list[str] = field(default_factory=list)
    oauth2_scopes: list[str] = field(default_factory=list)
    created: datetime | None = None


@dataclass(slots=True)
class ServicePlan:
    service_plan_id: str
    service_plan_name: str
    applies_to: str = "User"


@dataclass(slots=True)
class SubscribedSku:
    """A Microsoft 365 product the tenant bought (Graph ``subscribedSku``)."""

    sku_id: str
    sku_part_number: str
    service_plans: list[ServicePlan] = field(default_factory=list)
    enabled: int = 0
    suspended: int = 0
    warning: int = 0
    locked_out: int = 0
    capability_status: str = "Enabled"
    applies_to: str = "User"
    subscription_ids: list[str] = field(default_factory=list)


@dataclass(slots=True)
class M365Usage:
    """What Microsoft 365 knows of one user's activity (sign-ins, workloads, mailbox).

    Dates are the last day of activity; None means never. ``mailbox`` is the recipient
    type ("User", "Shared", "Room", "Equipment") or None for no mailbox."""

    last_sign_in: datetime | None = None
    last_non_interactive_sign_in: datetime | None = None
    exchange: datetime | None = None
    onedrive: datetime | None = None
    sharepoint: datetime | None = None
    teams: datetime | None = None
    yammer: datetime | None = None
    apps: datetime | None = None  # Microsoft 365 Apps (desktop/web/mobile) last activity
    app_platforms: list[str] = field(default_factory=list)  # "Windows", "Mac", "Mobile", "Web"
    mailbox: str | None = None
    mailbox_bytes: int = 0
    mailbox_items: int = 0
    has_archive: bool = False


@dataclass(slots=True)
class User:
    object_id: str
    tenant_id: str
    user_principal_name: str
    display_name: str
    password: str
    mail: str | None = None
    given_name: str | None = None
    surname: str | None = None
    job_title: str | None = None
    department: str | None = None
    usage_location: str | None = None
    account_enabled: bool = True
    directory_roles: list[str] = field(default_factory=list)  # "Global Administrator", ...
    assigned_licenses: list[str] = field(default_factory=list)  # skuId values assigned directly
    created: datetime | None = None
    user_type: str = "Member"
    # skuId → servicePlanIds disabled on the direct assignment
    disabled_plans: dict[str, list[str]] = field(default_factory=dict)
    # skuId → when the licence was assigned (direct or through a group)
    licence_assigned: dict[str, datetime] = field(default_factory=dict)
    # skuId → error of a group-based assignment ("CountViolation", "MutuallyExclusiveViolation", …)
    licence_errors: dict[str, str] = field(default_factory=dict)
    usage: M365Usage | None = None


@dataclass(slots=True)
class Group:
    object_id: str
    tenant_id: str
    display_name: str
    mail_nickname: str
    description: str | None = None
    security_enabled: bool = True
    mail_enabled: bool = False
    group_types: list[str] = field(default_factory=list)
    member_ids: list[str] = field(default_factory=list)
    created: datetime | None = None
    assigned_licenses: list[str] = field(default_factory=list)  # group-based licensing: skuIds

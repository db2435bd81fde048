"""Pydantic shapes the accounts capability takes and returns. No secret is ever in an
output model: only masked hints."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from skytally.accounts.models import AccessLevel, AccountKind, RoleStatus

WARN_DAYS = (30, 7)


class AccountCreate(BaseModel):
    """Add Cloud Account: Azure or Office 365, a name, the tenant ID or a domain."""

    kind: AccountKind = AccountKind.AZURE
    name: str = Field(default="", max_length=200)
    tenant: str = Field(min_length=1, max_length=255, description="Tenant ID (GUID) or a domain of the tenant")
    workspace_ids: list[int] = Field(default_factory=list)

    @field_validator("name", "tenant")
    @classmethod
    def _strip(cls, value: str) -> str:
        return value.strip()


class ConsentStart(BaseModel):
    """Where to send the user to sign in, and until when that link works."""

    url: str
    purpose: str
    tenant_id: str
    expires_at: datetime


class SubscriptionResult(BaseModel):
    subscription_id: str
    display_name: str
    outcome: str  # assigned | already | needs_owner | swapped | unchanged | failed
    role_status: RoleStatus
    message: str = ""


class ConsentOutcome(BaseModel):
    ok: bool
    message: str
    purpose: str = ""
    account_id: int | None = None
    consented_by: str | None = None
    subscriptions: list[SubscriptionResult] = Field(default_factory=list)
    granted_permissions: list[str] = Field(default_factory=list)


class WorkspaceRef(BaseModel):
    id: int
    name: str


class SubscriptionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    account_id: int
    subscription_id: str
    display_name: str
    state: str
    access_level: AccessLevel
    role_status: RoleStatus
    role_name: str
    status_message: str
    consented_by: str | None
    consented_at: datetime | None
    checked_at: datetime | None
    last_sync_at: datetime | None
    access_degraded: str = ""  # why Azure refused what the level needs ("" = fine)
    read_by: str = ""  # skytally_app | service_principal | "" (accounts/readers.py)
    read_by_label: str = ""  # the identity in words: "skytally's app (consent)", "your service principal …"
    last_sync_status: str = ""  # ok | failed | "" (never tried)
    last_sync_error: str = ""  # the cause in full, with the next step that exists for it
    last_sync_attempt_at: datetime | None = None

    @property
    def problem(self) -> str:
        """Why this subscription is not fine, in full ("" when it is)."""
        if self.last_sync_status == "failed":
            return f"{self.display_name}: last sync failed: {self.last_sync_error}"
        if self.role_status in (RoleStatus.MISSING, RoleStatus.ERROR):
            return f"{self.display_name}: {self.status_message or self.role_label}"
        if self.access_degraded:
            return f"{self.display_name}: {self.access_degraded}"
        return ""

    @property
    def role_label(self) -> str:
        labels = {
            RoleStatus.ACTIVE: self.role_name or "active",
            RoleStatus.ACTIVATING: "activating…",
            RoleStatus.NEEDS_OWNER: "needs an owner to consent",
            RoleStatus.MISSING: "role missing",
            RoleStatus.ERROR: "error",
        }
        return labels[self.role_status]


class SecretVersionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    secret_hint: str
    expires_at: datetime | None
    added_by: str
    added_at: datetime
    retired_at: datetime | None


class CredentialOut(BaseModel):
    id: int
    account_id: int
    kind: str
    client_id: str
    secret_hint: str
    expires_at: datetime | None
    expiry_source: str
    billing_account_id: str | None
    status: str
    last_error: str
    last_checked_at: datetime | None
    last_success_at: datetime | None
    created_at: datetime
    warning: str | None = None
    history: list[SecretVersionOut] = Field(default_factory=list)


class EaTokenOut(BaseModel):
    id: int
    account_id: int
    enrollment_number: str
    hint: str
    issued_at: datetime | None
    expires_at: datetime | None
    status: str
    reason: str
    added_by: str
    added_at: datetime
    last_checked_at: datetime | None
    last_success_at: datetime | None
    in_use: bool = False
    warning: str | None = None


class BillingAccountOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    account_id: int
    billing_account_id: str
    name: str = Field("", description="The integration's name, as the user gave it (Azure's display name if none)")
    display_name: str
    agreement_type: str
    role: str
    role_status: str
    via: str
    credential_id: int | None = Field(None, description="The service principal credential that reads it (none: an EA key)")
    checked_at: datetime | None
    tenant_name: str = ""
    # Where its costs are seen: its own workspaces, whatever its tenant's (DESIGN §1).
    workspaces: list[WorkspaceRef] = Field(default_factory=list)


class BillingAccountUpdate(BaseModel):
    """Rename a billing account integration and/or set its workspaces (omitted: unchanged)."""

    name: str | None = Field(None, max_length=200)
    workspace_ids: list[int] | None = None


class AccountOut(BaseModel):
    id: int
    kind: AccountKind
    name: str
    tenant_id: str
    tenant_domain: str
    connection: str
    consented_by: str | None
    consented_at: datetime | None
    granted_permissions: list[str]
    missing_permissions: list[str] = Field(default_factory=list)
    created_at: datetime
    last_sync_at: datetime | None
    workspaces: list[WorkspaceRef] = Field(default_factory=list)
    subscriptions: list[SubscriptionOut] = Field(default_factory=list)
    credentials: list[CredentialOut] = Field(default_factory=list)
    ea_tokens: list[EaTokenOut] = Field(default_factory=list)
    billing_accounts: list[BillingAccountOut] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)


class AccessChange(BaseModel):
    level: AccessLevel


class WorkspaceAssignment(BaseModel):
    workspace_ids: list[int] = Field(min_length=1)


class EaTokenAdd(BaseModel):
    token: str = Field(min_length=1, max_length=20000, description="The EA API access key (a JWT)")


class ProbeSubscription(BaseModel):
    subscription_id: str
    display_name: str
    state: str


class BillingInfo(BaseModel):
    billing_account_id: str
    display_name: str = ""
    agreement_type: str = ""
    role: str = ""
    role_ok: bool = False


class ProbeResult(BaseModel):
    """What a credential can do, or the exact reason it cannot."""

    ok: bool
    problem: str = ""  # tenant_not_found | app_not_in_tenant | wrong_secret | expired_secret |
    # bad_certificate | billing_role_missing | subscription_role_missing | unreachable | error
    message: str = ""
    tenant_id: str = ""
    object_id: str | None = None
    subscriptions: list[ProbeSubscription] = Field(default_factory=list)
    billing: BillingInfo | None = None
    secret_expires_at: datetime | None = None
    expiry_source: str = "unknown"


def expiry_warning(what: str, expires_at: datetime | None, now: datetime) -> str | None:
    """The 30- and 7-day warnings (and 'expired') for a secret or token."""
    if expires_at is None:
        return None
    days = (expires_at - now).total_seconds() / 86400
    if days <= 0:
        return f"{what} expired on {expires_at:%Y-%m-%d}; replace it"
    for limit in sorted(WARN_DAYS):
        if days <= limit:
            n = max(1, int(days))
            return f"{what} expires in {n} day{'s' if n != 1 else ''} ({expires_at:%Y-%m-%d}); replace it soon"
    return None

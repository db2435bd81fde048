"""Tables of the accounts capability: cloud accounts (one per tenant and kind), their
subscriptions, credentials (with secret history), EA access tokens, billing accounts
(integrations of their own, with their own workspaces), workspace assignments, and the single-use consent requests of the sign-in flows.

Secrets never live here: each row points at a sealed `StoredSecret` and keeps only a
masked hint for display.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from skytally.store.base import Base, UTCDateTime, utcnow


class AccountKind(StrEnum):
    AZURE = "azure"
    OFFICE365 = "office365"


class AccessLevel(StrEnum):
    RESOURCES = "resources"
    TAGS = "tags"
    TAGS_WRITEBACK = "tags-writeback"

    @property
    def role_name(self) -> str:
        return "Tag Contributor" if self is AccessLevel.TAGS_WRITEBACK else "Reader"

    @property
    def heading(self) -> str:
        return {"resources": "Resources", "tags": "Resources and tags",
                "tags-writeback": "Resources and tags, with write-back"}[self.value]

    @property
    def sentence(self) -> str:
        """What the level means, in the words of the onboarding flow (DESIGN.md §1)."""
        return {
            "resources": "skytally imports the subscription's resources without their tags; tags you set in "
                         "skytally stay in skytally. Needs the Reader role.",
            "tags": "skytally imports the resources and their Azure tags; at each sync Azure's tags overwrite "
                    "skytally's, and keys that exist only in skytally stay local. Needs the Reader role.",
            "tags-writeback": "skytally imports the resources and their tags, and writes the tag changes you make "
                              "in skytally back to Azure (tags only, nothing else). Needs the Tag Contributor role.",
        }[self.value]


class RoleStatus(StrEnum):
    ACTIVE = "active"  # skytally's identity can read the subscription
    ACTIVATING = "activating"  # role assigned, waiting for Azure to propagate it
    NEEDS_OWNER = "needs_owner"  # seen by the consenting user, who does not own it
    MISSING = "missing"  # skytally's identity lost access
    ERROR = "error"  # assigning the role failed (message says why)


class CloudAccount(Base):
    __tablename__ = "cloud_accounts"
    __table_args__ = (UniqueConstraint("kind", "tenant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))
    tenant_id: Mapped[str] = mapped_column(String(36), index=True)
    tenant_domain: Mapped[str] = mapped_column(String(255), default="")
    # "consent" (skytally's multi-tenant app) or "service_principal" (customer's own app)
    connection: Mapped[str] = mapped_column(String(32), default="consent")
    consented_by: Mapped[str | None] = mapped_column(String(320), nullable=True)
    consented_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    granted_permissions: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_by: Mapped[str] = mapped_column(String(320), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    last_sync_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    subscriptions: Mapped[list[CloudSubscription]] = relationship(
        back_populates="account", cascade="all, delete-orphan", order_by="CloudSubscription.display_name"
    )
    workspaces: Mapped[list[AccountWorkspace]] = relationship(cascade="all, delete-orphan")


class AccountWorkspace(Base):
    __tablename__ = "account_workspaces"

    account_id: Mapped[int] = mapped_column(
        ForeignKey("cloud_accounts.id", ondelete="CASCADE"), primary_key=True
    )
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CloudSubscription(Base):
    __tablename__ = "cloud_subscriptions"
    __table_args__ = (UniqueConstraint("account_id", "subscription_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("cloud_accounts.id", ondelete="CASCADE"), index=True)
    subscription_id: Mapped[str] = mapped_column(String(36), index=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    state: Mapped[str] = mapped_column(String(32), default="Enabled")
    access_level: Mapped[str] = mapped_column(String(32), default=AccessLevel.RESOURCES.value)
    role_status: Mapped[str] = mapped_column(String(32), default=RoleStatus.ACTIVATING.value)
    role_name: Mapped[str] = mapped_column(String(64), default="")
    role_assignment_id: Mapped[str | None] = mapped_column(String(400), nullable=True)
    status_message: Mapped[str] = mapped_column(Text, default="")
    consented_by: Mapped[str | None] = mapped_column(String(320), nullable=True)
    consented_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    activation_attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_sync_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Set when Azure refused what the access level needs (e.g. a tag write-back answered 403
    # for a missing role): the reason, shown on Cloud Tenant Setup. "" = fine.
    access_degraded: Mapped[str] = mapped_column(Text, default="")
    # Which identity reads this subscription (accounts.service.subscription_reader decides
    # from these): "skytally_app" once an owner consented for it (skytally's role is on
    # skytally's service principal), "service_principal" when the customer's own principal
    # (read_by_credential_id) listed it; "" for rows older than this column.
    read_by: Mapped[str] = mapped_column(String(32), default="")
    read_by_credential_id: Mapped[int | None] = mapped_column(
        ForeignKey("account_credentials.id", ondelete="SET NULL"), nullable=True
    )
    # The last sync attempt (inventory), whatever its result: ok | failed | skipped, and
    # the cause in full when it was not ok.
    last_sync_status: Mapped[str] = mapped_column(String(16), default="")
    last_sync_error: Mapped[str] = mapped_column(Text, default="")
    last_sync_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    account: Mapped[CloudAccount] = relationship(back_populates="subscriptions")


class AccountCredential(Base):
    """A service principal of the customer (client secret or certificate)."""

    __tablename__ = "account_credentials"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("cloud_accounts.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))  # client_secret | certificate
    client_id: Mapped[str] = mapped_column(String(36))
    secret_id: Mapped[int] = mapped_column(ForeignKey("stored_secrets.id"))
    secret_hint: Mapped[str] = mapped_column(String(32))
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    expiry_source: Mapped[str] = mapped_column(String(16), default="unknown")  # graph | user | certificate
    billing_account_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="ok")  # ok | failing
    last_error: Mapped[str] = mapped_column(Text, default="")
    last_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_by: Mapped[str] = mapped_column(String(320), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    history: Mapped[list[CredentialSecretVersion]] = relationship(
        cascade="all, delete-orphan", order_by="CredentialSecretVersion.id"
    )


class CredentialSecretVersion(Base):
    """Every secret a credential has had (hint and dates only), oldest first."""

    __tablename__ = "credential_secret_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    credential_id: Mapped[int] = mapped_column(
        ForeignKey("account_credentials.id", ondelete="CASCADE"), index=True
    )
    secret_hint: Mapped[str] = mapped_column(String(32))
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    added_by: Mapped[str] = mapped_column(String(320), default="")
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class EaToken(Base):
    """A legacy EA reporting API key (a JWT, valid about six months)."""

    __tablename__ = "ea_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("cloud_accounts.id", ondelete="CASCADE"), index=True)
    enrollment_number: Mapped[str] = mapped_column(String(32))
    secret_id: Mapped[int] = mapped_column(ForeignKey("stored_secrets.id"))
    hint: Mapped[str] = mapped_column(String(32))
    issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="valid")  # valid | expired | revoked
    reason: Mapped[str] = mapped_column(Text, default="")
    added_by: Mapped[str] = mapped_column(String(320), default="")
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class BillingAccount(Base):
    """An EA enrollment or MCA billing account reachable from a cloud account."""

    __tablename__ = "billing_accounts"
    __table_args__ = (UniqueConstraint("account_id", "billing_account_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("cloud_accounts.id", ondelete="CASCADE"), index=True)
    billing_account_id: Mapped[str] = mapped_column(String(200))
    # The integration's name, as the user gave it ("" = Azure's display name).
    name: Mapped[str] = mapped_column(String(200), default="")
    display_name: Mapped[str] = mapped_column(String(200), default="")
    agreement_type: Mapped[str] = mapped_column(String(64), default="")
    role: Mapped[str] = mapped_column(String(64), default="")
    role_status: Mapped[str] = mapped_column(String(16), default="unchecked")  # ok | missing | unchecked
    via: Mapped[str] = mapped_column(String(32), default="service_principal")  # | ea_token
    credential_id: Mapped[int | None] = mapped_column(
        ForeignKey("account_credentials.id", ondelete="SET NULL"), nullable=True
    )
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class BillingAccountWorkspace(Base):
    """The workspaces a billing account (an integration of its own, DESIGN §1) is assigned
    to: its costs are seen there, whatever the workspaces of its tenant's subscriptions."""

    __tablename__ = "billing_account_workspaces"

    billing_account_id: Mapped[int] = mapped_column(
        ForeignKey("billing_accounts.id", ondelete="CASCADE"), primary_key=True
    )
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ConsentRequest(Base):
    """One sign-in started by skytally: single use, expires after ten minutes.

    Only a digest of `state` is stored; the MSAL flow (PKCE verifier, nonce) is sealed in
    the vault and deleted when the request is used.
    """

    __tablename__ = "consent_requests"
    __table_args__ = (UniqueConstraint("state_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    state_hash: Mapped[str] = mapped_column(String(64))
    purpose: Mapped[str] = mapped_column(String(32))  # add_azure | add_subscriptions | access | office365
    tenant_id: Mapped[str] = mapped_column(String(36))
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("cloud_accounts.id", ondelete="CASCADE"), nullable=True
    )
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    flow_secret_id: Mapped[int | None] = mapped_column(
        ForeignKey("stored_secrets.id", ondelete="SET NULL"), nullable=True
    )
    # None: started from the CLI (the installation); any organisation admin may finish it.
    created_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    outcome: Mapped[str] = mapped_column(Text, default="")

"""accounts: cloud accounts, subscriptions, credentials, EA tokens, billing accounts, consent requests

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import skytally.store.base

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cloud_accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("tenant_domain", sa.String(length=255), nullable=False),
        sa.Column("connection", sa.String(length=32), nullable=False),
        sa.Column("consented_by", sa.String(length=320), nullable=True),
        sa.Column("consented_at", skytally.store.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("granted_permissions", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(length=320), nullable=False),
        sa.Column("created_at", skytally.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", skytally.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_sync_at", skytally.store.base.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cloud_accounts")),
        sa.UniqueConstraint("kind", "tenant_id", name=op.f("uq_cloud_accounts_kind")),
    )
    with op.batch_alter_table("cloud_accounts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_cloud_accounts_tenant_id"), ["tenant_id"], unique=False
        )

    op.create_table(
        "account_credentials",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("client_id", sa.String(length=36), nullable=False),
        sa.Column("secret_id", sa.Integer(), nullable=False),
        sa.Column("secret_hint", sa.String(length=32), nullable=False),
        sa.Column("expires_at", skytally.store.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("expiry_source", sa.String(length=16), nullable=False),
        sa.Column("billing_account_id", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("last_checked_at", skytally.store.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_success_at", skytally.store.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.String(length=320), nullable=False),
        sa.Column("created_at", skytally.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["cloud_accounts.id"],
            name=op.f("fk_account_credentials_account_id_cloud_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["secret_id"],
            ["stored_secrets.id"],
            name=op.f("fk_account_credentials_secret_id_stored_secrets"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_credentials")),
    )
    with op.batch_alter_table("account_credentials", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_account_credentials_account_id"), ["account_id"], unique=False
        )

    op.create_table(
        "account_workspaces",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("created_at", skytally.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["cloud_accounts.id"],
            name=op.f("fk_account_workspaces_account_id_cloud_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_account_workspaces_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", "workspace_id", name=op.f("pk_account_workspaces")),
    )
    with op.batch_alter_table("account_workspaces", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_account_workspaces_workspace_id"), ["workspace_id"], unique=False
        )

    op.create_table(
        "cloud_subscriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("subscription_id", sa.String(length=36), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("access_level", sa.String(length=32), nullable=False),
        sa.Column("role_status", sa.String(length=32), nullable=False),
        sa.Column("role_name", sa.String(length=64), nullable=False),
        sa.Column("role_assignment_id", sa.String(length=400), nullable=True),
        sa.Column("status_message", sa.Text(), nullable=False),
        sa.Column("consented_by", sa.String(length=320), nullable=True),
        sa.Column("consented_at", skytally.store.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("checked_at", skytally.store.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("activation_attempts", sa.Integer(), nullable=False),
        sa.Column("last_sync_at", skytally.store.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", skytally.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["cloud_accounts.id"],
            name=op.f("fk_cloud_subscriptions_account_id_cloud_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cloud_subscriptions")),
        sa.UniqueConstraint(
            "account_id", "subscription_id", name=op.f("uq_cloud_subscriptions_account_id")
        ),
    )
    with op.batch_alter_table("cloud_subscriptions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_cloud_subscriptions_account_id"), ["account_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_cloud_subscriptions_subscription_id"), ["subscription_id"], unique=False
        )

    op.create_table(
        "consent_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("state_hash", sa.String(length=64), nullable=False),
        sa.Column("purpose", sa.String(length=32), nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("flow_secret_id", sa.Integer(), nullable=True),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", skytally.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", skytally.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", skytally.store.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["cloud_accounts.id"],
            name=op.f("fk_consent_requests_account_id_cloud_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_user_id"],
            ["users.id"],
            name=op.f("fk_consent_requests_created_by_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["flow_secret_id"],
            ["stored_secrets.id"],
            name=op.f("fk_consent_requests_flow_secret_id_stored_secrets"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_requests")),
        sa.UniqueConstraint("state_hash", name=op.f("uq_consent_requests_state_hash")),
    )
    op.create_table(
        "ea_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("enrollment_number", sa.String(length=32), nullable=False),
        sa.Column("secret_id", sa.Integer(), nullable=False),
        sa.Column("hint", sa.String(length=32), nullable=False),
        sa.Column("issued_at", skytally.store.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("expires_at", skytally.store.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("added_by", sa.String(length=320), nullable=False),
        sa.Column("added_at", skytally.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_checked_at", skytally.store.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_success_at", skytally.store.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["cloud_accounts.id"],
            name=op.f("fk_ea_tokens_account_id_cloud_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["secret_id"], ["stored_secrets.id"], name=op.f("fk_ea_tokens_secret_id_stored_secrets")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ea_tokens")),
    )
    with op.batch_alter_table("ea_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ea_tokens_account_id"), ["account_id"], unique=False)

    op.create_table(
        "billing_accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("billing_account_id", sa.String(length=200), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("agreement_type", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=64), nullable=False),
        sa.Column("role_status", sa.String(length=16), nullable=False),
        sa.Column("via", sa.String(length=32), nullable=False),
        sa.Column("credential_id", sa.Integer(), nullable=True),
        sa.Column("checked_at", skytally.store.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", skytally.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["cloud_accounts.id"],
            name=op.f("fk_billing_accounts_account_id_cloud_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["credential_id"],
            ["account_credentials.id"],
            name=op.f("fk_billing_accounts_credential_id_account_credentials"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_billing_accounts")),
        sa.UniqueConstraint(
            "account_id", "billing_account_id", name=op.f("uq_billing_accounts_account_id")
        ),
    )
    with op.batch_alter_table("billing_accounts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_billing_accounts_account_id"), ["account_id"], unique=False
        )

    op.create_table(
        "credential_secret_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("credential_id", sa.Integer(), nullable=False),
        sa.Column("secret_hint", sa.String(length=32), nullable=False),
        sa.Column("expires_at", skytally.store.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("added_by", sa.String(length=320), nullable=False),
        sa.Column("added_at", skytally.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("retired_at", skytally.store.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["credential_id"],
            ["account_credentials.id"],
            name=op.f("fk_credential_secret_versions_credential_id_account_credentials"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credential_secret_versions")),
    )
    with op.batch_alter_table("credential_secret_versions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_credential_secret_versions_credential_id"),
            ["credential_id"],
            unique=False,
        )



def downgrade() -> None:
    with op.batch_alter_table("credential_secret_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_credential_secret_versions_credential_id"))

    op.drop_table("credential_secret_versions")
    with op.batch_alter_table("billing_accounts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_billing_accounts_account_id"))

    op.drop_table("billing_accounts")
    with op.batch_alter_table("ea_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ea_tokens_account_id"))

    op.drop_table("ea_tokens")
    op.drop_table("consent_requests")
    with op.batch_alter_table("cloud_subscriptions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cloud_subscriptions_subscription_id"))
        batch_op.drop_index(batch_op.f("ix_cloud_subscriptions_account_id"))

    op.drop_table("cloud_subscriptions")
    with op.batch_alter_table("account_workspaces", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_account_workspaces_workspace_id"))

    op.drop_table("account_workspaces")
    with op.batch_alter_table("account_credentials", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_account_credentials_account_id"))

    op.drop_table("account_credentials")
    with op.batch_alter_table("cloud_accounts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cloud_accounts_tenant_id"))

    op.drop_table("cloud_accounts")

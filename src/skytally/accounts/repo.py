"""Every SQL statement of the accounts capability. Never commits."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import delete, exists, or_, select
from sqlalchemy.orm import Session

from skytally.accounts.models import (
    AccountCredential,
    AccountKind,
    AccountWorkspace,
    BillingAccount,
    BillingAccountWorkspace,
    CloudAccount,
    CloudSubscription,
    ConsentRequest,
    EaToken,
)


def visible_accounts(session: Session, workspace_ids: Iterable[int] | None) -> list[CloudAccount]:
    """All accounts (None: an organisation admin), or those assigned to these workspaces."""
    stmt = select(CloudAccount).order_by(CloudAccount.kind, CloudAccount.name, CloudAccount.id)
    if workspace_ids is not None:
        ids = list(workspace_ids)
        stmt = stmt.where(
            exists().where(
                AccountWorkspace.account_id == CloudAccount.id,
                AccountWorkspace.workspace_id.in_(ids),
            )
        )
    return list(session.scalars(stmt))


def account_ids_of_kind(session: Session, kind: AccountKind) -> list[int]:
    return list(session.scalars(select(CloudAccount.id).where(CloudAccount.kind == kind.value)
                                .order_by(CloudAccount.id)))


def azure_account_ids(session: Session) -> list[int]:
    """Every Azure cloud account (the Office 365 tenants have no costs or resources)."""
    return list(session.scalars(select(CloudAccount.id).where(CloudAccount.kind == AccountKind.AZURE.value)
                                .order_by(CloudAccount.id)))


def account_by_tenant(session: Session, kind: str, tenant_id: str) -> CloudAccount | None:
    return session.scalar(
        select(CloudAccount).where(CloudAccount.kind == kind, CloudAccount.tenant_id == tenant_id)
    )


def workspace_ids_of(session: Session, account_id: int) -> list[int]:
    return list(
        session.scalars(
            select(AccountWorkspace.workspace_id).where(AccountWorkspace.account_id == account_id)
        )
    )


def set_workspaces(session: Session, account_id: int, workspace_ids: Iterable[int]) -> None:
    wanted = set(workspace_ids)
    have = set(workspace_ids_of(session, account_id))
    if have - wanted:
        session.execute(
            delete(AccountWorkspace).where(
                AccountWorkspace.account_id == account_id,
                AccountWorkspace.workspace_id.in_(have - wanted),
            )
        )
    for ws in sorted(wanted - have):
        session.add(AccountWorkspace(account_id=account_id, workspace_id=ws))
    session.flush()


def subscription(session: Session, account_id: int, subscription_id: str) -> CloudSubscription | None:
    return session.scalar(
        select(CloudSubscription).where(
            CloudSubscription.account_id == account_id,
            CloudSubscription.subscription_id == subscription_id,
        )
    )


def subscriptions_activating(session: Session, account_id: int | None = None) -> list[CloudSubscription]:
    stmt = select(CloudSubscription).where(CloudSubscription.role_status == "activating")
    if account_id is not None:
        stmt = stmt.where(CloudSubscription.account_id == account_id)
    return list(session.scalars(stmt.order_by(CloudSubscription.id)))


def credentials_of(session: Session, account_id: int) -> list[AccountCredential]:
    return list(
        session.scalars(
            select(AccountCredential)
            .where(AccountCredential.account_id == account_id)
            .order_by(AccountCredential.id)
        )
    )


def all_credentials(session: Session) -> list[AccountCredential]:
    return list(session.scalars(select(AccountCredential).order_by(AccountCredential.id)))


def ea_tokens_of(session: Session, account_id: int) -> list[EaToken]:
    return list(
        session.scalars(
            select(EaToken).where(EaToken.account_id == account_id).order_by(EaToken.added_at.desc(), EaToken.id.desc())
        )
    )


def all_ea_tokens(session: Session) -> list[EaToken]:
    return list(session.scalars(select(EaToken).order_by(EaToken.id)))


def billing_accounts_of(session: Session, account_id: int) -> list[BillingAccount]:
    return list(
        session.scalars(
            select(BillingAccount).where(BillingAccount.account_id == account_id).order_by(BillingAccount.id)
        )
    )


def billing_account(session: Session, account_id: int, billing_account_id: str) -> BillingAccount | None:
    return session.scalar(
        select(BillingAccount).where(
            BillingAccount.account_id == account_id,
            BillingAccount.billing_account_id == billing_account_id,
        )
    )


def billing_accounts_by_id(session: Session, billing_account_id: str) -> list[BillingAccount]:
    """Every row of this billing account, whatever its tenant (to refuse connecting it twice)."""
    return list(session.scalars(select(BillingAccount).where(BillingAccount.billing_account_id == billing_account_id)
                                .order_by(BillingAccount.id)))


def billing_workspace_ids(session: Session, billing_row_id: int) -> list[int]:
    return list(session.scalars(select(BillingAccountWorkspace.workspace_id)
                                .where(BillingAccountWorkspace.billing_account_id == billing_row_id)
                                .order_by(BillingAccountWorkspace.workspace_id)))


def set_billing_workspaces(session: Session, billing_row_id: int, workspace_ids: Iterable[int]) -> None:
    wanted = set(workspace_ids)
    have = set(billing_workspace_ids(session, billing_row_id))
    if have - wanted:
        session.execute(delete(BillingAccountWorkspace).where(
            BillingAccountWorkspace.billing_account_id == billing_row_id,
            BillingAccountWorkspace.workspace_id.in_(have - wanted)))
    for ws in sorted(wanted - have):
        session.add(BillingAccountWorkspace(billing_account_id=billing_row_id, workspace_id=ws))
    session.flush()


def billing_accounts_in(session: Session, workspace_ids: Iterable[int] | None) -> list[BillingAccount]:
    """Billing accounts assigned to these workspaces (None: all), by tenant then id."""
    stmt = select(BillingAccount).order_by(BillingAccount.account_id, BillingAccount.id)
    if workspace_ids is not None:
        stmt = stmt.where(exists().where(BillingAccountWorkspace.billing_account_id == BillingAccount.id,
                                         BillingAccountWorkspace.workspace_id.in_(list(workspace_ids))))
    return list(session.scalars(stmt))


def consent_by_state_hash(session: Session, state_hash: str) -> ConsentRequest | None:
    return session.scalar(select(ConsentRequest).where(ConsentRequest.state_hash == state_hash))


def prune_consent_requests(session: Session, before: datetime) -> list[int]:
    """Delete consent requests that expired before `before`; returns their vault secret ids."""
    rows = list(session.scalars(select(ConsentRequest).where(ConsentRequest.expires_at < before)))
    secret_ids = [r.flow_secret_id for r in rows if r.flow_secret_id is not None]
    for row in rows:
        session.delete(row)
    session.flush()
    return secret_ids


def search_accounts(session: Session, text: str) -> list[CloudAccount]:
    like = f"%{text.lower()}%"
    return list(
        session.scalars(
            select(CloudAccount).where(
                or_(CloudAccount.name.ilike(like), CloudAccount.tenant_id.ilike(like))
            )
        )
    )


def access_levels(session: Session, account_ids: Sequence[int]) -> dict[tuple[int, str], str]:
    """(account id, subscription id) → access level, for these accounts."""
    return {(aid, sid): level for aid, sid, level in session.execute(
        select(CloudSubscription.account_id, CloudSubscription.subscription_id, CloudSubscription.access_level)
        .where(CloudSubscription.account_id.in_(list(account_ids))))}

"""Tenants connected with the customer's own service principal (the Vantage way).

Validated on submit: nothing is stored unless the probe passes. Replacing a secret keeps
the credential (and everything that points at it) and appends to its history.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import SecretStr
from sqlalchemy.orm import Session

from skytally.accounts import billing, credentials, guard, integrations, readers, repo
from skytally.accounts.context import AccountsEnv
from skytally.accounts.credentials import (
    ClientSecretCredentialIn,
    CredentialIn,
    hint_of,
    subscription_role,
)
from skytally.accounts.models import (
    AccessLevel,
    AccountCredential,
    AccountKind,
    CloudAccount,
    CloudSubscription,
    CredentialSecretVersion,
    RoleStatus,
)
from skytally.accounts.schemas import CredentialOut, ProbeResult, SecretVersionOut, expiry_warning
from skytally.errors import Conflict, InvalidInput, NotFound
from skytally.store.base import utcnow
from skytally.workspaces.schemas import Actor

# The form field each probe failure is about (the page shows the message next to it).
PROBLEM_FIELDS = {"tenant_not_found": "tenant_id", "app_not_in_tenant": "client_id", "wrong_secret": "client_secret",
                  "expired_secret": "client_secret", "bad_certificate": "certificate",
                  "billing_role_missing": "billing_account_id", "subscription_role_missing": "client_id"}


def _refuse(result: ProbeResult) -> InvalidInput:
    return InvalidInput(result.message, field=PROBLEM_FIELDS.get(result.problem), cause=result.problem)


def connect(
    session: Session, env: AccountsEnv, actor: Actor | None, name: str, data: CredentialIn,
    workspace_ids: list[int] | None = None, *, into_account_id: int | None = None, billing_name: str = "",
) -> tuple[CloudAccount, AccountCredential, ProbeResult]:
    """Add an Azure tenant by service-principal credentials, or (`into_account_id`) add a
    credential to that account. A tenant already connected is never joined silently: without
    `into_account_id` naming it, AlreadyConnected says so (the name and workspaces typed are
    the caller's to keep). A billing account ID makes the billing account an integration of its
    own: named `billing_name` (else Azure's name), in the workspaces ticked (else its tenant's);
    one skytally already has is refused the same way."""
    ws_ids = guard.check_assignable(session, actor, workspace_ids or [])
    if into_account_id is not None:
        guard.managed_account(session, actor, into_account_id)
    result = data.probe(env.connector)
    if not result.ok:
        raise _refuse(result)
    account = repo.account_by_tenant(session, AccountKind.AZURE.value, result.tenant_id)
    if account is not None and not guard.can_manage(session, actor, account):
        raise Conflict(f"tenant {result.tenant_id} is already connected in skytally by another workspace")
    if into_account_id is not None and (account is None or account.id != into_account_id):
        raise InvalidInput(f"this service principal signs in to tenant {result.tenant_id}, not to the tenant of "
                           f"account {into_account_id}; check the tenant ID")
    if account is not None and into_account_id is None:
        raise guard.already_connected(account)
    if result.billing is not None:
        integrations.refuse_if_connected(session, result.billing.billing_account_id)
    if account is None:
        account = CloudAccount(
            kind=AccountKind.AZURE.value, name=name.strip() or result.tenant_id, tenant_id=result.tenant_id,
            tenant_domain=data.tenant_id if "." in data.tenant_id else "", connection="service_principal",
            created_by=actor.email if actor else "cli",
        )
        session.add(account)
        session.flush()
    if ws_ids and into_account_id is None:  # a new account: the workspaces ticked
        repo.set_workspaces(session, account.id, set(ws_ids))
    credential = next((c for c in repo.credentials_of(session, account.id) if c.client_id == data.client_id), None)
    if credential is not None and result.billing is None:
        raise Conflict(
            f"application {data.client_id} is already a credential of this tenant; replace its secret instead"
        )
    if credential is not None:
        # The tenant's own principal now also reads a billing account (the probe just proved
        # the secret typed works): the billing account is added to that credential.
        assert result.billing is not None
        billing.record(session, account.id, result.billing, via="service_principal", credential_id=credential.id)
    else:
        credential = _store(session, env, actor, account, data, result)
        record_probe(session, env, account, credential, data, result)
    if result.billing is not None:
        row = repo.billing_account(session, account.id, result.billing.billing_account_id)
        assert row is not None  # record_probe just recorded it
        integrations.name_and_assign(session, row, integrations.check_name(billing_name), ws_ids)
    return account, credential, result


def _store(
    session: Session, env: AccountsEnv, actor: Actor | None, account: CloudAccount, data: CredentialIn,
    result: ProbeResult,
) -> AccountCredential:
    sealed = env.vault.put(session, f"sp-{data.kind}", data.secret())
    now = utcnow()
    row = AccountCredential(
        account_id=account.id, kind=data.kind, client_id=data.client_id, secret_id=sealed.id,
        secret_hint=hint_of(data), expires_at=result.secret_expires_at, expiry_source=result.expiry_source,
        billing_account_id=data.billing_account_id, status="ok", last_checked_at=now, last_success_at=now,
        created_by=actor.email if actor else "cli",
    )
    session.add(row)
    session.flush()
    session.add(CredentialSecretVersion(
        credential_id=row.id, secret_hint=row.secret_hint, expires_at=row.expires_at,
        added_by=row.created_by, added_at=now,
    ))
    session.flush()
    return row


def store_credential(
    session: Session, env: AccountsEnv, actor: Actor | None, account: CloudAccount, data: CredentialIn,
) -> AccountCredential:
    """Store an already validated credential (Office 365: checked against Graph, not ARM);
    its expiry is what the user declared, if anything."""
    declared = data.declared_expiry()
    result = ProbeResult(ok=True, tenant_id=account.tenant_id, secret_expires_at=declared,
                         expiry_source="user" if declared else "unknown")
    return _store(session, env, actor, account, data, result)


def record_probe(
    session: Session, env: AccountsEnv, account: CloudAccount, credential: AccountCredential, data: CredentialIn,
    result: ProbeResult,
) -> None:
    """Subscriptions and billing account the credential reaches, as the probe found them."""
    now = utcnow()
    if result.billing is not None:
        billing.record(session, account.id, result.billing, via="service_principal", credential_id=credential.id)
    built = data.build(env.connector, result.tenant_id)
    for sub in result.subscriptions:
        row = repo.subscription(session, account.id, sub.subscription_id)
        if row is None:
            row = CloudSubscription(account_id=account.id, subscription_id=sub.subscription_id,
                                    access_level=AccessLevel.RESOURCES.value)
            session.add(row)
        role = subscription_role(env.connector, built, sub.subscription_id)
        row.display_name, row.state = sub.display_name, sub.state
        row.role_name = role or row.role_name
        row.role_status = (RoleStatus.ACTIVE if role else RoleStatus.ACTIVATING).value
        row.status_message = f"{role} via application {data.client_id}" if role else "waiting for the role to apply"
        row.checked_at = now
        readers.mark_read_by_credential(row, credential.id)
    session.flush()


def credential_out(row: AccountCredential) -> CredentialOut:
    return CredentialOut(
        id=row.id, account_id=row.account_id, kind=row.kind, client_id=row.client_id, secret_hint=row.secret_hint,
        expires_at=row.expires_at, expiry_source=row.expiry_source, billing_account_id=row.billing_account_id,
        status=row.status, last_error=row.last_error, last_checked_at=row.last_checked_at,
        last_success_at=row.last_success_at, created_at=row.created_at,
        warning=expiry_warning("Client secret" if row.kind == "client_secret" else "Certificate", row.expires_at, utcnow()),
        history=[SecretVersionOut.model_validate(v) for v in row.history],
    )


def get_credential(session: Session, actor: Actor | None, account_id: int, credential_id: int, manage: bool = True) -> AccountCredential:
    (guard.managed_account if manage else guard.visible_account)(session, actor, account_id)
    row = session.get(AccountCredential, credential_id)
    if row is None or row.account_id != account_id:
        raise NotFound(f"credential {credential_id} does not exist in this account")
    return row


stored_model = credentials.stored_model  # the credential row as a probe-able model


def replace_secret(
    session: Session, env: AccountsEnv, actor: Actor | None, account_id: int, credential_id: int,
    new_secret: SecretStr, expires_at: datetime | None = None,
) -> CredentialOut:
    """Swap the secret (or certificate) in place once the new one is proven to work."""
    row = get_credential(session, actor, account_id, credential_id)
    account = guard.visible_account(session, actor, account_id)
    data = stored_model(session, env, account, row, new_secret)
    if isinstance(data, ClientSecretCredentialIn) and expires_at is not None:
        data.secret_expires_at = expires_at if expires_at.tzinfo else expires_at.replace(tzinfo=utcnow().tzinfo)
    result = data.probe(env.connector)
    if not result.ok:
        raise _refuse(result)
    now = utcnow()
    for version in row.history:
        if version.retired_at is None:
            version.retired_at = now
    env.vault.replace(session, row.secret_id, new_secret)
    row.secret_hint = hint_of(data)
    row.expires_at, row.expiry_source = result.secret_expires_at, result.expiry_source
    row.status, row.last_error, row.last_checked_at, row.last_success_at = "ok", "", now, now
    row.history.append(CredentialSecretVersion(
        secret_hint=row.secret_hint, expires_at=row.expires_at, added_by=actor.email if actor else "cli", added_at=now,
    ))
    record_probe(session, env, account, row, data, result)
    return credential_out(row)


def delete_credential(session: Session, env: AccountsEnv, actor: Actor | None, account_id: int, credential_id: int) -> None:
    row = get_credential(session, actor, account_id, credential_id)
    secret_id = row.secret_id
    session.delete(row)
    session.flush()
    env.vault.delete(session, secret_id)


def check_credential(session: Session, env: AccountsEnv, actor: Actor | None, account_id: int,
                     credential_id: int) -> ProbeResult:
    """"Check now" (web, API, CLI): it records the credential's status, so it takes who may
    manage the account (a viewer may see the status, not change it)."""
    return check(session, env, get_credential(session, actor, account_id, credential_id, manage=True))


def check(session: Session, env: AccountsEnv, row: AccountCredential) -> ProbeResult:
    """Health check: probe again and record the outcome (never raises for a failing probe)."""
    account = session.get(CloudAccount, row.account_id)
    assert account is not None
    result = stored_model(session, env, account, row).probe(env.connector)
    now = utcnow()
    row.last_checked_at = now
    if result.ok:
        row.status, row.last_error, row.last_success_at = "ok", "", now
        if result.expiry_source in ("graph", "certificate"):
            row.expires_at, row.expiry_source = result.secret_expires_at, result.expiry_source
    else:
        row.status, row.last_error = "failing", result.message
    session.flush()
    return result


def stored_secret_id(session: Session, credential_id: int) -> int:
    row = session.get(AccountCredential, credential_id)
    if row is None:
        raise NotFound(f"credential {credential_id} does not exist")
    return row.secret_id

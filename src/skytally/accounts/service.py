"""Use cases of Cloud Tenant Setup: list, show, add (consent or credentials), assign to
workspaces, remove, subscriptions and access levels, and the health of credentials.

Every function takes the acting `Actor` (None: the installation — CLI, demo, jobs) and
refuses what it may not do; interfaces stay thin and commit.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from skytally.accounts import (
    access,
    consent,
    ea_tokens,
    guard,
    identity,
    integrations,
    office365,
    readers,
    repo,
    roles,
)
from skytally.accounts import service_principals as sp
from skytally.accounts.context import AccountsEnv
from skytally.accounts.models import (
    AccessLevel,
    AccountCredential,
    AccountKind,
    BillingAccount,
    CloudAccount,
    CloudSubscription,
    EaToken,
    RoleStatus,
)
from skytally.accounts.schemas import (
    AccountCreate,
    AccountOut,
    ConsentStart,
    SubscriptionOut,
    WorkspaceRef,
)
from skytally.errors import NotFound
from skytally.store.base import utcnow
from skytally.workspaces import service as workspaces
from skytally.workspaces.schemas import Actor

# After this long "activating…" gets a hint to re-run consent (it is still not an error).
ACTIVATION_PATIENCE = timedelta(minutes=30)


# --- reading ----------------------------------------------------------------------------
def subscription_out(session: Session, account: CloudAccount, sub: CloudSubscription,
                     credentials: list[AccountCredential] | None = None) -> SubscriptionOut:
    out = SubscriptionOut.model_validate(sub)
    reader = readers.subscription_reader(session, account, sub, credentials)
    out.read_by, out.read_by_label = reader.kind, reader.label
    return out


def to_out(session: Session, account: CloudAccount, *, with_secrets_meta: bool = True) -> AccountOut:
    cred_rows = repo.credentials_of(session, account.id)
    subs = [subscription_out(session, account, s, cred_rows) for s in account.subscriptions]
    creds = [sp.credential_out(c) for c in cred_rows] if with_secrets_meta else []
    tokens = ea_tokens.listing(session, None, account.id, _account_checked=True) if with_secrets_meta else []
    warnings = [p for p in (s.problem for s in subs) if p]
    warnings += [w for w in (c.warning for c in creds) if w]
    warnings += [f"Credential {c.client_id} is failing: {c.last_error}" for c in creds if c.status == "failing"]
    warnings += [w for w in (t.warning for t in tokens if t.in_use) if w]
    if account.kind == AccountKind.AZURE.value and tokens and not any(t.in_use for t in tokens):
        warnings.append("No valid EA access token: add a new one")
    missing = office365.missing_permissions(account)
    if missing:
        warnings.append(f"Missing Graph permissions: {', '.join(missing)}")
    return AccountOut(
        id=account.id, kind=AccountKind(account.kind), name=account.name, tenant_id=account.tenant_id,
        tenant_domain=account.tenant_domain, connection=account.connection, consented_by=account.consented_by,
        consented_at=account.consented_at, granted_permissions=list(account.granted_permissions or []),
        missing_permissions=missing, created_at=account.created_at, last_sync_at=account.last_sync_at,
        workspaces=[WorkspaceRef(id=i, name=n) for i, n in
                    workspaces.workspace_names(session, set(repo.workspace_ids_of(session, account.id))).items()],
        subscriptions=subs, credentials=creds, ea_tokens=tokens,
        billing_accounts=[integrations.to_out(session, b, account) for b in repo.billing_accounts_of(session, account.id)],
        warnings=warnings,
    )


def list_accounts(session: Session, actor: Actor | None, kind: AccountKind | None = None) -> list[AccountOut]:
    rows = repo.visible_accounts(session, guard.visible_workspace_filter(actor))
    return [to_out(session, a) for a in rows if kind is None or a.kind == kind.value]


def get_account(session: Session, actor: Actor | None, account_id: int) -> AccountOut:
    return to_out(session, guard.visible_account(session, actor, account_id))


def find_account(session: Session, actor: Actor | None, key: str) -> AccountOut:
    """An account by id, tenant id or exact name (for the CLI)."""
    text = key.strip()
    if text.isdigit():
        return get_account(session, actor, int(text))
    matches = [a for a in list_accounts(session, actor) if text.lower() in (a.tenant_id, a.name.lower(), a.tenant_domain)]
    if len(matches) != 1:
        raise NotFound(
            f"no single cloud account matches {text!r}" + (f" ({len(matches)} do; use the ID)" if matches else "")
        )
    return matches[0]


# --- adding -----------------------------------------------------------------------------
def start_add_account(session: Session, env: AccountsEnv, actor: Actor | None, data: AccountCreate) -> ConsentStart:
    """Add Cloud Account: the URL to send the consenting user to."""
    if data.kind is AccountKind.OFFICE365:
        return office365.start_add(session, env, actor, data)
    return consent.start_add_azure(session, env, actor, data)


def start_add_subscriptions(session: Session, env: AccountsEnv, actor: Actor | None, account_id: int) -> ConsentStart:
    """Add Existing Subscriptions: another owner of the same tenant consents for theirs."""
    account = guard.managed_account(session, actor, account_id)
    if account.kind != AccountKind.AZURE.value:
        return office365.start(session, env, actor, tenant=account.tenant_id, name=account.name, account_id=account.id)
    return consent.begin_azure(session, env, actor, purpose="add_subscriptions", tenant_id=account.tenant_id,
                               account_id=account.id)


# --- workspaces and removal -------------------------------------------------------------
def assign_workspaces(session: Session, actor: Actor | None, account_id: int, workspace_ids: list[int]) -> AccountOut:
    """Set the workspaces an account belongs to (the actor must admin every one it touches)."""
    account = guard.managed_account(session, actor, account_id)
    wanted = set(guard.check_assignable(session, actor, workspace_ids))
    current = set(repo.workspace_ids_of(session, account.id))
    if actor is not None and not actor.is_admin:
        for ws in current - wanted:
            if not actor.can_admin(ws):
                wanted.add(ws)  # cannot take the account away from a workspace you do not admin
    repo.set_workspaces(session, account.id, wanted)
    return to_out(session, account)


def remove_account(session: Session, env: AccountsEnv, actor: Actor | None, account_id: int) -> str:
    """Forget an account and its secrets. Role assignments in Azure stay: say so."""
    account = guard.managed_account(session, actor, account_id)
    secret_ids = [c.secret_id for c in repo.credentials_of(session, account.id)]
    secret_ids += [t.secret_id for t in repo.ea_tokens_of(session, account.id)]
    name = account.name
    session.delete(account)
    session.flush()
    for secret_id in secret_ids:
        env.vault.delete(session, secret_id)
    session.flush()
    note = (" skytally's role assignments in Azure were left in place; remove them in the Azure portal "
            "(Access control) if you no longer want skytally to read the subscriptions.")
    return f"Removed {name}." + (note if account.kind == AccountKind.AZURE.value else "")


# --- subscriptions ----------------------------------------------------------------------
def list_subscriptions(session: Session, actor: Actor | None, account_id: int | None = None) -> list[SubscriptionOut]:
    if account_id is not None:
        accounts = [guard.visible_account(session, actor, account_id)]
    else:
        accounts = repo.visible_accounts(session, guard.visible_workspace_filter(actor))
    return [subscription_out(session, a, s) for a in accounts for s in a.subscriptions]


def find_subscription(session: Session, actor: Actor | None, subscription_id: str) -> SubscriptionOut:
    for sub in list_subscriptions(session, actor):
        if sub.subscription_id == subscription_id.strip().lower():
            return sub
    raise NotFound(f"subscription {subscription_id} is not connected, or not in your workspaces")


def change_access(
    session: Session, env: AccountsEnv, actor: Actor | None, account_id: int, subscription_id: str, level: AccessLevel
) -> SubscriptionOut | ConsentStart:
    return access.change_access(session, env, actor, account_id, subscription_id, level)


# --- app-only identity ------------------------------------------------------------------
# Which identity reads a subscription: ONE rule (accounts/readers.py), used by inventory,
# tags, costs and licences alike. `reader_credential(session, env, account, sub_id)` for one
# subscription; `readers_of(session, env, account)` groups them for a fan-out.
subscription_reader = readers.subscription_reader
reader_credential = readers.reader_credential
readers_of = readers.readers_of
tenant_credential = readers.tenant_credential


# The tenant-level identity (calls not about one subscription): same rule as tenant_credential.
app_credential = readers.tenant_credential

def record_sync(session: Session, account_id: int, subscription_ids: list[str], when: datetime) -> None:
    """Note a complete sync (the inventory's) of these subscriptions: their "last sync"."""
    account = session.get(CloudAccount, account_id)
    if account is None or not subscription_ids:
        return
    wanted = {s.lower() for s in subscription_ids}
    for sub in account.subscriptions:
        if sub.subscription_id.lower() in wanted:
            sub.last_sync_at = when
    account.last_sync_at = when


def record_sync_outcome(session: Session, account_id: int, outcomes: dict[str, tuple[str, str]],
                        when: datetime) -> None:
    """Note each subscription's last sync attempt: {subscription id: (ok | failed, cause in full)}.
    Cloud Tenant Setup and `skytally accounts list` show it and count failures as warnings."""
    account = session.get(CloudAccount, account_id)
    if account is None:
        return
    wanted = {k.lower(): v for k, v in outcomes.items()}
    for sub in account.subscriptions:
        if sub.subscription_id.lower() in wanted:
            sub.last_sync_status, sub.last_sync_error = wanted[sub.subscription_id.lower()]
            sub.last_sync_attempt_at = when


def next_step(account: CloudAccount, reader: readers.Reader) -> str:
    """What the user can do when `reader` cannot read a subscription of `account` — only
    actions that exist for that kind of identity."""
    if reader.kind == readers.SERVICE_PRINCIPAL:
        return (f"Give your service principal {reader.client_id} the Reader role on the subscription (Azure portal, "
                "Access control), or have an owner consent with Add Existing Subscriptions to let skytally's app "
                "read it instead.")
    if reader.kind == readers.SKYTALLY_APP:
        return "Ask an owner of the subscription to run Add Existing Subscriptions for it in Cloud Tenant Setup."
    return "Add a service principal credential that can read it, or consent as an owner (Add Existing Subscriptions)."


def mark_access_degraded(session: Session, account_id: int, subscription_id: str, reason: str) -> None:
    """Azure refused what the subscription's access level needs (e.g. a tag write-back got
    403 for a missing role): shown on Cloud Tenant Setup until the level is set again."""
    sub = repo.subscription(session, account_id, subscription_id.lower())
    if sub is not None:
        sub.access_degraded = reason[:2000]


# --- activation (role propagation) ------------------------------------------------------
def check_activation(session: Session, env: AccountsEnv, sub: CloudSubscription) -> bool:
    """Has skytally's role on this subscription taken effect? Updates the row; never raises."""
    account = sub.account
    now = utcnow()
    sub.activation_attempts += 1
    sub.checked_at = now
    try:
        credential = reader_credential(session, env, account, sub.subscription_id)
        if credential is None:
            return False
        role = sub.role_name or AccessLevel(sub.access_level).role_name
        active = roles.role_effective(env.connector, credential, sub.subscription_id, role)
    except Exception as exc:  # outage: keep waiting, note why
        sub.status_message = f"activating… (last check could not reach Azure: {type(exc).__name__})"
        return False
    if active:
        sub.role_status = RoleStatus.ACTIVE.value
        sub.status_message = f"{sub.role_name or 'Reader'} active"
        return True
    waited = now - (sub.consented_at or sub.created_at)
    sub.status_message = (
        "activating… Azure is still applying the role"
        + ("; if this lasts, run Add Existing Subscriptions again" if waited > ACTIVATION_PATIENCE else "")
    )
    return False


def activate_pending(session: Session, env: AccountsEnv, account_id: int | None = None) -> dict[str, int]:
    pending = repo.subscriptions_activating(session, account_id)
    activated = sum(1 for sub in pending if check_activation(session, env, sub))
    session.flush()
    return {"checked": len(pending), "activated": activated, "still_activating": len(pending) - activated}


# --- what other capabilities use (they reach accounts only through this module) ---------
# Types the functions here take and return; the enums are in `accounts.schemas`.
__all__ = ["AccountsEnv", "BillingAccount", "CloudAccount", "CloudSubscription", "EaToken"]

visible_workspace_filter = guard.visible_workspace_filter  # None: an organisation admin sees all
visible_account = guard.visible_account  # the account, if the actor may see it (else NotFound)
visible_accounts = repo.visible_accounts
search_accounts = repo.search_accounts
workspace_ids_of = repo.workspace_ids_of
access_levels = repo.access_levels
azure_account_ids = repo.azure_account_ids
billing_accounts_of = repo.billing_accounts_of
# Billing accounts are integrations of their own (accounts/integrations.py): their costs are
# seen in *their* workspaces, not their tenant's.
billing_accounts_in = repo.billing_accounts_in
billing_label = integrations.label
list_billing_accounts = integrations.listing
get_billing_account = integrations.get
find_billing_account = integrations.find
billing_account_out = integrations.to_out
update_billing_account = integrations.update
ea_tokens_of = repo.ea_tokens_of
newest_valid_ea_token = ea_tokens.newest_valid
ea_token_refusal = ea_tokens.refusal  # the EA API's refusal of a key, as the user reads it
app_token_claims = identity.app_token_claims


def account_names(session: Session, account_ids: Iterable[int]) -> dict[int, str]:
    """Cloud accounts' current names by id (for labels: a job run's tenant); no access check."""
    ids = set(account_ids)
    return {a.id: a.name for a in session.scalars(select(CloudAccount).where(CloudAccount.id.in_(ids)))} if ids else {}


def account_for_tenant(session: Session, kind: AccountKind, tenant_id: str) -> AccountOut | None:
    """The cloud account of this kind connected for this tenant, if any; no access check
    (the installation's view: `skytally demo` finds its sample tenant)."""
    account = repo.account_by_tenant(session, kind.value, tenant_id)
    return to_out(session, account, with_secrets_meta=False) if account is not None else None


def run_workspace_ids(session: Session, params: dict[str, Any]) -> list[int] | None:
    """The workspaces that may see a job run with these params now (jobs.registry names this
    resolver): a run about a cloud account, those of the account; None for any other run."""
    account_id = params.get("account_id")
    if account_id is None:
        return None
    if params.get("scope_id"):  # a cost import of one scope: a billing account follows its own workspaces
        own = integrations.workspace_ids_of_scope(session, int(account_id), str(params["scope_id"]))
        if own is not None:
            return own
    return repo.workspace_ids_of(session, int(account_id))


def mark_ea_token_revoked(session: Session, token_id: int, reason: str) -> None:
    """The EA API refused this key (`reason` starts with revoked/expired/invalid): record it;
    the next import says so and asks for a new one."""
    row = session.get(EaToken, token_id)
    if row is not None:
        status = reason.split(":", 1)[0]  # revoked, expired or invalid (ea_tokens.refusal)
        row.status = status if status in ("revoked", "expired", "invalid") else "revoked"
        row.reason, row.last_checked_at = reason, utcnow()


def office365_account_ids(session: Session) -> list[int]:
    return repo.account_ids_of_kind(session, AccountKind.OFFICE365)


def office365_accounts_in(session: Session, workspace_ids: Iterable[int] | None) -> list[CloudAccount]:
    """Office 365 accounts assigned to these workspaces (None: all)."""
    return [a for a in repo.visible_accounts(session, workspace_ids) if a.kind == AccountKind.OFFICE365.value]

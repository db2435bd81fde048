"""Azure consent: the authorization-code flow with PKCE for a delegated Resource Manager
token of the consenting user, and what skytally does with it.

The delegated token lives only in memory during the callback (a `StaticTokenCredential`
dropped at the end; MSAL is asked for no refresh token and its cache dies with the app
object). With it skytally finds the subscriptions the user *owns* (the permissions API:
`Microsoft.Authorization/roleAssignments/write`), assigns its service principal the role
of each subscription's access level, and records who consented. Everything that talks to
Azure happens before anything is written, so a failure leaves skytally's records as
they were; role assignments already made are idempotent on the next attempt.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from skytally.accounts import consent_state as cs
from skytally.accounts import guard, readers, repo, roles, tenants
from skytally.accounts.context import AccountsEnv
from skytally.accounts.identity import skytally_app, skytally_credential, try_app_token
from skytally.accounts.models import (
    AccessLevel,
    AccountKind,
    CloudAccount,
    CloudSubscription,
    ConsentRequest,
    RoleStatus,
)
from skytally.accounts.schemas import (
    AccountCreate,
    ConsentOutcome,
    ConsentStart,
    SubscriptionResult,
)
from skytally.accounts.tenants import state_text
from skytally.errors import Conflict, InvalidInput
from skytally.store.base import utcnow
from skytally.workspaces.schemas import Actor

if TYPE_CHECKING:
    from skytally.azure.rest import StaticTokenCredential


def arm_user_scope(env: AccountsEnv) -> str:
    return env.settings.endpoints.resource_manager_audience.rstrip("/") + "/user_impersonation"


# --- starting ---------------------------------------------------------------------------
def begin_azure(
    session: Session, env: AccountsEnv, actor: Actor | None, *, purpose: str, tenant_id: str,
    account_id: int | None = None, params: dict[str, Any] | None = None, login_hint: str | None = None,
) -> ConsentStart:
    client_id, secret = skytally_app(env.settings)
    state = cs.new_state()
    app = env.connector.msal_app(tenant_id, client_id, secret)
    flow = app.initiate_auth_code_flow(
        [arm_user_scope(env)], redirect_uri=cs.redirect_uri(env), state=state,
        prompt="select_account", login_hint=login_hint,
    )
    return cs.record(
        session, env, actor, state=state, purpose=purpose, tenant_id=tenant_id, url=flow["auth_uri"],
        flow=flow, account_id=account_id, params=params,
    )


def start_add_azure(session: Session, env: AccountsEnv, actor: Actor | None, data: AccountCreate) -> ConsentStart:
    """Add Cloud Account (Azure): resolve the tenant, then send the user to sign in."""
    if data.kind is not AccountKind.AZURE:
        raise InvalidInput("use the Office 365 flow for Office 365 tenants")
    workspace_ids = guard.check_assignable(session, actor, data.workspace_ids)
    tenant = tenants.resolve(env.connector, data.tenant)
    existing = repo.account_by_tenant(session, AccountKind.AZURE.value, tenant.tenant_id)
    if existing is not None and not guard.can_manage(session, actor, existing):
        raise Conflict(
            f"tenant {tenant.tenant_id} is already connected in skytally; ask an admin of its "
            "workspaces to add you, or to add existing subscriptions"
        )
    if existing is not None:  # never merge silently: say so, and what can be done instead
        raise guard.already_connected(existing)
    params = {"name": data.name or tenant.domain or tenant.tenant_id, "domain": tenant.domain,
              "workspace_ids": workspace_ids}
    return begin_azure(session, env, actor, purpose="add_azure", tenant_id=tenant.tenant_id,
                       account_id=existing.id if existing else None, params=params)


@dataclass(frozen=True)
class Seen:
    subscription_id: str
    display_name: str
    state: str


@dataclass
class SignedIn:
    upn: str
    tenant_id: str
    sp_object_id: str
    app_credential: Any


# --- finishing (consent_finish.complete hands the redirect here) -------------------------
def signed_in(env: AccountsEnv, row: ConsentRequest, claims: dict[str, Any]) -> SignedIn | ConsentOutcome:
    """Check who signed in and make sure skytally's service principal is in the tenant."""
    upn = str(claims.get("preferred_username") or claims.get("upn") or claims.get("oid") or "unknown user")
    tid = str(claims.get("tid", "")).lower()
    if tid != row.tenant_id:
        return cs.fail(
            f"You signed in as {upn}, an account of another tenant ({tid or 'unknown'}); this "
            f"consent is for tenant {row.tenant_id}. Sign in with an account of that tenant. "
            + cs.NOTHING_CHANGED
        )
    client_id, _ = skytally_app(env.settings)
    app_credential = skytally_credential(env.connector, env.settings, row.tenant_id)
    app_claims, problem = try_app_token(
        app_credential, env.settings.endpoints.arm_scope(), tenant_id=row.tenant_id, client_id=client_id, own_app=True
    )
    if problem is not None or not app_claims or not app_claims.get("oid"):
        reason = problem.message if problem else "its token names no service principal"
        return cs.fail(
            f"skytally's service principal is not usable in tenant {row.tenant_id}: {reason}. "
            + cs.NOTHING_CHANGED
        )
    return SignedIn(upn, tid, str(app_claims["oid"]), app_credential)


def finish_azure(
    session: Session, env: AccountsEnv, actor: Actor | None, row: ConsentRequest,
    credential: StaticTokenCredential, claims: dict[str, Any],
) -> ConsentOutcome:
    who = signed_in(env, row, claims)
    if isinstance(who, ConsentOutcome):
        return who
    account = session.get(CloudAccount, row.account_id) if row.account_id else None
    if row.purpose == "add_subscriptions" and account is None:
        return cs.fail("The cloud account was removed while you were signing in. " + cs.NOTHING_CHANGED)
    if account is None:
        account = repo.account_by_tenant(session, AccountKind.AZURE.value, row.tenant_id)
    seen = [
        Seen(str(s.subscription_id).lower(), str(s.display_name or s.subscription_id), state_text(s.state))
        for s in env.connector.subscriptions(credential).subscriptions.list()
        if (getattr(s, "tenant_id", None) or row.tenant_id).lower() == row.tenant_id and s.subscription_id
    ]
    if not seen:
        return cs.fail(
            f"{who.upn} cannot see any Azure subscription in tenant {row.tenant_id}. Sign in with "
            "an Owner of the subscriptions to connect. " + cs.NOTHING_CHANGED
        )
    owned: dict[str, bool] = {}
    for sub in seen:
        try:
            owned[sub.subscription_id] = roles.can_assign_roles(env.connector, credential, sub.subscription_id)
        except roles.RoleError:
            owned[sub.subscription_id] = False
    if not any(owned.values()):
        names = ", ".join(f"{s.display_name} ({s.subscription_id})" for s in seen[:5])
        return cs.fail(
            f"{who.upn} owns none of the {len(seen)} subscription(s) it can see ({names}): "
            "connecting needs an Owner (or User Access Administrator) of each subscription. "
            + cs.NOTHING_CHANGED
        )
    existing = {s.subscription_id: s for s in account.subscriptions} if account else {}
    results: list[SubscriptionResult] = []
    assignments: dict[str, str] = {}
    for sub in seen:
        sid = sub.subscription_id
        current = existing.get(sid)
        if not owned[sid]:
            status = RoleStatus(current.role_status) if current else RoleStatus.NEEDS_OWNER
            results.append(SubscriptionResult(subscription_id=sid, display_name=sub.display_name or sid,
                                              outcome="needs_owner", role_status=status,
                                              message="needs an owner to consent"))
            continue
        level = AccessLevel(current.access_level) if current else AccessLevel.RESOURCES
        try:
            assignment_id, created = roles.ensure_role(env.connector, credential, sid, who.sp_object_id, level.role_name)
        except roles.RoleError as exc:
            results.append(SubscriptionResult(subscription_id=sid, display_name=sub.display_name or sid,
                                              outcome="failed", role_status=RoleStatus.ERROR, message=exc.message))
            continue
        assignments[sid] = assignment_id
        active = roles.role_effective(env.connector, who.app_credential, sid, level.role_name)
        results.append(SubscriptionResult(
            subscription_id=sid, display_name=sub.display_name or sid,
            outcome="assigned" if created else "already",
            role_status=RoleStatus.ACTIVE if active else RoleStatus.ACTIVATING,
            message=f"{level.role_name} assigned" if created else f"{level.role_name} already assigned",
        ))
    # --- everything Azure said is known: now record it ---------------------------------
    now = utcnow()
    account = cs.consented_account(session, row, AccountKind.AZURE.value, actor, account)
    account.consented_by, account.consented_at = who.upn, now
    by_id = {s.subscription_id: s for s in seen}
    for result in results:
        record_subscription(session, account, by_id[result.subscription_id], result, who.upn, now,
                            assignments.get(result.subscription_id))
    session.flush()
    return ConsentOutcome(ok=True, message=summary(account.name, results), account_id=account.id,
                          consented_by=who.upn, subscriptions=results)


def record_subscription(
    session: Session, account: CloudAccount, sub: Seen, result: SubscriptionResult, upn: str, now: datetime,
    assignment_id: str | None,
) -> CloudSubscription:
    row = repo.subscription(session, account.id, result.subscription_id)
    is_new = row is None
    if row is None:
        row = CloudSubscription(account_id=account.id, subscription_id=result.subscription_id,
                                access_level=AccessLevel.RESOURCES.value, activation_attempts=0)
        session.add(row)
    row.display_name = result.display_name
    row.state = sub.state
    if result.outcome == "needs_owner" and not is_new and row.role_status != RoleStatus.NEEDS_OWNER.value:
        return row  # someone else already connected it; this user just cannot manage it
    row.role_status = result.role_status.value
    row.status_message = result.message
    row.checked_at = now
    if result.outcome in ("assigned", "already"):
        row.role_name = AccessLevel(row.access_level).role_name
        row.role_assignment_id = assignment_id or row.role_assignment_id
        row.consented_by, row.consented_at = upn, now
        row.activation_attempts = 0
        readers.mark_read_by_app(row)
    return row


def summary(name: str, results: list[SubscriptionResult]) -> str:
    def count(*outcomes: str) -> int:
        return sum(1 for r in results if r.outcome in outcomes)

    parts = [f"Connected {name}: {count('assigned', 'already')} subscription(s) with skytally's role"]
    activating = sum(1 for r in results if r.role_status is RoleStatus.ACTIVATING)
    if activating:
        parts.append(f"{activating} activating… (Azure takes a few minutes to apply new roles; skytally retries)")
    if count("needs_owner"):
        parts.append(f"{count('needs_owner')} need an owner to consent")
    if count("failed"):
        failed = "; ".join(f"{r.display_name}: {r.message}" for r in results if r.outcome == "failed")
        parts.append(f"{count('failed')} failed ({failed})")
    return ", ".join(parts) + "."

"""Access levels per subscription: `resources` | `tags` | `tags-writeback`.

`resources` and `tags` both run on Reader, so switching between them is a setting.
Moving to or from `tags-writeback` changes skytally's role on that one subscription,
which only an owner may do: it goes through consent, and the owner's delegated token
assigns the new role first and removes the old one after (never a moment without
access), on that subscription's scope and nowhere else.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from skytally.accounts import consent, events, guard, readers, repo, roles
from skytally.accounts import consent_state as cs
from skytally.accounts.context import AccountsEnv
from skytally.accounts.models import (
    AccessLevel,
    AccountKind,
    CloudAccount,
    CloudSubscription,
    ConsentRequest,
    RoleStatus,
)
from skytally.accounts.schemas import (
    ConsentOutcome,
    ConsentStart,
    SubscriptionOut,
    SubscriptionResult,
)
from skytally.errors import InvalidInput, NotFound
from skytally.store.base import utcnow
from skytally.workspaces.schemas import Actor

if TYPE_CHECKING:
    from skytally.azure.rest import StaticTokenCredential


def change_access(
    session: Session, env: AccountsEnv, actor: Actor | None, account_id: int, subscription_id: str,
    level: AccessLevel,
) -> SubscriptionOut | ConsentStart:
    """Apply a level that keeps the role; otherwise start the owner's consent for the swap."""
    account = guard.managed_account(session, actor, account_id)
    if account.kind != AccountKind.AZURE.value:
        raise InvalidInput("access levels apply to Azure subscriptions only")
    sub = repo.subscription(session, account.id, subscription_id.lower())
    if sub is None:
        raise NotFound(f"subscription {subscription_id} is not connected in this account")
    current = AccessLevel(sub.access_level)
    if current.role_name == level.role_name:
        sub.access_level = level.value
        session.flush()
        events.access_changed(session, account.id, sub.subscription_id, current.value, level.value)
        return SubscriptionOut.model_validate(sub)
    if account.connection != "consent":
        return _check_own_principal(session, env, account, sub, level)
    return consent.begin_azure(
        session, env, actor, purpose="access", tenant_id=account.tenant_id, account_id=account.id,
        params={"subscription_id": sub.subscription_id, "level": level.value},
    )


def _check_own_principal(session: Session, env: AccountsEnv, account: CloudAccount, sub: CloudSubscription,
                         level: AccessLevel) -> SubscriptionOut:
    """The customer's own service principal: no consent round trip. The level is set when the
    principal's effective permissions on the subscription allow it (ARM's permissions API),
    else refused naming the missing role."""
    credential = readers.tenant_credential(session, env, account)
    if credential is None:
        raise InvalidInput(f"{account.name} has no service principal credential; add one in Cloud Tenant Setup")
    try:
        perms = roles.permissions_at(env.connector, credential, sub.subscription_id)
    except roles.RoleError as exc:
        raise InvalidInput(f"Azure could not tell skytally's permissions on {sub.subscription_id}: {exc.message}; "
                           "try again") from None
    action = roles.PROOF_ACTION[level.role_name]
    if not roles.allows(perms, action):
        raise InvalidInput(
            f"your service principal lacks {action} on subscription {sub.display_name or sub.subscription_id} "
            f"({sub.subscription_id}): assign it the {level.role_name} role there in Azure (Access control "
            f"(IAM) → Add role assignment), then set the level {level.value} again")
    old_level = sub.access_level
    sub.access_level = level.value
    sub.role_name = level.role_name
    sub.role_status = RoleStatus.ACTIVE.value
    sub.access_degraded = ""
    sub.checked_at = utcnow()
    sub.status_message = f"{level.role_name} confirmed through Azure's permissions API"
    session.flush()
    events.access_changed(session, account.id, sub.subscription_id, old_level, level.value)
    return SubscriptionOut.model_validate(sub)


def finish(
    session: Session, env: AccountsEnv, actor: Actor | None, row: ConsentRequest,
    credential: StaticTokenCredential, claims: dict[str, Any],
) -> ConsentOutcome:
    who = consent.signed_in(env, row, claims)
    if isinstance(who, ConsentOutcome):
        return who
    account = session.get(CloudAccount, row.account_id) if row.account_id else None
    sid = str(row.params.get("subscription_id", ""))
    sub = repo.subscription(session, account.id, sid) if account else None
    if account is None or sub is None:
        return cs.fail("The subscription was removed from skytally while you were signing in. " + cs.NOTHING_CHANGED)
    level = AccessLevel(str(row.params.get("level")))
    old_role = AccessLevel(sub.access_level).role_name
    new_role = level.role_name
    if not roles.can_assign_roles(env.connector, credential, sid):
        return cs.fail(
            f"{who.upn} does not own subscription {sub.display_name} ({sid}); changing skytally's "
            "access needs an Owner (or User Access Administrator) of it. " + cs.NOTHING_CHANGED
        )
    try:
        assignment_id, created = roles.ensure_role(env.connector, credential, sid, who.sp_object_id, new_role)
        removed = 0
        if old_role != new_role:
            removed = roles.remove_roles(env.connector, credential, sid, who.sp_object_id, [old_role])
    except roles.RoleError as exc:
        return cs.fail(f"Azure refused to change skytally's role on {sub.display_name}: {exc.message}")
    active = roles.role_effective(env.connector, who.app_credential, sid, new_role)
    now = utcnow()
    old_level = sub.access_level
    sub.access_level = level.value
    sub.role_name = new_role
    sub.role_assignment_id = assignment_id or sub.role_assignment_id
    sub.role_status = (RoleStatus.ACTIVE if active else RoleStatus.ACTIVATING).value
    sub.status_message = f"{old_role} → {new_role}" if removed or created else f"{new_role} already assigned"
    sub.consented_by, sub.consented_at, sub.checked_at = who.upn, now, now
    sub.activation_attempts = 0
    session.flush()
    events.access_changed(session, account.id, sub.subscription_id, old_level, level.value)
    result = SubscriptionResult(
        subscription_id=sid, display_name=sub.display_name, outcome="swapped" if created or removed else "unchanged",
        role_status=RoleStatus(sub.role_status), message=sub.status_message,
    )
    state = " (activating… Azure applies role changes within minutes)" if not active else ""
    return ConsentOutcome(
        ok=True, account_id=account.id, consented_by=who.upn, subscriptions=[result],
        message=f"{sub.display_name} is now at access level {level.value} with {new_role}{state}.",
    )

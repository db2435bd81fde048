"""Who may see and change a cloud account.

An account is visible to organisation admins and to members of the workspaces it is
assigned to; it is managed (consent, access levels, credentials, tokens, removal) by
organisation admins and admins of one of its workspaces. An account the actor cannot
see is reported as not found, so its existence does not leak. `actor=None` is the
installation itself (CLI, demo, jobs).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session

from skytally.accounts import repo
from skytally.accounts.models import CloudAccount
from skytally.errors import AlreadyConnected, InvalidInput, NotFound, PermissionDenied
from skytally.workspaces import service as workspaces
from skytally.workspaces.schemas import Actor


def visible_workspace_filter(actor: Actor | None) -> list[int] | None:
    """Workspaces whose accounts lists show (the header's chosen workspace narrows it)."""
    return None if actor is None else actor.workspace_filter()


def can_view(session: Session, actor: Actor | None, account: CloudAccount) -> bool:
    if actor is None or actor.is_admin:
        return True
    return any(actor.can_view(ws) for ws in repo.workspace_ids_of(session, account.id))


def can_manage(session: Session, actor: Actor | None, account: CloudAccount) -> bool:
    if actor is None or actor.is_admin:
        return True
    return any(actor.can_admin(ws) for ws in repo.workspace_ids_of(session, account.id))


def visible_account(session: Session, actor: Actor | None, account_id: int) -> CloudAccount:
    account = session.get(CloudAccount, account_id)
    if account is None or not can_view(session, actor, account):
        raise NotFound(f"cloud account {account_id} does not exist or is not in your workspaces")
    return account


def managed_account(session: Session, actor: Actor | None, account_id: int) -> CloudAccount:
    account = visible_account(session, actor, account_id)
    if not can_manage(session, actor, account):
        raise PermissionDenied(
            "only organisation admins and admins of the account's workspaces can change it"
        )
    return account


def already_connected(account: CloudAccount) -> AlreadyConnected:
    """The error for connecting a tenant skytally already has."""
    how = "by consent" if account.connection == "consent" else "with a service principal"
    return AlreadyConnected(
        f"tenant {account.tenant_id} is already connected {how} as “{account.name}” (account {account.id}); "
        "nothing was changed. Open it to add subscriptions (Add Existing Subscriptions), add a service principal "
        "credential, or assign it to more workspaces.", account.id)


def check_assignable(session: Session, actor: Actor | None, workspace_ids: Iterable[int]) -> list[int]:
    """Workspaces an account may be assigned to by this actor (they exist, actor admins them)."""
    ids = sorted(set(workspace_ids))
    missing = set(ids) - set(workspaces.workspace_names(session, set(ids)))
    if missing:
        raise InvalidInput(f"workspace {min(missing)} does not exist")
    if actor is not None and not actor.is_admin:
        if not ids:
            raise InvalidInput("choose at least one workspace you administer for the account")
        for ws in ids:
            if not actor.can_view(ws):
                raise InvalidInput(f"workspace {ws} does not exist")
            if not actor.can_admin(ws):
                raise PermissionDenied(f"you are not an admin of workspace {ws}, so you cannot assign accounts to it")
    return ids

"""Use cases of the inventory: sync an account's resources from Azure (`sync`), list them,
and tell the costs capability which resources are live (for the "resource gone" reason of
untagged costs). Reads are scoped to the caller's workspaces (`actor=None`: the
installation — CLI, jobs).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from skytally.accounts import service as accounts
from skytally.accounts.schemas import AccountKind
from skytally.errors import InvalidInput, PermissionDenied
from skytally.inventory import repo
from skytally.inventory.schemas import LiveInventory, ResourceOut, SubscriptionSyncOut
from skytally.inventory.sync import Progress, sync_account
from skytally.jobs import service as jobs
from skytally.jobs.schemas import JobRunOut
from skytally.jobs.service import Dispatcher
from skytally.store.db import Database
from skytally.workspaces.schemas import Actor

SYNC = "inventory.sync"  # job kind (declared in inventory/jobs.py)

__all__ = ["SYNC", "Progress", "account_ids", "list_resources", "live_inventory", "start_sync", "sync_account",
           "sync_states"]


# --- reading ------------------------------------------------------------------------------
def account_ids(session: Session, actor: Actor | None, account_id: int | None) -> list[int]:
    if account_id is not None:
        return [accounts.visible_account(session, actor, account_id).id]
    return [a.id for a in accounts.visible_accounts(session, accounts.visible_workspace_filter(actor))
            if a.kind == AccountKind.AZURE.value]


def list_resources(session: Session, actor: Actor | None, account_id: int | None = None, *,
                   subscription_id: str | None = None, limit: int = 1000, offset: int = 0) -> list[ResourceOut]:
    """The live resources of the caller's accounts (or one of them), by account and id."""
    if not 1 <= limit <= 10_000 or offset < 0:
        raise InvalidInput("limit must be between 1 and 10000 and offset 0 or more")
    ids = account_ids(session, actor, account_id)
    if not ids:
        return []
    return [ResourceOut.model_validate(r) for r in repo.resources(
        session, ids, subscription_id=subscription_id, limit=limit, offset=offset)]


def sync_states(session: Session, actor: Actor | None, account_id: int | None = None) -> list[SubscriptionSyncOut]:
    """The last sync of each subscription of the caller's accounts."""
    ids = account_ids(session, actor, account_id)
    return [SubscriptionSyncOut.model_validate(r) for r in repo.sync_states(session, ids)] if ids else []


def live_inventory(session: Session, actor: Actor | None) -> LiveInventory:
    """The subscriptions of the caller's accounts that were synced completely at least once,
    and the live resource ids in them. A cost row may be called "resource gone" only when
    its subscription is in `subscriptions`."""
    ids = account_ids(session, actor, None)
    subs = repo.inventoried_subscriptions(session, ids) if ids else set()
    live = repo.live_resource_ids(session, ids, subs) if subs else set()
    return LiveInventory(frozenset(subs), frozenset(live))


def start_sync(db: Database, dispatcher: Dispatcher, actor: Actor | None,
               account_id: int | None = None) -> tuple[JobRunOut, bool]:
    """"Sync now": every account (organisation admins, the installation) or one account
    (editors of one of its workspaces). A sync of it already queued or running is returned
    instead of a second one."""
    workspace_id: int | None = None
    with db.session() as session:
        if account_id is None:
            if actor is not None and not actor.is_admin:
                raise PermissionDenied("syncing every account needs an organisation admin; choose one account")
        else:
            account = accounts.visible_account(session, actor, account_id)
            editable = [w for w in accounts.workspace_ids_of(session, account.id)
                        if actor is None or actor.can_edit(w)]
            if actor is not None and not actor.is_admin and not editable:
                raise PermissionDenied("syncing an account needs the editor role in one of its workspaces")
            workspace_id = editable[0] if editable else None
    return jobs.submit_unique(db, dispatcher, SYNC, key={"account_id": account_id} if account_id else {"all": True},
                              target=f"account {account_id}" if account_id else "all accounts",
                              workspace_id=workspace_id, queued_by=actor.email if actor else "installation")

"""Use cases of the inventory: sync an account's resources from Azure (`sync`), list them,
and tell the costs capability which resources are live (for the "resource gone" reason of
untagged costs). Reads are scoped to the caller's workspaces (`actor=None`: the
installation — CLI, jobs).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from skytally.accounts import guard
from skytally.accounts import repo as accounts_repo
from skytally.accounts.models import AccountKind
from skytally.errors import InvalidInput
from skytally.inventory import repo
from skytally.inventory.schemas import LiveInventory, ResourceOut, SubscriptionSyncOut
from skytally.inventory.sync import Progress, sync_account
from skytally.workspaces.schemas import Actor

__all__ = ["Progress", "account_ids", "list_resources", "live_inventory", "sync_account", "sync_states"]


# --- reading ------------------------------------------------------------------------------
def account_ids(session: Session, actor: Actor | None, account_id: int | None) -> list[int]:
    if account_id is not None:
        return [guard.visible_account(session, actor, account_id).id]
    return [a.id for a in accounts_repo.visible_accounts(session, guard.visible_workspace_filter(actor))
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

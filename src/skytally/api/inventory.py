"""Inventory: the live Azure resources of the caller's cloud accounts, and each
subscription's last sync. Scoped to the accounts of the caller's workspaces."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from skytally.inventory import service
from skytally.inventory.schemas import ResourceOut, SubscriptionSyncOut
from skytally.web.deps import ApiActor, DbSession

router = APIRouter(prefix="/inventory", tags=["inventory"])

AccountId = Annotated[int | None, Query(description="Only this cloud account; default: all you may see")]


@router.get("/resources", response_model=list[ResourceOut], summary="Live resources as the last sync listed them")
def resources(
    session: DbSession, actor: ApiActor, account_id: AccountId = None,
    subscription_id: Annotated[str | None, Query(max_length=36, description="Only this subscription")] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[ResourceOut]:
    return service.list_resources(session, actor, account_id, subscription_id=subscription_id,
                                  limit=limit, offset=offset)


@router.get("/subscriptions", response_model=list[SubscriptionSyncOut],
            summary="Each subscription's last inventory sync (status, message, last success)")
def subscriptions(session: DbSession, actor: ApiActor, account_id: AccountId = None) -> list[SubscriptionSyncOut]:
    return service.sync_states(session, actor, account_id)

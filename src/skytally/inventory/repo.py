"""Every SQL statement of the inventory capability. Never commits."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from skytally.inventory.models import InventoryResource, InventorySubscription
from skytally.inventory.schemas import LiveResource

_CHUNK = 500


def replace_subscription(session: Session, account_id: int, subscription_id: str,
                         resources: Iterable[LiveResource], now: datetime) -> tuple[int, int, int]:
    """Make the subscription's stored resources exactly `resources` (a complete listing):
    new ones are added, missing ones deleted, the others get `last_seen = now`.
    Returns (resources, added, removed)."""
    sub = subscription_id.lower()
    existing: dict[str, int] = {rid: pk for rid, pk in session.execute(
        select(InventoryResource.resource_id, InventoryResource.id).where(
            InventoryResource.account_id == account_id, InventoryResource.subscription_id == sub))}
    incoming = {r.resource_id.lower(): r for r in resources if r.resource_id}
    gone = [pk for rid, pk in existing.items() if rid not in incoming]
    for start in range(0, len(gone), _CHUNK):
        session.execute(delete(InventoryResource).where(InventoryResource.id.in_(gone[start:start + _CHUNK])))
    seen, new = [], []
    for rid, r in incoming.items():
        values = {"name": r.name, "type": r.type, "resource_group": r.resource_group, "location": r.location,
                  "last_seen": now}
        if rid in existing:
            seen.append({"id": existing[rid], **values})
        else:
            new.append({"account_id": account_id, "subscription_id": sub, "resource_id": rid,
                        "first_seen": now, **values})
    if seen:
        session.execute(update(InventoryResource), seen)
    if new:
        session.execute(insert(InventoryResource), new)
    return len(incoming), len(new), len(gone)


def sync_state(session: Session, account_id: int, subscription_id: str) -> InventorySubscription:
    sub = subscription_id.lower()
    row = session.scalar(select(InventorySubscription).where(
        InventorySubscription.account_id == account_id, InventorySubscription.subscription_id == sub))
    if row is None:
        row = InventorySubscription(account_id=account_id, subscription_id=sub)
        session.add(row)
    return row


def sync_states(session: Session, account_ids: Sequence[int]) -> list[InventorySubscription]:
    return list(session.scalars(select(InventorySubscription)
                                .where(InventorySubscription.account_id.in_(account_ids))
                                .order_by(InventorySubscription.account_id, InventorySubscription.subscription_id)))


def inventoried_subscriptions(session: Session, account_ids: Sequence[int]) -> set[str]:
    """Subscriptions of these accounts with at least one complete sync."""
    return set(session.scalars(select(InventorySubscription.subscription_id).where(
        InventorySubscription.account_id.in_(account_ids), InventorySubscription.last_success_at.is_not(None))))


def live_resource_ids(session: Session, account_ids: Sequence[int], subscriptions: Iterable[str]) -> set[str]:
    subs = sorted(subscriptions)
    out: set[str] = set()
    for start in range(0, len(subs), _CHUNK):
        out.update(session.scalars(select(InventoryResource.resource_id).where(
            InventoryResource.account_id.in_(account_ids),
            InventoryResource.subscription_id.in_(subs[start:start + _CHUNK]))))
    return out


def resources(session: Session, account_ids: Sequence[int], *, subscription_id: str | None = None,
              limit: int = 1000, offset: int = 0) -> list[InventoryResource]:
    stmt = select(InventoryResource).where(InventoryResource.account_id.in_(account_ids))
    if subscription_id:
        stmt = stmt.where(InventoryResource.subscription_id == subscription_id.strip().lower())
    stmt = stmt.order_by(InventoryResource.account_id, InventoryResource.resource_id).limit(limit).offset(offset)
    return list(session.scalars(stmt))

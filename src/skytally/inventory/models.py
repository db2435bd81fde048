"""Tables of the inventory capability.

- `InventoryResource`: one live Azure resource of a cloud account, as the last complete
  sync of its subscription listed it (resource id lower-cased, as cost rows are compared
  on it). A resource a complete sync no longer lists is deleted: the table holds what
  exists now. `first_seen`/`last_seen` say when syncs saw it.
- `InventorySubscription`: the sync state of one subscription: last attempt, last
  success, status and message. A subscription "is inventoried" once `last_success_at` is
  set; only then may its cost rows be called `resource_gone`.

The tags (Azure's value at the last sync, the wanted value, source, state) are in
`tag_models`, one row per resource and key.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint, func, text
from sqlalchemy.orm import Mapped, mapped_column

from skytally.store.base import Base, UTCDateTime, utcnow


class SyncStatus(StrEnum):
    OK = "ok"
    FAILED = "failed"  # the last attempt failed; the previous resources are kept


class InventoryResource(Base):
    __tablename__ = "inventory_resources"
    __table_args__ = (
        UniqueConstraint("account_id", "resource_id"),
        # the Resources & Tags list: each sort (with the id tie-break), and the common filters with it
        Index("ix_inventory_resources_name_id", "name", "id"),
        Index("ix_inventory_resources_type_name", "type", "name", "id"),
        Index("ix_inventory_resources_type_id", "type", "id"),
        Index("ix_inventory_resources_rg_id", "resource_group", "id"),
        Index("ix_inventory_resources_sub_id", "subscription_id", "id"),
        Index("ix_inventory_resources_sub_type", "subscription_id", "type", "id"),
        Index("ix_inventory_resources_location_lower", func.lower(text("location")), "id"),
        Index("ix_inventory_resources_location_name", func.lower(text("location")), "name", "id"),
        # name~<text> (LIKE '%text%'): pg_trgm on PostgreSQL (migration 0015, where the extension can be created)
        Index("ix_inventory_resources_name_trgm", func.lower(text("name")), postgresql_using="gin",
              postgresql_ops={"lower(name)": "gin_trgm_ops"}).ddl_if(dialect="postgresql"),
        Index("ix_inventory_resources_last_seen_id", "last_seen", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("cloud_accounts.id", ondelete="CASCADE"), index=True)
    subscription_id: Mapped[str] = mapped_column(String(36))  # lower-case GUID
    resource_id: Mapped[str] = mapped_column(Text)  # lower-cased ARM id
    name: Mapped[str] = mapped_column(String(400), default="")
    type: Mapped[str] = mapped_column(String(200), default="")  # lower-case, as Resource Graph gives it
    resource_group: Mapped[str] = mapped_column(String(200), default="")  # lower case
    location: Mapped[str] = mapped_column(String(64), default="")
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class InventorySubscription(Base):
    __tablename__ = "inventory_subscriptions"
    __table_args__ = (UniqueConstraint("account_id", "subscription_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("cloud_accounts.id", ondelete="CASCADE"), index=True)
    subscription_id: Mapped[str] = mapped_column(String(36))
    status: Mapped[str] = mapped_column(String(16), default=SyncStatus.OK.value)
    message: Mapped[str] = mapped_column(Text, default="")
    resources: Mapped[int] = mapped_column(Integer, default=0)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

"""Tables of the tag part of the inventory.

- `InventoryTag`: one tag key on one resource (one row per key, compared case-insensitively
  as Azure does: `key_lower`). It keeps what Azure had at the last sync or write
  (`azure_key` with Azure's exact casing, `azure_value`; both NULL: Azure does not have the
  key), what is wanted locally (`local_key`, `local_value`; NULL value: the key is wanted
  removed), who or what set it, and the state (see `TagState`).
- `InventoryContainer`: the tags of a subscription (`resource_group` = "") or of a resource
  group, as the last sync read them.
- `TagWrite`: the write-back journal. Each write to Azure is journalled (intent) before it
  is sent and closed after, in its own transaction, so a push killed midway resumes from the
  journal: an open entry is checked against Azure (re-read), never blindly repeated.
- `TagAudit`: every tag change asked for and every change pushed (who, when, resource, key,
  before, after, result).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from skytally.store.base import Base, UTCDateTime, utcnow


class TagState(StrEnum):
    IN_SYNC = "in_sync"  # local value == Azure's
    LOCAL = "local"  # a local value on a subscription that is not written back (or a local-only key)
    PENDING = "pending"  # to be written to Azure by the next push (tags-writeback only)
    CONFLICT = "conflict"  # Azure changed the key since the last sync: the user decides
    FAILED = "failed"  # the last push of it failed (reason says why); pushed again on request


class WriteStatus(StrEnum):
    INTENT = "intent"  # journalled, maybe sent: on resume, re-read Azure to know
    APPLIED = "applied"
    NOT_APPLIED = "not_applied"  # found not applied on resume; the change stays pending
    FAILED = "failed"


class InventoryTag(Base):
    __tablename__ = "inventory_tags"
    __table_args__ = (
        UniqueConstraint("resource_pk", "key_lower"),
        # tag:/has:/lacks: read the resources carrying a key (with a value) from the index alone
        Index("ix_inventory_tags_key_value_resource", "key_lower", "local_value", "resource_pk"),
        # the state filter reads the resources from it without touching the table
        Index("ix_inventory_tags_state_resource", "state", "resource_pk"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_pk: Mapped[int] = mapped_column(ForeignKey("inventory_resources.id", ondelete="CASCADE"))
    key_lower: Mapped[str] = mapped_column(String(512))
    azure_key: Mapped[str | None] = mapped_column(String(512), nullable=True)
    azure_value: Mapped[str | None] = mapped_column(Text, nullable=True)
    local_key: Mapped[str] = mapped_column(String(512))
    local_value: Mapped[str | None] = mapped_column(Text, nullable=True)
    state: Mapped[str] = mapped_column(String(16), default=TagState.IN_SYNC.value)
    reason: Mapped[str] = mapped_column(Text, default="")  # this resource's reason (Azure's words, its id)
    # a failed change's class: Azure's code and a message naming no resource (they group)
    reason_class: Mapped[str] = mapped_column(String(300), default="", server_default="")
    source: Mapped[str] = mapped_column(String(32), default="azure")  # azure | edit | bulk:<op>
    set_by: Mapped[str] = mapped_column(String(320), default="azure")
    set_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class InventoryContainer(Base):
    __tablename__ = "inventory_containers"
    __table_args__ = (UniqueConstraint("account_id", "subscription_id", "resource_group"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("cloud_accounts.id", ondelete="CASCADE"), index=True)
    subscription_id: Mapped[str] = mapped_column(String(36))
    resource_group: Mapped[str] = mapped_column(String(200), default="")  # lower case; "" = the subscription
    name: Mapped[str] = mapped_column(String(400), default="")
    tags: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)  # None: not imported (level resources)


class TagWrite(Base):
    __tablename__ = "tag_writes"
    __table_args__ = (Index("ix_tag_writes_open", "status", "resource_pk"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("cloud_accounts.id", ondelete="CASCADE"))
    subscription_id: Mapped[str] = mapped_column(String(36))
    resource_pk: Mapped[int | None] = mapped_column(ForeignKey("inventory_resources.id", ondelete="SET NULL"),
                                                    nullable=True)
    resource_id: Mapped[str] = mapped_column(Text)
    operation: Mapped[str] = mapped_column(String(8))  # Merge | Delete
    payload: Mapped[dict[str, str]] = mapped_column(JSON)  # the body's tags
    before: Mapped[dict[str, str]] = mapped_column(JSON)  # Azure's tags on these keys before the write
    after: Mapped[dict[str, str]] = mapped_column(JSON)  # ... and after it
    status: Mapped[str] = mapped_column(String(16), default=WriteStatus.INTENT.value)
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class TagAudit(Base):
    __tablename__ = "tag_audit"
    __table_args__ = (Index("ix_tag_audit_at", "at"), Index("ix_tag_audit_resource", "resource_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(320))  # who asked for the change
    pushed_by: Mapped[str] = mapped_column(String(320), default="")  # who ran the push ("" for local edits)
    account_id: Mapped[int] = mapped_column(ForeignKey("cloud_accounts.id", ondelete="CASCADE"), index=True)
    subscription_id: Mapped[str] = mapped_column(String(36))
    resource_id: Mapped[str] = mapped_column(Text)
    key: Mapped[str] = mapped_column(String(512))
    before: Mapped[str | None] = mapped_column(Text, nullable=True)
    after: Mapped[str | None] = mapped_column(Text, nullable=True)
    action: Mapped[str] = mapped_column(String(32))  # set | remove | rename | canonicalise | revert | resolve | push
    result: Mapped[str] = mapped_column(String(16))  # queued | local | applied | failed | conflict | reverted
    reason: Mapped[str] = mapped_column(Text, default="")
    reason_class: Mapped[str] = mapped_column(String(300), default="", server_default="")  # as InventoryTag's
    run_id: Mapped[int | None] = mapped_column(Integer, nullable=True)

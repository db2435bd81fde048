"""Inputs and outputs of the inventory capability."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


@dataclass(frozen=True)
class LiveResource:
    """One resource as Resource Graph lists it (ids and names as Azure writes them)."""

    resource_id: str
    name: str
    type: str
    resource_group: str
    location: str
    subscription_id: str
    tags: dict[str, str] | None = None  # as Azure has them (exact key casing); None: no tags

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> LiveResource:
        return cls(resource_id=str(row.get("id") or ""), name=str(row.get("name") or ""),
                   type=str(row.get("type") or "").lower(), resource_group=str(row.get("resourceGroup") or ""),
                   location=str(row.get("location") or ""),
                   subscription_id=str(row.get("subscriptionId") or "").lower(), tags=tag_map(row.get("tags")))


def tag_map(raw: Any) -> dict[str, str] | None:
    """Azure's tags as a {name: value} dict (names as Azure spells them)."""
    if not isinstance(raw, dict) or not raw:
        return None
    return {str(k): "" if v is None else str(v) for k, v in raw.items()}


@dataclass(frozen=True)
class Container:
    """A subscription (resource_group "") or a resource group, with its tags."""

    subscription_id: str
    resource_group: str
    name: str
    tags: dict[str, str] | None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Container:
        is_sub = str(row.get("type") or "").lower() == "microsoft.resources/subscriptions"
        return cls(subscription_id=str(row.get("subscriptionId") or "").lower(),
                   resource_group="" if is_sub else str(row.get("resourceGroup") or row.get("name") or "").lower(),
                   name=str(row.get("name") or ""), tags=tag_map(row.get("tags")))


@dataclass
class SubscriptionOutcome:
    """What one sync did for one subscription."""

    subscription_id: str
    name: str
    status: str  # ok | failed | skipped
    message: str = ""
    resources: int = 0
    added: int = 0
    removed: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"subscription_id": self.subscription_id, "name": self.name, "status": self.status,
                "message": self.message, "resources": self.resources, "added": self.added,
                "removed": self.removed}


@dataclass
class SyncResult:
    """One cloud account's sync: per subscription outcomes (failures kept, not raised)."""

    account_id: int
    account_name: str
    subscriptions: list[SubscriptionOutcome] = field(default_factory=list)

    @property
    def failures(self) -> list[SubscriptionOutcome]:
        return [s for s in self.subscriptions if s.status == "failed"]

    def to_dict(self) -> dict[str, Any]:
        return {"account_id": self.account_id, "account_name": self.account_name,
                "resources": sum(s.resources for s in self.subscriptions if s.status == "ok"),
                "subscriptions": [s.to_dict() for s in self.subscriptions],
                "failures": [s.to_dict() for s in self.failures]}


@dataclass(frozen=True)
class LiveInventory:
    """What the inventory knows for a caller's scope: the subscriptions synced at least
    once, and the lower-cased ids of their live resources."""

    subscriptions: frozenset[str]
    resource_ids: frozenset[str]


class ResourceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    account_id: int
    subscription_id: str = Field(description="Subscription GUID (lower case)")
    resource_id: str = Field(description="ARM resource id, lower-cased")
    name: str
    type: str = Field(description="Resource type, lower case (e.g. microsoft.compute/virtualmachines)")
    resource_group: str
    location: str
    first_seen: datetime
    last_seen: datetime


class SubscriptionSyncOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    account_id: int
    subscription_id: str
    status: str = Field(description="ok, or failed (the previous resources are kept)")
    message: str
    resources: int
    last_attempt_at: datetime | None
    last_success_at: datetime | None = Field(description="Last complete sync; null: never inventoried")

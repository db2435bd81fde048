"""Inputs and outputs of the tag part of the inventory (shared by web, API and CLI)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class EditOp(StrEnum):
    SET = "set"
    SET_MISSING = "set_missing"  # set only where the key is absent (a default)
    REMOVE = "remove"
    RENAME = "rename"
    CANONICALISE = "canonicalise"  # merge env/Env/ENV into one spelling, values kept
    COPY_FROM_GROUP = "copy_from_group"  # the resource group's value of the key, copied down


class TagEdit(BaseModel):
    """One edit over the resources a filter matches (`where`: the filter grammar)."""

    op: EditOp
    where: str = Field("", description="Filter, e.g. subscription=<id>,type=...,tag:env=prod,lacks:costcenter")
    key: str = Field(..., min_length=1, description="Tag name (for rename: the old name)")
    value: str | None = Field(None, description="Value (set, set_missing)")
    new_key: str | None = Field(None, description="New name (rename) or the chosen spelling (canonicalise)")
    only_missing: bool = Field(False, description="copy_from_group: only where the resource lacks the key")


class TagChangeOut(BaseModel):
    resource_id: str
    name: str
    subscription_id: str
    key: str
    before: str | None = Field(description="Value before (key as spelled); null: absent")
    after: str | None = Field(description="Value after; null: removed")
    before_key: str | None
    after_key: str | None


class EditPlanOut(BaseModel):
    """The dry-run diff of an edit (or what was queued, when applied)."""

    op: EditOp
    where: str
    applied: bool
    resources_matched: int
    resources_changed: int
    changes: int
    by_key: dict[str, int] = Field(description="Changes per key (as written)")
    to_push: int = Field(description="Changes that a push will write to Azure (tags-writeback subscriptions)")
    local_only: int = Field(description="Changes kept in skytally only (subscriptions not at tags-writeback)")
    skipped: dict[str, int] = Field(default_factory=dict, description="Resources left alone, by reason")
    sample: list[TagChangeOut] = Field(description="The first changes (resources × keys, before → after)")


class TagOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    key_lower: str
    azure_key: str | None
    azure_value: str | None
    local_key: str
    local_value: str | None
    state: str
    reason: str  # this resource's reason (Azure's words, naming it)
    reason_class: str = Field("", description="A failed change's class: Azure's code and a message naming no "
                                              "resource (failures group by it)")
    source: str
    set_by: str
    set_at: datetime


class FailureGroupOut(BaseModel):
    """Failed changes that failed for the same reason (Azure's code and message, naming no resource)."""

    reason_class: str
    changes: int
    resources: int
    example: str = Field(description="One resource's reason in Azure's words")


class TagRowOut(BaseModel):
    """A tag of a resource in a list of pending changes or conflicts."""

    account_id: int
    subscription_id: str
    resource_id: str
    name: str
    type: str
    tag: TagOut


class ResourceTagsOut(BaseModel):
    account_id: int
    subscription_id: str
    resource_id: str
    name: str
    type: str
    resource_group: str
    location: str
    taggable: bool
    access_level: str
    tags: list[TagOut]
    group_tags: dict[str, str] | None
    subscription_tags: dict[str, str] | None


class ResourcePageOut(BaseModel):
    total: int  # the number of matches; when `total_exact` is false, more than this many match
    total_exact: bool = True
    offset: int
    limit: int
    items: list[ResourceTagsOut]


class AuditOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    actor: str
    pushed_by: str
    account_id: int
    subscription_id: str
    resource_id: str
    key: str
    before: str | None
    after: str | None
    action: str
    result: str
    reason: str
    run_id: int | None


class AuditPageOut(BaseModel):
    total: int
    items: list[AuditOut]


class Resolution(StrEnum):
    KEEP_AZURE = "keep-azure"
    KEEP_MINE = "keep-mine"


class RevertOut(BaseModel):
    reverted: int

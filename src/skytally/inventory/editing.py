"""What one tag edit does to one resource (pure planning on its stored tags), and how a
planned change is recorded on the tag row.

Names are compared case-insensitively (Azure's rule); a `set` of a key the resource already
has under another spelling keeps that spelling (changing a key's casing is what
`canonicalise` and `rename` are for, and costs a Delete then a Merge in Azure).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from skytally.inventory.models import InventoryResource
from skytally.inventory.tag_models import InventoryTag, TagState
from skytally.inventory.tag_schemas import EditOp, TagEdit


@dataclass
class Change:
    resource: InventoryResource
    key_lower: str
    row: InventoryTag | None
    before_key: str | None
    before_value: str | None
    after_key: str
    after_value: str | None  # None: removed


Current = dict[str, tuple[str, str]]  # key lower → (key as spelled, value)


def current_tags(tags: dict[str, InventoryTag]) -> Current:
    return {k: (t.local_key, t.local_value) for k, t in tags.items() if t.local_value is not None}


def _set(res: InventoryResource, tags: dict[str, InventoryTag], cur: Current, key: str, value: str) -> Change | None:
    low = key.lower()
    old = cur.get(low)
    if old is not None and old[1] == value:
        return None
    return Change(res, low, tags.get(low), old[0] if old else None, old[1] if old else None,
                  old[0] if old else key, value)


def plan(edit: TagEdit, res: InventoryResource, tags: dict[str, InventoryTag],
         group_tags: dict[str, str] | None) -> list[Change] | str:
    """The changes of `edit` on one resource, or why the resource is left alone."""
    cur = current_tags(tags)
    low = edit.key.lower()
    if edit.op is EditOp.SET:
        change = _set(res, tags, cur, edit.key, edit.value or "")
        return [change] if change else []
    if edit.op is EditOp.SET_MISSING:
        if low in cur:
            return "already has the key"
        change = _set(res, tags, cur, edit.key, edit.value or "")
        return [change] if change else []
    if edit.op is EditOp.REMOVE:
        if low not in cur:
            return []
        key, value = cur[low]
        return [Change(res, low, tags.get(low), key, value, key, None)]
    if edit.op is EditOp.CANONICALISE:
        spelling = edit.new_key or edit.key
        old = cur.get(spelling.lower())
        if old is None or old[0] == spelling:
            return []
        return [Change(res, spelling.lower(), tags.get(spelling.lower()), old[0], old[1], spelling, old[1])]
    if edit.op is EditOp.RENAME:
        new = edit.new_key or ""
        old = cur.get(low)
        if old is None:
            return []
        if new.lower() == low:  # only the casing changes
            return [] if old[0] == new else [Change(res, low, tags.get(low), old[0], old[1], new, old[1])]
        target = cur.get(new.lower())
        if target is not None and target[1] != old[1]:
            return f"already has {target[0]} with another value"
        changes = [Change(res, low, tags.get(low), old[0], old[1], old[0], None)]
        if target is None:
            changes.append(Change(res, new.lower(), tags.get(new.lower()), None, None, new, old[1]))
        return changes
    # copy the resource group's value of the key down
    found = {k.lower(): (k, v) for k, v in (group_tags or {}).items()}.get(low)
    if found is None:
        return "its resource group has no such tag"
    if edit.only_missing and low in cur:
        return "already has the key"
    change = _set(res, tags, cur, found[0], found[1])
    return [change] if change else []


def after_tags(tags: dict[str, InventoryTag], changes: list[Change]) -> dict[str, str]:
    """The resource's tags once the changes are made ({key as spelled: value})."""
    cur = current_tags(tags)
    for c in changes:
        if c.after_value is None:
            cur.pop(c.key_lower, None)
        else:
            cur[c.key_lower] = (c.after_key, c.after_value)
    return dict(cur.values())


def state_of(row: InventoryTag, writeback: bool) -> str:
    if row.local_key == row.azure_key and row.local_value == row.azure_value:
        return TagState.IN_SYNC.value
    return TagState.PENDING.value if writeback else TagState.LOCAL.value


def record(change: Change, writeback: bool, who: str, source: str, now: datetime) -> tuple[InventoryTag | None, bool]:
    """Write the change on its tag row. Returns (the row, whether the row is to be deleted:
    a local-only key removed)."""
    row = change.row
    if row is None:
        row = InventoryTag(resource_pk=change.resource.id, key_lower=change.key_lower, azure_key=None,
                           azure_value=None, local_key=change.after_key, local_value=change.after_value)
    else:
        row.local_key = change.after_key
        row.local_value = change.after_value
    if row.local_value is None and row.azure_value is None:
        return row, True
    row.state = state_of(row, writeback)
    row.reason = ""
    row.source, row.set_by, row.set_at = source, who, now
    return row, False


def respelled(before_key: str | None, after_key: str | None) -> str:
    """An audit entry's note when a change only respells its key (the values are the same, so
    "env: Prod → Prod" would not say what changed)."""
    if before_key and after_key and before_key != after_key and before_key.lower() == after_key.lower():
        return f"key spelled {before_key} before"
    return ""

"""What a sync does to the stored tags of one resource, per access level (DESIGN.md §1):

- `resources`: no Azure tag is stored. Values that came from Azure are dropped; local keys
  stay local (state `local`).
- `tags`: Azure's value overwrites the local one per key at each sync; a key Azure removed
  is removed; keys that exist only locally stay local.
- `tags-writeback`: like `tags` for keys in sync; a key with a pending (or failed) local
  change keeps it, unless Azure changed that key since the last sync: then it is a
  *conflict* the user resolves (or in sync, when Azure now has the wanted value).
  Local changes made at a lower level (state `local`: local-only keys, edits not yet
  overwritten by a sync) are local changes too once the subscription is raised to
  `tags-writeback`: the first sync there makes them `pending` (written back by the next
  push), or a conflict if Azure's value is not the one they were made against.

`reconcile` is pure: it returns the inserts, updates and deletes for the resource's rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from skytally.accounts.schemas import AccessLevel
from skytally.inventory.tag_models import TagState

AZURE = "azure"


@dataclass(frozen=True)
class TagRow:
    """The columns of a stored tag a sync needs."""

    id: int
    key_lower: str
    azure_key: str | None
    azure_value: str | None
    local_key: str
    local_value: str | None
    state: str
    source: str


@dataclass
class Changes:
    inserts: list[dict[str, Any]] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    deletes: list[int] = field(default_factory=list)


def _show(key: str | None, value: str | None) -> str:
    return "absent" if key is None or value is None else f"{key}={value!r}"


def reconcile(changes: Changes, resource_pk: int, rows: Mapping[str, TagRow], azure: Mapping[str, str] | None,
              level: str, now: datetime) -> None:
    """Add to `changes` what this sync does to one resource's tag rows."""
    stamp = {"set_at": now}
    if level == AccessLevel.RESOURCES.value:
        for row in rows.values():
            if row.source == AZURE:
                changes.deletes.append(row.id)
            elif row.azure_key is not None or row.state != TagState.LOCAL.value:
                changes.updates.append({"id": row.id, "azure_key": None, "azure_value": None,
                                        "state": TagState.LOCAL.value, "reason": ""})
        return
    writeback = level == AccessLevel.TAGS_WRITEBACK.value
    live = {k.lower(): (k, v) for k, v in (azure or {}).items()}
    for lower, (akey, aval) in live.items():
        found = rows.get(lower)
        if found is None:
            changes.inserts.append({"resource_pk": resource_pk, "key_lower": lower, "azure_key": akey,
                                    "azure_value": aval, "local_key": akey, "local_value": aval,
                                    "state": TagState.IN_SYNC.value, "reason": "", "source": AZURE,
                                    "set_by": AZURE, **stamp})
            continue
        row = found
        same_base = row.azure_key == akey and row.azure_value == aval
        if row.state == TagState.IN_SYNC.value or (not writeback and row.state == TagState.LOCAL.value):
            if same_base and row.local_key == akey and row.local_value == aval and row.state == TagState.IN_SYNC.value:
                continue
            update = {"id": row.id, "azure_key": akey, "azure_value": aval, "local_key": akey, "local_value": aval,
                      "state": TagState.IN_SYNC.value, "reason": ""}
            if row.local_key != akey or row.local_value != aval:
                update.update(source=AZURE, set_by=AZURE, **stamp)
            changes.updates.append(update)
        elif row.local_key == akey and row.local_value == aval:
            changes.updates.append({"id": row.id, "azure_key": akey, "azure_value": aval,
                                    "state": TagState.IN_SYNC.value, "reason": ""})
        elif not same_base or row.azure_key is None:  # (a local-only key Azure now has: the user decides)
            changes.updates.append({
                "id": row.id, "azure_key": akey, "azure_value": aval, "state": TagState.CONFLICT.value,
                "reason": (f"Azure changed this tag from {_show(row.azure_key, row.azure_value)} to "
                           f"{_show(akey, aval)} since it was edited here; keep Azure's or keep yours")})
        elif row.state == TagState.LOCAL.value:  # a local edit made below tags-writeback: now written back
            changes.updates.append({"id": row.id, "state": TagState.PENDING.value, "reason": ""})
    for lower, gone in rows.items():
        if lower in live:
            continue
        if gone.azure_key is None:
            if not writeback and gone.state != TagState.LOCAL.value:
                changes.updates.append({"id": gone.id, "state": TagState.LOCAL.value, "reason": ""})
            elif writeback and gone.state == TagState.LOCAL.value:  # a local-only key: now written back
                if gone.local_value is None:
                    changes.deletes.append(gone.id)
                else:
                    changes.updates.append({"id": gone.id, "state": TagState.PENDING.value, "reason": ""})
            continue  # a key that exists only here stays here
        if not writeback or gone.state in (TagState.IN_SYNC.value, TagState.LOCAL.value) or gone.local_value is None:
            changes.deletes.append(gone.id)  # Azure removed it (or removing it was the wish)
        else:
            changes.updates.append({
                "id": gone.id, "azure_key": None, "azure_value": None, "state": TagState.CONFLICT.value,
                "reason": (f"Azure removed this tag ({_show(gone.azure_key, gone.azure_value)}) since it was edited "
                           "here; keep Azure's (removed) or keep yours")})

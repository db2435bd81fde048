"""ManagementLockObject (locks.json 2020-05-01; examples ManagementLocks_*.json)."""

from __future__ import annotations

from typing import Any

from azure_emulator.world.model import ManagementLock


def lock_json(lock: ManagementLock) -> dict[str, Any]:
    props: dict[str, Any] = {"level": lock.level}
    if lock.notes is not None:
        props["notes"] = lock.notes
    if lock.owners:
        props["owners"] = [{"applicationId": o} for o in lock.owners]
    return {"properties": props, "id": lock.id, "type": "Microsoft.Authorization/locks", "name": lock.name}

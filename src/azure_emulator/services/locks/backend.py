"""Management locks: storage in ``World.locks``, the lock check every guarded write makes.

ARM semantics (locks.json; lock-resources.md): a lock applies at its scope and to everything
below it. ``ReadOnly`` blocks writes and deletes, ``CanNotDelete`` blocks deletes. Deleting a
resource group is also blocked by a lock on anything inside it. The refusal is 409
``ScopeLocked``: "The scope '<target>' cannot perform <write|delete> operation because
following scope(s) are locked: '<lock scope>'. Please remove the lock and try again."
"""

from __future__ import annotations

import re
from typing import Any, Literal

from azure_emulator.core.arm import ParsedScope
from azure_emulator.core.errors import ApiError, arm_error
from azure_emulator.world.model import LockLevel, ManagementLock, World

Operation = Literal["write", "delete"]
LEVELS: tuple[LockLevel, ...] = ("NotSpecified", "CanNotDelete", "ReadOnly")
_BAD_NAME = re.compile(r"[<>%&:\\?/\x00-\x1f\x7f]")


def _under(scope: str, parent: str) -> bool:
    return scope == parent or scope.startswith(parent + "/")


def blocking(world: World, target: str, operation: Operation, *, include_below: bool = False) -> list[ManagementLock]:
    """Locks that forbid ``operation`` on ``target`` (and, with ``include_below``, on anything
    inside it: deleting a resource group)."""
    t = target.lower().rstrip("/")
    out = []
    for lock in world.locks.values():
        ls = lock.scope.lower().rstrip("/")
        if not (_under(t, ls) or (include_below and _under(ls, t))):
            continue
        if lock.level == "ReadOnly" or (operation == "delete" and lock.level == "CanNotDelete"):
            out.append(lock)
    return out


def scope_locked(target: str, operation: Operation, locks: list[ManagementLock]) -> ApiError:
    scopes: list[str] = []
    for lock in locks:
        if lock.scope not in scopes:
            scopes.append(lock.scope)
    listed = ",".join(f"'{s}'" for s in scopes)
    return arm_error(
        409,
        "ScopeLocked",
        f"The scope '{target}' cannot perform {operation} operation because following scope(s) are locked: "
        f"{listed}. Please remove the lock and try again.",
    )


def check(world: World, target: str, operation: Operation, *, message_scope: str | None = None,
          include_below: bool = False) -> None:
    """Raise ScopeLocked when a lock forbids the operation."""
    locks = blocking(world, target, operation, include_below=include_below)
    if locks:
        raise scope_locked(message_scope or target, operation, locks)


# --- CRUD -----------------------------------------------------------------------------------


def lock_not_found(name: str) -> ApiError:
    return arm_error(404, "LockNotFound", f"The lock '{name}' could not be found.")


def get(world: World, scope: ParsedScope, name: str) -> ManagementLock:
    lock = world.locks.get(f"{scope.path}/providers/Microsoft.Authorization/locks/{name}".lower())
    if lock is None:
        raise lock_not_found(name)
    return lock


def list_for(world: World, scope: ParsedScope, at_scope_only: bool) -> list[ManagementLock]:
    """Locks that apply to the scope (at or above it) and, unless ``atScope()``, those below it."""
    s = scope.lower.rstrip("/")
    out = []
    for lock in world.locks.values():
        ls = lock.scope.lower().rstrip("/")
        if _under(s, ls) or (not at_scope_only and _under(ls, s)):
            out.append(lock)
    return out


def validate(name: str, body: dict[str, Any]) -> tuple[LockLevel, str | None, list[str]]:
    if not name or len(name) > 260 or _BAD_NAME.search(name):
        raise arm_error(400, "InvalidLockName", f"The lock name '{name}' is invalid. It can be at most 260 characters "
                                                "and cannot contain <, > %, &, :, \\, ?, / or control characters.")
    props = body.get("properties")
    if not isinstance(props, dict):
        raise arm_error(400, "InvalidRequestContent", "The request content was invalid: 'properties' is required.")
    level = props.get("level")
    match = next((lv for lv in LEVELS if isinstance(level, str) and lv.lower() == level.lower()), None)
    if match is None:
        raise arm_error(400, "InvalidLockLevel", f"The lock level '{level}' is invalid. Allowed values are "
                                                 "'CanNotDelete', 'ReadOnly' and 'NotSpecified'.")
    notes = props.get("notes")
    if notes is not None and (not isinstance(notes, str) or len(notes) > 512):
        raise arm_error(400, "InvalidLockNotes", "The lock notes can be at most 512 characters.")
    owners = [str(o.get("applicationId")) for o in props.get("owners") or [] if isinstance(o, dict)]
    return match, notes, owners


def put(world: World, scope_path: str, name: str, level: LockLevel, notes: str | None, owners: list[str]) -> tuple[ManagementLock, bool]:
    key = f"{scope_path}/providers/Microsoft.Authorization/locks/{name}".lower()
    existing = world.locks.get(key)
    if existing is not None:
        existing.level, existing.notes, existing.owners = level, notes, owners
        return existing, False
    lock = ManagementLock(name=name, scope=scope_path, level=level, notes=notes, owners=owners, created=world.clock.now())
    world.locks[key] = lock
    return lock, True


def delete(world: World, scope: ParsedScope, name: str) -> bool:
    return world.locks.pop(f"{scope.path}/providers/Microsoft.Authorization/locks/{name}".lower(), None) is not None

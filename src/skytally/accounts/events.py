"""What other capabilities hear from accounts: a subscription's access level changed.

Accounts sits below the inventory (import-linter layers), so it cannot call the inventory
when a level changes; the inventory registers a listener instead (`runtime.build_runtime`
wires it, for every interface and worker). Listeners run in the caller's session and
transaction: the level and what follows from it are committed together, or neither is.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

# (session, account id, subscription id, old level, new level)
AccessListener = Callable[["Session", int, str, str, str], None]

_listeners: list[AccessListener] = []


def on_access_change(listener: AccessListener) -> None:
    """Call `listener` after every change of a subscription's access level (idempotent)."""
    if listener not in _listeners:
        _listeners.append(listener)


def access_changed(session: Session, account_id: int, subscription_id: str, old: str, new: str) -> None:
    if old == new:
        return
    session.flush()
    for listener in list(_listeners):
        listener(session, account_id, subscription_id, old, new)

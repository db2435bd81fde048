"""The parts of a tag push that are not the push's flow: its tallies, Azure's reasons, and
the comparisons of Azure's tags with a journalled write (`writeback`)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from azure.core.exceptions import HttpResponseError

from skytally.inventory.tag_models import TagWrite

GONE = "the resource no longer exists in Azure (deleted since the last sync)"


class AccessLost(Exception):
    """Azure answered 403 AuthorizationFailed: the role for write-back is missing."""


@dataclass
class Tally:
    """Counts of one subscription's push (updated from several threads)."""

    applied: int = 0
    already: int = 0
    failed: int = 0
    conflicts: int = 0
    writes: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, name: str, n: int = 1) -> None:
        with self._lock:
            setattr(self, name, getattr(self, name) + n)

    def fail(self, reason: str, n: int = 1) -> None:
        with self._lock:
            self.failed += n
            self.reasons[reason[:200]] = self.reasons.get(reason[:200], 0) + n

    def counts(self) -> dict[str, Any]:
        with self._lock:
            return {"applied": self.applied, "already": self.already, "failed": self.failed,
                    "conflicts": self.conflicts, "writes": self.writes, "reasons": dict(self.reasons)}


def before_of(entry: TagWrite, key: str) -> str | None:
    for k, v in entry.before.items():
        if k.lower() == key.lower():
            return v
    return None


def holds(live: dict[str, str], payload: dict[str, str], after: dict[str, str], *, exact_before: bool = False) -> bool:
    """Whether Azure's tags show the state `after` on the keys of `payload` (a Delete's
    after is {}: every key absent). `exact_before`: check the `before` state instead."""
    live_l = {k.lower(): (k, v) for k, v in live.items()}
    for key in payload:
        want = after.get(key) if not exact_before else next((v for k, v in after.items() if k.lower() == key.lower()),
                                                           None)
        got = live_l.get(key.lower())
        if want is None:
            if got is not None:
                return False
        elif got is None or got[1] != want or (not exact_before and got[0] != key):
            return False
    return True


def show(key: str | None, value: str | None) -> str:
    return "absent" if key is None or value is None else f"{key}={value!r}"


def code_of(exc: HttpResponseError) -> str:
    return str(getattr(exc.error, "code", "") or "")


def first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "message", None) or exc).strip()
    return text.splitlines()[0][:300] if text else type(exc).__name__


def azure_reason(exc: HttpResponseError) -> str:
    code = code_of(exc)
    message = str(getattr(exc.error, "message", "") or exc.message or exc)
    return f"Azure answered {exc.status_code} {code}: {message}".strip()[:2000]

"""The parts of a tag push that are not the push's flow: its tallies, Azure's reasons, and
the comparisons of Azure's tags with a journalled write (`writeback`).

A failed change keeps two things (`Failure`): its *class* — Azure's status and error code
with a message that is the same for every resource ("409 ScopeLocked: a ReadOnly lock
…"), so the pending view, the API and the CLI can group 300 locked resources into one
line — and its *detail*, Azure's own words for that resource (which quote its id)."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from typing import Any

from azure.core.exceptions import HttpResponseError

from skytally.inventory.tag_models import TagWrite

GONE = "the resource no longer exists in Azure (deleted since the last sync)"


@dataclass(frozen=True)
class Failure:
    """Why a change failed: `kind` groups (the same for every resource), `detail` is this
    resource's reason."""

    kind: str
    detail: str


# Azure's error codes a push meets, with a message that names no resource.
_KINDS = {
    "ScopeLocked": "a ReadOnly lock on the resource, its group or its subscription refuses tag writes",
    "RequestDisallowedByPolicy": "an Azure Policy assignment denies the tag write",
    "AuthorizationFailed": "skytally's identity lacks the Tag Contributor role on the subscription",
    "ResourceNotFound": "the resource no longer exists in Azure",
}
GONE_FAILURE = Failure("404 ResourceNotFound: the resource no longer exists in Azure (deleted since the last sync)",
                       GONE)
NO_ANSWER = "no answer from Azure (a timeout or a dropped connection); push again"
CHANGED = "Azure's tags changed while a write's answer was lost; sync and push again"
_ARM_ID = re.compile(r"/subscriptions/[^\s'\"]*", re.IGNORECASE)
_GUID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.IGNORECASE)
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")


def failure_of(exc: HttpResponseError) -> Failure:
    """Azure's refusal as a class (its code and a message naming no resource) and detail."""
    code = code_of(exc) or "Error"
    status = exc.status_code or ""
    generic = _KINDS.get(code)
    if generic is None:  # an unknown code: Azure's message without the ids and names it quotes
        message = str(getattr(exc.error, "message", "") or exc.message or exc).splitlines()[0]
        generic = _QUOTED.sub("…", _GUID.sub("…", _ARM_ID.sub("…", message)))[:300]
    return Failure(f"{status} {code}: {generic}".strip(), azure_reason(exc))


def failure(kind: str, detail: str = "") -> Failure:
    return Failure(kind, detail or kind)


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

    def fail(self, kind: str, n: int = 1) -> None:
        """`kind`: the failure's class (so that the reasons group)."""
        with self._lock:
            self.failed += n
            self.reasons[kind[:300]] = self.reasons.get(kind[:300], 0) + n

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

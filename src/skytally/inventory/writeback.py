"""Write-back of pending tag changes to Azure, one resource at a time (DESIGN.md §5).

For each resource: re-read its tags right before writing (Azure's tags carry no ETag);
settle any journalled write a killed push left open (applied or not, as Azure now shows);
a key Azure changed since the last sync becomes a *conflict*; removals and key-casing
changes go out as PATCH `Delete` (with the value: Azure deletes only that name/value
pair), sets as PATCH `Merge`; never `Replace`, never anything but tags.

Exactly once: each write is journalled (`TagWrite`, status intent) and committed before it
is sent, and closed with its result in one transaction with the tag rows and the audit
entries. A write whose answer was lost (timeout, dropped connection) is re-read, not
repeated: Azure showing the "after" state means it was applied. A push killed anywhere
resumes from the journal to the same end state; a casing change killed between its Delete
and its Merge finishes with the Merge.

Azure refusing a write fails that change with Azure's reason (ReadOnly lock: 409
ScopeLocked; policy: 403 RequestDisallowedByPolicy; resource deleted: 404) and the push
goes on; a 403 AuthorizationFailed (the role is missing) marks the subscription's access
degraded and stops that subscription's push.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from azure.core.exceptions import HttpResponseError, ServiceRequestError, ServiceResponseError
from azure.mgmt.resource.resources import ResourceManagementClient
from azure.mgmt.resource.resources.models import Tags, TagsPatchResource
from sqlalchemy import select

from skytally.accounts import service as accounts
from skytally.inventory.models import InventoryResource
from skytally.inventory.pacing import Pacer
from skytally.inventory.tag_models import InventoryTag, TagAudit, TagState, TagWrite, WriteStatus
from skytally.store.base import utcnow
from skytally.store.db import Database

log = logging.getLogger(__name__)

PUSHED_STATES = (TagState.PENDING.value, TagState.FAILED.value)
GONE = "the resource no longer exists in Azure (deleted since the last sync)"
_ATTEMPTS = 3


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


@dataclass
class Pusher:
    """Pushes one subscription's pending changes."""

    db: Database
    client: ResourceManagementClient
    account_id: int
    subscription_id: str
    pushed_by: str
    run_id: int | None
    pacer: Pacer
    tally: Tally = field(default_factory=Tally)
    on_resource: Callable[[], None] = lambda: None

    # --- Azure ---------------------------------------------------------------------------
    def _hook(self, response: Any) -> None:
        self.pacer.observe(response.http_response.headers)

    def read(self, scope: str) -> dict[str, str]:
        self.pacer.reads.take()
        found = self.client.tags.get_at_scope(scope, raw_response_hook=self._hook)
        tags = found.properties.tags if found.properties else None
        return dict(tags or {})

    def _send(self, scope: str, operation: str, payload: dict[str, str]) -> None:
        self.pacer.writes.take()
        self.tally.add("writes")
        self.client.tags.begin_update_at_scope(
            scope, TagsPatchResource(operation=operation, properties=Tags(tags=payload)),
            raw_response_hook=self._hook).result()

    # --- one resource ----------------------------------------------------------------------
    def push_resource(self, pk: int) -> None:
        with self.db.session() as s:
            res = s.get(InventoryResource, pk)
            if res is None:
                return
            scope = res.resource_id
            opens = list(s.scalars(select(TagWrite).where(TagWrite.resource_pk == pk,
                                                          TagWrite.status == WriteStatus.INTENT.value)))
            open_ids = [(w.id, w.operation, dict(w.payload), dict(w.after)) for w in opens]
        try:
            live = self.read(scope)
        except HttpResponseError as exc:
            if exc.status_code == 404:
                self._fail_all(pk, GONE, [w[0] for w in open_ids])
                return
            self._refused(exc)
            self._fail_all(pk, _azure_reason(exc), [])
            return
        for write_id, _op, payload, after in open_ids:
            self._settle(pk, write_id, _holds(live, payload, after))
        deletes, merges = self._plan(pk, live)
        if deletes and not self._write(pk, scope, "Delete", deletes, live):
            return
        if merges:
            self._write(pk, scope, "Merge", merges, live)

    def _plan(self, pk: int, live: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
        """Conflicts and already-done keys are settled here; returns (deletes, merges)."""
        live_l = {k.lower(): (k, v) for k, v in live.items()}
        deletes: dict[str, str] = {}
        merges: dict[str, str] = {}
        now = utcnow()
        with self.db.session() as s:
            for row in s.scalars(select(InventoryTag).where(InventoryTag.resource_pk == pk,
                                                            InventoryTag.state.in_(PUSHED_STATES))):
                cur_key, cur_value = live_l.get(row.key_lower, (None, None))
                wanted_absent = row.local_value is None
                if (wanted_absent and cur_key is None) or (cur_key == row.local_key and cur_value == row.local_value):
                    self.tally.add("already")
                    self._audit(s, pk, row, row.azure_value, row.local_value, "applied", "Azure already had it", now)
                    if wanted_absent:
                        s.delete(row)
                    else:
                        row.azure_key, row.azure_value, row.state, row.reason = cur_key, cur_value, TagState.IN_SYNC.value, ""
                elif (cur_key, cur_value) != (row.azure_key, row.azure_value):
                    self.tally.add("conflicts")
                    row.reason = (f"Azure changed this tag from {_show(row.azure_key, row.azure_value)} to "
                                  f"{_show(cur_key, cur_value)} since the last sync; keep Azure's or keep yours")
                    row.azure_key, row.azure_value, row.state = cur_key, cur_value, TagState.CONFLICT.value
                    self._audit(s, pk, row, cur_value, row.local_value, "conflict", row.reason, now)
                elif wanted_absent:
                    assert cur_key is not None and cur_value is not None
                    deletes[cur_key] = cur_value
                else:
                    assert row.local_value is not None
                    if cur_key is not None and cur_key != row.local_key:  # casing: Delete, then Merge
                        assert cur_value is not None
                        deletes[cur_key] = cur_value
                    merges[row.local_key] = row.local_value
        return deletes, merges

    def _write(self, pk: int, scope: str, operation: str, payload: dict[str, str], live: dict[str, str]) -> bool:
        """Journal, send, close. Returns whether the write is applied."""
        before = {k: v for k, v in live.items() if k.lower() in {p.lower() for p in payload}}
        after = {} if operation == "Delete" else dict(payload)
        with self.db.session() as s:
            entry = TagWrite(run_id=self.run_id, account_id=self.account_id, subscription_id=self.subscription_id,
                             resource_pk=pk, resource_id=scope, operation=operation, payload=payload,
                             before=before, after=after)
            s.add(entry)
            s.flush()
            write_id = entry.id
        reason = ""
        applied = False
        for _ in range(_ATTEMPTS):
            try:
                self._send(scope, operation, payload)
                applied = True
                break
            except (ServiceResponseError, ServiceRequestError, HttpResponseError) as exc:
                if isinstance(exc, HttpResponseError) and exc.status_code is not None:
                    if exc.status_code == 404:
                        reason = GONE
                    else:
                        self._refused(exc, write_id=write_id)
                        reason = _azure_reason(exc)
                    break
                # the answer was lost (timeout, connection dropped mid-answer): re-read, never resend blindly
                try:
                    now_live = self.read(scope)
                except Exception as again:
                    reason = f"Azure did not answer ({_first(exc)}) and re-reading failed ({_first(again)})"
                    break
                if _holds(now_live, payload, after):
                    applied = True
                    break
                if not _holds(now_live, payload, before, exact_before=True):
                    reason = "Azure's tags changed while the write's answer was lost; sync and push again"
                    break
                reason = f"Azure did not answer: {_first(exc)}"
        self._settle(pk, write_id, applied, "" if applied else (reason or "Azure did not answer; push again"))
        return applied

    def _settle(self, pk: int, write_id: int, applied: bool, reason: str = "") -> None:
        """Close a journal entry and bring the tag rows (and audit) in line, in one transaction."""
        now = utcnow()
        with self.db.session() as s:
            entry = s.get(TagWrite, write_id)
            if entry is None or entry.status != WriteStatus.INTENT.value:
                return
            rows = {t.key_lower: t for t in s.scalars(select(InventoryTag).where(InventoryTag.resource_pk == pk))}
            if reason == "" and not applied:  # found not applied on resume: still pending
                entry.status, entry.finished_at = WriteStatus.NOT_APPLIED.value, now
                return
            entry.status = (WriteStatus.APPLIED if applied else WriteStatus.FAILED).value
            entry.reason, entry.finished_at = reason[:2000], now
            for key, value in entry.payload.items():
                row = rows.get(key.lower())
                if row is None:
                    continue
                if not applied:
                    self.tally.fail(reason)
                    row.state, row.reason = TagState.FAILED.value, reason[:2000]
                    self._audit(s, pk, row, row.azure_value, row.local_value, "failed", reason, now)
                elif entry.operation == "Delete":
                    if row.local_value is None:
                        self.tally.add("applied")
                        self._audit(s, pk, row, value, None, "applied", "", now)
                        s.delete(row)
                    else:  # the first half of a casing change
                        row.azure_key = row.azure_value = None
                else:
                    self.tally.add("applied")
                    self._audit(s, pk, row, _before(entry, key), value, "applied", "", now)
                    row.azure_key, row.azure_value, row.state, row.reason = key, value, TagState.IN_SYNC.value, ""

    # --- failures ---------------------------------------------------------------------------
    def _fail_all(self, pk: int, reason: str, open_writes: list[int]) -> None:
        now = utcnow()
        with self.db.session() as s:
            for write_id in open_writes:
                entry = s.get(TagWrite, write_id)
                if entry is not None:
                    entry.status, entry.reason, entry.finished_at = WriteStatus.FAILED.value, reason, now
            for row in s.scalars(select(InventoryTag).where(InventoryTag.resource_pk == pk,
                                                            InventoryTag.state.in_(PUSHED_STATES))):
                self.tally.fail(reason)
                row.state, row.reason = TagState.FAILED.value, reason[:2000]
                self._audit(s, pk, row, row.azure_value, row.local_value, "failed", reason, now)

    def _refused(self, exc: HttpResponseError, write_id: int | None = None) -> None:
        if exc.status_code == 403 and _code(exc) == "AuthorizationFailed":
            reason = (f"tag write-back refused by Azure: {_azure_reason(exc)}; give skytally's identity the Tag "
                      "Contributor role on the subscription, then set the access level again")
            with self.db.session() as s:
                accounts.mark_access_degraded(s, self.account_id, self.subscription_id, reason)
                if write_id is not None:
                    entry = s.get(TagWrite, write_id)
                    if entry is not None:
                        entry.status, entry.reason, entry.finished_at = WriteStatus.FAILED.value, reason, utcnow()
            raise AccessLost(reason)

    def _audit(self, s: Any, pk: int, row: InventoryTag, before: str | None, after: str | None, result: str,
               reason: str, now: Any) -> None:
        res = s.get(InventoryResource, pk)
        s.add(TagAudit(at=now, actor=row.set_by, pushed_by=self.pushed_by, account_id=self.account_id,
                       subscription_id=self.subscription_id, resource_id=res.resource_id if res else "",
                       key=row.local_key, before=before, after=after, action="push", result=result,
                       reason=reason[:2000], run_id=self.run_id))


def _before(entry: TagWrite, key: str) -> str | None:
    for k, v in entry.before.items():
        if k.lower() == key.lower():
            return v
    return None


def _holds(live: dict[str, str], payload: dict[str, str], after: dict[str, str], *, exact_before: bool = False) -> bool:
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


def _show(key: str | None, value: str | None) -> str:
    return "absent" if key is None or value is None else f"{key}={value!r}"


def _code(exc: HttpResponseError) -> str:
    return str(getattr(exc.error, "code", "") or "")


def _first(exc: BaseException) -> str:
    text = str(getattr(exc, "message", None) or exc).strip()
    return text.splitlines()[0][:300] if text else type(exc).__name__


def _azure_reason(exc: HttpResponseError) -> str:
    code = _code(exc)
    message = str(getattr(exc.error, "message", "") or exc.message or exc)
    return f"Azure answered {exc.status_code} {code}: {message}".strip()[:2000]

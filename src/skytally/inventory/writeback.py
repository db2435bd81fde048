"""Write-back of pending tag changes to Azure, one resource at a time (DESIGN.md §5).

For each resource: re-read its tags right before writing (Azure's tags carry no ETag);
settle any journalled write a killed push left open (applied or not, as Azure now shows);
a key Azure changed since the last sync becomes a *conflict*; removals and key-casing
changes go out as PATCH `Delete` (with the value: Azure deletes only that name/value
pair), sets as PATCH `Merge`; never `Replace`, never anything but tags.

Resources are pushed a batch at a time (`push_batch`): their tags are re-read from Azure
at once, then one transaction settles what a killed push left open, records conflicts and
journals every write of the batch; the writes go out at once (paced); one transaction
closes them. Two transactions per batch instead of two per resource: forty threads
committing one resource each queued on SQLite's single writer.

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
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from azure.core.exceptions import HttpResponseError, ServiceRequestError, ServiceResponseError
from azure.mgmt.resource.resources import ResourceManagementClient
from azure.mgmt.resource.resources.models import Tags, TagsPatchResource
from sqlalchemy import select
from sqlalchemy.orm import Session

from skytally.accounts import service as accounts
from skytally.inventory.editing import respelled
from skytally.inventory.models import InventoryResource
from skytally.inventory.pacing import Pacer
from skytally.inventory.push_support import (
    CHANGED,
    GONE,
    GONE_FAILURE,
    NO_ANSWER,
    AccessLost,
    Failure,
    Tally,
    azure_reason,
    before_of,
    code_of,
    failure,
    failure_of,
    first_line,
    holds,
    show,
)
from skytally.inventory.tag_models import InventoryTag, TagAudit, TagState, TagWrite, WriteStatus
from skytally.store.base import utcnow
from skytally.store.db import Database

log = logging.getLogger(__name__)

__all__ = ["GONE", "AccessLost", "Pusher", "Tally"]

PUSHED_STATES = (TagState.PENDING.value, TagState.FAILED.value)
_ATTEMPTS = 3


class _Serial(Executor):
    """Runs each call at once in the caller's thread (a batch without a pool)."""

    def map(self, fn: Callable[..., Any], *iterables: Iterable[Any], timeout: float | None = None,
            chunksize: int = 1) -> Any:
        return [fn(*args) for args in zip(*iterables, strict=True)]


@dataclass
class _Write:
    """One journalled write of a batch and, once sent, its outcome."""

    pk: int
    scope: str
    operation: str
    payload: dict[str, str]
    before: dict[str, str]
    after: dict[str, str]
    write_id: int = 0
    applied: bool = False
    failure: Failure | None = None
    stopped: AccessLost | None = None
    entry: TagWrite | None = None  # until the journal is flushed


# Database sessions a push's batch threads hold at once. A push runs up to 3 batches per
# subscription over up to 64 subscriptions; without a limit they wait on SQLAlchemy's
# connection pool (5 + 10 overflow), whose 30 s deadline failed whole batches when the
# worker was slowed down (seen: ~490 changes "QueuePool limit ... reached" and SQLite
# "database is locked" under a profiler). Here they wait without a deadline, and the job's
# heartbeat and the worker's other jobs keep connections of their own.
SESSIONS_AT_ONCE = 6

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
    calls: Executor = field(default_factory=_Serial)  # the Azure calls of a batch run through it
    # shared by every subscription of one push: see SESSIONS_AT_ONCE
    sessions: threading.Semaphore = field(default_factory=lambda: threading.Semaphore(SESSIONS_AT_ONCE))

    @contextmanager
    def _session(self) -> Iterator[Session]:
        """A unit of work, once one of the push's session slots is free (never nested: a batch
        holds none while its Azure calls run, so a call that records a refusal gets one)."""
        with self.sessions, self.db.session() as s:
            yield s

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

    # --- a batch of resources ----------------------------------------------------------------
    def push_resource(self, pk: int) -> None:
        self.push_batch([pk])

    def push_batch(self, pks: list[int]) -> None:
        """Re-read, plan and journal, write, close: see the module's docstring. Raises
        AccessLost (after closing what was written) when the role is missing."""
        with self._session() as s:
            scopes = dict(s.execute(select(InventoryResource.id, InventoryResource.resource_id).where(
                InventoryResource.id.in_(pks))).all())
        order = [pk for pk in pks if pk in scopes]
        lives = list(self.calls.map(self._read_or_reason, [scopes[pk] for pk in order]))
        stop = next((x for x in lives if isinstance(x, AccessLost)), None)
        if stop is not None:
            raise stop
        live = {pk: x for pk, x in zip(order, lives, strict=True) if isinstance(x, dict)}
        refused = {pk: x for pk, x in zip(order, lives, strict=True) if isinstance(x, Failure)}
        merges_after: dict[int, tuple[dict[str, str], dict[str, str]]] = {}
        with self._session() as s:
            opens: dict[int, list[TagWrite]] = {}
            for entry in s.scalars(select(TagWrite).where(TagWrite.resource_pk.in_(order),
                                                          TagWrite.status == WriteStatus.INTENT.value)):
                opens.setdefault(entry.resource_pk or 0, []).append(entry)
            rows = self._rows(s, order)
            writes: list[_Write] = []
            for pk in order:
                if pk in refused:  # gone (404) or refused on reading: its open writes and changes fail
                    self._fail_all(s, pk, scopes[pk], refused[pk], opens.get(pk, []), rows.get(pk, {}))
                    continue
                for entry in opens.get(pk, []):
                    self._settle(s, pk, scopes[pk], entry, holds(live[pk], entry.payload, entry.after), None,
                                 rows.get(pk, {}))
                deletes, merges = self._plan(s, pk, scopes[pk], live[pk], rows.get(pk, {}))
                if deletes:
                    writes.append(self._journal(s, pk, scopes[pk], "Delete", deletes, live[pk]))
                    if merges:
                        merges_after[pk] = (merges, live[pk])
                elif merges:
                    writes.append(self._journal(s, pk, scopes[pk], "Merge", merges, live[pk]))
            self._flush_journal(s, writes)
        # the journal is committed: only now do the writes go out
        stopped = self._send_and_close(writes)
        done = {w.pk for w in writes if w.applied}
        second = [(pk, m) for pk, m in merges_after.items() if pk in done]  # a casing change: Delete, then Merge
        if second and stopped is None:
            with self._session() as s:
                writes = [self._journal(s, pk, scopes[pk], "Merge", merges, live_) for pk, (merges, live_) in second]
                self._flush_journal(s, writes)
            stopped = self._send_and_close(writes)
        for _pk in order:
            self.on_resource()
        if stopped is not None:
            raise stopped

    def _read_or_reason(self, scope: str) -> dict[str, str] | Failure | AccessLost:
        """Azure's tags now, or why they cannot be read, or AccessLost."""
        try:
            return self.read(scope)
        except HttpResponseError as exc:
            if exc.status_code == 404:
                return GONE_FAILURE
            try:
                self._refused(exc)
            except AccessLost as lost:
                return lost
            return failure_of(exc)
        except Exception as exc:  # an outage on one resource: that resource fails, the push goes on
            log.warning("re-reading %s failed: %s", scope, exc)
            return failure("re-reading the resource's tags failed; push again",
                           f"re-reading the resource's tags failed: {first_line(exc)}")

    def _rows(self, s: Session, pks: list[int]) -> dict[int, dict[str, InventoryTag]]:
        rows: dict[int, dict[str, InventoryTag]] = {}
        for row in s.scalars(select(InventoryTag).where(InventoryTag.resource_pk.in_(pks))):
            rows.setdefault(row.resource_pk, {})[row.key_lower] = row
        return rows

    def _send_and_close(self, writes: list[_Write]) -> AccessLost | None:
        if not writes:
            return None
        list(self.calls.map(self._send_one, writes))
        with self._session() as s:
            entries = {e.id: e for e in s.scalars(select(TagWrite).where(TagWrite.id.in_([w.write_id for w in writes])))}
            rows = self._rows(s, [w.pk for w in writes])
            for w in writes:
                if w.stopped is None and w.write_id in entries:
                    self._settle(s, w.pk, w.scope, entries[w.write_id], w.applied,
                                 None if w.applied else (w.failure or failure(NO_ANSWER)), rows.get(w.pk, {}))
        return next((w.stopped for w in writes if w.stopped is not None), None)

    def _plan(self, s: Session, pk: int, scope: str, live: dict[str, str],
              rows: dict[str, InventoryTag]) -> tuple[dict[str, str], dict[str, str]]:
        """Conflicts and already-done keys are settled here; returns (deletes, merges)."""
        live_l = {k.lower(): (k, v) for k, v in live.items()}
        deletes: dict[str, str] = {}
        merges: dict[str, str] = {}
        now = utcnow()
        for row in list(rows.values()):
            if row.state not in PUSHED_STATES:
                continue
            cur_key, cur_value = live_l.get(row.key_lower, (None, None))
            wanted_absent = row.local_value is None
            if (wanted_absent and cur_key is None) or (cur_key == row.local_key and cur_value == row.local_value):
                self.tally.add("already")
                self._audit(s, scope, row, row.azure_value, row.local_value, "applied", "Azure already had it", now)
                if wanted_absent:
                    s.delete(row)
                    rows.pop(row.key_lower, None)
                else:
                    row.azure_key, row.azure_value, row.state, row.reason = cur_key, cur_value, TagState.IN_SYNC.value, ""
            elif (cur_key, cur_value) != (row.azure_key, row.azure_value):
                self.tally.add("conflicts")
                row.reason = (f"Azure changed this tag from {show(row.azure_key, row.azure_value)} to "
                              f"{show(cur_key, cur_value)} since the last sync; keep Azure's or keep yours")
                row.azure_key, row.azure_value, row.state = cur_key, cur_value, TagState.CONFLICT.value
                self._audit(s, scope, row, cur_value, row.local_value, "conflict", row.reason, now)
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

    def _journal(self, s: Session, pk: int, scope: str, operation: str, payload: dict[str, str],
                 live: dict[str, str]) -> _Write:
        wanted = {p.lower() for p in payload}
        before = {k: v for k, v in live.items() if k.lower() in wanted}
        after = {} if operation == "Delete" else dict(payload)
        entry = TagWrite(run_id=self.run_id, account_id=self.account_id, subscription_id=self.subscription_id,
                         resource_pk=pk, resource_id=scope, operation=operation, payload=payload,
                         before=before, after=after)
        s.add(entry)
        return _Write(pk, scope, operation, payload, before, after, entry=entry)

    @staticmethod
    def _flush_journal(s: Session, writes: list[_Write]) -> None:
        """One flush for the batch's journal entries, then their ids into the writes."""
        s.flush()
        for write in writes:
            assert write.entry is not None
            write.write_id, write.entry = write.entry.id, None

    def _send_one(self, w: _Write) -> None:
        """Send a journalled write; its outcome goes into `w` (closed by the caller)."""
        try:
            w.applied, w.failure = self._attempts(w)
        except AccessLost as exc:
            w.stopped = exc
        except Exception as exc:  # a bug or an outage on one write: it fails, the push goes on
            log.exception("writing tags of %s failed", w.scope)
            w.applied, w.failure = False, failure(f"skytally failed: {type(exc).__name__}",
                                                  f"{type(exc).__name__}: {first_line(exc)}")

    def _attempts(self, w: _Write) -> tuple[bool, Failure | None]:
        reason: Failure | None = None
        for _ in range(_ATTEMPTS):
            try:
                self._send(w.scope, w.operation, w.payload)
                return True, None
            except (ServiceResponseError, ServiceRequestError, HttpResponseError) as exc:
                if isinstance(exc, HttpResponseError) and exc.status_code is not None:
                    if exc.status_code == 404:
                        return False, GONE_FAILURE
                    self._refused(exc, write_id=w.write_id)
                    return False, failure_of(exc)
                # the answer was lost (timeout, connection dropped mid-answer): re-read, never resend blindly
                try:
                    now_live = self.read(w.scope)
                except Exception as again:
                    return False, failure(NO_ANSWER, f"Azure did not answer ({first_line(exc)}) and re-reading failed "
                                                     f"({first_line(again)})")
                if holds(now_live, w.payload, w.after):
                    return True, None
                if not holds(now_live, w.payload, w.before, exact_before=True):
                    return False, failure(CHANGED)
                reason = failure(NO_ANSWER, f"Azure did not answer: {first_line(exc)}")
        return False, reason

    def _settle(self, s: Session, pk: int, scope: str, entry: TagWrite, applied: bool, why: Failure | None,
                rows: dict[str, InventoryTag]) -> None:
        """Close a journal entry and bring the tag rows (and audit) in line. Not applied
        without a failure: found not applied on resume, still pending."""
        now = utcnow()
        if entry.status != WriteStatus.INTENT.value:
            return
        if why is None and not applied:
            entry.status, entry.finished_at = WriteStatus.NOT_APPLIED.value, now
            return
        entry.status = (WriteStatus.APPLIED if applied else WriteStatus.FAILED).value
        entry.reason, entry.finished_at = (why.detail if why else "")[:2000], now
        for key, value in entry.payload.items():
            row = rows.get(key.lower())
            if row is None:
                continue
            if not applied:
                assert why is not None
                self._failed(s, scope, row, why, now)
            elif entry.operation == "Delete":
                if row.local_value is None:
                    self.tally.add("applied")
                    self._audit(s, scope, row, value, None, "applied", "", now)
                    s.delete(row)
                    rows.pop(key.lower(), None)
                else:  # the first half of a casing change
                    row.azure_key = row.azure_value = None
            else:
                self.tally.add("applied")
                was = next((k for k in entry.before if k.lower() == key.lower()), None)
                self._audit(s, scope, row, before_of(entry, key), value, "applied", respelled(was, key), now)
                row.azure_key, row.azure_value, row.state, row.reason = key, value, TagState.IN_SYNC.value, ""
                row.reason_class = ""

    # --- failures ---------------------------------------------------------------------------
    def _fail_all(self, s: Session, pk: int, scope: str, why: Failure, open_writes: list[TagWrite],
                  rows: dict[str, InventoryTag]) -> None:
        now = utcnow()
        for entry in open_writes:
            entry.status, entry.reason, entry.finished_at = WriteStatus.FAILED.value, why.detail[:2000], now
        for row in rows.values():
            if row.state in PUSHED_STATES:
                self._failed(s, scope, row, why, now)

    def _failed(self, s: Session, scope: str, row: InventoryTag, why: Failure, now: Any) -> None:
        self.tally.fail(why.kind)
        row.state, row.reason, row.reason_class = TagState.FAILED.value, why.detail[:2000], why.kind[:300]
        self._audit(s, scope, row, row.azure_value, row.local_value, "failed", why.detail, now, why.kind)

    def _refused(self, exc: HttpResponseError, write_id: int | None = None) -> None:
        if exc.status_code == 403 and code_of(exc) == "AuthorizationFailed":
            reason = (f"tag write-back refused by Azure: {azure_reason(exc)}; give skytally's identity the Tag "
                      "Contributor role on the subscription, then set the access level again")
            with self._session() as s:
                accounts.mark_access_degraded(s, self.account_id, self.subscription_id, reason)
                if write_id is not None:
                    entry = s.get(TagWrite, write_id)
                    if entry is not None:
                        entry.status, entry.reason, entry.finished_at = WriteStatus.FAILED.value, reason, utcnow()
            raise AccessLost(reason)

    def _audit(self, s: Session, scope: str, row: InventoryTag, before: str | None, after: str | None, result: str,
               reason: str, now: Any, reason_class: str = "") -> None:
        s.add(TagAudit(at=now, actor=row.set_by, pushed_by=self.pushed_by, account_id=self.account_id,
                       subscription_id=self.subscription_id, resource_id=scope,
                       key=row.local_key, before=before, after=after, action="push", result=result,
                       reason=reason[:2000], reason_class=reason_class[:300], run_id=self.run_id))

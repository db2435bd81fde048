"""The inventory sync: list every readable subscription of an account and store its
resources with their tags (per access level, `tag_sync`), its resource groups' and its own
tags.

Memory stays flat: Resource Graph's pages are streamed into the database one at a time
(one query over all the account's readable subscriptions, ordered by id, `$skipToken`
paging); nothing holds the whole listing. The account's readable subscriptions are written
in one transaction: a listing that stops midway writes nothing and every subscription in it
keeps what it had (and says why). A listing that ends short of the total Resource Graph
announced is a failure, never a silent truncation. Where Resource Graph is refused, each
subscription is listed through Resource Manager instead (`arm_listing`).
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from azure.core.credentials import TokenCredential
from azure.core.exceptions import HttpResponseError
from sqlalchemy import Table, delete, insert, select, update
from sqlalchemy.orm import Session

from skytally.accounts import service as accounts
from skytally.accounts.schemas import AccessLevel, AccountKind, RoleStatus
from skytally.accounts.service import AccountsEnv, CloudAccount
from skytally.errors import InvalidInput, NotFound
from skytally.inventory import arm_listing, graph, repo
from skytally.inventory.models import InventoryResource, SyncStatus
from skytally.inventory.schemas import Container, LiveResource, SubscriptionOutcome, SyncResult
from skytally.inventory.tag_models import InventoryContainer, InventoryTag
from skytally.inventory.tag_sync import Changes, TagRow, reconcile
from skytally.store.base import utcnow
from skytally.store.db import Database

log = logging.getLogger(__name__)

Progress = Callable[[float, float, str], None]
_CHUNK = 500
TAG_COLUMNS = (InventoryTag.id, InventoryTag.resource_pk, InventoryTag.key_lower, InventoryTag.azure_key,
               InventoryTag.azure_value, InventoryTag.local_key, InventoryTag.local_value, InventoryTag.state,
               InventoryTag.source)


@dataclass
class _Sub:
    subscription_id: str
    name: str
    role_status: str
    level: str
    next_step: str = ""  # what the user can do when skytally cannot read it (per identity)


def sync_account(db: Database, env: AccountsEnv, account_id: int, progress: Progress | None = None, *,
                 page_size: int = graph.PAGE_SIZE) -> SyncResult:
    """List every readable subscription of one Azure account and replace its stored
    resources and tags; per-subscription failures are in the result, never raised."""
    report = progress or (lambda done, total, msg: None)
    with db.session() as session:
        account = session.get(CloudAccount, account_id)
        if account is None:
            raise NotFound(f"cloud account {account_id} does not exist; see `skytally accounts list`")
        if account.kind != AccountKind.AZURE.value:
            raise InvalidInput(f"{account.name} is an Office 365 tenant: it has no Azure resources to inventory")
        result = SyncResult(account.id, account.name)
        # Each subscription is read by the identity accounts' rule names (skytally's app
        # after consent, or the customer's principal): one listing per identity.
        groups = [(g.reader, g.credential, [_Sub(s.subscription_id.lower(), s.display_name or s.subscription_id,
                                                 s.role_status, s.access_level, accounts.next_step(account, g.reader))
                                            for s in g.subscriptions])
                  for g in accounts.readers_of(session, env, account)]
    if groups and all(credential is None for _r, credential, _s in groups):
        raise InvalidInput(f"{result.account_name} has no credential to read its subscriptions with: add a service "
                           "principal credential in Cloud Tenant Setup")
    total = 0
    for reader, credential, subs in groups:
        active = [s for s in subs if s.role_status == RoleStatus.ACTIVE.value]
        total += len(active)
        result.subscriptions += [
            SubscriptionOutcome(s.subscription_id, s.name, "skipped", f"not readable yet (role {s.role_status})")
            for s in subs if s.role_status != RoleStatus.ACTIVE.value]
        if credential is None:
            _fail(db, account_id, active, result, f"no identity can read this subscription: {reader.label}")
        elif active:
            _sync(db, env, credential, account_id, active, result, report, page_size)
    done = sum(1 for o in result.subscriptions if o.status == "ok")
    report(1, 1, f"{result.account_name}: {done} of {total} subscription(s) synced")
    return result


def _sync(db: Database, env: AccountsEnv, credential: TokenCredential, account_id: int, active: list[_Sub],
          result: SyncResult, report: Progress, page_size: int) -> None:
    """The containers query (which subscriptions are readable, and their groups' tags) and
    the resources query run at once, sharing the identity's Resource Graph quota: the
    resources of an unreadable subscription are not listed anyway, so nothing waits for
    the readability check but the commit."""
    client = env.connector.resource_graph(credential)
    quota = graph.Quota()
    ids = [s.subscription_id for s in active]
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="resource-containers") as pool:
        found = pool.submit(graph.containers, client, ids, quota=quota)
        pages = graph.resource_pages(client, ids, page_size=page_size, quota=quota)
        try:
            lost = _store(db, account_id, active, pages, found.result, result, report, "")
        except Exception as exc:
            refused = found.exception()
            if isinstance(refused, HttpResponseError) and refused.status_code in (400, 403, 404):
                _sync_through_arm(db, env, credential, account_id, active, result, report, graph.describe(refused))
                return
            err, doing = exc, "listing resources"
            if isinstance(refused, Exception):
                err, doing = refused, "checking which subscriptions are readable"
            _fail(db, account_id, active, result, _reason(err, doing))
            return
    for sub in lost:
        _fail(db, account_id, [sub], result, "skytally cannot read this subscription any more (its role was removed, "
              f"or it was moved or cancelled); its previous resources are kept. {sub.next_step}")


def _sync_through_arm(db: Database, env: AccountsEnv, credential: TokenCredential, account_id: int,
                      active: list[_Sub], result: SyncResult, report: Progress, graph_reason: str) -> None:
    for sub in active:
        try:
            found = arm_listing.containers(env.connector, credential, sub.subscription_id, sub.name)
        except Exception as exc:
            _fail(db, account_id, [sub], result, f"{_reason(exc, 'listing through ARM')} (and {graph_reason})")
            continue
        pages = arm_listing.resource_pages(env.connector, credential, sub.subscription_id)
        try:
            _store(db, account_id, [sub], pages, _given(found), result, report,
                   f"listed through Resource Manager because Resource Graph refused: {graph_reason}")
        except Exception as exc:
            _fail(db, account_id, [sub], result, _reason(exc, "listing resources"))


def _store(db: Database, account_id: int, subs: list[_Sub], pages: Iterator[list[LiveResource]],
           found: Callable[[], Iterable[Container]], result: SyncResult, report: Progress, note: str) -> list[_Sub]:
    """Stream the pages into one transaction; on any failure nothing is written (raised).
    `found` gives the readable subscriptions and groups once the resources are in; a
    subscription not among them keeps what it had and is returned (lost)."""
    now = utcnow()
    # No progress is recorded inside the transaction: on SQLite the job's progress write
    # would wait for this very transaction.
    report(0, 1, f"listing the resources of {len(subs)} subscription(s)")
    with db.session() as session:
        writer = _Writer(session, account_id, {s.subscription_id: s.level for s in subs}, now)
        for page in prefetched(pages):
            writer.page(page)
        containers = list(found())
        readable = {c.subscription_id for c in containers if not c.resource_group}
        ok = [s for s in subs if s.subscription_id in readable]
        writer.levels = {s.subscription_id: s.level for s in ok}
        if not ok:
            return [s for s in subs if s.subscription_id not in readable]
        writer.containers([c for c in containers if c.subscription_id in writer.levels])
        removed = writer.finish([s.subscription_id for s in ok])
        for sub in ok:
            count, added = writer.counts.get(sub.subscription_id, 0), writer.added.get(sub.subscription_id, 0)
            gone = removed.get(sub.subscription_id, 0)
            message = f"{count} resources ({added} new, {gone} gone)" + (f"; {note}" if note else "")
            result.subscriptions.append(SubscriptionOutcome(sub.subscription_id, sub.name, "ok", message,
                                                            count, added, gone))
            state = repo.sync_state(session, account_id, sub.subscription_id)
            state.last_attempt_at = state.last_success_at = now
            state.status, state.resources, state.message = SyncStatus.OK.value, count, message[:2000]
        accounts.record_sync(session, account_id, [s.subscription_id for s in ok], now)
        accounts.record_sync_outcome(session, account_id, {s.subscription_id: ("ok", "") for s in ok}, now)
    return [s for s in subs if s.subscription_id not in readable]


def _given(found: list[Container]) -> Callable[[], list[Container]]:
    return lambda: found


def prefetched(pages: Iterator[list[LiveResource]], depth: int = 2) -> Iterator[list[LiveResource]]:
    """The same pages, the next ones fetched from Azure (in a thread) while the current one is
    written: at most `depth` pages wait in memory. An error while fetching is raised here."""
    q: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def fetch() -> None:
        try:
            for page in pages:
                while not stop.is_set():
                    try:
                        q.put(("page", page), timeout=0.5)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            q.put(("end", None))
        except BaseException as exc:  # handed to the consumer
            q.put(("error", exc))

    thread = threading.Thread(target=fetch, name="inventory-prefetch", daemon=True)
    thread.start()
    try:
        while True:
            kind, item = q.get()
            if kind == "end":
                return
            if kind == "error":
                raise item
            yield item
    finally:
        stop.set()
        thread.join(timeout=30)


def _fail(db: Database, account_id: int, subs: list[_Sub], result: SyncResult, reason: str) -> None:
    if not subs:
        return
    now = utcnow()
    with db.session() as session:
        for sub in subs:
            state = repo.sync_state(session, account_id, sub.subscription_id)
            state.last_attempt_at, state.status, state.message = now, SyncStatus.FAILED.value, reason[:2000]
            result.subscriptions.append(SubscriptionOutcome(sub.subscription_id, sub.name, "failed", reason,
                                                            state.resources or 0))
        accounts.record_sync_outcome(session, account_id, {s.subscription_id: ("failed", reason) for s in subs}, now)


def _reason(exc: Exception, doing: str) -> str:
    if not isinstance(exc, graph.HANDLED):
        log.exception("inventory sync failed while %s", doing)
    return graph.describe(exc)


class _Writer:
    """Upserts pages of resources (and their tags) into one session."""

    def __init__(self, session: Session, account_id: int, levels: dict[str, str], now: datetime) -> None:
        self.session, self.account_id, self.levels, self.now = session, account_id, levels, now
        self.counts: dict[str, int] = {}
        self.added: dict[str, int] = {}
        self.total = 0

    def page(self, page: list[LiveResource]) -> None:
        wanted = {r.resource_id.lower(): r for r in page if r.resource_id and r.subscription_id in self.levels}
        if not wanted:
            return
        existing = self._pks(list(wanted))
        seen: list[dict[str, object]] = []
        new: list[dict[str, object]] = []
        for rid, r in wanted.items():
            self.counts[r.subscription_id] = self.counts.get(r.subscription_id, 0) + 1
            values = {"name": r.name, "type": r.type, "resource_group": r.resource_group.lower(),
                      "location": r.location, "last_seen": self.now, "subscription_id": r.subscription_id}
            if rid in existing:
                seen.append({"id": existing[rid], **values})
            else:
                self.added[r.subscription_id] = self.added.get(r.subscription_id, 0) + 1
                new.append({"account_id": self.account_id, "resource_id": rid, "first_seen": self.now, **values})
        if seen:
            self.session.execute(update(InventoryResource), seen)
        if new:  # Core insert returning the new ids (the ORM's bulk insert and a re-select cost more)
            table = cast(Table, InventoryResource.__table__)
            existing.update((rid, pk) for pk, rid in self.session.execute(
                insert(table).returning(table.c.id, table.c.resource_id), new))
        self.total += len(wanted)
        self._tags({existing[rid]: r for rid, r in wanted.items()})

    def _pks(self, rids: list[str]) -> dict[str, int]:
        out: dict[str, int] = {}
        for start in range(0, len(rids), _CHUNK):
            out.update((rid, pk) for rid, pk in self.session.execute(
                select(InventoryResource.resource_id, InventoryResource.id).where(
                    InventoryResource.account_id == self.account_id,
                    InventoryResource.resource_id.in_(rids[start:start + _CHUNK]))))
        return out

    def _tags(self, by_pk: dict[int, LiveResource]) -> None:
        rows: dict[int, dict[str, TagRow]] = {}
        pks = list(by_pk)
        for start in range(0, len(pks), _CHUNK):
            for row in self.session.execute(select(*TAG_COLUMNS).where(
                    InventoryTag.resource_pk.in_(pks[start:start + _CHUNK]))):
                rows.setdefault(row.resource_pk, {})[row.key_lower] = TagRow(
                    row.id, row.key_lower, row.azure_key, row.azure_value, row.local_key, row.local_value,
                    row.state, row.source)
        changes = Changes()
        for pk, r in by_pk.items():
            level = self.levels[r.subscription_id]
            if level == AccessLevel.RESOURCES.value and pk not in rows:
                continue
            reconcile(changes, pk, rows.get(pk, {}), r.tags, level, self.now)
        apply_changes(self.session, changes)

    def containers(self, found: list[Container]) -> None:
        subs: list[str] = list(self.levels)
        self.session.execute(delete(InventoryContainer).where(InventoryContainer.account_id == self.account_id,
                                                              InventoryContainer.subscription_id.in_(subs)))
        rows = [{"account_id": self.account_id, "subscription_id": c.subscription_id,
                 "resource_group": c.resource_group, "name": c.name,
                 "tags": None if self.levels[c.subscription_id] == AccessLevel.RESOURCES.value else (c.tags or {})}
                for c in {(c.subscription_id, c.resource_group): c for c in found}.values()]
        if rows:
            self.session.execute(insert(InventoryContainer), rows)

    def finish(self, subscription_ids: list[str]) -> dict[str, int]:
        """Delete these subscriptions' resources this listing did not see; returns how many
        per subscription. One query for all of them (one per subscription scanned the
        account's resources once per subscription)."""
        gone: dict[str, list[int]] = {}
        wanted = set(subscription_ids)
        for pk, sub in self.session.execute(select(InventoryResource.id, InventoryResource.subscription_id).where(
                InventoryResource.account_id == self.account_id, InventoryResource.last_seen < self.now)):
            if sub in wanted:
                gone.setdefault(sub, []).append(pk)
        for pks in gone.values():
            for start in range(0, len(pks), _CHUNK):
                chunk = pks[start:start + _CHUNK]
                self.session.execute(delete(InventoryTag).where(InventoryTag.resource_pk.in_(chunk)))
                self.session.execute(delete(InventoryResource).where(InventoryResource.id.in_(chunk)))
        return {sub: len(pks) for sub, pks in gone.items()}


def apply_changes(session: Session, changes: Changes) -> None:
    for start in range(0, len(changes.deletes), _CHUNK):
        session.execute(delete(InventoryTag).where(InventoryTag.id.in_(changes.deletes[start:start + _CHUNK])))
    if changes.updates:
        session.execute(update(InventoryTag), changes.updates)
    if changes.inserts:  # Core: the ORM's bulk insert bookkeeping doubled the cost of 200k tags
        session.execute(insert(cast(Table, InventoryTag.__table__)), changes.inserts)

"""A push: write every pending tag change of an account's `tags-writeback` subscriptions
to Azure (job `tags.push`, live progress). Subscriptions are pushed in parallel, each paced
within ARM's write limits (`pacing`), a few batches of resources at a time (`writeback`:
a batch's resources are re-read and written at once, its bookkeeping in two transactions).

Only one push per account runs at a time (`submit_unique`), and a push resumes whatever a
killed one left open in the journal, so pushing again is always safe.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy.orm import Session

from skytally.accounts import service as accounts
from skytally.accounts.schemas import AccessLevel, AccountKind
from skytally.accounts.service import AccountsEnv, CloudAccount
from skytally.errors import InvalidInput, NotFound, PermissionDenied
from skytally.inventory import tag_repo, tag_service
from skytally.inventory.pacing import ARM_READS, ARM_WRITES, BucketLimits, Pacer
from skytally.inventory.writeback import SESSIONS_AT_ONCE, AccessLost, Pusher, Tally
from skytally.jobs import service as jobs
from skytally.jobs.schemas import JobRunOut
from skytally.jobs.service import Dispatcher
from skytally.store.db import Database
from skytally.workspaces.schemas import Actor

log = logging.getLogger(__name__)

PUSH = "tags.push"
# Resources per batch (two transactions each: plan + journal, then outcomes) and Azure calls
# at once per subscription: 3 batches of 20 keep ARM's 10 writes a second busy while a
# batch is being planned or closed, and the first 200 writes (the bucket's burst) go out
# within a few seconds.
BATCH = 20
CALLS_PER_SUBSCRIPTION = 24
Progress = Callable[[float, float, str], None]


def start(db: Database, dispatcher: Dispatcher, actor: Actor | None, account_id: int,
          subscription_id: str | None = None) -> tuple[JobRunOut, bool]:
    """Submit a push of one account (editors of one of its workspaces may); returns the run
    and whether it is new (a push of that account already running is returned instead)."""
    with db.session() as session:
        if account_id not in tag_service.visible_ids(session, actor):
            raise NotFound(f"cloud account {account_id} does not exist or is not in your workspaces")
        if account_id not in tag_service.editable_ids(session, actor):
            raise PermissionDenied("pushing tags needs the editor role in one of the account's workspaces")
        workspaces = [w for w in accounts.workspace_ids_of(session, account_id)
                      if actor is None or actor.can_edit(w)]
        _writeback_subs(session, account_id, subscription_id)
    params: dict[str, Any] = {"subscription_id": subscription_id.lower()} if subscription_id else {}
    return jobs.submit_unique(db, dispatcher, PUSH, key={"account_id": account_id}, params=params,
                              target=f"account {account_id}", workspace_id=workspaces[0] if workspaces else None,
                              queued_by=tag_service.who(actor))


def _writeback_subs(session: Session, account_id: int, subscription_id: str | None) -> list[str]:
    subs = [s for s in accounts.list_subscriptions(session, None, account_id)
            if s.access_level is AccessLevel.TAGS_WRITEBACK
            and (subscription_id is None or s.subscription_id == subscription_id.lower())]
    if not subs:
        raise InvalidInput("no subscription of this account is at access level tags-writeback"
                           + (f" (asked for {subscription_id})" if subscription_id else "")
                           + ": changes there stay in skytally; set the level in Cloud Tenant Setup to write back")
    return [s.subscription_id for s in subs]


def push_account(db: Database, env: AccountsEnv, account_id: int, *, subscription_id: str | None = None,
                 pushed_by: str = "installation", run_id: int | None = None, progress: Progress | None = None,
                 writes: BucketLimits = ARM_WRITES, reads: BucketLimits = ARM_READS,
                 max_parallel: int = 64, per_subscription: int = 3, batch_size: int = BATCH) -> dict[str, Any]:
    """Push the account's pending changes; returns per-subscription tallies. ARM's write limit
    is per subscription: every subscription (up to `max_parallel`) is pushed at once, each
    paced by its own buckets (a waiting thread costs nothing); fewer would queue whole
    subscriptions behind others and multiply the time past the limit's floor. Within a
    subscription, resources go in batches (`Pusher.push_batch`), `per_subscription` at once."""
    report = progress or (lambda done, total, msg: None)
    with db.session() as session:
        account = session.get(CloudAccount, account_id)
        if account is None or account.kind != AccountKind.AZURE.value:
            raise NotFound(f"Azure account {account_id} does not exist")
        subs = _writeback_subs(session, account_id, subscription_id)
        work = {sid: tag_repo.push_candidates(session, account_id, sid) for sid in subs}
        # each subscription is written by the identity that reads it (accounts' one rule)
        credentials = {sid: accounts.reader_credential(session, env, account, sid) for sid in subs}
        unreadable = sorted(sid for sid, c in credentials.items() if c is None)
        if unreadable:
            raise InvalidInput(f"{account.name} has no identity for subscription(s) {', '.join(unreadable)} to write "
                               "tags with: add a service principal or consent as an owner in Cloud Tenant Setup")
    total = sum(len(v) for v in work.values())
    done = [0]
    lock = threading.Lock()
    last = [0.0]

    def tick() -> None:
        with lock:
            done[0] += 1
            if time.monotonic() - last[0] >= 0.5 or done[0] == total:
                last[0] = time.monotonic()
                report(done[0], total, f"{done[0]:,} of {total:,} resources pushed")

    results: dict[str, dict[str, Any]] = {}
    sessions = threading.Semaphore(SESSIONS_AT_ONCE)  # one limit for the whole push

    def one(sid: str) -> None:
        credential = credentials[sid]
        assert credential is not None
        client = env.connector.resources(credential, sid)
        calls = ThreadPoolExecutor(max_workers=CALLS_PER_SUBSCRIPTION, thread_name_prefix=f"push-{sid[:8]}")
        pusher = Pusher(db, client, account_id, sid, pushed_by, run_id, Pacer(writes, reads), on_resource=tick,
                        calls=calls, sessions=sessions)
        stopped: list[str] = []

        def batch(pks: list[int]) -> None:
            if stopped:
                return
            try:
                pusher.push_batch(pks)
            except AccessLost as exc:
                stopped.append(str(exc))
            except Exception as exc:  # a bug or an outage on one batch: the push goes on
                log.exception("pushing resources %s..%s failed", pks[0], pks[-1])
                pusher.tally.fail(f"{type(exc).__name__}: {exc}", len(pks))

        pks = work[sid]
        try:  # a few batches at a time: one re-reads while another writes; the pacer keeps the rate
            with ThreadPoolExecutor(max_workers=per_subscription) as inner:
                list(inner.map(batch, [pks[i:i + batch_size] for i in range(0, len(pks), batch_size)]))
        finally:
            calls.shutdown()
            client.close()
        results[sid] = {**pusher.tally.counts(), "resources": len(work[sid]), "stopped": stopped[0] if stopped else "",
                        "waited_for_write_limit_s": round(pusher.pacer.writes.waited, 1)}

    report(0, total, f"pushing {total:,} resources in {len(work)} subscription(s)")
    with ThreadPoolExecutor(max_workers=max(1, min(max_parallel, len(work)))) as pool:
        list(pool.map(one, list(work)))
    totals = Tally()
    for r in results.values():
        totals.applied += r["applied"]
        totals.already += r["already"]
        totals.failed += r["failed"]
        totals.conflicts += r["conflicts"]
        totals.writes += r["writes"]
    return {"account_id": account_id, "resources": total, "applied": totals.applied, "already": totals.already,
            "failed": totals.failed, "conflicts": totals.conflicts, "writes": totals.writes,
            "subscriptions": results}

"""Cost imports that start by themselves when an Azure account is connected (admin
consent, a service principal, an EA access token), with its first inventory sync,
instead of waiting for the daily runs.

`on_connected` is the hook the connect flows' interfaces (web, API, CLI) call once the
connection is committed: it queues the account's first inventory sync and its cost
imports (`costs.import` for the account: one `costs.import_period` run per cost scope and
period). Both are submitted with `submit_unique`, so connecting twice, or during the daily
run, never queues the same work twice. An account without a cost scope yet (every
subscription's Reader role still propagating) gets its inventory sync only; the daily
import picks its costs up.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.orm import Session

from skytally.accounts import service as accounts
from skytally.accounts.schemas import AccountKind
from skytally.accounts.service import CloudAccount
from skytally.costs import ingest
from skytally.costs.dispatch import IMPORT
from skytally.inventory.service import SYNC as INVENTORY_SYNC
from skytally.jobs import service as jobs
from skytally.store.db import Database

log = logging.getLogger(__name__)


def _has_scope(session: Session, account_id: int) -> bool:
    account = session.get(CloudAccount, account_id)
    return account is not None and account.kind == AccountKind.AZURE.value and bool(ingest.sources(session, account_id))


def on_connected(db: Database, dispatcher: jobs.Dispatcher, account_id: int, queued_by: str = "system",
                 *, inventory: bool = True) -> dict[str, Any]:
    """Queue the first inventory sync and the cost imports of a newly connected account.
    Returns what was queued (run ids); never raises (a queue outage must not turn a
    successful connection into an error: the daily run imports later)."""
    out: dict[str, Any] = {"account_id": account_id, "inventory_run": None, "costs_run": None}
    try:
        with db.session() as session:
            account = session.get(CloudAccount, account_id)
            if account is None or account.kind != AccountKind.AZURE.value:
                return out
            has_scope = _has_scope(session, account_id)
            target = account.name
        if inventory:
            run, _ = jobs.submit_unique(db, dispatcher, INVENTORY_SYNC, target=target,
                                        key={"account_id": account_id}, queued_by=queued_by)
            out["inventory_run"] = run.id
        if has_scope:
            out["costs_run"] = _submit_costs(db, dispatcher, account_id, target, queued_by)
    except Exception:  # logged: the connection itself succeeded, the daily run imports later
        log.exception("could not queue the first imports of cloud account %s", account_id)
    return out


def _submit_costs(db: Database, dispatcher: jobs.Dispatcher, account_id: int, target: str, queued_by: str) -> int:
    with db.session() as session:
        ws = accounts.workspace_ids_of(session, account_id)
    run, _ = jobs.submit_unique(db, dispatcher, IMPORT, target=target, key={"account_id": account_id},
                                workspace_id=ws[0] if ws else None, queued_by=queued_by)
    return run.id

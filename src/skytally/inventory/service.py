"""Use cases of the inventory: sync an account's resources from Azure, list them, and tell
the costs capability which resources are live (for the "resource gone" reason of untagged
costs).

A sync lists each readable subscription with Resource Graph using the account's app-only
identity (`accounts.service.app_credential`), then writes every subscription that was
listed completely in one transaction: a resource missing from a complete listing is gone,
a subscription that failed keeps its previous resources (and says why), and a sync that
stops midway writes nothing. Reads are scoped to the caller's workspaces (`actor=None`:
the installation — CLI, jobs).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from azure.core.credentials import TokenCredential
from sqlalchemy.orm import Session

from skytally.accounts import guard
from skytally.accounts import repo as accounts_repo
from skytally.accounts import service as accounts
from skytally.accounts.context import AccountsEnv
from skytally.accounts.models import AccountKind, CloudAccount, RoleStatus
from skytally.errors import InvalidInput, NotFound
from skytally.inventory import graph, repo
from skytally.inventory.models import SyncStatus
from skytally.inventory.schemas import (
    LiveInventory,
    LiveResource,
    ResourceOut,
    SubscriptionOutcome,
    SubscriptionSyncOut,
    SyncResult,
)
from skytally.store.base import utcnow
from skytally.store.db import Database
from skytally.workspaces.schemas import Actor

log = logging.getLogger(__name__)

Progress = Callable[[float, float, str], None]


@dataclass
class _Sub:
    subscription_id: str
    name: str
    role_status: str


# --- sync -------------------------------------------------------------------------------
def sync_account(db: Database, env: AccountsEnv, account_id: int, progress: Progress | None = None, *,
                 page_size: int = graph.PAGE_SIZE) -> SyncResult:
    """List every readable subscription of one Azure account and replace its stored
    resources; per-subscription failures are in the result, never raised."""
    report = progress or (lambda done, total, msg: None)
    with db.session() as session:
        account = session.get(CloudAccount, account_id)
        if account is None:
            raise NotFound(f"cloud account {account_id} does not exist; see `skytally accounts list`")
        if account.kind != AccountKind.AZURE.value:
            raise InvalidInput(f"{account.name} is an Office 365 tenant: it has no Azure resources to inventory")
        result = SyncResult(account.id, account.name)
        subs = [_Sub(s.subscription_id.lower(), s.display_name or s.subscription_id, s.role_status)
                for s in account.subscriptions]
        credential = accounts.app_credential(session, env, account)
        if credential is None:
            raise InvalidInput(f"{account.name} has no credential to read its subscriptions with: add a service "
                               "principal credential in Cloud Tenant Setup")
    active = [s for s in subs if s.role_status == RoleStatus.ACTIVE.value]
    result.subscriptions += [
        SubscriptionOutcome(s.subscription_id, s.name, "skipped", f"not readable yet (role {s.role_status})")
        for s in subs if s.role_status != RoleStatus.ACTIVE.value]
    listed = _list(env, credential, active, result, report, page_size)
    _write(db, account_id, listed, result)
    report(len(active), len(active), f"{account_id}: {len(listed)} of {len(active)} subscription(s) synced")
    return result


def _list(env: AccountsEnv, credential: TokenCredential, active: list[_Sub], result: SyncResult, report: Progress,
          page_size: int) -> dict[str, list[LiveResource]]:
    """Resource Graph listings of the readable subscriptions; failures go into `result`."""
    client = env.connector.resource_graph(credential)
    listed: dict[str, list[LiveResource]] = {}
    if not active:
        return listed
    try:
        readable = graph.readable_subscriptions(client, [s.subscription_id for s in active])
    except Exception as exc:  # the whole account is unreachable: every subscription failed
        reason = _reason(exc, "checking which subscriptions are readable")
        result.subscriptions += [SubscriptionOutcome(s.subscription_id, s.name, "failed", reason) for s in active]
        return listed
    for n, sub in enumerate(active):
        report(n, len(active), f"{sub.name}: listing resources")
        if sub.subscription_id not in readable:
            result.subscriptions.append(SubscriptionOutcome(
                sub.subscription_id, sub.name, "failed",
                f"skytally cannot read subscription {sub.subscription_id} any more (its role was removed, or it "
                "was moved or cancelled); its previous resources are kept. Run Add Existing Subscriptions again"))
            continue
        try:
            listed[sub.subscription_id] = graph.list_resources(client, sub.subscription_id, page_size=page_size)
        except Exception as exc:
            result.subscriptions.append(SubscriptionOutcome(
                sub.subscription_id, sub.name, "failed", _reason(exc, f"listing {sub.subscription_id}")))
            continue
        result.subscriptions.append(SubscriptionOutcome(sub.subscription_id, sub.name, "ok"))
    return listed


def _reason(exc: Exception, doing: str) -> str:
    if not isinstance(exc, graph.HANDLED):
        log.exception("inventory sync failed while %s", doing)
    return graph.describe(exc)


def _write(db: Database, account_id: int, listed: dict[str, list[LiveResource]], result: SyncResult) -> None:
    """One transaction: replace the listed subscriptions, record every attempt."""
    now = utcnow()
    with db.session() as session:
        for outcome in result.subscriptions:
            if outcome.status == "skipped":
                continue
            state = repo.sync_state(session, account_id, outcome.subscription_id)
            state.last_attempt_at = now
            if outcome.status == "ok":
                count, added, removed = repo.replace_subscription(
                    session, account_id, outcome.subscription_id, listed[outcome.subscription_id], now)
                outcome.resources, outcome.added, outcome.removed = count, added, removed
                outcome.message = f"{count} resources ({added} new, {removed} gone)"
                state.status, state.resources, state.last_success_at = SyncStatus.OK.value, count, now
            else:
                state.status = SyncStatus.FAILED.value
                outcome.resources = state.resources or 0
            state.message = outcome.message[:2000]
        accounts.record_sync(session, account_id, [o.subscription_id for o in result.subscriptions
                                                   if o.status == "ok"], now)


# --- reading ------------------------------------------------------------------------------
def _account_ids(session: Session, actor: Actor | None, account_id: int | None) -> list[int]:
    if account_id is not None:
        return [guard.visible_account(session, actor, account_id).id]
    return [a.id for a in accounts_repo.visible_accounts(session, guard.visible_workspace_filter(actor))
            if a.kind == AccountKind.AZURE.value]


def list_resources(session: Session, actor: Actor | None, account_id: int | None = None, *,
                   subscription_id: str | None = None, limit: int = 1000, offset: int = 0) -> list[ResourceOut]:
    """The live resources of the caller's accounts (or one of them), by account and id."""
    if not 1 <= limit <= 10_000 or offset < 0:
        raise InvalidInput("limit must be between 1 and 10000 and offset 0 or more")
    ids = _account_ids(session, actor, account_id)
    if not ids:
        return []
    return [ResourceOut.model_validate(r) for r in repo.resources(
        session, ids, subscription_id=subscription_id, limit=limit, offset=offset)]


def sync_states(session: Session, actor: Actor | None, account_id: int | None = None) -> list[SubscriptionSyncOut]:
    """The last sync of each subscription of the caller's accounts."""
    ids = _account_ids(session, actor, account_id)
    return [SubscriptionSyncOut.model_validate(r) for r in repo.sync_states(session, ids)] if ids else []


def live_inventory(session: Session, actor: Actor | None) -> LiveInventory:
    """The subscriptions of the caller's accounts that were synced completely at least once,
    and the live resource ids in them. A cost row may be called "resource gone" only when
    its subscription is in `subscriptions`."""
    ids = _account_ids(session, actor, None)
    subs = repo.inventoried_subscriptions(session, ids) if ids else set()
    live = repo.live_resource_ids(session, ids, subs) if subs else set()
    return LiveInventory(frozenset(subs), frozenset(live))

"""Workspace-scoped access to the cost store: the one way the Costs page, the REST API and
the CLI read costs, and see or start cost imports.

A caller sees the billing accounts (EA enrollments, MCA billing accounts, pay-as-you-go
subscriptions) of the cloud accounts assigned to their workspaces, plus the billing
account ids of imported cost files assigned to those workspaces. Organisation admins and
the installation itself (`actor=None`: CLI, jobs) see everything in the store.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import PurePath
from typing import Any

import duckdb
from sqlalchemy import select
from sqlalchemy.orm import Session

from skytally.accounts import service as accounts_service
from skytally.accounts.service import BillingAccount, CloudAccount
from skytally.costs import ingest
from skytally.costs.dispatch import IMPORT, IMPORT_PERIOD
from skytally.costs.models import CostDatasetWorkspace, CostImport
from skytally.costs.schemas import CostQuery, UntaggedResult
from skytally.costs.service import CostStore
from skytally.costs.views import ImportStatusOut, ScopeOut
from skytally.errors import InvalidInput, NotFound, PermissionDenied
from skytally.inventory import service as inventory
from skytally.jobs import service as jobs
from skytally.jobs.schemas import JobRunOut
from skytally.store.base import utcnow
from skytally.workspaces import service as workspaces
from skytally.workspaces.schemas import Actor

GRANULARITY = {"daily": "day", "day": "day", "monthly": "month", "month": "month"}


# --- scope ----------------------------------------------------------------------------------
def _sees_all(actor: Actor | None) -> bool:
    return actor is None or actor.is_admin


def scopes(session: Session, store: CostStore, actor: Actor | None) -> list[ScopeOut]:
    """The cost scopes the caller may read, with display names."""
    ws = None if actor is None else actor.workspace_filter()  # the header's workspace narrows it
    out: dict[str, ScopeOut] = {}
    # A billing account is an integration of its own: its costs are seen in its workspaces,
    # whatever its tenant's (a finance workspace may have the MCA billing account and not the
    # subscriptions, and the reverse).
    tenants: dict[int, CloudAccount | None] = {}
    for ba in accounts_service.billing_accounts_in(session, ws):
        account = tenants.setdefault(ba.account_id, session.get(CloudAccount, ba.account_id))
        out.setdefault(ba.billing_account_id, ScopeOut(
            billing_account_id=ba.billing_account_id, name=accounts_service.billing_label(ba),
            kind="EA" if ba.agreement_type == "EnterpriseAgreement" else "MCA" if ba.agreement_type else "",
            account_id=ba.account_id, account_name=account.name if account else ""))
    for account in accounts_service.visible_accounts(session, ws):
        for row in session.scalars(select(CostImport).where(CostImport.account_id == account.id,
                                                            CostImport.source == "subscription")):
            out.setdefault(row.scope_id, ScopeOut(billing_account_id=row.scope_id, name=row.scope_name,
                                                  kind="Pay-as-you-go", account_id=account.id,
                                                  account_name=account.name))
    stmt = select(CostDatasetWorkspace.billing_account_id)
    if ws is not None:
        stmt = stmt.where(CostDatasetWorkspace.workspace_id.in_(ws))
    for ba_id in session.scalars(stmt):
        out.setdefault(ba_id, ScopeOut(billing_account_id=ba_id, name=ba_id, kind="Imported files"))
    if ws is None:
        for p in store.periods():
            out.setdefault(p["billing_account"], ScopeOut(billing_account_id=p["billing_account"],
                                                          name=p["billing_account"], kind="Imported files"))
    return sorted(out.values(), key=lambda s: (s.account_name or "~", s.name))


def sources(session: Session, store: CostStore, actor: Actor | None, billing_accounts: Sequence[str]) -> list[dict[str, Any]]:
    """`store.sources` (which source counts per subscription and period) with each source
    named as it is now: the store keeps the name a billing account had when it was
    imported, and an integration renamed since shows its new name."""
    names = current_names(session, store, actor)
    out = []
    for choice in store.sources(billing_accounts):
        used = {**choice["used"], "name": names.get(choice["used"]["billing_account"], choice["used"]["name"])}
        skipped = [{**k, "name": names.get(k["billing_account"], k["name"]),
                    "reason": f"covered by {used['kind_label']} {used['name'] or used['billing_account']}"}
                   for k in choice["skipped"]]
        out.append({**choice, "used": used, "skipped": skipped})
    return out


def periods(session: Session, store: CostStore, actor: Actor | None, billing_accounts: Sequence[str]) -> list[dict[str, Any]]:
    """`store.periods` with each source named as it is now (as `sources`)."""
    names = current_names(session, store, actor)

    def named(src: dict[str, Any] | None, key: str) -> dict[str, Any] | None:
        return None if src is None else {**src, "name": names.get(key, src.get("name", ""))}

    return [{**p, "source": named(p["source"], p["billing_account"]),
             "subscriptions": [{**sub, "covered_by": named(sub.get("covered_by"), (sub.get("covered_by") or {}).get("billing_account", ""))}
                               for sub in p.get("subscriptions", [])]}
            for p in store.periods(billing_accounts)]


def current_names(session: Session, store: CostStore, actor: Actor | None) -> dict[str, str]:
    """Billing account id -> its name now, for the scopes that have one (imported files are
    named by their id: their sources keep the name they were imported with)."""
    return {s.billing_account_id: s.name for s in scopes(session, store, actor) if s.name != s.billing_account_id}


def allowed(session: Session, store: CostStore, actor: Actor | None,
            requested: Sequence[str] | None = None) -> list[str]:
    """The billing account ids a read covers: all the caller may see, or the requested ones
    (each must be visible: others are reported as not found)."""
    visible = [s.billing_account_id for s in scopes(session, store, actor)]
    if not requested:
        return visible
    for ba in requested:
        if ba not in visible:
            raise NotFound(f"billing account {ba} does not exist or is not in your workspaces")
    return list(dict.fromkeys(requested))


def build_query(billing_accounts: list[str], *, start: date | None = None, end: date | None = None,
                group_by: Sequence[str] = (), granularity: str | None = None,
                filters: Sequence[str] | dict[str, list[str | None]] = (), currency: str | None = None,
                top: int | None = None, order_by: str = "EffectiveCost") -> CostQuery:
    """A CostQuery from interface input (filters as `DIM=VALUE` strings or a dict)."""
    gran = None
    if granularity:
        gran = GRANULARITY.get(granularity.lower())
        if gran is None:
            raise InvalidInput(f"granularity {granularity!r}: use daily or monthly")
    if isinstance(filters, dict):
        parsed = dict(filters)
    else:
        parsed = {}
        for item in filters:
            dim, sep, value = item.partition("=")
            if not sep or not dim.strip():
                raise InvalidInput(f"filter {item!r}: write DIM=VALUE, e.g. ServiceName=Storage or tag:env=prod")
            parsed.setdefault(dim.strip(), []).append(value.strip())
    if order_by not in ("BilledCost", "EffectiveCost"):
        raise InvalidInput("order by BilledCost or EffectiveCost")
    if start and end and end <= start:
        raise InvalidInput(f"the end date {end} must be after the start date {start}")
    return CostQuery(billing_accounts=billing_accounts, start=start, end=end,
                     group_by=[g.strip() for g in group_by if g.strip()], granularity=gran,  # type: ignore[arg-type]
                     filters=parsed, currency=currency or None, top=top, order_by=order_by)  # type: ignore[arg-type]


def query_for(session: Session, store: CostStore, actor: Actor | None, *, billing_accounts: Sequence[str] = (),
              start: date | None = None, end: date | None = None, group_by: Sequence[str] = (),
              granularity: str | None = None, filters: Sequence[str] | dict[str, list[str | None]] = (),
              currency: str | None = None, top: int | None = None) -> CostQuery:
    """The caller's query, scoped; with several currencies and none chosen, InvalidInput
    naming them."""
    scope = allowed(session, store, actor, list(billing_accounts))
    q = build_query(scope, start=start, end=end, group_by=group_by, granularity=granularity, filters=filters,
                    currency=currency, top=top)
    if q.currency is None:
        found = currencies(store, q)
        if len(found) > 1:
            raise InvalidInput(f"the costs are in several currencies ({', '.join(found)}); amounts in different "
                               f"currencies are never added: choose one (currency {found[0]})")
    return q


def untagged(session: Session, store: CostStore, actor: Actor | None, q: CostQuery,
             tag_key: str | None = None) -> list[UntaggedResult]:
    """The untagged share and why, with "resource gone" for rows whose resource the
    caller's inventory no longer lists, in the subscriptions it has synced (rows of other
    subscriptions keep their other reasons)."""
    if not q.billing_accounts:
        return []
    live = inventory.live_inventory(session, actor)
    if not live.subscriptions:
        return store.untagged(q, tag_key)
    return store.untagged(q, tag_key, existing_resource_ids=live.resource_ids,
                          inventoried_subscriptions=live.subscriptions)


def currencies(store: CostStore, q: CostQuery) -> list[str]:
    """The billing currencies present in the query's scope and range."""
    if not q.billing_accounts:
        return []
    base = CostQuery(billing_accounts=q.billing_accounts, start=q.start, end=q.end)
    return sorted(str(r.currency) for r in store.query_by_currency(base) if r.currency)


def tag_keys(store: CostStore, q: CostQuery, limit: int = 200) -> list[str]:
    """Tag keys (canonical, lower-cased) present in the scope, most frequent first."""
    if not q.billing_accounts:
        return []
    files = store._q.files(CostQuery(billing_accounts=q.billing_accounts, start=q.start, end=q.end))
    if not files:
        return []
    con = duckdb.connect()
    try:
        rows = con.execute(
            "SELECT k FROM (SELECT unnest(x_TagKeys) AS k FROM read_parquet($files, union_by_name=true)) "
            "WHERE k IS NOT NULL AND k <> '' GROUP BY k ORDER BY count(*) DESC, k LIMIT $limit",
            {"files": files, "limit": limit}).fetchall()
    finally:
        con.close()
    return [str(r[0]) for r in rows]


# --- import states and "Import now" -----------------------------------------------------------
def import_status(session: Session, actor: Actor | None, account_id: int | None = None) -> list[ImportStatusOut]:
    """Per cost scope of each visible Azure account: its periods' last imports (newest first);
    a period whose import run is queued shows `queued` (one running shows `running`);
    scopes never imported show as `never`."""
    if account_id is not None:
        accounts = [accounts_service.visible_account(session, actor, account_id)]
    else:
        ws = None if actor is None else actor.workspace_filter()  # the header's workspace narrows it
        accounts = [a for a in accounts_service.visible_accounts(session, ws) if a.kind == "azure"]
    out = _import_rows(session, accounts)
    if account_id is None and ws is not None:
        # billing accounts follow their own workspaces: those assigned here (even when their
        # tenant is not) and not those of a visible tenant that are assigned elsewhere
        billing = accounts_service.billing_accounts_in(session, ws)
        mine = {b.billing_account_id for b in billing}
        shown = {a.id for a in accounts}
        others = [a for a in (session.get(CloudAccount, i) for i in sorted({b.account_id for b in billing} - shown))
                  if a is not None]
        out = [r for r in out if r.source not in BILLING_SOURCES or r.scope_id in mine] + [
            r for r in _import_rows(session, others) if r.source in BILLING_SOURCES and r.scope_id in mine]
    return out


BILLING_SOURCES = ("billing_account", "ea_token")


def _import_rows(session: Session, accounts: Sequence[CloudAccount]) -> list[ImportStatusOut]:
    out: list[ImportStatusOut] = []
    for account in accounts:
        rows = list(session.scalars(select(CostImport).where(CostImport.account_id == account.id)
                                    .order_by(CostImport.scope_id, CostImport.billing_period.desc())))
        seen = {(r.scope_id, r.billing_period) for r in rows}
        mine = [ImportStatusOut.of(account, r) for r in rows]
        active = _active_imports(session, account.id)
        for src in ingest.sources(session, account.id):
            for item in mine:  # the scope's name now (a billing account may have been renamed since)
                if item.scope_id == src.scope_id:
                    item.scope_name = src.name
            runs = active.get(src.scope_id, {})
            for item in mine:
                run = runs.get(item.billing_period or "")
                if item.scope_id == src.scope_id and run is not None and item.status != "running":
                    item.status, item.message = run.status.value, f"{run.status} as job run #{run.id}"
            for period, run in sorted(runs.items(), reverse=True):
                if (src.scope_id, period) not in seen:
                    mine.append(ImportStatusOut(account_id=account.id, account_name=account.name, source=src.kind,
                                                scope_id=src.scope_id, scope_name=src.name,
                                                billing_period=period or None, status=run.status.value,
                                                message=f"{run.status} as job run #{run.id}"))
            if not runs and not any(r.scope_id == src.scope_id for r in rows):
                mine.append(ImportStatusOut(account_id=account.id, account_name=account.name, source=src.kind,
                                            scope_id=src.scope_id, scope_name=src.name, status="never",
                                            message="not imported yet"))
        out += mine
    return out


def _active_imports(session: Session, account_id: int) -> dict[str, dict[str, JobRunOut]]:
    """Import runs of the account queued (in the last day) or running: scope → period → run."""
    out: dict[str, dict[str, JobRunOut]] = {}
    for run in jobs.active_runs(session, IMPORT_PERIOD, utcnow() - timedelta(days=1)):
        params = run.params or {}
        if params.get("account_id") == account_id and params.get("scope_id"):
            out.setdefault(str(params["scope_id"]), {})[str(params.get("period") or "")] = run
    return out


def importable(session: Session, actor: Actor | None, account_ids: Sequence[int]) -> set[int]:
    """The accounts among these whose costs the caller may import now."""
    if _sees_all(actor):
        return set(account_ids)
    assert actor is not None
    return {a for a in set(account_ids)
            if any(actor.can_edit(w) for w in accounts_service.workspace_ids_of(session, a))}


def trigger_import(session: Session, db: Any, dispatcher: jobs.Dispatcher, actor: Actor | None,
                   account_id: int, periods: Sequence[str] = ()) -> JobRunOut:
    """Queue "Import costs" for one cloud account (editors and admins of its workspaces)."""
    account = accounts_service.visible_account(session, actor, account_id)
    ws_ids = accounts_service.workspace_ids_of(session, account_id)
    workspace_id = ws_ids[0] if ws_ids else None
    if not _sees_all(actor):
        assert actor is not None
        editable = [w for w in ws_ids if actor.can_edit(w)]
        if not editable:
            raise PermissionDenied("only editors and admins of the account's workspaces can import its costs")
        workspace_id = editable[0]
    if not ingest.sources(session, account_id):
        raise InvalidInput(f"{account.name} has nothing to import costs from: add an EA access token, a billing "
                           "account ID on its service principal, or subscriptions skytally can read")
    params: dict[str, Any] = {"account_id": account_id}
    if periods:
        params["periods"] = [ingest.parse_period(p) for p in periods]
    return jobs.submit(db, dispatcher, IMPORT, target=account.name, workspace_id=workspace_id, params=params,
                       queued_by=actor.email if actor else "cli")


def find_account(session: Session, actor: Actor | None, ref: str) -> CloudAccount:
    """A cloud account by id, name or tenant id (CLI)."""
    if ref.isdigit():
        return accounts_service.visible_account(session, actor, int(ref))
    matches = [a for a in accounts_service.search_accounts(session, ref)
               if a.name.lower() == ref.lower() or a.tenant_id.lower() == ref.lower()]
    if not matches:
        by_ba = session.scalar(select(BillingAccount).where(BillingAccount.billing_account_id == ref))
        if by_ba is not None:
            return accounts_service.visible_account(session, actor, by_ba.account_id)
        raise NotFound(f"no cloud account named {ref!r}; see `skytally accounts list`")
    return accounts_service.visible_account(session, actor, matches[0].id)


# --- imported files: which workspaces see them ------------------------------------------------
def assign_dataset(session: Session, billing_account_id: str, workspace: str, by: str = "cli") -> int:
    ws_id = workspaces.workspace_id(session, workspace)
    if ws_id is None:
        raise NotFound(f"workspace {workspace!r} does not exist; see `skytally workspaces list`")
    if session.get(CostDatasetWorkspace, (billing_account_id, ws_id)) is None:
        session.add(CostDatasetWorkspace(billing_account_id=billing_account_id, workspace_id=ws_id, created_by=by))
        session.flush()
    return ws_id


def shown_periods(actor: Actor, periods: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Stored periods as the caller may see them: the files they came from by name only
    (where they sat on the server is for organisation admins)."""
    if actor.is_admin:
        return periods
    return [{**p, "files": [{**f, "path": PurePath(str(f.get("path", ""))).name} if isinstance(f, dict) else f
                            for f in p.get("files", [])]} for p in periods]

"""Use cases of the licences capability: what a caller may see and change, scoped to the
workspaces of the Office 365 accounts. Never commits (the caller does)."""

from __future__ import annotations

import csv
import gc
import hashlib
import io
import zlib
from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from skytally.accounts import service as accounts_service
from skytally.accounts.schemas import AccountKind
from skytally.accounts.service import CloudAccount
from skytally.errors import InvalidInput, NotFound, PermissionDenied
from skytally.jobs import service as jobs
from skytally.jobs.schemas import JobRunOut
from skytally.jobs.service import Dispatcher
from skytally.licences import analysis, catalog, repo
from skytally.licences.models import LicenceImport, LicencePrice
from skytally.licences.schemas import ImportOut, LicenceReport, PriceIn, PriceOut, UserLicenceOut
from skytally.store.base import utcnow
from skytally.store.db import Database
from skytally.workspaces.schemas import Actor

MAX_DAYS = 365
SYNC = "licences.sync"  # job kinds (declared in licences/jobs.py)
IMPORT = "licences.import"
# account id → (what the report was built from, the report): the last report per account in
# this process, reused while nothing it depends on changed (an import or a price).
_REPORTS: dict[int, tuple[tuple[object, ...], LicenceReport]] = {}


def office365_account(session: Session, actor: Actor | None, account_id: int) -> CloudAccount:
    account = accounts_service.visible_account(session, actor, account_id)
    if account.kind != AccountKind.OFFICE365.value:
        raise InvalidInput(f"account {account.name} is an Azure tenant; licences are read from Office 365 accounts")
    return account


def accounts(session: Session, actor: Actor | None, workspace_id: int | None = None) -> list[CloudAccount]:
    """The Office 365 accounts the caller sees (in one workspace, if given)."""
    if workspace_id is not None:
        if actor is not None and not actor.is_admin and not actor.can_view(workspace_id):
            raise NotFound(f"workspace {workspace_id} does not exist or you are not a member")
        return accounts_service.office365_accounts_in(session, [workspace_id])
    return accounts_service.office365_accounts_in(session, accounts_service.visible_workspace_filter(actor))


def find_account(session: Session, actor: Actor | None, key: str | None) -> CloudAccount:
    """An Office 365 account by id or name; the only one when `key` is None."""
    visible = accounts(session, actor)
    if key is None:
        if len(visible) == 1:
            return visible[0]
        if not visible:
            raise NotFound(
                "no Office 365 tenant is connected in your workspaces: connect one in Cloud Tenant Setup "
                "(Add Cloud Account → Office 365) or with `skytally licences connect-sp`"
            )
        names = ", ".join(a.name for a in visible) or "none"
        raise InvalidInput(f"name the Office 365 account (one of: {names})")
    for a in visible:
        if str(a.id) == key or a.name.lower() == key.lower() or a.tenant_id == key.lower():
            return a
    raise NotFound(f"no Office 365 account {key!r} among yours; `skytally accounts list` shows them")


def check_can_sync(session: Session, actor: Actor | None, account_id: int) -> CloudAccount:
    account = office365_account(session, actor, account_id)
    if actor is not None and not actor.is_admin and not any(
            actor.can_edit(ws) for ws in accounts_service.workspace_ids_of(session, account.id)):
        raise PermissionDenied("only editors and admins of the account's workspaces can sync it")
    return account


def last_import(session: Session, actor: Actor | None, account_id: int) -> ImportOut | None:
    office365_account(session, actor, account_id)
    row = repo.import_row(session, account_id)
    return ImportOut.of(row) if row else None


def _days(value: int, what: str) -> int:
    if not 1 <= value <= MAX_DAYS:
        raise InvalidInput(f"{what} must be between 1 and {MAX_DAYS} days, not {value}")
    return value


DEFAULT_DAYS = (90, 60)  # (inactive, active): the figures the page opens with, kept built in the database


def report(session: Session, actor: Actor | None, account_id: int, *, inactive_days: int = DEFAULT_DAYS[0],
           active_days: int = DEFAULT_DAYS[1], store: bool = False) -> LicenceReport:
    """The account's report: this process's copy, else the database's, else built from the
    stored users. ``store`` (the import job, for the default figures): build it now and keep
    it in the database."""
    account = office365_account(session, actor, account_id)
    inactive_days, active_days = _days(inactive_days, "inactive days"), _days(active_days, "active days")
    imp, price_rows = repo.import_row(session, account_id), repo.prices(session, account_id)
    # The stored data changes only when an import finishes or a price changes: both are in the key.
    key = (account_id, account.name, imp.finished_at if imp else None, imp.status if imp else None, date.today(),
           inactive_days, active_days, catalog.source(),
           tuple(sorted((p.sku_id, str(p.amount), p.currency, p.term, p.entered_at) for p in price_rows)))
    cached = _REPORTS.get(account_id)
    if cached is not None and cached[0] == key and not store:
        return cached[1]  # shared: callers read it, never change it
    digest = hashlib.sha256(repr(key).encode()).hexdigest()
    defaults = (inactive_days, active_days) == DEFAULT_DAYS
    stored = repo.report_cache(session, account_id) if defaults and not store else None
    if stored is not None and stored.key == digest:
        rep = LicenceReport.model_validate_json(zlib.decompress(stored.body))
    else:
        rep = _build(session, account, imp, price_rows, inactive_days, active_days)
        if store and defaults and imp is not None and imp.status != "running":
            repo.store_report_cache(session, account_id, digest, zlib.compress(rep.model_dump_json().encode(), 1))
    if imp is not None and imp.status != "running":
        _REPORTS[account_id] = (key, rep)
    return rep


def _build(session: Session, account: CloudAccount, imp: LicenceImport | None, price_rows: list[LicencePrice],
           inactive_days: int, active_days: int) -> LicenceReport:
    groups = {g.object_id: g.display_name for g in repo.groups(session, account.id)}
    # Tens of thousands of short-lived objects and nothing cyclic: the cycle collector would
    # only rescan them again and again (a third of the time at 50,000 users).
    enabled = gc.isenabled()
    gc.disable()
    try:
        return analysis.build(account.id, account.name, imp, repo.skus(session, account.id),
                              repo.user_tuples(session, account.id), groups, price_rows,
                              inactive_days=inactive_days, active_days=active_days)
    finally:
        if enabled:
            gc.enable()


def users(session: Session, actor: Actor | None, account_id: int, *, licensed_only: bool = True) -> list[UserLicenceOut]:
    office365_account(session, actor, account_id)
    out = []
    for r in repo.user_tuples(session, account_id):
        skus = [lic["sku"] for lic in r.licences or [] if lic.get("direct") or lic.get("groups")]
        if licensed_only and not skus:
            continue
        out.append(UserLicenceOut(object_id=r.object_id, upn=r.upn, display_name=r.display_name, department=r.department,
                                  account_enabled=r.account_enabled, user_type=r.user_type, skus=skus,
                                  last_sign_in=r.last_sign_in, last_activity=r.last_activity, mailbox_type=r.mailbox_type))
    return out


def prices(session: Session, actor: Actor | None, account_id: int) -> list[PriceOut]:
    office365_account(session, actor, account_id)
    return [analysis.price_out(p) for p in repo.prices(session, account_id)]


def set_price(session: Session, actor: Actor | None, account_id: int, data: PriceIn) -> PriceOut:
    check_can_sync(session, actor, account_id)
    known = {s.sku_id for s in repo.skus(session, account_id)}
    sku = data.sku_id.lower()
    if sku not in known:
        raise InvalidInput(f"SKU {data.sku_id} is not one this tenant bought; `skytally licences skus` lists them")
    row = repo.price(session, account_id, sku) or LicencePrice(account_id=account_id, sku_id=sku)
    row.amount, row.currency, row.term = Decimal(data.amount), data.currency, data.term
    row.entered_by, row.entered_at = actor.email if actor else "cli", utcnow()
    session.add(row)
    session.flush()
    return analysis.price_out(row)


def delete_price(session: Session, actor: Actor | None, account_id: int, sku_id: str) -> None:
    check_can_sync(session, actor, account_id)
    repo.delete_price(session, account_id, sku_id.lower())


FINDING_COLUMNS = ["rule", "upn", "display_name", "department", "object_id", "sku_name", "sku_id", "units", "detail",
                   "monthly_waste", "currency"]


def findings_csv(rep: LicenceReport, rule: str | None = None) -> str:
    """The users (and units) behind each waste rule, as CSV."""
    if rule is not None and rule not in {r.id for r in rep.rules}:
        raise InvalidInput(f"unknown rule {rule!r}; rules: {', '.join(r.id for r in rep.rules)}")
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(FINDING_COLUMNS)
    for f in rep.findings:
        if rule is None or f.rule == rule:
            w.writerow([f.rule, f.upn, f.display_name, f.department, f.object_id, f.sku_name, f.sku_id, f.units, f.detail,
                        "" if f.monthly_waste is None else f"{f.monthly_waste:.2f}", f.currency or ""])
    return out.getvalue()


def request_sync(session: Session, db: Database, dispatcher: Dispatcher, actor: Actor | None, account_id: int) -> JobRunOut:
    """"Sync now": one `licences.import` run for the account, unless one is queued or running."""
    account = check_can_sync(session, actor, account_id)
    ws = accounts_service.workspace_ids_of(session, account.id)
    run, _new = jobs.submit_unique(db, dispatcher, IMPORT, key={"account_id": account.id}, target=f"account {account.name}",
                                   workspace_id=ws[0] if ws else None, queued_by=actor.email if actor else "cli")
    return run

"""Import one Office 365 account: read the tenant through Graph (fetch.py), then replace
what is stored for it, endpoint by endpoint: what an endpoint could not read keeps its
previous rows, and the import row says which endpoint failed and why."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from skytally.accounts import service as accounts
from skytally.accounts.schemas import AccountKind
from skytally.accounts.service import AccountsEnv, CloudAccount
from skytally.errors import InvalidInput, NotFound
from skytally.licences import fetch, repo, service
from skytally.licences.models import LicenceImport
from skytally.licences.schemas import ImportOut
from skytally.store.base import utcnow
from skytally.store.db import Database

log = logging.getLogger(__name__)


def _date(value: str | None) -> date | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).date() if value else None


def licences_of(u: dict[str, Any]) -> list[dict[str, Any]]:
    """One entry per SKU: assigned directly and/or through groups, errors, disabled plans."""
    out: dict[str, dict[str, Any]] = {}
    for st in u.get("licenseAssignmentStates") or []:
        sku = str(st.get("skuId", "")).lower()
        e = out.setdefault(sku, {"sku": sku, "direct": False, "groups": [], "error_groups": [], "disabled": [],
                                 "error": None, "assigned": None})
        error = st.get("error") if st.get("error") not in (None, "None") else None
        group = st.get("assignedByGroup")
        if error or st.get("state") == "Error":
            e["error"] = error or "Error"
            if group:
                e["error_groups"].append(group)
            continue
        if group:
            e["groups"].append(group)
        else:
            e["direct"] = True
            e["disabled"] = list(st.get("disabledPlans") or [])
        when = _date(st.get("lastUpdatedDateTime"))
        if when and (e["assigned"] is None or when.isoformat() < e["assigned"]):
            e["assigned"] = when.isoformat()
    for a in u.get("assignedLicenses") or []:  # a tenant that answers without states
        sku = str(a.get("skuId", "")).lower()
        if sku not in out:
            out[sku] = {"sku": sku, "direct": True, "groups": [], "error_groups": [], "disabled": list(a.get("disabledPlans") or []),
                        "error": None, "assigned": None}
    return list(out.values())


def _user_row(u: dict[str, Any], facts: dict[str, Any]) -> dict[str, Any]:
    return {
        "object_id": u["id"], "upn": u.get("userPrincipalName") or "", "display_name": u.get("displayName") or "",
        "department": u.get("department") or "", "job_title": u.get("jobTitle") or "",
        "account_enabled": bool(u.get("accountEnabled", True)), "user_type": u.get("userType") or "Member",
        "usage_location": u.get("usageLocation") or "",
        "created": datetime.fromisoformat(u["createdDateTime"].replace("Z", "+00:00")) if u.get("createdDateTime") else None,
        "licences": licences_of(u), "last_sign_in": u.get("_last_sign_in"), "last_activity": facts.get("last"),
        "mailbox_type": facts.get("mailbox") or "", "mailbox_bytes": facts.get("bytes"), "has_archive": facts.get("archive"),
    }


def _sku_row(s: dict[str, Any]) -> dict[str, Any]:
    units = s.get("prepaidUnits") or {}
    return {
        "sku_id": str(s["skuId"]).lower(), "part_number": s.get("skuPartNumber") or s["skuId"],
        "applies_to": s.get("appliesTo") or "User", "capability_status": s.get("capabilityStatus") or "",
        "enabled": int(units.get("enabled") or 0), "suspended": int(units.get("suspended") or 0),
        "warning": int(units.get("warning") or 0), "locked_out": int(units.get("lockedOut") or 0),
        "consumed": int(s.get("consumedUnits") or 0),
        "service_plans": [[p.get("servicePlanId"), p.get("servicePlanName")] for p in s.get("servicePlans") or []],
    }


def sync_account(db: Database, env: AccountsEnv, account_id: int,
                 progress: Callable[[str], None] = lambda _m: None) -> ImportOut:
    """Read the tenant and store it; raises only when nothing could be read at all."""
    with db.session() as session:
        account = session.get(CloudAccount, account_id)
        if account is None or account.kind != AccountKind.OFFICE365.value:
            raise NotFound(f"Office 365 account {account_id} not found; `skytally accounts list` shows them")
        credential = accounts.app_credential(session, env, account)
        name = account.name
        row = repo.import_row(session, account_id) or LicenceImport(account_id=account_id)
        row.started_at, row.finished_at, row.status, row.message = utcnow(), None, "running", ""
        session.add(row)
    if credential is None:
        return _finish(db, account_id, None, f"Office 365 account {name} has no credential to read it with; "
                                               "consent again or add its service principal")
    try:
        roles = {str(r) for r in accounts.app_token_claims(credential, env.settings.endpoints.graph_scope()).get("roles", [])}
    except Exception as exc:
        return _finish(db, account_id, None, f"signing in to tenant {name} failed: {exc}")
    graph = env.connector.graph(credential)
    data = fetch.read_tenant(graph, roles, env.connector.download_blob, progress)
    out = _finish(db, account_id, data, "")
    _store_report(db, account_id)
    return out


def _store_report(db: Database, account_id: int) -> None:
    """Build the page's report now, once, and keep it in the database: the first view after
    an import (in whichever process serves it) then reads it instead of analysing every user."""
    try:
        with db.session() as session:
            service.report(session, None, account_id, store=True)
    except Exception:  # the import itself succeeded; the page builds the report when it is viewed
        log.warning("licences: the report of account %s could not be built after its import", account_id, exc_info=True)


def _finish(db: Database, account_id: int, data: fetch.TenantData | None, failure: str) -> ImportOut:
    with db.session() as session:
        row = repo.import_row(session, account_id)
        assert row is not None
        row.finished_at = utcnow()
        if data is None:
            row.status, row.message, row.endpoints = "failed", failure, {}
            return ImportOut.of(row)
        ok = {k for k, v in data.endpoints.items() if v.ok}
        if "skus" in ok:
            repo.replace_skus(session, account_id, [_sku_row(s) for s in data.skus])
        if "users" in ok:
            rows = [_user_row(u, data.by_upn.get((u.get("userPrincipalName") or "").lower(), {})) for u in data.users.values()]
            repo.replace_users(session, account_id, rows)
        if "groups" in ok:
            repo.replace_groups(session, account_id, [{"object_id": g["id"], "display_name": g.get("displayName") or "",
                                                       "skus": [str(a["skuId"]).lower() for a in g["assignedLicenses"]]}
                                                      for g in data.groups])
        row.endpoints = {k: v.to_dict() for k, v in data.endpoints.items()}
        row.sign_in, row.names_concealed, row.report_date = data.sign_in, data.names_concealed, data.report_date
        row.report_products = data.report_products
        failed = [k for k in data.endpoints if k not in ok and not (k == "sign_in" and data.sign_in in ("no_premium", "no_permission"))]
        row.status = "ok" if not failed else ("failed" if not ok else "partial")
        row.message = "; ".join(f"{k}: {data.endpoints[k].message}" for k in failed)
        if "users" in ok:
            account = session.get(CloudAccount, account_id)
            if account is not None:
                account.last_sync_at = row.finished_at
        return ImportOut.of(row)


def require_office365(session: Any, account_id: int) -> CloudAccount:
    account = session.get(CloudAccount, account_id)
    if account is None or account.kind != AccountKind.OFFICE365.value:
        raise InvalidInput(f"account {account_id} is not an Office 365 account")
    return account

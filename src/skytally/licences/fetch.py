"""Reading one Office 365 tenant through Microsoft Graph: products, users with their
licences, sign-in activity, licensed groups and the usage reports. Every endpoint
succeeds or fails on its own (a refused report does not lose the users), and each
failure keeps Graph's words and names the permission that was missing.

Calls go through skytally's Graph client (azure-core pipeline, the project's retry policy,
which honours Retry-After on 429 and 503). Reports answer 302 to a short-lived download
URL that needs no token; it is streamed to a temporary file and read row by row.
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from skytally.azure.rest import AzureHttpError, AzureUnreachable, GraphClient
from skytally.licences import signin

USER_SELECT = ("id,userPrincipalName,displayName,department,jobTitle,accountEnabled,userType,usageLocation,"
               "createdDateTime,assignedLicenses,licenseAssignmentStates")
# The report periods read: the longest, so "inactive for N days" can be judged up to 180.
REPORTS = {
    "activity": "getOffice365ActiveUserDetail(period='D180')",
    "apps": "getM365AppUserDetail(period='D180')",
    "mailbox": "getMailboxUsageDetail(period='D30')",
}
# endpoint → the application permission skytally asks for it (named when Graph refuses)
NEEDS = {"skus": "LicenseAssignment.Read.All", "users": "User.Read.All", "sign_in": "AuditLog.Read.All",
         "groups": "Group.Read.All", "activity": "Reports.Read.All", "apps": "Reports.Read.All",
         "mailbox": "Reports.Read.All"}
_WORKLOADS = ("Exchange", "OneDrive", "SharePoint", "Skype For Business", "Yammer", "Teams")
ORDER = ("skus", "users", "sign_in", "groups", "activity", "apps", "mailbox")
# Requests in flight at once. Graph's identity & access limit is counted in resource units
# (8,000 per 10 s for a large tenant), not in concurrent requests: a 50,000-user import needs
# ~520 units in all, so the limit never binds; 8 keeps one connection pool (urllib3: 10).
WORKERS = 8
_FAILURES = (AzureHttpError, AzureUnreachable, ValueError, KeyError, csv.Error)


@dataclass
class Outcome:
    ok: bool
    rows: int = 0
    message: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "rows": self.rows, "message": self.message}


@dataclass
class TenantData:
    endpoints: dict[str, Outcome] = field(default_factory=dict)
    skus: list[dict[str, Any]] = field(default_factory=list)
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    groups: list[dict[str, Any]] = field(default_factory=list)
    sign_in: str = "unknown"  # available | no_permission | no_premium | failed
    names_concealed: bool | None = None
    report_date: date | None = None
    # upper-case product name → {"30": n, "90": n, "all": n} (from the activity report)
    report_products: dict[str, dict[str, int]] = field(default_factory=dict)
    # upn (lower case) → activity / mailbox facts from the reports (names visible only)
    by_upn: dict[str, dict[str, Any]] = field(default_factory=dict)


def _failure(endpoint: str, exc: Exception) -> Outcome:
    if isinstance(exc, AzureHttpError):
        text = f"Microsoft Graph answered {exc.status} {exc.code}: {exc.message}"
        if exc.status == 403 and exc.code == "Authorization_RequestDenied":
            text += f" — the application lacks the {NEEDS[endpoint]} permission; grant it (admin consent) and sync again"
        return Outcome(False, 0, text)
    return Outcome(False, 0, str(exc))


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def read_tenant(graph: GraphClient, roles: set[str], download: Callable[[str, Path], int],
                progress: Callable[[str], None] = lambda _msg: None, workers: int | None = None) -> TenantData:
    """Read every endpoint at once (``workers`` requests in flight at most, WORKERS unless
    given), each succeeding or failing on its own; ``progress`` is told each endpoint's name
    as it is read."""
    data = TenantData()
    with ThreadPoolExecutor(max_workers=workers or WORKERS, thread_name_prefix="graph") as pool:
        # the longest chain first: users is one nextLink chain (52 pages of 999 at 50,000 users)
        futures: dict[str, Future[Any]] = {"users": pool.submit(_users, graph)}
        futures.update({name: pool.submit(_report, graph, name, download) for name in REPORTS})
        futures["skus"] = pool.submit(_skus, graph)
        futures["groups"] = pool.submit(_groups, graph)
        sign_in = signin.start(pool, graph) if "AuditLog.Read.All" in roles else None
        for name in ORDER:
            if name == "sign_in":
                continue
            _settle(data, name, futures[name], progress)
        if sign_in is None:
            data.sign_in = "no_permission"
            data.endpoints["sign_in"] = Outcome(True, 0)
        else:
            _settle_sign_in(data, graph, pool, sign_in)
        progress("sign_in")
    data.endpoints = {name: data.endpoints[name] for name in ORDER}
    return data


def _settle(data: TenantData, name: str, future: Future[Any], progress: Callable[[str], None]) -> None:
    try:
        result = future.result()
    except _FAILURES as exc:
        data.endpoints[name] = _failure(name, exc)
    else:
        if name == "skus":
            data.skus = result
        elif name == "users":
            data.users = result
        elif name == "groups":
            data.groups = result
        else:
            result.merge_into(data)
        data.endpoints[name] = Outcome(True, len(result) if isinstance(result, (list, dict)) else result.rows)
    progress(name)


def _settle_sign_in(data: TenantData, graph: GraphClient, pool: ThreadPoolExecutor, sign_in: signin.Reading) -> None:
    try:
        seen = sign_in.result(graph, pool, set(data.users) if data.endpoints["users"].ok else None)
    except AzureHttpError as exc:
        if exc.status == 403 and exc.code == "Authentication_RequestFromNonPremiumTenantOrB2CTenant":
            data.sign_in = "no_premium"
        elif exc.status == 403:
            data.sign_in = "no_permission"
        else:
            data.sign_in = "failed"
        data.endpoints["sign_in"] = _failure("sign_in", exc)
        return
    except _FAILURES as exc:
        data.sign_in = "failed"
        data.endpoints["sign_in"] = _failure("sign_in", exc)
        return
    for uid, last in seen.items():
        if uid in data.users:
            data.users[uid]["_last_sign_in"] = last
    data.sign_in = "available"
    data.endpoints["sign_in"] = Outcome(True, len(seen))


def _skus(graph: GraphClient) -> list[dict[str, Any]]:
    return [s for page in graph.pages("/subscribedSkus") for s in page]


def _users(graph: GraphClient) -> dict[str, dict[str, Any]]:
    users: dict[str, dict[str, Any]] = {}
    for page in graph.pages("/users", {"$select": USER_SELECT, "$top": "999"}):
        for u in page:
            users[u["id"]] = u
    return users


def _groups(graph: GraphClient) -> list[dict[str, Any]]:
    return [g for page in graph.pages("/groups", {"$select": "id,displayName,assignedLicenses", "$top": "999"})
            for g in page if g.get("assignedLicenses")]


def _rows(path: Path) -> Iterator[dict[str, str]]:
    with open(path, newline="", encoding="utf-8-sig") as fh:
        yield from csv.DictReader(fh)


@dataclass
class ReportPart:
    """What one report taught (read on a worker thread, merged into TenantData after)."""

    name: str
    rows: int = 0
    names_concealed: bool | None = None
    report_date: date | None = None
    report_products: dict[str, dict[str, int]] = field(default_factory=dict)
    by_upn: dict[str, dict[str, Any]] = field(default_factory=dict)

    def merge_into(self, d: TenantData) -> None:
        if self.names_concealed is not None:
            d.names_concealed = self.names_concealed if d.names_concealed is None else (d.names_concealed or self.names_concealed)
        if self.report_date and (d.report_date is None or self.report_date > d.report_date):
            d.report_date = self.report_date
        for product, agg in self.report_products.items():
            into = d.report_products.setdefault(product, {"30": 0, "90": 0, "all": 0})
            for k, v in agg.items():
                into[k] += v
        for upn, facts in self.by_upn.items():
            known = d.by_upn.setdefault(upn, {})
            last = facts.get("last")
            for k, v in facts.items():
                if k != "last":
                    known[k] = v
            if last:
                known["last"] = max(last, known.get("last", last))


def _report(graph: GraphClient, name: str, download: Callable[[str, Path], int]) -> ReportPart:
    part = ReportPart(name)
    url = graph.redirect(f"/reports/{REPORTS[name]}")
    with tempfile.TemporaryDirectory(prefix="skytally-report-") as tmp:
        path = Path(tmp) / f"{name}.csv"
        download(url, path)
        for row in _rows(path):
            part.rows += 1
            _take(part, name, row)
    return part


def _take(d: ReportPart, name: str, row: dict[str, str]) -> None:
    upn = row.get("User Principal Name", "")
    if "@" in upn:
        d.names_concealed = False if d.names_concealed is None else d.names_concealed
    elif upn:
        d.names_concealed = True
    refresh = _day(row.get("Report Refresh Date"))
    if refresh and (d.report_date is None or refresh > d.report_date):
        d.report_date = refresh
    facts = d.by_upn.setdefault(upn.lower(), {}) if "@" in upn else {}
    if name == "activity":
        days = [x for x in (_day(row.get(f"{w} Last Activity Date")) for w in _WORKLOADS) if x]
        last = max(days) if days else None
        if "@" in upn and last:
            facts["last"] = max(last, facts.get("last", last))
        for product in filter(None, (row.get("Assigned Products") or "").split("+")):
            agg = d.report_products.setdefault(product.strip().upper(), {"30": 0, "90": 0, "all": 0})
            agg["all"] += 1
            if last and refresh:
                age = (refresh - last).days
                agg["30"] += age < 30
                agg["90"] += age < 90
    elif name == "apps":
        last = _day(row.get("Last Activity Date"))
        if "@" in upn and last:
            facts["last"] = max(last, facts.get("last", last))
    elif name == "mailbox" and "@" in upn:
        facts["mailbox"] = (row.get("Recipient Type") or "").strip()
        facts["mailbox_known"] = "Recipient Type" in row
        used = row.get("Storage Used (Byte)") or ""
        facts["bytes"] = int(used) if used.isdigit() else None
        facts["archive"] = (row.get("Has Archive") or "").strip().lower() in ("true", "yes")

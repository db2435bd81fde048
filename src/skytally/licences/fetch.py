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
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from skytally.azure.rest import AzureHttpError, AzureUnreachable, GraphClient

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


def _when(value: str | None) -> datetime | None:
    if not value or value.startswith("0001-01-01"):
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def read_tenant(graph: GraphClient, roles: set[str], download: Callable[[str, Path], int],
                progress: Callable[[str], None] = lambda _msg: None) -> TenantData:
    data = TenantData()
    steps: list[tuple[str, Callable[[TenantData], int]]] = [
        ("skus", lambda d: _skus(graph, d)),
        ("users", lambda d: _users(graph, d)),
        ("sign_in", lambda d: _sign_ins(graph, d, roles)),
        ("groups", lambda d: _groups(graph, d)),
    ]
    for name in REPORTS:
        steps.append((name, lambda d, name=name: _report(graph, d, name, download)))  # type: ignore[misc]
    for name, step in steps:
        progress(name)
        try:
            data.endpoints[name] = Outcome(True, step(data))
        except (AzureHttpError, AzureUnreachable, ValueError, KeyError, csv.Error) as exc:
            data.endpoints[name] = _failure(name, exc)
            if name == "sign_in" and data.sign_in == "unknown":
                data.sign_in = "failed"
    return data


def _skus(graph: GraphClient, d: TenantData) -> int:
    for page in graph.pages("/subscribedSkus"):
        d.skus += page
    return len(d.skus)


def _users(graph: GraphClient, d: TenantData) -> int:
    for page in graph.pages("/users", {"$select": USER_SELECT, "$top": "999"}):
        for u in page:
            d.users[u["id"]] = u
    return len(d.users)


def _sign_ins(graph: GraphClient, d: TenantData, roles: set[str]) -> int:
    if "AuditLog.Read.All" not in roles:
        d.sign_in = "no_permission"
        return 0
    n = 0
    try:
        for page in graph.pages("/users", {"$select": "id,signInActivity", "$top": "120"}):
            for u in page:
                act = u.get("signInActivity") or {}
                times = [t for t in (_when(act.get("lastSignInDateTime")), _when(act.get("lastNonInteractiveSignInDateTime"))) if t]
                if u["id"] in d.users:
                    d.users[u["id"]]["_last_sign_in"] = max(times) if times else None
                n += 1
    except AzureHttpError as exc:
        if exc.status == 403 and exc.code == "Authentication_RequestFromNonPremiumTenantOrB2CTenant":
            d.sign_in = "no_premium"
        elif exc.status == 403:
            d.sign_in = "no_permission"
        raise
    d.sign_in = "available"
    return n


def _groups(graph: GraphClient, d: TenantData) -> int:
    for page in graph.pages("/groups", {"$select": "id,displayName,assignedLicenses", "$top": "999"}):
        d.groups += [g for g in page if g.get("assignedLicenses")]
    return len(d.groups)


def _rows(path: Path) -> Iterator[dict[str, str]]:
    with open(path, newline="", encoding="utf-8-sig") as fh:
        yield from csv.DictReader(fh)


def _report(graph: GraphClient, d: TenantData, name: str, download: Callable[[str, Path], int]) -> int:
    url = graph.redirect(f"/reports/{REPORTS[name]}")
    with tempfile.TemporaryDirectory(prefix="skytally-report-") as tmp:
        path = Path(tmp) / f"{name}.csv"
        download(url, path)
        n = 0
        for row in _rows(path):
            n += 1
            _take(d, name, row)
    return n


def _take(d: TenantData, name: str, row: dict[str, str]) -> None:
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

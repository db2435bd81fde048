"""The CSV bodies of the Microsoft 365 usage reports (columns as Microsoft documents them;
see shared/azure-reference/graph/NOTES.md and tests/reference/graph/NOTES-licensing.md).

Data lag: the Report Refresh Date is two days before the request, and activity after it
is not in the report yet. Concealed names: UPN and display name become a stable 32-hex
hash per user, as Microsoft 365 shows them when ``displayConcealedNames`` is on.
"""

from __future__ import annotations

import csv
import hashlib
import io
from datetime import date, datetime, timedelta

from azure_emulator.world import m365_catalog as cat
from azure_emulator.world.generate_m365 import effective_skus
from azure_emulator.world.model import Tenant, User

LAG = timedelta(days=2)
ACTIVE_USER_DETAIL = [
    "Report Refresh Date", "User Principal Name", "Display Name", "Is Deleted", "Deleted Date", "Has Exchange License",
    "Has OneDrive License", "Has SharePoint License", "Has Skype For Business License", "Has Yammer License",
    "Has Teams License", "Exchange Last Activity Date", "OneDrive Last Activity Date", "SharePoint Last Activity Date",
    "Skype For Business Last Activity Date", "Yammer Last Activity Date", "Teams Last Activity Date",
    "Exchange License Assign Date", "OneDrive License Assign Date", "SharePoint License Assign Date",
    "Skype For Business License Assign Date", "Yammer License Assign Date", "Teams License Assign Date", "Assigned Products",
]
_APP_COLS = ["Outlook", "Word", "Excel", "PowerPoint", "OneNote", "Teams"]
_PLATFORMS = ["Windows", "Mac", "Mobile", "Web"]
APP_USER_DETAIL = ["Report Refresh Date", "User Principal Name", "Last Activation Date", "Last Activity Date", "Report Period",
                   *_PLATFORMS, *_APP_COLS, *[f"{a} ({p})" for p in _PLATFORMS for a in _APP_COLS]]
# The stored doc's bullet list (17 columns) plus "Recipient Type" before "Report Period", as the
# current report carries it (User / Shared / Room / Equipment); parsers key on names.
MAILBOX_USAGE_DETAIL = [
    "Report Refresh Date", "User Principal Name", "Display Name", "Is Deleted", "Deleted Date", "Created Date",
    "Last Activity Date", "Item Count", "Storage Used (Byte)", "Issue Warning Quota (Byte)", "Prohibit Send Quota (Byte)",
    "Prohibit Send/Receive Quota (Byte)", "Deleted Item Count", "Deleted Item Size (Byte)", "Deleted Item Quota (Byte)",
    "Has Archive", "Recipient Type", "Report Period",
]
ACTIVE_USER_COUNTS = ["Report Refresh Date", "Office 365", "Exchange", "OneDrive", "SharePoint", "Skype For Business",
                      "Yammer", "Teams", "Report Date", "Report Period"]

# workload → service plan names that license it
_WORKLOAD_PLANS = {
    "Exchange": ("EXCHANGE_S_ENTERPRISE", "EXCHANGE_S_STANDARD"),
    "OneDrive": ("SHAREPOINTENTERPRISE",), "SharePoint": ("SHAREPOINTENTERPRISE",),
    "Skype For Business": ("MCOSTANDARD",), "Yammer": ("YAMMER_ENTERPRISE",), "Teams": ("TEAMS1",),
}
_BY_ID = {sid: part for part, (sid, _, _) in cat.SKUS.items()}


def _day(value: datetime | None, refresh: date) -> str:
    if value is None:
        return ""
    return min(value.date(), refresh).isoformat()


def _hash(tenant: Tenant, text: str) -> str:
    return hashlib.md5(f"{tenant.tenant_id}:{text}".encode()).hexdigest().upper()


def _names(tenant: Tenant, u: User, concealed: bool) -> tuple[str, str]:
    if concealed:
        h = _hash(tenant, u.user_principal_name.lower())
        return h, h
    return u.user_principal_name, u.display_name


def _workload_licences(skus: list[str]) -> set[str]:
    plans = {name for s in skus if s in _BY_ID for name in cat.SKUS[_BY_ID[s]][2]}
    return {w for w, need in _WORKLOAD_PLANS.items() if plans.intersection(need)}


def render(tenant: Tenant, name: str, kind: str, value: str, asked: datetime, *, concealed: bool) -> str:
    refresh = (asked - LAG).date()
    period = int(value[1:]) if kind == "period" else 1
    on_day = date.fromisoformat(value) if kind == "date" else None
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    effective = effective_skus(tenant)
    if name == "getOffice365ActiveUserDetail":
        w.writerow(ACTIVE_USER_DETAIL)
        for u in tenant.users.values():
            skus = effective.get(u.object_id, [])
            use = u.usage
            if not skus and (use is None or use.mailbox is None):
                continue
            dates = {"Exchange": use.exchange if use else None, "OneDrive": use.onedrive if use else None,
                     "SharePoint": use.sharepoint if use else None, "Skype For Business": None,
                     "Yammer": use.yammer if use else None, "Teams": use.teams if use else None}
            if on_day is not None and not any(d is not None and d.date() == on_day for d in dates.values()):
                continue
            has = _workload_licences(skus)
            assigned = min((u.licence_assigned[s] for s in skus if s in u.licence_assigned), default=None)
            upn, display = _names(tenant, u, concealed)
            products = "+".join(cat.SKUS[_BY_ID[s]][1].upper() for s in skus if s in _BY_ID)
            w.writerow([refresh.isoformat(), upn, display, "False", "",
                        *[str(wl in has) for wl in _WORKLOAD_PLANS],
                        *[_day(dates[wl], refresh) for wl in _WORKLOAD_PLANS],
                        *[_day(assigned, refresh) if wl in has else "" for wl in _WORKLOAD_PLANS], products])
    elif name == "getM365AppUserDetail":
        w.writerow(APP_USER_DETAIL)
        for u in tenant.users.values():
            use = u.usage
            if use is None or use.apps is None:
                continue
            if on_day is not None and use.apps.date() != on_day:
                continue
            upn, _ = _names(tenant, u, concealed)
            recent = use.apps.date() >= refresh - timedelta(days=period)
            plats = [p in use.app_platforms and recent for p in _PLATFORMS]
            yes = ["Yes" if p else "No" for p in plats]
            apps = ["Yes" if recent else "No"] * len(_APP_COLS)
            per = ["Yes" if plats[i] else "No" for i in range(len(_PLATFORMS)) for _ in _APP_COLS]
            w.writerow([refresh.isoformat(), upn, _day(use.apps - timedelta(days=200), refresh), _day(use.apps, refresh),
                        str(period), *yes, *apps, *per])
    elif name == "getMailboxUsageDetail":
        w.writerow(MAILBOX_USAGE_DETAIL)
        for u in tenant.users.values():
            use = u.usage
            if use is None or use.mailbox is None:
                continue
            if on_day is not None and (use.exchange is None or use.exchange.date() != on_day):
                continue
            upn, display = _names(tenant, u, concealed)
            big = "EXCHANGE_S_ENTERPRISE" in {n for s in effective.get(u.object_id, []) if s in _BY_ID for n in cat.SKUS[_BY_ID[s]][2]}
            quota = 100 * 1024**3 if big else 50 * 1024**3
            w.writerow([refresh.isoformat(), upn, display, "False", "", _day(u.created, refresh), _day(use.exchange, refresh),
                        use.mailbox_items, use.mailbox_bytes, quota - 2 * 1024**3, quota - 1024**3, quota,
                        use.mailbox_items // 20, use.mailbox_bytes // 30, 30 * 1024**3, str(use.has_archive),
                        use.mailbox, str(period)])
    else:  # getOffice365ActiveUserCounts: one row per day of the period
        w.writerow(ACTIVE_USER_COUNTS)
        for back in range(period):
            day = refresh - timedelta(days=back)
            counts = {k: 0 for k in ("Office 365", *_WORKLOAD_PLANS)}
            for u in tenant.users.values():
                use = u.usage
                if use is None:
                    continue
                hits = {"Exchange": use.exchange, "OneDrive": use.onedrive, "SharePoint": use.sharepoint,
                        "Skype For Business": None, "Yammer": use.yammer, "Teams": use.teams}
                active = [k for k, d in hits.items() if d is not None and d.date() == day]
                for k in active:
                    counts[k] += 1
                if active:
                    counts["Office 365"] += 1
            w.writerow([refresh.isoformat(), *counts.values(), day.isoformat(), str(period)])
    return out.getvalue()

"""The waste rules. Each is explained in words the page and the export show; each says
"unknown" rather than guessing when the data it needs was not available.

Pure functions over plain values, so every rule is tested with a user who must be flagged
and one who must not (tests/licences/test_rules.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

MAILBOX_KINDS = {"shared": "shared mailbox", "room": "room mailbox", "equipment": "equipment mailbox"}
FREE_MAILBOX_BYTES = 50 * 1000**3  # a shared mailbox needs a licence above 50 GB
IGNORED_PLANS = frozenset({"EXCHANGE_S_FOUNDATION"})  # present in many products, buys nothing alone
# A plan is also provided by its higher tier in another product.
HIGHER_TIER = {"EXCHANGE_S_STANDARD": "EXCHANGE_S_ENTERPRISE", "SHAREPOINTSTANDARD": "SHAREPOINTENTERPRISE",
               "FORMS_PLAN_E3": "FORMS_PLAN_E5", "STREAM_O365_E3": "STREAM_O365_E5", "MCOIMP": "MCOSTANDARD"}


@dataclass
class User:
    object_id: str
    upn: str
    display_name: str
    department: str
    account_enabled: bool
    user_type: str
    licences: list[dict[str, Any]]
    last_sign_in: datetime | None = None
    last_activity: date | None = None
    mailbox_type: str = ""
    mailbox_bytes: int | None = None
    has_archive: bool | None = None
    _effective: list[dict[str, Any]] = field(default_factory=list, repr=False)
    _mailbox: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:  # asked many times per user by the rules: computed once
        self._effective = [lic for lic in self.licences if lic.get("direct") or lic.get("groups")]
        low = self.mailbox_type.lower()
        self._mailbox = next((label for key, label in MAILBOX_KINDS.items() if key in low), None) if low else None

    def effective(self) -> list[dict[str, Any]]:
        return self._effective

    def mailbox_kind(self) -> str | None:
        return self._mailbox


@dataclass
class Sku:
    sku_id: str
    name: str
    enabled: int
    consumed: int
    plans: dict[str, str] = field(default_factory=dict)  # servicePlanId → servicePlanName


@dataclass
class Known:
    """What the last import could read."""

    today: date
    sign_in: bool  # per-user sign-in dates (Entra ID P1/P2 and AuditLog.Read.All)
    activity: bool  # per-user workload activity (usage reports readable, names not concealed)
    mailboxes: bool  # recipient types per user (mailbox report readable, names visible, column present)
    inactive_days: int = 90


@dataclass
class Hit:
    user: User | None
    sku_id: str
    detail: str
    units: int = 1
    costs: bool = True  # False: a clean-up item that frees no unit


@dataclass
class Rule:
    id: str
    title: str
    explanation: str
    evaluate: Callable[[list[User], dict[str, Sku], Known], list[Hit]]
    unknown: Callable[[Known], str] = lambda _k: ""


def last_seen(u: User, k: Known) -> date | None:
    days = []
    if k.sign_in and u.last_sign_in is not None:
        days.append(u.last_sign_in.date())
    if k.activity and u.last_activity is not None:
        days.append(u.last_activity)
    return max(days) if days else None


def _disabled(users: list[User], skus: dict[str, Sku], k: Known) -> list[Hit]:
    hits = []
    for u in users:
        if u.account_enabled or u.mailbox_kind():
            continue
        note = "" if k.mailboxes else " (mailbox types unknown: it may be a shared mailbox, see the mailbox rule)"
        hits += [Hit(u, lic["sku"], f"sign-in blocked (accountEnabled false){note}") for lic in u.effective()]
    return hits


def _inactive(users: list[User], skus: dict[str, Sku], k: Known) -> list[Hit]:
    hits = []
    for u in users:
        if not u.account_enabled or u.mailbox_kind() or not u.effective():
            continue
        seen = last_seen(u, k)
        if seen is not None and (k.today - seen).days < k.inactive_days:
            continue
        what = f"last seen {seen.isoformat()} ({(k.today - seen).days} days ago)" if seen else "never seen active"
        for lic in u.effective():
            assigned = lic.get("assigned")
            if assigned and (k.today - date.fromisoformat(assigned)).days < k.inactive_days:
                continue  # assigned recently: too early to judge
            hits.append(Hit(u, lic["sku"], what))
    return hits


def _inactive_unknown(k: Known) -> str:
    if k.sign_in or k.activity:
        return ""
    return ("neither sign-in activity (needs Entra ID P1/P2 and AuditLog.Read.All) nor per-user workload activity "
            "(usage reports with names shown) is available, so inactivity cannot be judged per user")


def _unassigned(users: list[User], skus: dict[str, Sku], k: Known) -> list[Hit]:
    return [Hit(None, s.sku_id, f"{s.enabled - s.consumed} of {s.enabled} units bought are assigned to nobody",
                units=s.enabled - s.consumed) for s in skus.values() if s.enabled > s.consumed]


def _duplicate(users: list[User], skus: dict[str, Sku], k: Known) -> list[Hit]:
    return [Hit(u, lic["sku"], f"assigned directly and through {len(lic['groups'])} group(s)", costs=False)
            for u in users for lic in u.licences if lic.get("direct") and lic.get("groups")]


def covers(a: Sku, b: Sku, disabled_in_a: set[str] = frozenset()) -> bool:  # type: ignore[assignment]
    """Does product `a` already give every service plan of `b` (same plan or a higher tier)?"""
    have = {name for pid, name in a.plans.items() if pid not in disabled_in_a}
    need = {name for name in b.plans.values() if name not in IGNORED_PLANS}
    return bool(need) and all(n in have or HIGHER_TIER.get(n) in have for n in need)


def _overlap(users: list[User], skus: dict[str, Sku], k: Known) -> list[Hit]:
    hits = []
    for u in users:
        held = [lic for lic in u.effective() if lic["sku"] in skus]
        if len(held) < 2:
            continue
        for b in held:
            for a in held:
                if a is b:
                    continue
                sa, sb = skus[a["sku"]], skus[b["sku"]]
                if covers(sa, sb, set(a.get("disabled") or [])):
                    if covers(sb, sa, set(b.get("disabled") or [])) and sb.sku_id < sa.sku_id:
                        continue  # the same plans both ways: flag one of the two only
                    hits.append(Hit(u, sb.sku_id, f"every service plan of {sb.name} is already in {sa.name}"))
                    break
    return hits


def _mailbox(users: list[User], skus: dict[str, Sku], k: Known) -> list[Hit]:
    hits = []
    for u in users:
        kind = u.mailbox_kind()
        if kind is None or not u.effective():
            continue
        if (u.mailbox_bytes or 0) > FREE_MAILBOX_BYTES or u.has_archive:
            continue  # over 50 GB or with an archive: the licence is needed
        size = f"{(u.mailbox_bytes or 0) / 1000**3:.1f} GB" if u.mailbox_bytes is not None else "size unknown"
        hits += [Hit(u, lic["sku"], f"licensed {kind}, {size}, no archive (a litigation hold cannot be seen "
                                    "through Graph: check it before removing the licence)") for lic in u.effective()]
    return hits


def _mailbox_unknown(k: Known) -> str:
    return "" if k.mailboxes else ("which users are shared or room mailboxes is not known: the mailbox usage report "
                                   "was not read, its names are concealed, or it has no Recipient Type column")


RULES: list[Rule] = [
    Rule("disabled", "Disabled accounts holding licences",
         "The account cannot sign in (accountEnabled is false) but still consumes licences. Shared and room "
         "mailboxes, which are disabled accounts by design, are judged by the mailbox rule instead.", _disabled),
    Rule("inactive", "Licensed users inactive for {days} days",
         "The user has not signed in (Entra sign-in activity, when the tenant has Entra ID P1/P2 and skytally holds "
         "AuditLog.Read.All) nor used any Microsoft 365 workload (usage reports) for {days} days. Licences "
         "assigned less than {days} days ago are left out: too early to judge.", _inactive, _inactive_unknown),
    Rule("unassigned", "Units bought and assigned to nobody",
         "Prepaid units (enabled) minus consumed units of each product: paid for, used by no one.", _unassigned),
    Rule("duplicate", "Same product assigned directly and through a group",
         "The user holds the product both ways. It consumes one unit, so it costs nothing extra today, but removing "
         "the group later will not free the unit; remove the direct assignment.", _duplicate),
    Rule("overlap", "Products already contained in another product the user holds",
         "Every service plan of this product (by the tenant's own service-plan lists, a higher tier counting, "
         "Exchange Foundation ignored) is already in another product the user holds, e.g. Office 365 E3 next to "
         "Microsoft 365 E3.", _overlap),
    Rule("mailbox", "Licensed shared or room mailboxes without a reason",
         "Shared and room mailboxes need no licence unless they hold more than 50 GB, have an archive or are on "
         "hold. Flagged only when the mailbox report shows none of the first two; holds are not visible through "
         "Graph, so check them before removing.", _mailbox, _mailbox_unknown),
]

"""Microsoft 365 licence habits for Office 365 tenants: products bought, licences assigned
directly and through groups, disabled and inactive users, licensed shared and room
mailboxes, unassigned units, overlapping products, and each user's activity.

Deterministic for a seed (its own ``random.Random``, so identities are not reshuffled)
and fast: a 50,000-user tenant is built in a few seconds.

Habits (shares of member users; see docs/emulator.md):
- premium tenants: Microsoft 365 E3 62 % (mostly through the "Licensing - M365 E3" group,
  some both directly and through it), E5 10 %, Office 365 E1 14 %, Office 365 E3 4 %;
  2 % of E3 users also hold Office 365 E3 and 3 % EMS E3 (overlaps); Entra ID P1 units
  bought and barely used. Non-premium tenants: Office 365 E3/E1 only (no Entra ID P1, so
  Graph has no sign-in activity).
- Power BI Pro 12 % (half through a group), Visio Plan 2 3 % through a group whose
  assignments overflow the units bought (CountViolation), Teams Phone 4 %.
- ~4 % disabled accounts keep their licences; 9 % inactive 95+ days; 2 % assigned in the
  last 10 days with no activity yet; guests hold nothing.
- shared mailboxes (1 per 60 users) and room mailboxes (1 per 150): half the shared ones
  licensed (some legitimately: over 50 GB or with an archive), a third of the rooms.
"""

from __future__ import annotations

import math
import random
import uuid
from datetime import datetime, timedelta

from azure_emulator.world import m365_catalog as cat
from azure_emulator.world.model import (
    Group,
    M365Usage,
    ServicePlan,
    SubscribedSku,
    Tenant,
    User,
    World,
)

GB = 1024**3
LICENSING_GROUPS = {"SPE_E3": "Licensing - M365 E3", "POWER_BI_PRO": "Licensing - Power BI Pro",
                    "VISIOCLIENT": "Licensing - Visio"}


class _M365:
    def __init__(self, tenant: Tenant, rng: random.Random, anchor: datetime) -> None:
        self.t, self.rng, self.anchor = tenant, rng, anchor
        self.groups: dict[str, Group] = {}

    def guid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def ago(self, lo: int, hi: int) -> datetime:
        return self.anchor - timedelta(days=self.rng.randint(lo, hi), minutes=self.rng.randint(0, 1439))

    def group(self, part: str) -> Group:
        g = self.groups.get(part)
        if g is None:
            name = LICENSING_GROUPS[part]
            g = Group(object_id=self.guid(), tenant_id=self.t.tenant_id, display_name=name,
                      mail_nickname=name.lower().replace(" ", ""), description=f"Group-based licensing: {name}",
                      created=self.ago(300, 900), assigned_licenses=[cat.sku_id(part)])
            self.t.groups[g.object_id] = g
            self.groups[part] = g
        return g

    def give(self, u: User, part: str, *, via_group: bool = False, direct: bool = True, when: datetime | None = None) -> None:
        sku = cat.sku_id(part)
        if via_group:
            self.group(part).member_ids.append(u.object_id)
        if direct and sku not in u.assigned_licenses:
            u.assigned_licenses.append(sku)
        u.licence_assigned.setdefault(sku, when or self.ago(15, 900))

    def mailbox_user(self, kind: str, n: int) -> User:
        label = {"Shared": "shared", "Room": "room"}[kind]
        domain = self.t.verified_domains[-1]
        name = f"{'Team' if kind == 'Shared' else 'Room'} {n:04d}"
        u = User(object_id=self.guid(), tenant_id=self.t.tenant_id, user_principal_name=f"{label}{n:04d}@{domain}",
                 display_name=name, password="", mail=f"{label}{n:04d}@{domain}", account_enabled=False,
                 department=None, usage_location=self.t.country_letter_code, created=self.ago(200, 2000))
        self.t.users[u.object_id] = u
        return u


def populate(tenant: Tenant, rng: random.Random, anchor: datetime, *, premium: bool = True) -> None:
    """Give ``tenant``'s users Microsoft 365 licences, activity and mailboxes (in place)."""
    m = _M365(tenant, rng, anchor)
    tenant.has_office365 = True
    for g in tenant.groups.values():
        g.assigned_licenses = []
    members = [u for u in tenant.users.values()]
    for u in members:
        u.assigned_licenses, u.licence_assigned, u.licence_errors, u.disabled_plans = [], {}, {}, {}
        if not u.directory_roles and rng.random() < 0.05:
            u.user_type = "Guest"
    for u in members:
        if u.user_type == "Guest":
            u.usage = M365Usage(last_sign_in=m.ago(0, 200) if rng.random() < 0.6 else None)
            continue
        _licence_member(m, u, premium)
        _activity(m, u)
    n = len(members)
    for i in range(max(2, n // 60)):
        _shared_mailbox(m, m.mailbox_user("Shared", i + 1), premium)
    for i in range(max(1, n // 150)):
        _room_mailbox(m, m.mailbox_user("Room", i + 1))
    _visio_overflow(m)
    _skus(m, premium)


def _licence_member(m: _M365, u: User, premium: bool) -> None:
    rng = m.rng
    recent = rng.random() < 0.02
    when = m.ago(0, 9) if recent else None
    r = rng.random()
    if premium:
        if u.directory_roles or r < 0.62:
            g = rng.random()
            m.give(u, "SPE_E3", via_group=g < 0.80, direct=g >= 0.75, when=when)
            if rng.random() < 0.10 and g >= 0.75:
                u.disabled_plans[cat.sku_id("SPE_E3")] = [cat.PLANS["YAMMER_ENTERPRISE"]]
            if rng.random() < 0.02:
                m.give(u, "ENTERPRISEPACK")
            if rng.random() < 0.03:
                m.give(u, "EMS")
        elif r < 0.72:
            m.give(u, "SPE_E5", when=when)
        elif r < 0.86:
            m.give(u, "STANDARDPACK", when=when)
        elif r < 0.90:
            m.give(u, "ENTERPRISEPACK", when=when)
        if rng.random() < 0.01:
            m.give(u, "AAD_PREMIUM")
    elif u.directory_roles or r < 0.70:
        m.give(u, "ENTERPRISEPACK", when=when)
    elif r < 0.90:
        m.give(u, "STANDARDPACK", when=when)
    if not u.assigned_licenses and not u.licence_assigned:
        return
    if rng.random() < 0.12:
        by_group = rng.random() < 0.5
        m.give(u, "POWER_BI_PRO", via_group=by_group, direct=not by_group)
    if rng.random() < 0.03:
        m.give(u, "VISIOCLIENT", via_group=True, direct=False)
    if rng.random() < 0.04 and premium:
        m.give(u, "MCOEV")
    if recent:
        u.usage = M365Usage()  # marker: _activity leaves it without activity


def _activity(m: _M365, u: User) -> None:
    rng = m.rng
    if u.usage is not None:  # recently licensed: nothing yet
        u.usage.mailbox = "User"
        return
    r = rng.random()
    if not u.account_enabled:
        lo, hi = 60, 400
    elif r < 0.09:
        lo, hi = 95, 400
    elif r < 0.15:
        lo, hi = 31, 89
    else:
        lo, hi = 0, 25
    never = (not u.account_enabled and rng.random() < 0.3) or (lo == 95 and rng.random() < 0.25)

    def day() -> datetime | None:
        return None if never else m.ago(lo, hi)

    use = M365Usage(mailbox="User", mailbox_bytes=int(rng.lognormvariate(21.5, 1.2)), mailbox_items=rng.randint(50, 90000),
                    has_archive=rng.random() < 0.10)
    use.last_sign_in = day()
    use.last_non_interactive_sign_in = day() if rng.random() < 0.8 else None
    use.exchange = day()
    use.teams = day() if rng.random() < 0.85 else None
    use.onedrive = day() if rng.random() < 0.6 else None
    use.sharepoint = day() if rng.random() < 0.5 else None
    use.yammer = day() if rng.random() < 0.05 else None
    if rng.random() < 0.7:
        use.apps = day()
        use.app_platforms = [p for p in ("Windows", "Mac", "Mobile", "Web") if rng.random() < 0.5] or ["Web"]
    u.usage = use


def _shared_mailbox(m: _M365, u: User, premium: bool) -> None:
    rng = m.rng
    big = rng.random() < 0.25
    u.usage = M365Usage(mailbox="Shared", mailbox_bytes=int((rng.uniform(51, 90) if big else rng.uniform(0.1, 20)) * GB),
                        mailbox_items=rng.randint(100, 200000), has_archive=rng.random() < 0.2, exchange=m.ago(0, 30))
    if rng.random() < 0.5:
        m.give(u, "EXCHANGEENTERPRISE" if big or rng.random() < 0.4 else ("SPE_E3" if premium else "ENTERPRISEPACK"))


def _room_mailbox(m: _M365, u: User) -> None:
    rng = m.rng
    u.usage = M365Usage(mailbox="Room", mailbox_bytes=int(rng.uniform(0.01, 0.5) * GB), mailbox_items=rng.randint(10, 5000),
                        exchange=m.ago(0, 10))
    if rng.random() < 0.33:
        m.give(u, "STANDARDPACK")


def _visio_overflow(m: _M365) -> None:
    """Visio's group holds more members than units bought: the last few get CountViolation."""
    g = m.groups.get("VISIOCLIENT")
    if g is None:
        return
    sku = cat.sku_id("VISIOCLIENT")
    for uid in g.member_ids[-max(1, len(g.member_ids) // 10):]:
        m.t.users[uid].licence_errors[sku] = "CountViolation"


def effective_skus(tenant: Tenant) -> dict[str, list[str]]:
    """user object id → skuIds in effect (direct, or through a group without an error)."""
    out: dict[str, list[str]] = {uid: list(u.assigned_licenses) for uid, u in tenant.users.items()}
    for g in tenant.groups.values():
        for sku in g.assigned_licenses:
            for uid in g.member_ids:
                u = tenant.users.get(uid)
                if u is None or sku in u.licence_errors:
                    continue
                have = out[uid]
                if sku not in have:
                    have.append(sku)
    return out


def _skus(m: _M365, premium: bool) -> None:
    rng = m.rng
    consumed: dict[str, int] = {}
    for skus in effective_skus(m.t).values():
        for s in skus:
            consumed[s] = consumed.get(s, 0) + 1
    parts = ["SPE_E3", "SPE_E5", "STANDARDPACK", "ENTERPRISEPACK", "EMS", "AAD_PREMIUM", "EXCHANGEENTERPRISE",
             "POWER_BI_PRO", "VISIOCLIENT", "MCOEV"] if premium else ["ENTERPRISEPACK", "STANDARDPACK", "POWER_BI_PRO",
                                                                     "VISIOCLIENT", "EXCHANGEENTERPRISE"]
    m.t.skus = []
    for part in parts:
        sid, _, _ = cat.SKUS[part]
        used = consumed.get(sid, 0)
        if part == "VISIOCLIENT":
            enabled = used
        elif part == "AAD_PREMIUM":
            enabled = used + 25
        else:
            enabled = used + math.ceil(used * rng.uniform(0.02, 0.12)) + rng.randint(0, 4)
        if enabled == 0:
            continue
        sku = SubscribedSku(
            sku_id=sid, sku_part_number=part, enabled=enabled,
            service_plans=[ServicePlan(pid, name) for pid, name in cat.plans_of(part)],
            warning=5 if part == "EMS" else 0, subscription_ids=[m.guid()],
        )
        m.t.skus.append(sku)


def is_premium(tenant: Tenant) -> bool:
    """Entra ID P1 or P2 in the tenant: a product it bought carries the plan."""
    return any(p.service_plan_id in cat.PREMIUM_PLANS for s in tenant.skus if s.enabled + s.warning > 0 for p in s.service_plans)


def generate_m365(world: World, seed: int, anchor: datetime) -> None:
    """Licences for every tenant that has Office 365 (called by ``generate_world``)."""
    rng = random.Random(f"m365:{seed}")
    for tenant in world.tenants.values():
        if tenant.has_office365:
            populate(tenant, rng, anchor)


def add_m365_tenant(world: World, seed: int, users: int, *, premium: bool = True, name: str = "Tailspin Toys",
                    prefix: str = "tailspin") -> Tenant:
    """A further Office 365 tenant of ``users`` people (50 … 50,000+) with licence habits."""
    from azure_emulator.world.generate import _Gen

    g = _Gen(seed, "custom")
    g.rng = random.Random(f"m365-tenant:{seed}:{prefix}")  # not the world's own sequence (ids would collide)
    tenant = g.tenant(name, prefix, [f"{prefix}.com"], "US", True)
    world.tenants[tenant.tenant_id] = tenant
    admin = g.user(tenant, "Tara", "Admin", alias="tara.admin", roles=["Global Administrator"], dept="IT")
    world.fixtures[f"{prefix}_tenant_id"] = tenant.tenant_id
    world.fixtures[f"{prefix}_admin_upn"] = admin.user_principal_name
    world.fixtures[f"{prefix}_admin_password"] = admin.password
    g.random_users(tenant, max(0, users - 1), licensed=False)
    populate(tenant, random.Random(f"m365:{seed}:{prefix}"), g.anchor, premium=premium)
    return tenant

"""Utilisation, costs and waste of one Office 365 account, from what the last import stored
and the prices the customer entered. Amounts are Decimal and kept per currency: two
currencies are never added together."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Any

from skytally.licences import catalog
from skytally.licences.models import LicenceImport, LicencePrice, LicenceSku
from skytally.licences.rules import RULES, Known, Sku, User, last_seen
from skytally.licences.schemas import (
    CostLine,
    Finding,
    ImportOut,
    LicenceReport,
    PriceOut,
    RuleOut,
    SkuOut,
)

TWELVE = Decimal(12)


def monthly(p: LicencePrice) -> Decimal:
    amount = Decimal(p.amount)
    return (amount / TWELVE).quantize(Decimal("0.0001")) if p.term == "annual" else amount


def price_out(p: LicencePrice) -> PriceOut:
    return PriceOut(sku_id=p.sku_id, amount=Decimal(p.amount), currency=p.currency, term=p.term, monthly=monthly(p),
                    entered_by=p.entered_by, entered_at=p.entered_at)


def knowledge(imp: LicenceImport | None) -> tuple[Known, list[str]]:
    """What the import could read, and in words what it could not."""
    today = date.today()
    if imp is None:
        return Known(today, False, False, False), ["Nothing has been imported yet: run Sync now."]
    ends = imp.endpoints or {}
    ok = {k for k, v in ends.items() if v.get("ok")}
    notes: list[str] = []
    sign_in = imp.sign_in == "available"
    if imp.sign_in == "no_premium":
        notes.append("Sign-in activity is absent: the tenant has no Microsoft Entra ID P1 or P2 licence, which Graph "
                     "requires for it. Activity comes from the usage reports instead.")
    elif imp.sign_in == "no_permission":
        notes.append("Sign-in activity is absent: skytally does not hold AuditLog.Read.All in this tenant (consent "
                     "again to grant it). Activity comes from the usage reports instead.")
    elif imp.sign_in == "failed":
        notes.append(f"Sign-in activity could not be read: {ends.get('sign_in', {}).get('message', '')}")
    concealed = bool(imp.names_concealed)
    if concealed:
        notes.append("The usage reports conceal user names (Microsoft 365 admin center > Settings > Org settings > "
                     "Reports: \"Display concealed user, group, and site names in all reports\"; Graph: "
                     "admin/reportSettings displayConcealedNames). Report activity is therefore shown as totals per "
                     "product only, never matched to people; skytally does not guess who they are. Turn the setting "
                     "off to see per-user activity and mailbox types.")
    for name in ("activity", "apps", "mailbox", "groups", "skus", "users"):
        if name in ends and name not in ok:
            notes.append(f"{name}: {ends[name].get('message', 'failed')}")
    if imp.report_date:
        notes.append(f"Usage reports lag about two days: their data runs to {imp.report_date.isoformat()}.")
    activity = "activity" in ok and not concealed
    mailboxes = "mailbox" in ok and not concealed and (ends.get("mailbox", {}).get("rows", 0) > 0)
    return Known(today, sign_in, activity, mailboxes), notes


def to_rule_users(rows: list[Any]) -> list[User]:
    # by position (repo.user_tuples' column order): a Row's attribute lookup by name cost
    # ~0.5 s of the 2.3 s a 50,000-user report took
    return [User(oid, upn, name, dept, enabled, kind, lic or [], sign_in, activity, mailbox or "", size, archive)
            for oid, upn, name, dept, _job, enabled, kind, lic, sign_in, activity, mailbox, size, archive in rows]


def to_rule_skus(rows: list[LicenceSku]) -> dict[str, Sku]:
    return {s.sku_id: Sku(s.sku_id, catalog.product_name(s.sku_id, s.part_number), s.enabled, s.consumed,
                          {str(p[0]): str(p[1]) for p in s.service_plans or []}) for s in rows}


def build(account_id: int, account_name: str, imp: LicenceImport | None, sku_rows: list[LicenceSku], user_rows: list[Any],
          groups: dict[str, str], price_rows: list[LicencePrice], *, inactive_days: int = 90, active_days: int = 60,
          ) -> LicenceReport:
    known, notes = knowledge(imp)
    known.inactive_days = inactive_days
    users = to_rule_users(user_rows)
    skus = to_rule_skus(sku_rows)
    prices = {p.sku_id: p for p in price_rows}
    findings, rules = _waste(users, skus, known, prices, inactive_days)
    report = LicenceReport(
        account_id=account_id, account_name=account_name, imported=ImportOut.of(imp) if imp else None, knowledge=notes,
        catalogue=catalog.source(), inactive_days=inactive_days, active_days=active_days,
        skus=_utilisation(users, sku_rows, known, imp, prices, active_days), rules=rules, findings=findings,
        cost_by_department=_cost(users, prices, lambda u, lic: [u.department or "(no department)"]),
        cost_by_group=_cost(users, prices, lambda u, lic: [groups.get(g, g) for g in lic.get("groups", [])]
                            or (["(assigned directly)"] if lic.get("direct") else [])),
        cost_by_sku=[CostLine(key=skus[s].name if s in skus else s, currency=p.currency,
                              monthly=monthly(p) * skus[s].enabled, licences=skus[s].enabled)
                     for s, p in prices.items() if s in skus],
        monthly_waste={}, unpriced_skus=sorted(skus[s].name for s in skus if s not in prices),
    )
    # A licence flagged by two rules (a disabled user's overlapping product) is counted once.
    totals: dict[str, Decimal] = defaultdict(Decimal)
    seen: set[tuple[str, str, str]] = set()
    for f in findings:
        key = (f.object_id or f"units:{f.rule}", f.sku_id, f.currency or "")
        if f.monthly_waste is None or f.currency is None or key in seen:
            continue
        seen.add(key)
        totals[f.currency] += f.monthly_waste
    report.monthly_waste = dict(totals)
    return report


def _utilisation(users: list[User], sku_rows: list[LicenceSku], k: Known, imp: LicenceImport | None,
                 prices: dict[str, LicencePrice], custom: int) -> list[SkuOut]:
    per_user = k.sign_in or k.activity
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    if per_user:
        for u in users:
            seen = last_seen(u, k)
            if seen is None:
                continue
            age = (k.today - seen).days
            for lic in u.effective():
                c = counts[lic["sku"]]
                c[0] += age < 30
                c[1] += age < 90
                c[2] += age < custom
    products = (imp.report_products if imp else None) or {}
    out = []
    for s in sku_rows:
        basis, a30, a90, ac = "unknown", None, None, None
        if per_user:
            basis = "sign-in and workload activity" if k.sign_in and k.activity else ("sign-in" if k.sign_in else "workload activity")
            a30, a90, ac = counts[s.sku_id]
        else:
            names = catalog.report_product_names(s.sku_id, s.part_number)
            agg = next((products[n] for n in names if n in products), None)
            if agg is not None:
                basis, a30, a90 = "usage report totals (names concealed)", int(agg["30"]), int(agg["90"])
        p = prices.get(s.sku_id)
        out.append(SkuOut(
            sku_id=s.sku_id, part_number=s.part_number, name=catalog.product_name(s.sku_id, s.part_number),
            named_by="microsoft-table" if catalog.is_named(s.sku_id) else "graph", capability_status=s.capability_status,
            purchased=s.enabled, warning=s.warning, suspended=s.suspended, assigned=s.consumed,
            unassigned=max(0, s.enabled - s.consumed), active_30=a30, active_90=a90, active_custom=ac, activity_basis=basis,
            price=price_out(p) if p else None, monthly_cost=monthly(p) * s.enabled if p else None,
        ))
    return out


def _cost(users: list[User], prices: dict[str, LicencePrice], keys: Any) -> list[CostLine]:
    acc: dict[tuple[str, str], list[Any]] = {}
    for u in users:
        for lic in u.effective():
            p = prices.get(lic["sku"])
            if p is None:
                continue
            for key in keys(u, lic):
                line = acc.setdefault((key, p.currency), [Decimal(0), 0])
                line[0] += monthly(p)
                line[1] += 1
    return sorted((CostLine(key=k, currency=c, monthly=v[0], licences=v[1]) for (k, c), v in acc.items()),
                  key=lambda c: (-c.monthly, c.key))


def _waste(users: list[User], skus: dict[str, Sku], k: Known, prices: dict[str, LicencePrice],
           days: int) -> tuple[list[Finding], list[RuleOut]]:
    findings: list[Finding] = []
    rules: list[RuleOut] = []
    for rule in RULES:
        unknown = rule.unknown(k)
        hits = [] if unknown and rule.id == "inactive" else rule.evaluate(users, skus, k)
        waste: dict[str, Decimal] = defaultdict(Decimal)
        unpriced = 0
        for h in hits:
            p = prices.get(h.sku_id)
            amount = (monthly(p) * h.units if h.costs else Decimal(0)) if p else None
            if p and amount is not None:
                waste[p.currency] += amount
            elif h.costs:
                unpriced += h.units
            u = h.user
            findings.append(Finding(
                rule=rule.id, object_id=u.object_id if u else "", upn=u.upn if u else "", display_name=u.display_name if u else "",
                department=u.department if u else "", sku_id=h.sku_id,
                sku_name=skus[h.sku_id].name if h.sku_id in skus else h.sku_id, units=h.units, detail=h.detail,
                monthly_waste=amount, currency=p.currency if p else None))
        rules.append(RuleOut(
            id=rule.id, title=rule.title.format(days=days), explanation=rule.explanation.format(days=days),
            status="unknown" if unknown else "evaluated", unknown_reason=unknown, findings=len(hits),
            units=sum(h.units for h in hits), monthly_waste=dict(waste), unpriced_units=unpriced))
    return findings, rules

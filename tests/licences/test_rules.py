"""The waste rules, table-driven: for each rule a user who must be flagged and one who must
not (the closest look-alike), plus what each rule says when its data is missing."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from skytally.licences.rules import RULES, Known, Sku, User

TODAY = date(2026, 12, 7)
E3, O365E3, PBI, E1 = "e3", "o365e3", "pbi", "e1"
PLANS = {
    E3: {"p-exo2": "EXCHANGE_S_ENTERPRISE", "p-spo2": "SHAREPOINTENTERPRISE", "p-apps": "OFFICESUBSCRIPTION",
         "p-teams": "TEAMS1", "p-forms3": "FORMS_PLAN_E3", "p-p1": "AAD_PREMIUM"},
    O365E3: {"p-exo2": "EXCHANGE_S_ENTERPRISE", "p-spo2": "SHAREPOINTENTERPRISE", "p-apps": "OFFICESUBSCRIPTION",
             "p-teams": "TEAMS1", "p-forms3": "FORMS_PLAN_E3"},
    PBI: {"p-bi": "BI_AZURE_P2", "p-found": "EXCHANGE_S_FOUNDATION"},
    E1: {"p-exo1": "EXCHANGE_S_STANDARD", "p-teams": "TEAMS1"},
}
SKUS = {s: Sku(s, s.upper(), 10, 10, dict(p)) for s, p in PLANS.items()}
SKUS[PBI] = Sku(PBI, "PBI", 12, 9, PLANS[PBI])  # 3 units nobody holds
OLD = (TODAY - timedelta(days=400)).isoformat()


def lic(sku: str, *, direct: bool = True, groups: list[str] | None = None, assigned: str | None = OLD,
        disabled: list[str] | None = None) -> dict[str, Any]:
    return {"sku": sku, "direct": direct, "groups": groups or [], "error_groups": [], "disabled": disabled or [],
            "error": None, "assigned": assigned}


def user(name: str, licences: list[dict[str, Any]], *, enabled: bool = True, sign_in: int | None = 2,
         activity: int | None = 2, mailbox: str = "User", gb: float | None = 1, archive: bool = False) -> User:
    return User(
        object_id=name, upn=f"{name}@contoso.com", display_name=name, department="Sales", account_enabled=enabled,
        user_type="Member", licences=licences,
        last_sign_in=datetime.combine(TODAY - timedelta(days=sign_in), datetime.min.time(), UTC) if sign_in is not None else None,
        last_activity=TODAY - timedelta(days=activity) if activity is not None else None,
        mailbox_type=mailbox, mailbox_bytes=int(gb * 1000**3) if gb is not None else None, has_archive=archive,
    )


KNOWN = Known(TODAY, sign_in=True, activity=True, mailboxes=True, inactive_days=90)

# rule id → (a user who must be flagged, a user who must not)
CASES: dict[str, tuple[User, User]] = {
    "disabled": (user("gone", [lic(E3)], enabled=False),
                 user("shared-box", [lic(E1)], enabled=False, mailbox="Shared", gb=60)),  # judged by the mailbox rule
    "inactive": (user("idle", [lic(E3)], sign_in=200, activity=150),
                 user("new-hire", [lic(E3, assigned=(TODAY - timedelta(days=10)).isoformat())], sign_in=None, activity=None)),
    "duplicate": (user("twice", [lic(E3, direct=True, groups=["g1"])]),
                  user("group-only", [lic(E3, direct=False, groups=["g1"])])),
    "overlap": (user("both-e3", [lic(E3), lic(O365E3)]),
                # Office 365 E3 next to a Microsoft 365 E3 whose Exchange is disabled: not redundant
                user("exo-off", [lic(E3, disabled=["p-exo2"]), lic(O365E3)])),
    "mailbox": (user("room", [lic(E1)], enabled=False, mailbox="Room", gb=0.2),
                user("big-shared", [lic(E1)], enabled=False, mailbox="Shared", gb=75)),
}


@pytest.mark.parametrize("rule_id", list(CASES))
def test_rule_flags_the_one_and_not_the_other(rule_id: str) -> None:
    rule = next(r for r in RULES if r.id == rule_id)
    must, must_not = CASES[rule_id]
    flagged = {h.user.object_id for h in rule.evaluate([must, must_not], SKUS, KNOWN) if h.user}
    assert must.object_id in flagged
    assert must_not.object_id not in flagged


def test_unassigned_units_flag_the_product_with_spare_units_only() -> None:
    rule = next(r for r in RULES if r.id == "unassigned")
    hits = rule.evaluate([], SKUS, KNOWN)
    assert [(h.sku_id, h.units) for h in hits] == [(PBI, 3)]


def test_overlap_counts_a_higher_tier_and_ignores_exchange_foundation() -> None:
    rule = next(r for r in RULES if r.id == "overlap")
    e5 = Sku("e5", "E5", 5, 5, {"p-exo2": "EXCHANGE_S_ENTERPRISE", "p-bi": "BI_AZURE_P2", "p-forms5": "FORMS_PLAN_E5",
                                "p-teams": "TEAMS1"})
    skus = {**SKUS, "e5": e5}
    hits = rule.evaluate([user("e5-and-extras", [lic("e5"), lic(PBI), lic(E1)])], skus, KNOWN)
    assert sorted(h.sku_id for h in hits) == sorted([PBI, E1])  # Power BI inside E5; Exchange P1 < P2


def test_inactive_uses_workload_activity_when_sign_in_is_unknown() -> None:
    rule = next(r for r in RULES if r.id == "inactive")
    known = Known(TODAY, sign_in=False, activity=True, mailboxes=True)
    # signed in yesterday, but sign-in is not known to skytally: only the workloads count
    u = user("quiet", [lic(E3)], sign_in=1, activity=120)
    assert [h.user.object_id for h in rule.evaluate([u], SKUS, known) if h.user] == ["quiet"]
    assert rule.unknown(known) == ""
    blind = Known(TODAY, sign_in=False, activity=False, mailboxes=False)
    assert "cannot be judged" in rule.unknown(blind)


def test_mailbox_rule_says_when_it_cannot_know() -> None:
    rule = next(r for r in RULES if r.id == "mailbox")
    assert rule.unknown(Known(TODAY, True, True, mailboxes=False))
    assert rule.unknown(KNOWN) == ""

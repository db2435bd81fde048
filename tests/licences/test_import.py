"""Importing Office 365 tenants from the emulator through skytally's Graph client, and what
the analysis then knows and says it cannot know."""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import unquote

import pytest
from pydantic import TypeAdapter

from azure_emulator.services.graph import throttling
from azure_emulator.testing import RunningEmulator
from azure_emulator.world.generate_m365 import effective_skus
from azure_emulator.world.graph_limits import GraphLimits
from skytally.accounts import office365
from skytally.accounts.credentials import CredentialIn
from skytally.errors import InvalidInput
from skytally.licences import analysis, fetch, importer, repo, service
from skytally.licences.schemas import PriceIn
from skytally.runtime import Runtime

from .support import INSTALLATION, ROLES, consented, customer_app, emu, env, grant, rt  # noqa: F401


def _tenant(emu: RunningEmulator, prefix: str):  # type: ignore[no-untyped-def]  # noqa: F811
    return emu.world.tenants[emu.fixtures[f"{prefix}_tenant_id"]]


def test_import_reads_everything_and_matches_the_tenant(rt: Runtime, emu: RunningEmulator) -> None:  # noqa: F811
    aid = consented(rt, emu, "tailspin")
    out = importer.sync_account(rt.db, env(rt), aid)
    assert out.status == "ok", out
    assert out.sign_in == "available" and out.names_concealed is False
    tenant = _tenant(emu, "tailspin")
    with rt.db.session() as s:
        skus = {x.part_number: x for x in repo.skus(s, aid)}
        users = repo.users(s, aid)
        e3 = next(x for x in tenant.skus if x.sku_part_number == "SPE_E3")
        truth = sum(1 for v in effective_skus(tenant).values() if e3.sku_id in v)
        assert skus["SPE_E3"].consumed == truth and skus["SPE_E3"].enabled == e3.enabled
        assert len(users) == len(tenant.users)
        held = sum(1 for u in users if any(lic["sku"] == e3.sku_id and (lic["direct"] or lic["groups"]) for lic in u.licences))
        assert held == truth
        assert any(u.mailbox_type == "Shared" for u in users) and any(u.last_sign_in for u in users)
        service.set_price(s, INSTALLATION, aid, PriceIn(sku_id=e3.sku_id, amount=Decimal("432"), currency="eur", term="annual"))
        rep = service.report(s, INSTALLATION, aid, inactive_days=90)
    by_rule = {r.id: r for r in rep.rules}
    assert all(r.status == "evaluated" for r in rep.rules)
    for rule in ("disabled", "inactive", "unassigned", "duplicate", "overlap", "mailbox"):
        assert by_rule[rule].findings > 0, rule
    e3_out = next(x for x in rep.skus if x.part_number == "SPE_E3")
    assert e3_out.name == "Microsoft 365 E3" and e3_out.named_by == "microsoft-table"
    assert e3_out.monthly_cost == Decimal(36) * e3.enabled
    assert e3_out.active_30 is not None and 0 < e3_out.active_30 <= e3_out.assigned
    # The estimate counts each flagged E3 licence once, at 432/12 = 36 EUR a month.
    flagged = {(f.object_id, f.sku_id) for f in rep.findings if f.sku_id == e3.sku_id and f.rule not in ("duplicate", "unassigned")}
    unassigned = next(f.units for f in rep.findings if f.rule == "unassigned" and f.sku_id == e3.sku_id)
    assert rep.monthly_waste == {"EUR": Decimal(36) * (len(flagged) + unassigned)}
    csv_text = service.findings_csv(rep, "disabled")
    assert csv_text.splitlines()[0].startswith("rule,upn") and len(csv_text.splitlines()) == by_rule["disabled"].findings + 1


def test_concealed_names_give_aggregates_only(rt: Runtime, emu: RunningEmulator) -> None:  # noqa: F811
    tenant = _tenant(emu, "tailspin")
    tenant.display_concealed_names = True
    try:
        aid = consented(rt, emu, "tailspin")
        out = importer.sync_account(rt.db, env(rt), aid)
    finally:
        tenant.display_concealed_names = False
    assert out.status == "ok" and out.names_concealed is True
    with rt.db.session() as s:
        assert all(u.last_activity is None and u.mailbox_type == "" for u in repo.users(s, aid))
        grant(emu.world, tenant.tenant_id, [r for r in ROLES if r != "AuditLog.Read.All"])
        rep = service.report(s, INSTALLATION, aid)
    grant(emu.world, tenant.tenant_id, ROLES)
    assert any("conceal" in n and "displayConcealedNames" in n for n in rep.knowledge)
    e3 = next(x for x in rep.skus if x.part_number == "SPE_E3")
    # sign-in activity was read, so per-user activity still exists; the mailbox rule cannot be judged
    assert e3.activity_basis == "sign-in"
    assert {r.id: r.status for r in rep.rules}["mailbox"] == "unknown"
    assert not any(f.rule == "mailbox" for f in rep.findings)


def test_concealed_names_and_no_sign_in_mean_totals_per_product(rt: Runtime, emu: RunningEmulator) -> None:  # noqa: F811
    tenant = _tenant(emu, "wingtip")
    tenant.display_concealed_names = True
    try:
        aid = consented(rt, emu, "wingtip")
        out = importer.sync_account(rt.db, env(rt), aid)
    finally:
        tenant.display_concealed_names = False
    assert out.status == "ok" and out.sign_in == "no_premium" and out.names_concealed
    with rt.db.session() as s:
        rep = service.report(s, INSTALLATION, aid)
    rules = {r.id: r for r in rep.rules}
    assert rules["inactive"].status == "unknown" and rules["inactive"].findings == 0
    o365 = next(x for x in rep.skus if x.part_number == "ENTERPRISEPACK")
    assert o365.activity_basis.startswith("usage report totals") and o365.active_90 is not None


def test_no_entra_p1_means_no_sign_in_and_report_activity_instead(rt: Runtime, emu: RunningEmulator) -> None:  # noqa: F811
    aid = consented(rt, emu, "wingtip")
    out = importer.sync_account(rt.db, env(rt), aid)
    assert out.status == "ok" and out.sign_in == "no_premium"
    assert "Authentication_RequestFromNonPremiumTenantOrB2CTenant" in out.endpoints["sign_in"]["message"]
    with rt.db.session() as s:
        rep = service.report(s, INSTALLATION, aid)
        assert all(u.last_sign_in is None for u in repo.users(s, aid))
    assert any("Entra ID P1 or P2" in n for n in rep.knowledge)
    rules = {r.id: r for r in rep.rules}
    assert rules["inactive"].status == "evaluated" and rules["inactive"].findings > 0
    assert next(x for x in rep.skus if x.part_number == "ENTERPRISEPACK").activity_basis == "workload activity"


def test_missing_report_permission_is_named_and_the_rest_imported(rt: Runtime, emu: RunningEmulator) -> None:  # noqa: F811
    tenant = _tenant(emu, "tailspin")
    grant(emu.world, tenant.tenant_id, [r for r in ROLES if r != "Reports.Read.All"])
    try:
        aid = consented(rt, emu, "tailspin")
        out = importer.sync_account(rt.db, env(rt), aid)
    finally:
        grant(emu.world, tenant.tenant_id, ROLES)
    assert out.status == "partial"
    for name in ("activity", "apps", "mailbox"):
        assert not out.endpoints[name]["ok"] and "lacks the Reports.Read.All permission" in out.endpoints[name]["message"]
    assert out.endpoints["users"]["ok"] and out.endpoints["skus"]["ok"]
    with rt.db.session() as s:
        assert repo.users(s, aid)


def test_own_service_principal_is_validated_naming_the_missing_permission(rt: Runtime, emu: RunningEmulator) -> None:  # noqa: F811
    tid = emu.fixtures["tailspin_tenant_id"]
    lacking = [r for r in ROLES if r != "LicenseAssignment.Read.All"]
    client_id, secret = customer_app(emu.world, tid, lacking)
    data = TypeAdapter(CredentialIn).validate_python({"kind": "client_secret", "tenant_id": tid, "client_id": client_id,
                                                      "client_secret": secret})
    with rt.db.session() as s, pytest.raises(InvalidInput, match=r"lacks the Microsoft Graph application permission\(s\) LicenseAssignment.Read.All"):
        office365.connect_service_principal(s, env(rt), INSTALLATION, "Tailspin SP", data)
    client_id, secret = customer_app(emu.world, tid, ROLES)
    data = TypeAdapter(CredentialIn).validate_python({"kind": "client_secret", "tenant_id": tid, "client_id": client_id,
                                                      "client_secret": secret})
    with rt.db.session() as s:
        aid = office365.connect_service_principal(s, env(rt), INSTALLATION, "Tailspin SP", data).id
    out = importer.sync_account(rt.db, env(rt), aid)
    assert out.status == "ok" and out.sign_in == "available"


def test_throttled_reports_are_retried(rt: Runtime, emu: RunningEmulator) -> None:  # noqa: F811
    """Graph's reports limit (here 1 call per 5 s for each report API instead of 14 per 10 min,
    one call of each made just before): the 429s carry Retry-After, the retry policy waits and
    calls again, and every report is read."""
    runtime = emu.app.state.emulator
    world = emu.world
    assert world is not None
    world.graph_limits = GraphLimits(reports=1, reports_window_seconds=5)
    throttling.reset(world)
    runtime.log.clear()
    try:
        aid = consented(rt, emu, "tailspin")
        token = emu.token("graph", tenant=emu.fixtures["tailspin_tenant_id"])
        with emu.client() as http:  # period D7: the limit counts each report API, whatever the period
            for call in fetch.REPORTS.values():
                r = http.get(f"{emu.graph_url}/v1.0/reports/{call.split('(')[0]}(period='D7')",
                             headers={"Authorization": f"Bearer {token}"})
                assert r.status_code == 302
        out = importer.sync_account(rt.db, env(rt), aid)
    finally:
        world.graph_limits = GraphLimits()
        throttling.reset(world)
    assert out.status == "ok" and all(out.endpoints[n]["ok"] and out.endpoints[n]["rows"] > 0 for n in ("activity", "apps", "mailbox"))
    calls = tuple(fetch.REPORTS.values())
    statuses = [e["status"] for e in runtime.log.snapshot() if unquote(e["path"]).endswith(calls)]
    assert 429 in statuses and statuses.count(302) == 3 and set(statuses) == {302, 429}


def test_throttled_directory_reads_are_retried(rt: Runtime, emu: RunningEmulator) -> None:  # noqa: F811
    """Graph's identity & access limit (here 10 resource units per second for the pair instead
    of 5,000 per 10 s) against the import's ~50 requests, up to 8 at once: the refused ones
    carry Retry-After, the retry policy waits and calls again, and every page is read."""
    runtime = emu.app.state.emulator
    world = emu.world
    assert world is not None
    world.graph_limits = GraphLimits(ru_medium=10, ru_window_seconds=1)
    throttling.reset(world)
    try:
        aid = consented(rt, emu, "tailspin")
        runtime.log.clear()
        out = importer.sync_account(rt.db, env(rt), aid)
    finally:
        world.graph_limits = GraphLimits()
        throttling.reset(world)
    assert out.status == "ok", out.message
    assert out.endpoints["users"]["rows"] == len(_tenant(emu, "tailspin").users)
    log = [e for e in runtime.log.snapshot() if "/v1.0/" in e["path"] and "/reports/" not in e["path"]]
    refused = [e for e in log if e["status"] == 429]
    assert refused and all(e["status"] in (200, 429) for e in log)


def test_report_is_rebuilt_when_a_price_or_an_import_changes_it(rt: Runtime, emu: RunningEmulator) -> None:  # noqa: F811
    aid = consented(rt, emu, "tailspin")
    importer.sync_account(rt.db, env(rt), aid)
    e3 = "05e9a617-0261-4cee-bb44-138d3ef5d965"
    with rt.db.session() as s:
        first = service.report(s, INSTALLATION, aid)
        assert service.report(s, INSTALLATION, aid) is first  # nothing changed: the same report
        service.set_price(s, INSTALLATION, aid, PriceIn(sku_id=e3, amount=Decimal("10"), currency="EUR"))
        priced = service.report(s, INSTALLATION, aid)
        assert priced is not first and priced.monthly_waste and not first.monthly_waste
        assert service.report(s, INSTALLATION, aid, inactive_days=30).inactive_days == 30
    tenant = _tenant(emu, "tailspin")
    victim = next(u for u in tenant.users.values() if u.account_enabled and u.assigned_licenses and not u.directory_roles)
    victim.account_enabled = False
    try:
        importer.sync_account(rt.db, env(rt), aid)
        with rt.db.session() as s:
            after = service.report(s, INSTALLATION, aid)
    finally:
        victim.account_enabled = True
    rules = {r.id: r.findings for r in after.rules}
    assert rules["disabled"] > {r.id: r.findings for r in priced.rules}["disabled"]


def test_the_import_stores_the_pages_report_and_another_process_reads_it(rt: Runtime, emu: RunningEmulator,  # noqa: F811
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """The import builds the default report once and keeps it in the database: a process
    that never built it (its own copy emptied) reads it without analysing a user; a price
    entered afterwards changes what it depends on, so it is built again."""
    aid = consented(rt, emu, "tailspin")
    importer.sync_account(rt.db, env(rt), aid)
    with rt.db.session() as s:
        stored = repo.report_cache(s, aid)
        assert stored is not None and len(stored.body) > 100
    service._REPORTS.clear()  # another process
    built: list[int] = []
    real_build = analysis.build
    monkeypatch.setattr(analysis, "build", lambda *a, **k: built.append(1) or real_build(*a, **k))
    with rt.db.session() as s:
        rep = service.report(s, INSTALLATION, aid)
        assert not built and rep.account_id == aid and rep.skus and rep.rules
        assert service.report(s, INSTALLATION, aid, store=True).model_dump() == rep.model_dump()  # built anew: the same
        service.report(s, INSTALLATION, aid, inactive_days=30)  # other figures: built, not stored
        assert built == [1, 1] and repo.report_cache(s, aid).key == stored.key
        e3 = "05e9a617-0261-4cee-bb44-138d3ef5d965"
        service.set_price(s, INSTALLATION, aid, PriceIn(sku_id=e3, amount=Decimal("10"), currency="EUR"))
    service._REPORTS.clear()
    with rt.db.session() as s:
        priced = service.report(s, INSTALLATION, aid)
        assert built == [1, 1, 1] and priced.monthly_waste

"""One truth per charge through the billing APIs (emulator, real SDK path): the issue's
scenario — Fabrikam connected by consent (its subscriptions imported pay-as-you-go),
then its MCA billing account by a service principal — and the other overlapping
connections, each compared with the emulator's truth to the cent."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from pydantic import SecretStr

from accounts.flows import sign_in
from conftest import backend_params
from costs.ingest_support import INSTALLATION, Setup, _fresh_world, dec, emu, month_range, rt, setup  # noqa: F401
from skytally.accounts import consent_finish
from skytally.accounts import service as accounts
from skytally.accounts.models import AccountKind
from skytally.accounts.schemas import AccountCreate
from skytally.costs import CostQuery, CostStore, explore
from skytally.costs.fetch import Source
from skytally.costs.ingest import IngestEnv, import_period
from skytally.workspaces import service as ws_service
from skytally.workspaces.models import User
from skytally.workspaces.schemas import Actor, UserCreate

pytestmark = pytest.mark.parametrize("database_url", [backend_params()[0]], indirect=True)


def _admin(s: Setup) -> Actor:
    with s.rt.db.session() as db:
        user = ws_service.create_user(db, None, UserCreate(email="owner@example.com", is_admin=True,
                                                           password=SecretStr("a-long-password")))
        row = db.get(User, user.id)
        assert row is not None
        return ws_service.actor_for_user(db, row)


def _consent_fabrikam(s: Setup) -> int:
    fx = s.fx
    admin = _admin(s)
    with s.rt.db.session() as db:
        start = accounts.start_add_account(db, s.env, admin, AccountCreate(
            kind=AccountKind.AZURE, name="Fabrikam", tenant=fx["second_domain"], workspace_ids=[s.ws_a]))
    back = sign_in(s.emu, start.url, fx["second_owner_upn"], fx["second_owner_password"])
    assert back.query is not None, back.page[:300]
    with s.rt.db.session() as db:
        outcome = consent_finish.complete(db, s.env, admin, back.query)
        assert outcome.ok, outcome.message
        account_id = outcome.account_id
    assert account_id is not None
    return int(account_id)


def _import_all(s: Setup, account_id: int, period: str) -> None:
    parent = s.dispatch(account_id, [period])
    assert parent.status == "succeeded", parent.error
    assert parent.result is not None and parent.result["submitted"]
    for item in parent.result["submitted"]:
        run = s.run(item["run_id"])
        assert run.status == "succeeded", run.error


def _visible_total(s: Setup, period: str) -> tuple[Decimal, Decimal, list[dict[str, object]]]:
    start, end = month_range(period)
    store = CostStore(s.rt.settings.cost_store_dir)
    try:
        with s.rt.db.session() as db:
            scope = explore.allowed(db, store, INSTALLATION)
        res = store.query(CostQuery(billing_accounts=scope, start=start, end=end))
        return res.total["BilledCost"], res.total["EffectiveCost"], store.sources(scope)
    finally:
        store.close()


def test_fabrikam_by_consent_then_its_mca_by_service_principal_counts_once(setup: Setup) -> None:  # noqa: F811
    """The issue's demo: EUR 16,092.29 became EUR 32,184.59 once the MCA account was added."""
    mca = setup.fx["mca_billing_account_id"]
    period = setup.previous_period()
    truth, amortized = setup.truth(mca, period), setup.truth(mca, period, "AmortizedCost")
    fabrikam = _consent_fabrikam(setup)
    _import_all(setup, fabrikam, period)
    billed, effective, _ = _visible_total(setup, period)
    assert (billed, effective) == (dec(truth["total"]), dec(amortized["total"]))  # the subscriptions alone
    setup.grant_mca_reader()
    _import_all(setup, setup.connect_sp(mca), period)
    billed, effective, sources = _visible_total(setup, period)
    assert (billed, effective) == (dec(truth["total"]), dec(amortized["total"]))  # not twice
    subs = {c["subscription"]: c for c in sources if c["subscription"] and c["billing_period"] == period}
    assert set(subs) == {x.lower() for x in truth["by_SubscriptionId"]}
    for c in subs.values():
        assert c["used"]["kind"] == "mca_billing_account"  # type: ignore[index]
        assert [x["kind"] for x in c["skipped"]] == ["subscription"]  # type: ignore[union-attr]


def test_enrollment_by_api_key_and_by_service_principal_counts_once(setup: Setup) -> None:  # noqa: F811
    ea = setup.fx["ea_enrollment_number"]
    period = setup.previous_period()
    truth, amortized = setup.truth(ea, period), setup.truth(ea, period, "AmortizedCost")
    _import_all(setup, setup.connect_sp(ea), period)
    key_account, _ = setup.connect_ea_token(tenant_id=str(uuid.uuid4()))  # another team's account
    _import_all(setup, key_account, period)  # the legacy download (usage only) comes second
    billed, effective, _ = _visible_total(setup, period)
    assert (billed, effective) == (dec(truth["total"]), dec(amortized["total"]))


def test_invoice_section_then_billing_account_counts_once(setup: Setup) -> None:  # noqa: F811
    """An invoice section and the billing profile above it, imported through the Cost Details
    API at their own scopes, then the MCA billing account: each charge once."""
    mca = setup.fx["mca_billing_account_id"]
    period = setup.previous_period()
    setup.grant_mca_reader()
    account_id = setup.connect_sp(mca)
    accounts_cost = setup.emu.control.get("/costs/accounts").json()["value"]
    info = next(a for a in accounts_cost if a["id"] == mca)
    profile = f"{mca}/billingProfiles/{info['billing_profile_id']}"
    section = f"{profile}/invoiceSections/{info['sections'][0]['id']}"
    env = IngestEnv(setup.rt.settings, setup.rt.db, setup.rt.vault)
    for scope in (section, profile):
        out = import_period(env, Source(account_id, "billing_account", scope, scope.rsplit("/", 1)[-1], "MCA"), period)
        assert out.status.value == "ok", out.message
    truth, amortized = setup.truth(mca, period), setup.truth(mca, period, "AmortizedCost")
    billed, _, _ = _visible_total(setup, period)
    assert billed == dec(truth["total"])  # the profile covers the section
    _import_all(setup, account_id, period)
    billed, effective, _ = _visible_total(setup, period)
    assert (billed, effective) == (dec(truth["total"]), dec(amortized["total"]))

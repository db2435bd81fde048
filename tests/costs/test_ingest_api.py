"""Cost imports through the billing APIs against the emulator (the real SDK path): EA and
MCA service principals (Cost Details API, actual + amortized), totals equal to the
emulator's truth to the last digit, idempotent re-import, "waiting for first billing data"."""

from __future__ import annotations

from datetime import timedelta

import pytest

from conftest import backend_params
from costs.ingest_support import Setup, _fresh_world, dec, emu, month_range, rt, setup  # noqa: F401
from skytally.costs import CostQuery, CostStore

pytestmark = pytest.mark.parametrize("database_url", backend_params(), indirect=True)


def _stored(s: Setup, billing_account: str, period: str) -> tuple[int, object, object]:
    start, end = month_range(period)
    store = CostStore(s.rt.settings.cost_store_dir)
    try:
        res = store.query(CostQuery(billing_accounts=[billing_account], start=start, end=end))
        periods = [p for p in store.periods([billing_account]) if p["billing_period"] == period]
    finally:
        store.close()
    assert len(periods) == 1
    return len(periods), res.total["BilledCost"], res.total["EffectiveCost"]


def test_ea_service_principal_matches_truth_and_reimport_is_idempotent(setup: Setup) -> None:  # noqa: F811
    ea = setup.fx["ea_enrollment_number"]
    period = setup.previous_period()
    account_id = setup.connect_sp(ea)
    run = setup.import_now(account_id, period)
    assert run.status == "succeeded", run.error
    state = setup.state(account_id, period)
    actual, amortized = setup.truth(ea, period), setup.truth(ea, period, "AmortizedCost")
    assert state.status == "ok" and state.currency == "USD" and state.source == "billing_account"
    assert dec(state.billed_cost) == dec(actual["total"])
    assert dec(state.effective_cost) == dec(amortized["total"])
    first = setup.state(account_id, period).last_success_at
    again = setup.import_now(account_id, period)
    assert again.status == "succeeded"
    state2 = setup.state(account_id, period)
    assert (state2.rows, state2.billed_cost, state2.effective_cost) == (state.rows, state.billed_cost, state.effective_cost)
    assert state2.last_success_at is not None and first is not None and state2.last_success_at >= first
    _, billed, effective = _stored(setup, ea, period)
    assert (billed, effective) == (dec(actual["total"]), dec(amortized["total"]))


def test_mca_service_principal_matches_truth(setup: Setup) -> None:  # noqa: F811
    mca = setup.fx["mca_billing_account_id"]
    period = setup.previous_period()
    setup.grant_mca_reader()
    account_id = setup.connect_sp(mca)
    run = setup.import_now(account_id, period)
    assert run.status == "succeeded", run.error
    state = setup.state(account_id, period)
    assert state.currency == "EUR"
    assert dec(state.billed_cost) == dec(setup.truth(mca, period)["total"])
    assert dec(state.effective_cost) == dec(setup.truth(mca, period, "AmortizedCost")["total"])
    _, billed, effective = _stored(setup, mca, period)
    assert billed == dec(state.billed_cost) and effective == dec(state.effective_cost)


def test_young_billing_account_is_waiting_not_failing(setup: Setup) -> None:  # noqa: F811
    ea = setup.fx["ea_enrollment_number"]
    setup.emu.control.post(f"/costs/accounts/{ea}", json={"created": "now"}).raise_for_status()
    account_id = setup.connect_sp(ea)
    period = setup.previous_period()
    run = setup.import_now(account_id, period)
    assert run.status == "succeeded", run.error
    assert run.result is not None and run.result["status"] == "waiting"
    state = setup.state(account_id, period)
    assert state.status == "waiting" and state.message.startswith("waiting for first billing data")


def test_pay_as_you_go_subscription_scope(setup: Setup) -> None:  # noqa: F811
    """A tenant without a billing account imports each readable subscription."""
    period = setup.previous_period()
    account_id = setup.connect_sp("")
    sub = setup.fx["customer_sp_subscription_id"]
    run = setup.import_now(account_id, period)
    assert run.status == "succeeded", run.error
    state = setup.state(account_id, period)
    assert state.source == "subscription" and state.scope_id == sub
    assert state.status == "ok", state.message
    start, end = month_range(period)
    truth = setup.emu.control.get("/costs/totals", params={
        "billing_account": setup.fx["ea_enrollment_number"], "start": start.isoformat(),
        "end": (end - timedelta(days=1)).isoformat(), "subscription": sub}).json()
    assert dec(state.billed_cost) == dec(truth["total"])


def test_import_left_running_by_a_dead_worker_is_marked_failed_by_the_next_run(setup: Setup) -> None:  # noqa: F811
    from skytally.costs.ingest import INTERRUPTED, mark_stale_imports
    from skytally.costs.models import CostImport
    from skytally.store.base import utcnow

    ea = setup.fx["ea_enrollment_number"]
    period = setup.previous_period()
    account_id = setup.connect_sp(ea)
    with setup.rt.db.session() as s:
        for scope, minutes in (("dead-worker", 90), ("still-running", 5)):
            s.add(CostImport(account_id=account_id, scope_id=scope, billing_period=period, source="billing_account",
                             scope_name=scope, status="running", message="importing…",
                             last_attempt_at=utcnow() - timedelta(minutes=minutes)))
    run = setup.dispatch(account_id, [period])  # the daily job starts by cleaning up
    assert run.status == "succeeded", run.error
    assert run.result is not None and run.result["stale_imports_failed"] == 1
    assert [setup.run(i["run_id"]).status for i in run.result["submitted"]] == ["succeeded"]
    with setup.rt.db.session() as s:
        rows = {r.scope_id: r for r in s.query(CostImport).filter(CostImport.account_id == account_id)}
        assert (rows["dead-worker"].status, rows["dead-worker"].message) == ("failed", INTERRUPTED)
        assert rows["still-running"].status == "running"
        assert rows[ea].status == "ok"
        assert mark_stale_imports(s) == 0

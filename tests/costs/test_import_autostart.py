"""Imports start when an account is connected (with its first inventory sync), the
account's imports show queued/running/imported, and a billing account whose data is gone
says "waiting for first billing data" without counting an earlier import's rows."""

from __future__ import annotations

import pytest

from conftest import backend_params
from costs.ingest_support import INSTALLATION, Setup, _fresh_world, dec, emu, month_range, rt, setup  # noqa: F401
from skytally.costs import CostQuery, CostStore, autostart, explore
from skytally.costs.models import CostImport
from skytally.jobs.models import JobRun

pytestmark = pytest.mark.parametrize("database_url", [backend_params()[0]], indirect=True)


def test_connecting_starts_inventory_and_cost_imports(setup: Setup) -> None:  # noqa: F811
    ea = setup.fx["ea_enrollment_number"]
    account_id = setup.connect_sp(ea)
    queued = autostart.on_connected(setup.rt.db, setup.rt.queue, account_id, "test")  # immediate queue: runs now
    assert queued["inventory_run"] and queued["costs_run"]
    with setup.rt.db.session() as s:
        kinds = {r.kind: r.status for r in s.query(JobRun)}
        states = explore.import_status(s, INSTALLATION, account_id)
    assert kinds["inventory.sync"] == "succeeded" and kinds["costs.import"] == "succeeded"
    assert {st.billing_period for st in states} == {setup.previous_period(), setup.current_period()}
    assert {st.status for st in states} == {"ok"}
    # connecting again while nothing is running queues again; never the same work twice at once
    again = autostart.on_connected(setup.rt.db, setup.rt.queue, account_id, "test")
    assert again["costs_run"] != queued["costs_run"]


def test_queued_imports_show_on_the_account(setup: Setup) -> None:  # noqa: F811
    from skytally.costs.dispatch import IMPORT_PERIOD

    ea = setup.fx["ea_enrollment_number"]
    account_id = setup.connect_sp(ea)
    period = setup.previous_period()
    with setup.rt.db.session() as s:  # a run a worker has not picked up yet
        s.add(JobRun(kind=IMPORT_PERIOD, status="queued", target="x",
                     params={"account_id": account_id, "scope_id": ea, "period": period}))
    with setup.rt.db.session() as s:
        [state] = explore.import_status(s, INSTALLATION, account_id)
    assert (state.status, state.billing_period) == ("queued", period)


def test_billing_account_without_data_any_more_is_waiting_and_counts_nothing(setup: Setup) -> None:  # noqa: F811
    ea = setup.fx["ea_enrollment_number"]
    account_id = setup.connect_sp(ea)
    period = setup.previous_period()
    assert setup.import_now(account_id, period).status == "succeeded"
    assert setup.state(account_id, period).rows > 0
    # the account is recreated at Microsoft: no data yet for it
    setup.emu.control.post(f"/costs/accounts/{ea}", json={"created": "now"}).raise_for_status()
    with setup.rt.db.session() as s:  # as for a new billing account: no earlier success recorded
        s.query(CostImport).delete()
    run = setup.import_now(account_id, period)
    assert run.status == "succeeded" and run.result is not None and run.result["status"] == "waiting"
    state = setup.state(account_id, period)
    assert state.status == "waiting" and state.rows == 0 and state.billed_cost == ""
    start, end = month_range(period)
    store = CostStore(setup.rt.settings.cost_store_dir)
    try:  # the earlier import's rows are not counted as current
        assert store.query(CostQuery(billing_accounts=[ea], start=start, end=end)).total["BilledCost"] == 0
        assert not [p for p in store.periods([ea]) if p["billing_period"] == period]
    finally:
        store.close()
    with setup.rt.db.session() as s:
        [st] = [x for x in explore.import_status(s, INSTALLATION, account_id) if x.billing_period == period]
    assert st.status == "waiting" and st.message.startswith("waiting for first billing data") and st.BilledCost is None

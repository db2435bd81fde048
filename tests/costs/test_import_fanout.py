"""The `costs.import` dispatcher submits one `costs.import_period` run per (cost scope,
billing period) for every kind of agreement; each child imports exact totals or fails with
its own reason; a (scope, period) already queued or running is skipped, not submitted twice."""

from __future__ import annotations

from typing import Any

import pytest

from conftest import backend_params
from costs.fanout_support import Holding, assert_exact, connect, state
from costs.ingest_support import Setup, _fresh_world, emu, rt, setup  # noqa: F401
from skytally.costs import dispatch
from skytally.costs.jobs import IMPORT_PERIOD
from skytally.jobs import service as jobs
from skytally.jobs.models import JobRun
from skytally.store.base import utcnow

pytestmark = pytest.mark.parametrize("database_url", backend_params(), indirect=True)


@pytest.mark.parametrize("agreement", ["ea_token", "ea_sp", "mca_sp", "payg"])
def test_dispatcher_submits_one_run_per_scope_and_period(setup: Setup, agreement: str) -> None:  # noqa: F811
    account_id, scope, source = connect(setup, agreement)
    periods = [setup.previous_period(), setup.current_period()]
    parent = setup.dispatch(account_id, periods)
    assert parent.status == "succeeded", parent.error
    assert parent.result is not None and parent.result["skipped"] == [] and parent.result["failures"] == []
    submitted = parent.result["submitted"]
    assert [(i["account_id"], i["scope_id"], i["source"], i["period"]) for i in submitted] == [
        (account_id, scope, source, p) for p in periods]
    for item in submitted:
        child = setup.run(item["run_id"])
        assert child.kind == IMPORT_PERIOD and child.status == "succeeded", child.error
        assert child.params == {"account_id": account_id, "scope_id": scope, "period": item["period"]}
        assert child.target.endswith(item["period"]) and child.progress == 1.0
        assert child.result is not None and child.result["status"] == "ok"
        assert_exact(setup, agreement, account_id, scope, item["period"])


def test_one_failing_scope_does_not_stop_the_others(setup: Setup) -> None:  # noqa: F811
    """MCA without Billing Account Reader fails (access denied), an EA key that was revoked
    fails (revoked); the EA enrollment read with a valid key in a third tenant imports."""
    period = setup.previous_period()
    mca = setup.fx["mca_billing_account_id"]
    setup.grant_mca_reader()
    denied = setup.connect_sp(mca)
    world = setup.emu.world
    assert world is not None
    with world.lock:  # the customer then removes the role
        for name in [n for n, a in world.role_assignments.items() if a.scope.endswith(mca)]:
            del world.role_assignments[name]
        world.touch()
    revoked, key = setup.connect_ea_token(tenant_id=setup.fx["second_tenant_id"])
    setup.emu.control.post("/ea-keys/revoke", json={"key": key}).raise_for_status()
    good, _ = setup.connect_ea_token(tenant_id=setup.fx["o365_tenant_id"])
    parent = setup.dispatch(None, [period])
    assert parent.status == "succeeded", parent.error
    assert parent.result is not None
    children = {i["account_id"]: setup.run(i["run_id"]) for i in parent.result["submitted"]}
    assert set(children) == {denied, revoked, good}
    assert children[denied].status == "failed" and "access denied" in (children[denied].error or "")
    assert "Billing Account Reader" in (children[denied].error or "")
    assert children[revoked].status == "failed"
    assert (children[revoked].error or "").startswith("revoked: the EA API refuses the access token")
    assert children[good].status == "succeeded", children[good].error
    assert_exact(setup, "ea_token", good, setup.fx["ea_enrollment_number"], period)
    assert state(setup, denied, mca, period).status == "failed"


def test_waiting_for_first_billing_data_is_a_state_not_a_failure(setup: Setup) -> None:  # noqa: F811
    mca = setup.fx["mca_billing_account_id"]
    setup.emu.control.post(f"/costs/accounts/{mca}", json={"created": "now"}).raise_for_status()
    setup.grant_mca_reader()
    account_id = setup.connect_sp(mca)
    child = setup.import_now(account_id, setup.previous_period())
    assert child.status == "succeeded" and child.result is not None and child.result["status"] == "waiting"
    assert child.result["message"].startswith("waiting for first billing data")


def test_queued_or_running_imports_are_not_submitted_twice(setup: Setup) -> None:  # noqa: F811
    account_id, scope, _ = connect(setup, "ea_sp")
    previous, current = setup.previous_period(), setup.current_period()
    busy = Holding()  # yesterday's run is still waiting for a worker
    first = dispatch.submit_imports(setup.rt.db, busy, account_id=account_id, periods=[previous])
    assert len(first.submitted) == 1 and busy.run_ids == first.run_ids

    parent = setup.dispatch(account_id, [previous, current])  # the schedule fires again
    assert parent.status == "succeeded" and parent.result is not None
    assert [(i["period"], i["run_id"], i["status"]) for i in parent.result["skipped"]] == [
        (previous, first.run_ids[0], "queued")]
    assert parent.result["skipped"][0]["reason"] == f"already queued as job run #{first.run_ids[0]}"
    assert [i["period"] for i in parent.result["submitted"]] == [current]

    # A user clicks "Import now" twice while it runs: still one run of that period.
    with setup.rt.db.session() as s:
        held = s.get(JobRun, first.run_ids[0])
        assert held is not None
        held.status, held.heartbeat_at = "running", utcnow()
    again = dispatch.submit_imports(setup.rt.db, Holding(), account_id=account_id, periods=[previous])
    assert again.submitted == [] and again.skipped[0]["reason"] == f"already running as job run #{first.run_ids[0]}"

    # Once it finished, the period can be imported again.
    with setup.rt.db.session() as s:
        held = s.get(JobRun, first.run_ids[0])
        assert held is not None
        held.status = "succeeded"
    later = setup.dispatch(account_id, [previous])
    assert later.result is not None and len(later.result["submitted"]) == 1
    assert setup.run(later.result["submitted"][0]["run_id"]).status == "succeeded"
    assert_exact(setup, "ea_sp", account_id, scope, previous)


def test_dispatch_for_an_account_without_cost_scopes_says_what_to_add(setup: Setup) -> None:  # noqa: F811
    from skytally.accounts.models import CloudAccount
    from skytally.errors import InvalidInput

    with setup.rt.db.session() as s:
        bare = CloudAccount(kind="azure", name="Bare", tenant_id=setup.fx["second_tenant_id"], connection="consent")
        s.add(bare)
        s.flush()
        bare_id = bare.id
    with pytest.raises(InvalidInput, match="Bare has no cost scope to import: it needs an EA access token"):
        dispatch.submit_imports(setup.rt.db, Holding(), account_id=bare_id)
    params: dict[str, Any] = {"account_id": bare_id}
    run = jobs.submit(setup.rt.db, setup.rt.queue, "costs.import", params=params)
    assert run.status == "failed" and "no cost scope" in (run.error or "")

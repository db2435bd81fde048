"""Legacy EA API key imports: totals equal the emulator's Azure usage truth; a revoked or
expired key fails the job with the precise reason and leaves the stored period whole."""

from __future__ import annotations

from datetime import timedelta

import pytest

from conftest import backend_params
from costs.ingest_support import Setup, _fresh_world, dec, emu, rt, setup  # noqa: F401
from skytally.accounts.models import EaToken
from skytally.costs import CostStore
from skytally.store.base import utcnow

pytestmark = pytest.mark.parametrize("database_url", backend_params(), indirect=True)


def _periods(s: Setup, ea: str) -> list[dict[str, object]]:
    store = CostStore(s.rt.settings.cost_store_dir)
    try:
        return store.periods([ea])
    finally:
        store.close()


def test_ea_token_import_then_revoked_then_expired(setup: Setup) -> None:  # noqa: F811
    ea = setup.fx["ea_enrollment_number"]
    period = setup.previous_period()
    account_id, key = setup.connect_ea_token()
    run = setup.import_now(account_id, period)
    assert run.status == "succeeded", run.error
    state = setup.state(account_id, period)
    truth = setup.truth(ea, period)
    assert state.source == "ea_token" and state.currency == "USD"
    assert dec(state.billed_cost) == dec(truth["azure_usage_total"])
    assert dec(state.effective_cost) == dec(truth["azure_usage_total"])  # usage only: no amortization
    before = _periods(setup, ea)

    # Revoked: the EA API answers 401; the run fails with that reason, the period stays whole.
    setup.emu.control.post("/ea-keys/revoke", json={"key": key}).raise_for_status()
    failed = setup.import_now(account_id, period)
    assert failed.status == "failed"
    assert failed.error is not None and "revoked: the EA API refuses the access token" in failed.error, failed.error
    assert "401" in failed.error
    assert _periods(setup, ea) == before
    state = setup.state(account_id, period)
    assert state.status == "failed" and dec(state.billed_cost) == dec(truth["azure_usage_total"])
    with setup.rt.db.session() as s:
        assert s.get(EaToken, 1).status == "revoked"  # type: ignore[union-attr]

    # Expired: the newest key's end date has passed; nothing is called, the reason says so.
    setup.connect_ea_token_key_only(account_id)
    with setup.rt.db.session() as s:
        newest = s.get(EaToken, 2)
        assert newest is not None
        newest.expires_at = utcnow() - timedelta(days=1)
    failed = setup.import_now(account_id, period)
    assert failed.status == "failed"
    assert failed.error is not None and "expired: the EA access token for enrollment" in failed.error, failed.error
    assert _periods(setup, ea) == before

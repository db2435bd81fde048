"""Helpers of the cost import fan-out tests: a dispatcher that holds runs, one cloud
account per kind of agreement, the emulator's truth and what skytally stored."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from costs.ingest_support import Setup, dec, month_range
from skytally.costs import CostQuery, CostStore
from skytally.costs.models import CostImport


class Holding:
    """A dispatcher that queues nothing: its runs stay `queued`, as behind a busy worker."""

    def __init__(self) -> None:
        self.run_ids: list[int] = []

    def dispatch(self, run_id: int) -> None:
        self.run_ids.append(run_id)


def connect(s: Setup, agreement: str) -> tuple[int, str, str]:
    """(account id, scope id, source) of a cloud account with one cost scope of that kind."""
    if agreement == "ea_token":
        account_id, _ = s.connect_ea_token()
        return account_id, s.fx["ea_enrollment_number"], "ea_token"
    if agreement == "ea_sp":
        return s.connect_sp(s.fx["ea_enrollment_number"]), s.fx["ea_enrollment_number"], "billing_account"
    if agreement == "mca_sp":
        s.grant_mca_reader()
        return s.connect_sp(s.fx["mca_billing_account_id"]), s.fx["mca_billing_account_id"], "billing_account"
    return s.connect_sp(""), s.fx["customer_sp_subscription_id"], "subscription"


def truth(s: Setup, agreement: str, scope: str, period: str) -> tuple[Decimal, Decimal]:
    """(BilledCost, EffectiveCost) the emulator says the period holds."""
    if agreement == "ea_token":  # legacy usage details: Azure usage only, not amortized
        usage = dec(s.truth(scope, period)["azure_usage_total"])
        return usage, usage
    if agreement == "payg":
        start, end = month_range(period)
        params = {"billing_account": s.fx["ea_enrollment_number"], "start": start.isoformat(),
                  "end": (end - timedelta(days=1)).isoformat(), "subscription": scope}
        total = dec(s.emu.control.get("/costs/totals", params=params).json()["total"])
        return total, total
    return dec(s.truth(scope, period)["total"]), dec(s.truth(scope, period, "AmortizedCost")["total"])


def stored(s: Setup, scope: str, period: str) -> tuple[Decimal, Decimal, str | None]:
    """Stored (BilledCost, EffectiveCost, import id of the live partition)."""
    start, end = month_range(period)
    store = CostStore(s.rt.settings.cost_store_dir)
    try:
        total = store.query(CostQuery(billing_accounts=[scope], start=start, end=end)).total
        live = [p for p in store.periods([scope]) if p["billing_period"] == period]
    finally:
        store.close()
    return total["BilledCost"], total["EffectiveCost"], live[0]["import_id"] if live else None


def state(s: Setup, account_id: int, scope: str, period: str) -> CostImport:
    with s.rt.db.session() as session:
        row = session.scalar(select(CostImport).where(CostImport.account_id == account_id,
                                                      CostImport.scope_id == scope,
                                                      CostImport.billing_period == period))
        assert row is not None
        session.expunge(row)
        return row


def assert_exact(s: Setup, agreement: str, account_id: int, scope: str, period: str) -> None:
    billed, effective = truth(s, agreement, scope, period)
    assert stored(s, scope, period)[:2] == (billed, effective), (agreement, period)
    row = state(s, account_id, scope, period)
    assert row.status == "ok", row.message
    assert (dec(row.billed_cost), dec(row.effective_cost)) == (billed, effective)
    assert row.import_id == stored(s, scope, period)[2]  # the bookkeeping names the live import

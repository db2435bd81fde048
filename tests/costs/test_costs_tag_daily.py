"""Group-by-tag queries answered from the per-period tag pre-aggregates (tag_daily)
give exactly the detail path's results: same groups, same sums to the last digit."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from skytally.costs import CostQuery, CostStore
from skytally.costs.store.storage import TAG_DAILY

from .conftest import write
from .test_costs_tags import CELLS, EA_HEADER, ea_row

QUERIES = [
    CostQuery(billing_accounts=["A", "B", "8608480"], group_by=["tag:env"]),
    CostQuery(billing_accounts=["A", "B"], group_by=["tag:Environment"], granularity="month"),
    CostQuery(billing_accounts=["A", "B"], group_by=["tag:app"], granularity="day"),
    CostQuery(billing_accounts=["A"], group_by=["tag:env"], granularity="day",
              start=date(2024, 1, 10), end=date(2024, 2, 20)),
    CostQuery(billing_accounts=["A", "B"], group_by=["tag:environment"], top=2, granularity="month"),
    CostQuery(billing_accounts=["A", "B"], group_by=["tag:app"], top=1, order_by="BilledCost"),
    CostQuery(billing_accounts=["A", "B", "8608480"], group_by=["tag:costcenter"], currency="USD"),
    CostQuery(billing_accounts=["8608480"], group_by=["tag:z"]),
    CostQuery(billing_accounts=["A", "B"], group_by=["tag:no-such-key"], granularity="month"),
]


@pytest.fixture
def loaded(store: CostStore, sample, tmp_path: Path) -> CostStore:
    a = sample(layout="mca", kind="actual", rows=4000, periods=["2024-01", "2024-02"],
               billing_account_id="A", seed=11)
    b = sample(layout="ea_exports", kind="actual", rows=3000, periods=["2024-02"],
               billing_account_id="B", seed=12)
    store.import_files([a.path])
    store.import_files([b.path])
    lines = [EA_HEADER] + [ea_row(cell, f"{i + 1}.25") for i, (cell, _) in enumerate(CELLS)]
    store.import_files([write(tmp_path / "ea_tags.csv", "\n".join(lines) + "\n")])
    return store


def _detail(store: CostStore, q: CostQuery) -> list[dict]:
    """The same query over the rows: with the pre-aggregates removed."""
    aside = store.root / "aside"
    moved = []
    for f in store.root.glob(f"focus/*/*/{TAG_DAILY}"):
        dest = aside / str(len(moved))
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(f), dest)
        moved.append((dest, f))
    try:
        return [r.model_dump() for r in store.query_by_currency(q)]
    finally:
        for dest, f in moved:
            shutil.move(str(dest), f)


def test_tag_daily_written_per_period(loaded: CostStore) -> None:
    keys = loaded.layout.periods()
    assert loaded.layout.tag_daily_files(keys) is not None
    assert len(loaded.layout.tag_daily_files(keys) or []) == len(keys) == 4


@pytest.mark.parametrize("i", range(len(QUERIES)))
def test_aggregate_path_equals_detail_path(loaded: CostStore, i: int) -> None:
    q = QUERIES[i]
    fast = [r.model_dump() for r in loaded.query_by_currency(q)]
    slow = _detail(loaded, q)
    assert fast == slow
    assert fast and fast[0]["rows"]
    # exact to the digit, not only after rounding for display
    fast_raw = [(r.rows, r.total) for r in loaded.query_by_currency(q)]
    slow_sum = sum(row["BilledCost"] for res in slow for row in res["rows"])
    assert sum(t["BilledCost"] for _, t in fast_raw) == slow_sum


def test_filters_use_the_rows(loaded: CostStore) -> None:
    q = CostQuery(billing_accounts=["A"], group_by=["tag:env"], filters={"ServiceName": ["Storage"]})
    assert [r.model_dump() for r in loaded.query_by_currency(q)] == _detail(loaded, q)


def test_reimport_replaces_the_aggregate(store: CostStore, sample) -> None:
    a = sample(layout="mca", kind="actual", rows=2000, periods=["2024-01"], billing_account_id="A", seed=1)
    store.import_files([a.path])
    b = sample(layout="mca", kind="actual", rows=500, periods=["2024-01"], billing_account_id="A", seed=2)
    res = store.import_files([b.path])
    q = CostQuery(billing_accounts=["A"], group_by=["tag:env"])
    assert store.query(q).total["BilledCost"] == res.BilledCost
    assert [r.model_dump() for r in store.query_by_currency(q)] == _detail(store, q)

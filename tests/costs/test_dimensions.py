"""Explorer wording: each dimension once with its FOCUS name and a friendly label; the
default currency does not switch when another currency's costs appear."""

from __future__ import annotations

from collections.abc import Callable

from skytally.costs import CostStore
from skytally.costs.dimensions import dimension_label, groupable_dimensions
from skytally.costs.samples import SampleTotals
from skytally.web.pages.costs import COMMON_DIMENSIONS, _default_currency


def test_each_dimension_once_with_a_label() -> None:
    dims = groupable_dimensions()
    names = [d["name"] for d in dims]
    assert len(names) == len(set(names)) and "ChargeCategory" in names
    assert not {"BilledCost", "EffectiveCost", "ListCost", "ChargePeriodStart", "Tags", "x_TagKeys"} & set(names)
    labels = [d["label"] for d in dims]
    assert len(labels) == len(set(labels)), sorted(x for x in labels if labels.count(x) > 1)
    assert dimension_label("ChargeCategory") == "Charge category"
    assert dimension_label("x_SkuMeterId") == "SKU meter ID (Microsoft)"
    assert {c for c, _ in COMMON_DIMENSIONS} <= set(names)


def test_default_currency_stays_when_another_appears(store: CostStore, sample: Callable[..., SampleTotals]) -> None:
    store.import_files([sample(layout="mca", rows=50, billing_account_id="B-USD", currency="USD").path])
    store.import_files([sample(layout="mca", rows=50, billing_account_id="A-EUR", currency="EUR").path])
    assert _default_currency(store, ["A-EUR", "B-USD"], ["EUR", "USD"]) == "USD"  # not EUR, first by name

"""Query service: grouping by FOCUS columns and tags, series, filters, top-N + Other,
untagged share and reasons, billed vs effective, currencies never mixed, scoping,
injection safety, export."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from skytally.costs import CostQuery, CostStore
from skytally.costs.samples import write_sample
from skytally.errors import InvalidInput


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory):
    """One store shared by the read-only tests of this module."""
    d = tmp_path_factory.mktemp("costs-query")
    usd = write_sample(d / "mca.csv", layout="mca", rows=4000, periods=["2024-01", "2024-02"],
                       billing_account_id="mca-1", seed=11)
    eur = write_sample(d / "ea.csv", layout="ea_exports", rows=2000, periods=["2024-01"],
                       billing_account_id="ea-2", currency="EUR", seed=12)
    store = CostStore(d / "store")
    store.import_files([usd.path])
    store.import_files([eur.path])
    yield store, usd, eur
    store.close()


def test_group_by_dimensions_sum_to_total(loaded) -> None:
    store, usd, _ = loaded
    for dims in (["ServiceName"], ["SubAccountName", "x_ResourceGroupName"], ["ChargeCategory"],
                 ["RegionId"], ["PricingCategory", "CommitmentDiscountStatus"], ["billing_period"]):
        res = store.query(CostQuery(billing_accounts=["mca-1"], group_by=dims))
        assert res.currency == "USD"
        assert sum(r["BilledCost"] for r in res.rows) == usd.billed
        assert sum(r["EffectiveCost"] for r in res.rows) == usd.effective
        assert res.total == {"BilledCost": usd.billed, "EffectiveCost": usd.effective}
        assert all(set(dims) <= r.keys() for r in res.rows)
    cats = {r["ChargeCategory"] for r in store.query(CostQuery(billing_accounts=["mca-1"], group_by=["chargecategory"])).rows}
    assert cats == {"Usage", "Purchase"}


def test_series_daily_and_monthly(loaded) -> None:
    store, usd, _ = loaded
    monthly = store.query(CostQuery(billing_accounts=["mca-1"], granularity="month"))
    assert [r["date"] for r in monthly.rows] == ["2024-01", "2024-02"]
    assert monthly.rows[0]["BilledCost"] == Decimal(usd.by_period["2024-01"].billed) / 10**8
    daily = store.query(CostQuery(billing_accounts=["mca-1"], granularity="day", group_by=["tag:env"],
                                  start=date(2024, 1, 10), end=date(2024, 1, 12)))
    assert {r["date"] for r in daily.rows} == {"2024-01-10", "2024-01-11"}
    assert {r["tag:env"] for r in daily.rows} <= {"prod", "dev", "Prod", None}


def test_filters_and_top_n_with_other(loaded) -> None:
    store, usd, _ = loaded
    full = store.query(CostQuery(billing_accounts=["mca-1"], group_by=["x_ResourceGroupName"]))
    top = store.query(CostQuery(billing_accounts=["mca-1"], group_by=["x_ResourceGroupName"], top=3))
    assert len(top.rows) == 4 and top.rows[-1]["x_ResourceGroupName"] == "Other"
    ranked = sorted(full.rows, key=lambda r: -r["EffectiveCost"])
    assert [r["x_ResourceGroupName"] for r in top.rows[:3]] == [r["x_ResourceGroupName"] for r in ranked[:3]]
    assert top.rows[-1]["EffectiveCost"] == sum(r["EffectiveCost"] for r in ranked[3:])
    assert top.total == full.total
    flt = store.query(CostQuery(billing_accounts=["mca-1"], filters={"ChargeCategory": ["Purchase"]}))
    assert 0 < flt.total["BilledCost"] < usd.billed
    none = store.query(CostQuery(billing_accounts=["mca-1"], filters={"ServiceName": ["no such"]}))
    assert none.rows == [] and none.total["BilledCost"] == 0


def test_billed_and_effective_differ_for_commitments(loaded) -> None:
    store, _usd, _ = loaded
    res = store.query(CostQuery(billing_accounts=["mca-1"], group_by=["PricingCategory", "ChargeCategory"]))
    purchase = [r for r in res.rows if r["PricingCategory"] == "Committed" and r["ChargeCategory"] == "Purchase"]
    assert purchase and all(r["EffectiveCost"] == 0 and r["BilledCost"] != 0 for r in purchase)


def test_currencies_are_never_added(loaded) -> None:
    store, usd, eur = loaded
    with pytest.raises(InvalidInput, match="several currencies \\(EUR, USD\\)"):
        store.query(CostQuery(billing_accounts=["mca-1", "ea-2"]))
    both = store.query_by_currency(CostQuery(billing_accounts=["mca-1", "ea-2"], group_by=["ServiceName"]))
    assert [(r.currency, r.total["BilledCost"]) for r in both] == [("EUR", eur.billed), ("USD", usd.billed)]
    eur_only = store.query(CostQuery(billing_accounts=["mca-1", "ea-2"], currency="EUR"))
    assert eur_only.currency == "EUR" and eur_only.total["BilledCost"] == eur.billed
    assert store.query(CostQuery(billing_accounts=["mca-1", "ea-2"], group_by=["BillingCurrency"], currency="USD")).rows[0]["BillingCurrency"] == "USD"


def test_scope_limits_what_is_read(loaded) -> None:
    store, _, eur = loaded
    assert store.query(CostQuery(billing_accounts=["ea-2"])).total["BilledCost"] == eur.billed
    empty = store.query(CostQuery(billing_accounts=["someone-else"]))
    assert empty.rows == [] and empty.total["BilledCost"] == 0
    assert store.query(CostQuery(billing_accounts=[])).rows == []
    # a filter cannot widen the scope
    res = store.query(CostQuery(billing_accounts=["ea-2"], filters={"billing_account": ["mca-1"]}))
    assert res.rows == []


@pytest.mark.parametrize("dim", ["BilledCost; DROP TABLE x", "ServiceName)--", "1=1", "Nope",
                                 "read_csv('/etc/passwd')"])
def test_dimensions_are_allow_listed(loaded, dim: str) -> None:
    store, _, _ = loaded
    with pytest.raises(InvalidInput, match="Unknown dimension"):
        store.query(CostQuery(billing_accounts=["mca-1"], group_by=[dim]))
    with pytest.raises(InvalidInput, match="Unknown dimension"):
        store.query(CostQuery(billing_accounts=["mca-1"], filters={dim: ["x"]}))


def test_tag_keys_and_filter_values_are_bound_not_spliced(loaded) -> None:
    store, _usd, _ = loaded
    evil = "x') OR 1=1 --"
    res = store.query(CostQuery(billing_accounts=["mca-1"], group_by=[f"tag:{evil}"],
                                filters={"ServiceName": [evil]}))
    assert res.rows == []


def test_untagged_share_and_reasons(loaded, tmp_path: Path) -> None:
    store, usd, _ = loaded
    [res] = store.untagged(CostQuery(billing_accounts=["mca-1"]), "env")
    reasons = {r.reason: r for r in res.reasons}
    assert res.total["EffectiveCost"] == usd.effective
    assert res.untagged["EffectiveCost"] == sum(r.EffectiveCost for r in res.reasons)
    assert 0 < res.share < 1
    assert {"purchase", "marketplace", "untaggable_resource_type", "no_tags", "key_missing"} <= reasons.keys()
    assert "resource_gone" not in reasons
    # with the inventory's list of live resources, missing ones are "resource_gone"
    files = store.layout.files(store.layout.periods(["mca-1"]))
    ids = [r[0] for r in duckdb.execute(
        "SELECT DISTINCT ResourceId FROM read_parquet($f) WHERE ResourceId IS NOT NULL ORDER BY 1", {"f": files}).fetchall()]
    [res2] = store.untagged(CostQuery(billing_accounts=["mca-1"]), "env", existing_resource_ids=ids[: len(ids) // 2])
    r2 = {r.reason: r for r in res2.reasons}
    assert "resource_gone" in r2
    assert res2.untagged == res.untagged  # reasons move, the untagged total does not
    # any tag at all
    [anytag] = store.untagged(CostQuery(billing_accounts=["mca-1"]))
    assert "key_missing" not in {r.reason for r in anytag.reasons}
    assert anytag.untagged["EffectiveCost"] <= res.untagged["EffectiveCost"]


def test_export_focus_csv_and_parquet(loaded, tmp_path: Path) -> None:
    store, usd, eur = loaded
    out = store.export(tmp_path / "x" / "focus.parquet", billing_accounts=["mca-1", "ea-2"])
    assert out["by_currency"]["USD"]["BilledCost"] == usd.billed
    assert out["by_currency"]["EUR"]["EffectiveCost"] == eur.effective
    cols = [c[0] for c in duckdb.execute("DESCRIBE SELECT * FROM read_parquet($p)", {"p": out["path"]}).fetchall()]
    assert cols[:3] == ["BilledCost", "BillingAccountId", "BillingAccountName"] and "x_TagKeys" not in cols
    assert len(cols) == 104
    csv_out = store.export(tmp_path / "jan.csv", billing_accounts=["mca-1"], format="csv",
                           start=date(2024, 1, 1), end=date(2024, 2, 1))
    assert csv_out["rows"] == usd.by_period["2024-01"].rows
    assert csv_out["by_currency"]["USD"]["BilledCost"] == Decimal(usd.by_period["2024-01"].billed) / 10**8
    tags = duckdb.execute("SELECT Tags FROM read_csv($p, all_varchar = true) WHERE Tags IS NOT NULL LIMIT 1",
                          {"p": csv_out["path"]}).fetchone()
    assert tags is not None and tags[0].startswith("{")
    empty = store.export(tmp_path / "none.csv", billing_accounts=["nobody"], format="csv")
    assert empty["rows"] == 0


def test_actual_and_amortized_together(store: CostStore, sample) -> None:
    act = sample(layout="ea_c360", kind="actual", rows=6000, periods=["2024-03"], billing_account_id="P", seed=4)
    amo = sample(layout="ea_c360", kind="amortized", rows=6000, periods=["2024-03"], billing_account_id="P", seed=4)
    res = store.import_files([act.path, amo.path])
    assert {f.kind for f in res.files} == {"actual", "amortized"}
    # Microsoft's combination: billed as in the actual data, effective as in the amortized
    assert res.BilledCost == act.billed
    assert res.EffectiveCost == amo.effective
    assert not [w for w in res.warnings if "not amortized" in w]
    # each alone: the data decides its kind even without a telling file name
    renamed = act.path.with_name("export-part-1.csv")
    act.path.rename(renamed)
    only = store.import_files([renamed])
    assert only.files[0].kind == "actual" and any("not amortized" in w for w in only.warnings)

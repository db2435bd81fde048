"""Every supported layout imports with BilledCost and EffectiveCost exact to the cent
(in fact exact to 1e-8); detection; unknown layouts are refused clearly."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from skytally.costs import CostQuery, CostStore
from skytally.costs.store.detect import detect
from skytally.errors import InvalidInput

from .conftest import write

LAYOUTS = ["ea_exports", "ea_c360", "mca", "focus_1.2", "focus_1.0"]


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("kind", ["actual", "amortized"])
def test_layout_round_trip(store: CostStore, sample, layout: str, kind: str) -> None:
    if layout.startswith("focus") and kind == "amortized":
        pytest.skip("FOCUS carries both costs in one file")
    exp = sample(layout=layout, kind=kind, rows=3000, periods=["2024-01", "2024-02"],
                 billing_account_id="8608480", currency="EUR", seed=3)
    res = store.import_files([exp.path], dataset=None if layout.startswith("focus") else kind)
    assert res.rows == exp.rows
    assert res.BilledCost == exp.billed
    assert res.EffectiveCost == exp.effective
    assert res.currency == "EUR"
    assert res.rejected_rows == 0
    assert res.files[0].layout == layout
    # the stored data says the same
    q = store.query(CostQuery(billing_accounts=["8608480"]))
    assert q.total == {"BilledCost": exp.billed, "EffectiveCost": exp.effective}
    for period, pt in exp.by_period.items():
        got = [p for p in res.periods if p.billing_period == period]
        assert got and got[0].BilledCost == Decimal(pt.billed) / 10**8
        assert got[0].rows == pt.rows


def test_legacy_ea_needs_enrollment_and_currency(store: CostStore, sample) -> None:
    exp = sample(layout="ea_legacy_v3", rows=500, billing_account_id="ignored")
    with pytest.raises(InvalidInput, match=r"billing_account_id=.*currency="):
        store.import_files([exp.path])
    res = store.import_files([exp.path], billing_account_id="100", currency="USD")
    assert (res.rows, res.BilledCost, res.EffectiveCost) == (exp.rows, exp.billed, exp.effective)
    assert [p["billing_account"] for p in store.periods()] == ["100"]


def test_gzip_and_parquet(store: CostStore, sample, tmp_path: Path) -> None:
    gz = sample(layout="ea_c360", rows=2000, gzip_output=True, billing_account_id="1")
    assert detect(gz.path).compression == "gzip"
    res = store.import_files([gz.path])
    assert (res.rows, res.BilledCost) == (gz.rows, gz.billed)
    focus = sample(layout="focus_1.2", rows=2000, billing_account_id="2")
    pq = tmp_path / "focus.parquet"
    duckdb.sql(f"COPY (SELECT * FROM read_csv('{focus.path}', all_varchar = true)) TO '{pq}' (FORMAT parquet)")
    src = detect(pq)
    assert (src.format, src.layout.name) == ("parquet", "focus_1.2")
    res = store.import_files([pq])
    assert (res.rows, res.BilledCost, res.EffectiveCost) == (focus.rows, focus.billed, focus.effective)


def test_billing_account_override_and_mca_partition(store: CostStore, sample) -> None:
    exp = sample(layout="mca", rows=1000, billing_account_id="abcd:ef01_2019-05-31/x")
    store.import_files([exp.path])
    assert [p["billing_account"] for p in store.periods()] == ["abcd:ef01_2019-05-31/x"]
    store.import_files([exp.path], billing_account_id="cloud-account-7")
    accounts = {p["billing_account"] for p in store.periods()}
    assert accounts == {"abcd:ef01_2019-05-31/x", "cloud-account-7"}
    # FOCUS BillingAccountId of an MCA row is the billing profile (Microsoft's mapping)
    rows = store.query(CostQuery(billing_accounts=["cloud-account-7"], group_by=["BillingAccountType", "x_BillingAccountId"]))
    assert {r["BillingAccountType"] for r in rows.rows} == {"Billing Profile"}
    assert {r["x_BillingAccountId"] for r in rows.rows} == {"abcd:ef01_2019-05-31/x"}


def test_unknown_layout_names_file_and_expectations(store: CostStore, tmp_path: Path) -> None:
    f = write(tmp_path / "bank.csv", "Date,Amount,Payee\n2024-01-01,12.5,Coffee\n")
    with pytest.raises(InvalidInput) as err:
        store.import_files([f])
    msg = str(err.value)
    assert "bank.csv" in msg and "unknown cost file layout" in msg
    for name in ("ea_exports", "ea_c360", "mca", "focus_1.2", "focus_1.0", "ea_legacy_v3"):
        assert name in msg
    assert "CostInBillingCurrency" in msg  # names the columns that were expected
    empty = write(tmp_path / "empty.csv", "")
    with pytest.raises(InvalidInput, match="empty"):
        store.import_files([empty])
    with pytest.raises(InvalidInput, match="no such file"):
        store.import_files([tmp_path / "missing.csv"])


def test_detection_is_case_and_space_insensitive(tmp_path: Path) -> None:
    header = "Subscription Guid,Consumed Quantity,Date,Instance Id,Meter Category,Extended Cost"
    f = write(tmp_path / "v3.csv", header + "\n", bom=True)
    assert detect(f).layout.name == "ea_legacy_v3"


def test_us_dates_with_and_without_padding(store: CostStore, sample) -> None:
    exp = sample(layout="ea_exports", rows=400, billing_account_id="9", periods=["2023-09"])
    text = exp.path.read_text("utf-8-sig")
    assert "9/" in text and "09/" in text
    res = store.import_files([exp.path])
    assert res.rows == exp.rows and [p.billing_period for p in res.periods] == ["2023-09"]


def test_progress_reports_bytes(store: CostStore, sample) -> None:
    a = sample(layout="mca", rows=1500, billing_account_id="P1")
    b = sample(layout="ea_c360", rows=1500, billing_account_id="P2")
    seen: list[tuple[int, int]] = []
    store.import_files([a.path, b.path], progress=lambda done, total: seen.append((done, total)))
    total = a.path.stat().st_size + b.path.stat().st_size
    assert seen and all(t == total for _, t in seen)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    assert seen[-1][0] == total


def test_progress_never_goes_back() -> None:
    """The DuckDB poller may read 0 % while the fast path has reported bytes (it runs no
    DuckDB scan), and a file falling back to the exact path starts over: the bar holds."""
    import time

    from skytally.costs.store.reading import Progress

    class IdleScan:
        def query_progress(self) -> float:
            return 0.0

    seen: list[int] = []
    with Progress(IdleScan(), lambda done, total: seen.append(done), 100, 1000, 2000) as prog:  # type: ignore[arg-type]
        prog.bytes_read(600)
        time.sleep(0.6)  # two polls at 0 %
        prog.bytes_read(200)  # the exact path starting over
        prog.bytes_read(900)
    assert seen == [700, 1000, 1100]

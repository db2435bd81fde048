"""Cost generation without a server: columns, tags, actual vs amortized, restatement, scale."""

from __future__ import annotations

import json
import tempfile
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from azure_emulator.services.costmanagement import backend
from azure_emulator.world.costs import formats
from azure_emulator.world.costs.model import CostSettings
from azure_emulator.world.costs.report import csv_text, write_report
from azure_emulator.world.costs.totals import totals
from azure_emulator.world.generate import generate_world
from azure_emulator.world.model import World

from ._costs import rows_of, total
from ._swagger import REFERENCE, requires_reference

NOW = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)
_FIRST = NOW.date().replace(day=1)
FEB = ((_FIRST - timedelta(days=1)).replace(day=1), _FIRST - timedelta(days=1))  # the previous month


@pytest.fixture(scope="module")
def world() -> World:
    return generate_world(1, "small")


def _account(world: World, agreement: str, settings: CostSettings | None = None):  # type: ignore[no-untyped-def]
    settings = settings or CostSettings()
    account = next(a for a in backend.accounts(world, settings) if a.agreement == agreement)
    return account, backend.build_units(world, account, settings), settings


def _columns_md(section: str) -> list[str]:
    text = (REFERENCE / "cost-formats" / "COLUMNS.md").read_text()
    block = text.split(section, 1)[1].split("```", 2)[1]
    return block.strip().split(",")


@requires_reference
def test_column_sets_are_microsofts(world: World) -> None:
    assert _columns_md("## 2. EA — Cost Details API") == formats.EA_C360
    assert _columns_md("## 3. MCA — schema 2023-12-01") == formats.MCA
    schema = json.loads((REFERENCE / "cost-formats/finops-toolkit/exports-schemas/actualcost_c360-2025-04.json").read_text())
    names = [m["source"]["name"] for m in schema["translator"]["mappings"]]
    assert formats.EA_C360[: len(names)] == names
    for agreement, layout in (("EA", formats.EA_C360), ("MCA", formats.MCA)):
        account, units, settings = _account(world, agreement)
        for metric in ("ActualCost", "AmortizedCost"):
            text = csv_text(account, units, *FEB, metric, NOW, settings)
            assert text.startswith("\ufeff") == (agreement == "EA")  # real EA files carry a BOM
            assert text.lstrip("\ufeff").splitlines()[0].split(",") == layout


def test_deterministic_and_currency(world: World) -> None:
    account, units, settings = _account(world, "MCA")
    again = _account(generate_world(1, "small"), "MCA")
    assert csv_text(account, units, *FEB, "ActualCost", NOW, settings) == csv_text(again[0], again[1], *FEB, "ActualCost", NOW, settings)
    rows = rows_of(csv_text(account, units, *FEB, "ActualCost", NOW, settings))
    assert {r["billingCurrency"] for r in rows} == {"EUR"} and {r["pricingCurrency"] for r in rows} == {"USD"}
    usage = next(r for r in rows if r["chargeType"] == "Usage" and r["pricingModel"] == "OnDemand")
    assert Decimal(usage["costInBillingCurrency"]) < Decimal(usage["costInUsd"])  # 0.9213 EUR per USD
    ea_rows = rows_of(csv_text(*_account(world, "EA")[:2], *FEB, "ActualCost", NOW, settings))
    assert {r["BillingCurrency"] for r in ea_rows} == {"USD"}


def test_tags_as_each_agreement_writes_them(world: World) -> None:
    ea, ea_units, settings = _account(world, "EA")
    rows = rows_of(csv_text(ea, ea_units, *FEB, "ActualCost", NOW, settings))
    tagged = [r["Tags"] for r in rows if r["Tags"]]
    assert tagged and all(not t.startswith("{") and '": "' in t for t in tagged)
    assert all(isinstance(json.loads("{" + t + "}"), dict) for t in tagged)
    assert any(r["Tags"] == "" for r in rows)  # untagged resources / purchases
    mca, mca_units, _ = _account(world, "MCA")
    mrows = rows_of(csv_text(mca, mca_units, *FEB, "ActualCost", NOW, settings))
    assert all(json.loads(r["tags"]) for r in mrows if r["tags"]) and any(r["tags"].startswith("{") for r in mrows)


def test_actual_vs_amortized(world: World) -> None:
    for agreement in ("EA", "MCA"):
        account, units, settings = _account(world, agreement)
        resv = next(u.reservation for u in units if u.reservation is not None)
        start = resv.purchased.replace(day=1)
        end = (start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        now = datetime.combine(end + timedelta(days=40), datetime.min.time(), tzinfo=UTC)
        actual = rows_of(csv_text(account, units, start, end, "ActualCost", now, settings))
        amort = rows_of(csv_text(account, units, start, end, "AmortizedCost", now, settings))
        ct = "ChargeType" if agreement == "EA" else "chargeType"
        pm = "PricingModel" if agreement == "EA" else "pricingModel"
        cost = "Cost" if agreement == "EA" else "costInBillingCurrency"
        purchases = [r for r in actual if r[ct] == "Purchase" and r[pm] == "Reservation"]
        assert len(purchases) == 1 and not [r for r in amort if r[ct] == "Purchase" and r[pm] == "Reservation"]
        assert [r for r in amort if r[ct] == "UnusedReservation"] and not [r for r in actual if r[ct] == "UnusedReservation"]
        assert all(Decimal(r[cost]) == 0 for r in actual if r[pm] == "Reservation" and r[ct] == "Usage")
        assert all(Decimal(r[cost]) > 0 for r in amort if r[pm] == "Reservation" and r[ct] == "Usage")
        on_demand = sorted(tuple(r.values()) for r in actual if r[pm] == "OnDemand")
        assert on_demand == sorted(tuple(r.values()) for r in amort if r[pm] == "OnDemand")
        # amortized reservation cost of a day = capacity × 24 h × hourly rate, exactly
        days = (end - resv.purchased).days + 1
        resv_amort = sum(Decimal(r[cost]) for r in amort if r[pm] == "Reservation")
        expected = Decimal(resv.rate * resv.capacity * 24 * days) / 10**8 * Decimal(account.exchange_rate) / 10**6
        assert abs(resv_amort - expected) < Decimal("0.0001") * days


def test_refund_and_marketplace(world: World) -> None:
    account, units, settings = _account(world, "EA")
    refund_unit = next(u for u in units if u.kind == 6)
    day = refund_unit.start
    later = datetime.combine(day + timedelta(days=30), datetime.min.time(), tzinfo=UTC)
    rows = rows_of(csv_text(account, units, day.replace(day=1), day, "ActualCost", later, settings))
    refunds = [r for r in rows if r["ChargeType"] == "Refund"]
    assert len(refunds) == 1 and Decimal(refunds[0]["Cost"]) < 0 and refunds[0]["PublisherType"] == "Marketplace"
    assert any(r["PublisherType"] == "Marketplace" and r["ChargeType"] == "Usage" for r in rows)


def test_restatement_changes_only_open_days(world: World) -> None:
    account, units, settings = _account(world, "EA")
    start, end = date(2026, 2, 1), date(2026, 3, 9)
    early = datetime(2026, 3, 2, 12, tzinfo=UTC)
    later = early + timedelta(days=1)
    a = totals(account, units, date(2026, 2, 1), date(2026, 2, 28), "ActualCost", early, settings)["by_Date"]
    b = totals(account, units, date(2026, 2, 1), date(2026, 2, 28), "ActualCost", later, settings)["by_Date"]
    changed = sorted(d for d in a if a[d] != b[d])
    # the last late_days days of February stay open until March restatement_days (5th)
    assert changed == ["2026-02-26", "2026-02-27", "2026-02-28"], changed
    final = datetime(2026, 3, 6, 1, tzinfo=UTC)
    f1 = totals(account, units, start, date(2026, 2, 28), "ActualCost", final, settings)
    f2 = totals(account, units, start, date(2026, 2, 28), "ActualCost", final + timedelta(days=3), settings)
    assert f1["total"] == f2["total"]  # closed month: final
    mid = totals(account, units, date(2026, 3, 1), end, "ActualCost", datetime(2026, 3, 9, 8, tzinfo=UTC), settings)
    assert "2026-03-09" not in mid["by_Date"] and "2026-03-08" in mid["by_Date"]  # data up to yesterday


def test_young_account_has_no_data(world: World) -> None:
    settings = CostSettings()
    account, units, _ = _account(world, "MCA", settings)
    account.created = NOW - timedelta(hours=5)
    month = (NOW.date().replace(day=1), NOW.date())
    assert totals(account, units, *month, "ActualCost", NOW, settings)["rows"] == 0
    later = NOW + timedelta(hours=20)
    assert totals(account, units, *month, "ActualCost", later, settings)["rows"] > 0


def test_scale_knob_and_blob_split(world: World) -> None:
    settings = CostSettings(rows_per_month=60_000)
    account, units, _ = _account(world, "EA", settings)
    with tempfile.TemporaryDirectory() as tmp:
        result = write_report(Path(tmp), "part", account, units, *FEB, "ActualCost", NOW, settings, max_bytes=8_000_000)
        assert result.rows >= 60_000 * 28 // 30 and len(result.blobs) > 1
        blob_rows = [rows_of(b.path.read_text("utf-8")) for b in result.blobs]
        assert sum(len(r) for r in blob_rows) == result.rows
        assert sum(total(r) for r in blob_rows) == Decimal(result.total) / 10**8
        truth = totals(account, units, *FEB, "ActualCost", NOW, settings)
        assert truth["rows"] == result.rows and Decimal(truth["total"]) == Decimal(result.total) / 10**8
        ids = {r["ResourceId"] for rows in blob_rows for r in rows}
        assert any(i.endswith("-r0001") for i in ids)

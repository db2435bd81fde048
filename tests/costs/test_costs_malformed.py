"""Malformed rows are reported with file and line and never silently drop money:
reject mode imports nothing, quarantine mode imports the rest and sets them aside."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import pytest

from skytally.costs import CostQuery, CostStore, MalformedRows

from .conftest import write
from .test_costs_tags import EA_HEADER, ea_row


def broken_file(tmp_path: Path) -> Path:
    rows = [
        ea_row("", "10.10"),  # line 2
        ea_row("", "abc"),  # line 3: cost not a number
        ea_row("", "20.20"),  # line 4
        ea_row("", "7.5").replace("01/05/2024", "13/45/2024"),  # line 5: bad date, money readable
        ea_row("", "30.30") + ",extra,columns",  # line 6: too many columns
        ea_row("", "40.40"),  # line 7
    ]
    return write(tmp_path / "broken.csv", "\n".join([EA_HEADER, *rows]) + "\n")


def test_reject_mode_imports_nothing_and_says_where(store: CostStore, tmp_path: Path) -> None:
    f = broken_file(tmp_path)
    with pytest.raises(MalformedRows) as err:
        store.import_files([f], on_bad_rows="reject")
    e = err.value
    assert e.rejected_rows == 3
    assert [(r.line, Path(r.file).name) for r in e.rejected] == [(3, "broken.csv"), (5, "broken.csv"), (6, "broken.csv")]
    assert e.rejected[0].BilledCost is None  # the amount itself is unreadable
    assert e.rejected[1].BilledCost == Decimal("7.5")
    assert e.rejected[2].BilledCost == Decimal("30.30")
    assert e.rejected_BilledCost == Decimal("37.80")
    assert "broken.csv:3" in str(e) and "nothing imported" in str(e)
    assert store.periods() == []
    assert list((store.root / ".staging").iterdir()) == []


def test_quarantine_mode_imports_the_rest(store: CostStore, tmp_path: Path) -> None:
    f = broken_file(tmp_path)
    res = store.import_files([f], on_bad_rows="quarantine")
    assert res.rows == 3
    assert res.BilledCost == Decimal("70.70")
    assert res.rejected_rows == 3 and res.rejected_BilledCost == Decimal("37.80")
    assert res.files[0].rejected_rows == 3
    d = res.model_dump()
    assert d["rejected_rows"] == 3 and d["rejected_BilledCost"] == Decimal("37.8")
    assert {"rows", "BilledCost", "EffectiveCost", "rejected_rows", "rejected_BilledCost", "currency", "files"} <= d.keys()
    qfiles = list(Path(res.quarantine or "").glob("*.csv"))
    assert len(qfiles) == 1
    with open(qfiles[0], newline="", encoding="utf-8") as fh:
        quarantined = list(csv.DictReader(fh))
    assert [int(r["line"]) for r in quarantined] == [3, 5, 6]
    assert "abc" in quarantined[0]["raw"]
    assert store.query(CostQuery(billing_accounts=["8608480"])).total["BilledCost"] == Decimal("70.70")


def test_bad_policy_name(store: CostStore, tmp_path: Path) -> None:
    from skytally.errors import InvalidInput
    with pytest.raises(InvalidInput, match="on_bad_rows"):
        store.import_files([broken_file(tmp_path)], on_bad_rows="ignore")  # type: ignore[arg-type]

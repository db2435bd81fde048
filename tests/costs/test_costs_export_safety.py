"""Exports are safe to open and never half-written: a text cell a spreadsheet would run as
a formula is neutralised as OWASP recommends (numbers untouched); an export of a range
without data is an empty FOCUS file, in CSV and Parquet, and leaves no `.part` file."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import duckdb
import pytest

from skytally.costs import CostStore
from skytally.costs.csv_cells import csv_safe

from .conftest import write
from .test_costs_tags import EA_HEADER, ea_row

FORMULAS = ['=HYPERLINK("http://evil.example","x")', "+1+1", "@SUM(A1)", "-2+3", "\tx"]


def _evil(tmp_path: Path) -> Path:
    rows = []
    for i, f in enumerate(FORMULAS):
        row = ea_row(f'"{{""env"": ""{f.replace(chr(34), chr(34) * 4)}""}}"', f"-{i + 1}.5")
        rows.append(row.replace("Virtual Machines", '"' + f.replace('"', '""') + '"'))
    return write(tmp_path / "evil.csv", "\n".join([EA_HEADER, *rows]) + "\n")


def test_focus_csv_export_neutralises_formulas(store: CostStore, tmp_path: Path) -> None:
    res = store.import_files([_evil(tmp_path)])
    assert res.rows == len(FORMULAS)
    out = tmp_path / "export.csv"
    store.export(out, billing_accounts=["8608480"], format="csv")
    with open(out, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == len(FORMULAS)
    for row in rows:
        for col, cell in row.items():
            assert not cell.startswith(("=", "+", "@", "\t", "\r")), (col, cell)
            if cell.startswith("-"):
                float(cell)  # only numbers may start with a minus
    assert sorted(float(r["BilledCost"]) for r in rows) == [-5.5, -4.5, -3.5, -2.5, -1.5]
    quoted = {cell for row in rows for cell in row.values() if cell.startswith("'")}
    assert any(c.startswith("'=HYPERLINK(") for c in quoted), quoted  # kept, with its apostrophe


def test_csv_safe() -> None:
    assert [csv_safe(v) for v in ["=1", "+1", "-x", "@a", "\tb", "\rc", "ok", "", None]] == [
        "'=1", "'+1", "'-x", "'@a", "'\tb", "'\rc", "ok", "", None]


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_an_export_of_an_empty_range_is_an_empty_focus_file(store: CostStore, tmp_path: Path, fmt: str) -> None:
    store.import_files([_evil(tmp_path)])
    out = tmp_path / f"empty.{fmt}"
    done = store.export(out, billing_accounts=["8608480"], start=date(2030, 1, 1), end=date(2030, 2, 1),
                        format=fmt)  # type: ignore[arg-type]
    assert done["rows"] == 0
    reader = "read_parquet" if fmt == "parquet" else "read_csv"
    assert duckdb.sql(f"SELECT count(*) FROM {reader}('{out}')").fetchall() == [(0,)]
    assert "BilledCost" in [d[0] for d in duckdb.sql(f"DESCRIBE SELECT * FROM {reader}('{out}')").fetchall()]
    assert list(tmp_path.glob("*.part")) == []
    nothing = tmp_path / f"none.{fmt}"
    assert store.export(nothing, billing_accounts=["no-such-account"], format=fmt)["rows"] == 0  # type: ignore[arg-type]
    assert list(tmp_path.glob("*.part")) == []

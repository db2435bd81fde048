"""A file that cannot be read whole never replaces anything, and the error names the file
and what is wrong with it: a gzip file's checksum is checked, a truncated or garbled
stream is a clear error; amounts that are not finite numbers of a sane size (inf, nan,
1e30, 1e400) are refused with their line and column, in quarantine mode too; money in
JSON is exact, never a marker."""

from __future__ import annotations

import gzip
import json
from decimal import Decimal
from pathlib import Path

import pytest

from skytally.costs import CostQuery, CostStore, MalformedRows
from skytally.costs.samples import write_sample
from skytally.costs.schemas import money
from skytally.costs.store.reading import gzip_damage
from skytally.costs.views import dumps
from skytally.errors import InvalidInput

from .conftest import write
from .test_costs_tags import EA_HEADER, ea_row

ACCOUNT = "8608480"


@pytest.fixture
def good(store: CostStore, tmp_path: Path) -> tuple[Path, Decimal]:
    """A gzip EA file of 3000 rows, imported: the period the damaged files must not replace."""
    path = tmp_path / "good.csv.gz"
    totals = write_sample(path, layout="ea_c360", rows=3000, gzip_output=True, billing_account_id=ACCOUNT)
    res = store.import_files([path])
    assert res.BilledCost == totals.cost and res.rows == 3000
    return path, totals.cost


def _flipped(src: Path, dst: Path) -> Path:
    data = bytearray(src.read_bytes())
    for pos in (len(data) // 2, len(data) // 2 + 1):
        data[pos] ^= 0x55
    dst.write_bytes(bytes(data))
    return dst


def _billed(store: CostStore) -> Decimal:
    return store.query(CostQuery(billing_accounts=[ACCOUNT])).total["BilledCost"]


@pytest.mark.parametrize("mode", ["quarantine", "reject"])
def test_flipped_bytes_in_a_gzip_file_replace_nothing(store: CostStore, tmp_path: Path,
                                                      good: tuple[Path, Decimal], mode: str) -> None:
    flip = _flipped(good[0], tmp_path / "flip.csv.gz")
    with pytest.raises(InvalidInput) as err:
        store.import_files([flip], on_bad_rows=mode)  # type: ignore[arg-type]
    text = str(err.value)
    assert str(flip) in text and "CRC" in text and "nothing was imported" in text
    assert not isinstance(err.value, MalformedRows)  # the file is to blame, not a column
    assert _billed(store) == good[1]
    assert list((store.root / ".staging").iterdir()) == []


def test_a_truncated_gzip_file_says_so(store: CostStore, tmp_path: Path, good: tuple[Path, Decimal]) -> None:
    data = good[0].read_bytes()
    cut = write(tmp_path / "cut.csv.gz", "")
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(InvalidInput, match="truncated") as err:
        store.import_files([cut], on_bad_rows="quarantine")
    assert str(cut) in str(err.value)
    assert _billed(store) == good[1]


def test_garbage_after_a_gzip_header_is_a_clear_error(store: CostStore, tmp_path: Path,
                                                      good: tuple[Path, Decimal]) -> None:
    bad = tmp_path / "garbage.csv.gz"
    bad.write_bytes(good[0].read_bytes()[:10] + b"garbage" * 1000)
    with pytest.raises(InvalidInput, match="damaged") as err:
        store.import_files([bad], on_bad_rows="quarantine")
    assert str(bad) in str(err.value)
    assert _billed(store) == good[1]


def test_gzip_damage_finds_each_fault(tmp_path: Path) -> None:
    body = b"a,b\n" + b"1,2\n" * 50_000
    whole = tmp_path / "whole.gz"
    whole.write_bytes(gzip.compress(body))
    assert gzip_damage(whole) is None
    two = tmp_path / "two.gz"  # concatenated members, then zero padding: whole
    two.write_bytes(gzip.compress(body) + gzip.compress(body) + b"\0" * 10)
    assert gzip_damage(two) is None
    trailing = tmp_path / "trailing.gz"
    trailing.write_bytes(gzip.compress(body) + b"junk")
    assert "follow its end" in (gzip_damage(trailing) or "")
    crc = bytearray(gzip.compress(body))
    crc[-6] ^= 1  # the CRC-32 in the trailer
    (tmp_path / "crc.gz").write_bytes(bytes(crc))
    assert "CRC" in (gzip_damage(tmp_path / "crc.gz") or "")


def _amount_file(tmp_path: Path, amount: str) -> Path:
    return write(tmp_path / f"amount-{amount}.csv",
                 "\n".join([EA_HEADER, ea_row("", "1.5"), ea_row("", amount), ea_row("", "2.25")]) + "\n")


ABSURD = ["inf", "-inf", "Infinity", "nan", "NaN", "1e30", "1e400", "12345678901234567"]


@pytest.mark.parametrize("amount", ABSURD)
def test_absurd_amounts_are_refused_with_line_and_column(store: CostStore, tmp_path: Path, amount: str) -> None:
    f = _amount_file(tmp_path, amount)
    with pytest.raises(MalformedRows) as err:
        store.import_files([f], on_bad_rows="reject")
    e = err.value
    assert [(r.line, r.BilledCost) for r in e.rejected] == [(3, None)]
    assert "Cost" in e.rejected[0].error and f"{f}:3" in str(e)
    assert "without a readable amount" in str(e)
    assert store.periods() == []


@pytest.mark.parametrize("amount", ABSURD)
def test_absurd_amounts_are_quarantined(store: CostStore, tmp_path: Path, amount: str) -> None:
    res = store.import_files([_amount_file(tmp_path, amount)], on_bad_rows="quarantine")
    assert res.rows == 2 and res.BilledCost == Decimal("3.75")
    assert res.rejected_rows == 1 and res.rejected_BilledCost == 0
    text = dumps(res.model_dump(), indent=2)
    assert "\\u0000" not in text

    def no_constant(name: str) -> None:
        raise AssertionError(f"{name} in JSON")

    assert json.loads(text, parse_constant=no_constant)["rejected"][0]["line"] == 3


def test_large_sane_amounts_still_import(store: CostStore, tmp_path: Path) -> None:
    res = store.import_files([_amount_file(tmp_path, "999999999999999.123456789012345678")])
    assert res.BilledCost == Decimal("999999999999999.123456789012345678") + Decimal("3.75")


def test_json_money_is_exact_and_never_a_marker() -> None:
    value = {"a": Decimal("12345678901234.123456789012345678"), "b": [Decimal("NaN"), Decimal("-Infinity")],
             "c": "x\u0000dec:5", "d": Decimal("1E+30"), "e": 2.5, "f": float("inf"), "g": {}, "h": []}
    text = dumps(value)
    assert text == ('{"a": 12345678901234.123456789012345678, "b": [null, null], "c": "x\\u0000dec:5", '
                    '"d": 1000000000000000000000000000000, "e": 2.5, "f": null, "g": {}, "h": []}')
    assert json.loads(dumps(value, indent=2)) == json.loads(text)
    assert dumps({"a": [1, {"b": None}]}, indent=2) == json.dumps({"a": [1, {"b": None}]}, indent=2)
    assert money(Decimal("12345678901234.123456789012345678")) == Decimal("12345678901234.123456789012345678")

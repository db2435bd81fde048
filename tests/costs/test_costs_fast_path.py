"""The CSV fast path (costs/store/fast.py) stores exactly what the exact path (DuckDB's
reader) stores, row for row and column for column, for every layout; and it steps
aside, to the exact path, for files it cannot vouch for."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from skytally.costs import CostStore

from .conftest import write
from .test_costs_layouts import LAYOUTS
from .test_costs_malformed import broken_file

CASES = [(layout, kind) for layout in [*LAYOUTS, "ea_legacy_v3"] for kind in ("actual", "amortized")
         if not (kind == "amortized" and (layout.startswith("focus") or layout == "ea_legacy_v3"))]


def stored_rows(store: CostStore) -> str:
    return f"read_parquet('{store.root}/**/part-*.parquet', hive_partitioning = false)"


def import_both(tmp_path: Path, files: list[Path], **kw: object) -> tuple[CostStore, CostStore, list[str]]:
    # `fast` as users import: files whose last column is sometimes empty (EA exports,
    # FOCUS) have their lines' fields counted (rowcheck.py) and take the fast path
    fast, exact = CostStore(tmp_path / "fast"), CostStore(tmp_path / "exact", fast_reader=False)
    res = fast.import_files(files, **kw)  # type: ignore[arg-type]
    assert [f.reader for f in exact.import_files(files, **kw).files] == ["exact"] * len(files)  # type: ignore[arg-type]
    return fast, exact, [f.reader for f in res.files]


def tag_daily(store: CostStore) -> str:
    return f"read_parquet('{store.root}/**/_agg/tag_daily.parquet', hive_partitioning = true)"


def assert_same_relation(con: duckdb.DuckDBPyConnection, fast: str, exact: str, what: str) -> None:
    """`fast` and `exact` hold the same rows (and some)."""
    cols = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {exact}").fetchall()]
    assert cols == [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {fast}").fetchall()]
    n = con.execute(f"SELECT count(*) FROM {exact}").fetchone()
    assert n is not None and n[0] > 0
    for name, a, b in (("fast", fast, exact), ("exact", exact, fast)):
        diff = con.execute(f"SELECT * FROM (SELECT * FROM {a} EXCEPT ALL SELECT * FROM {b}) LIMIT 3").fetchall()
        assert diff == [], f"{what} only in the {name} store: {diff}"


def assert_same_rows(fast: CostStore, exact: CostStore) -> None:
    con = duckdb.connect()
    assert_same_relation(con, stored_rows(fast), stored_rows(exact), "rows")
    # the fast path sums its rows while they stream (tally.py), the exact path reads them
    # back: the tag pre-aggregates and the period totals must not differ either
    assert_same_relation(con, tag_daily(fast), tag_daily(exact), "tag pre-aggregate rows")
    keys = exact.layout.periods()
    assert keys == fast.layout.periods()
    for key in keys:
        assert (fast.layout.manifest(key) or {}).get("totals") == (exact.layout.manifest(key) or {}).get("totals")


@pytest.mark.parametrize(("layout", "kind"), CASES)
def test_fast_path_stores_what_the_exact_path_stores(tmp_path: Path, sample, layout: str, kind: str) -> None:
    exp = sample(layout=layout, kind=kind, rows=4000, periods=["2024-01", "2024-02"],
                 billing_account_id="8608480", currency="EUR", seed=11)
    kw: dict[str, object] = {"dataset": None if layout.startswith("focus") else kind}
    if layout == "ea_legacy_v3":
        kw = {"billing_account_id": "8608480", "currency": "EUR"}
    fast, exact, readers = import_both(tmp_path, [exp.path], **kw)
    assert readers == ["fast"]
    assert_same_rows(fast, exact)


def test_actual_and_amortized_pair_the_same_way(tmp_path: Path, sample) -> None:
    files = [sample(layout="mca", kind=k, rows=3000, periods=["2024-03"], billing_account_id="acc",
                    seed=5).path for k in ("actual", "amortized")]
    fast, exact, readers = import_both(tmp_path, files)
    assert readers == ["fast", "fast"]
    assert_same_rows(fast, exact)


def test_malformed_file_goes_to_the_exact_path(tmp_path: Path) -> None:
    f = broken_file(tmp_path)
    fast = CostStore(tmp_path / "fast")
    res = fast.import_files([f], on_bad_rows="quarantine")
    assert res.files[0].reader == "exact"
    assert [r.line for r in res.rejected] == [3, 5, 6]


def test_files_with_an_empty_last_column_take_the_fast_path(tmp_path: Path, sample) -> None:
    for layout in ("focus_1.2", "ea_exports", "ea_c360"):
        exp = sample(layout=layout, kind="actual", rows=300, billing_account_id="acc", seed=4)
        last = exp.path.read_text("utf-8-sig").splitlines()
        assert any(line.endswith(",") for line in last[1:]), f"{layout}: no row ends with an empty field"
        res = CostStore(tmp_path / layout).import_files([exp.path])
        assert res.files[0].reader == "fast" and res.rows == exp.rows, layout
        assert res.BilledCost == exp.billed, layout


@pytest.mark.parametrize("damage", ["short", "spanning", "blank"])
def test_rows_whose_fields_cannot_be_counted_go_to_the_exact_path(tmp_path: Path, sample, damage: str) -> None:
    """A file whose last column is sometimes empty is counted line by line: a short row,
    a quoted field spanning lines or a blank line sends it to the exact path, which
    reads it as before (and reports the short row's line)."""
    exp = sample(layout="ea_exports", kind="actual", rows=60, billing_account_id="acc", seed=6)
    header, *rows = exp.path.read_text("utf-8-sig").splitlines()
    n = next(i for i, r in enumerate(rows) if r.endswith(",") and i > 5)
    if damage == "short":
        rows[n] = rows[n][:-1]  # the empty last field left out: one field short
    elif damage == "spanning":
        rows[n] = '"two\nlines"' + rows[n][rows[n].index(","):]  # a quoted first field with a newline
    else:
        rows.insert(n, "")
    f = write(tmp_path / f"{damage}.csv", "\n".join([header, *rows]) + "\n")
    res = CostStore(tmp_path / "s").import_files([f], on_bad_rows="quarantine")
    assert res.files[0].reader == "exact"
    if damage == "short":
        assert [r.line for r in res.rejected] == [n + 2] and res.rows == exp.rows - 1


def test_short_row_goes_to_the_exact_path(tmp_path: Path, sample) -> None:
    exp = sample(layout="mca", kind="actual", rows=50, billing_account_id="acc", seed=2)
    lines = exp.path.read_text("utf-8").splitlines()
    lines[10] = lines[10].rsplit(",", 3)[0]  # three fields short
    f = write(tmp_path / "short.csv", "\n".join(lines) + "\n")
    res = CostStore(tmp_path / "s").import_files([f], on_bad_rows="quarantine")
    assert res.files[0].reader == "exact"
    assert [r.line for r in res.rejected] == [11]
    assert res.rows == exp.rows - 1


def test_empty_quoted_text_is_stored_as_null_like_the_exact_path(tmp_path: Path, sample) -> None:
    exp = sample(layout="mca", kind="actual", rows=200, billing_account_id="acc", seed=4)
    header, *rows = exp.path.read_text("utf-8").splitlines()
    rows = [r.replace(",Contoso Ltd,", ',"",', 1) for r in rows]  # billingAccountName ""
    f = write(tmp_path / "quoted.csv", "\n".join([header, *rows]) + "\n")
    fast, exact, readers = import_both(tmp_path, [f])
    assert readers == ["fast"]
    assert_same_rows(fast, exact)


def test_a_fast_path_defect_falls_back_to_the_exact_path(tmp_path: Path, sample,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from skytally.costs.store import fast

    def broken(self: object, rb: object) -> object:
        raise RuntimeError("simulated defect")

    monkeypatch.setattr(fast.FactoredMapper, "map_batch", broken)
    exp = sample(layout="mca", kind="actual", rows=500, billing_account_id="acc", seed=6)
    res = CostStore(tmp_path / "s").import_files([exp.path])
    assert res.files[0].reader == "exact"
    assert (res.rows, res.BilledCost) == (exp.rows, exp.billed)


@pytest.mark.parametrize("cache_limit", [None, 40])
def test_many_batches_store_what_one_batch_stores(tmp_path: Path, sample, monkeypatch: pytest.MonkeyPatch,
                                                  cache_limit: int | None) -> None:
    # values met in earlier batches are reused, dictionaries grow batch by batch, each
    # batch is reordered by period; groups with several inputs find their results by
    # their key tuples, with (40) caches that start afresh and tag-set sums summed again
    # every few batches
    from skytally.costs.store import distinct, fast, tally

    monkeypatch.setattr(fast, "BATCH_ROWS", 317)
    if cache_limit:
        monkeypatch.setattr(distinct, "CACHE_LIMIT", cache_limit)
        monkeypatch.setattr(tally, "COMPACT_ROWS", 60)
    files = [sample(layout=layout, kind="actual", rows=3000, periods=["2024-01", "2024-02", "2024-03"],
                    billing_account_id="acc", seed=8).path for layout in ("mca", "ea_legacy_v3")]
    fast, exact, readers = import_both(tmp_path, files, billing_account_id="acc", currency="USD")
    assert readers == ["fast", "fast"]
    assert_same_rows(fast, exact)


def test_amounts_that_repeat_are_computed_once_per_value(tmp_path: Path, sample) -> None:
    # prices repeat: read as text and keyed like it; costs vary: computed per row
    from skytally.costs.store import detect, fast

    exp = sample(layout="mca", kind="actual", rows=3000, billing_account_id="acc", seed=3)
    mapper = fast.FactoredMapper(detect.detect(exp.path), {})
    mapper.con.close()
    assert "BilledCost" in mapper.row_columns
    assert not {"ContractedUnitPrice", "ListUnitPrice", "x_EffectiveUnitPrice"} & set(mapper.row_columns)


def test_a_keyed_amount_that_is_no_number_goes_to_the_exact_path(tmp_path: Path, sample) -> None:
    import csv

    exp = sample(layout="mca", kind="actual", rows=3000, billing_account_id="acc", seed=3)
    rows = list(csv.reader(exp.path.read_text("utf-8-sig").splitlines()))
    rows[2000][rows[0].index("unitPrice")] = "1.2x"
    with exp.path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)
    res = CostStore(tmp_path / "s").import_files([exp.path], on_bad_rows="quarantine")
    assert res.files[0].reader == "exact"
    assert [r.line for r in res.rejected] == [2001]

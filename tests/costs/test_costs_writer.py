"""The single-pass writer: every row lands in its partition's file exactly once, and a
DuckDB error met mid-stream is raised as a DuckDB error (not left to hang a thread)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from skytally.costs.schemas import PeriodKey
from skytally.costs.store.exact import stream
from skytally.costs.store.writer import write_batches

SELECT = ("SELECT CASE WHEN i % 7 = 0 THEN 'b' ELSE 'a:x' END AS x_StoreAccount, "
          "'2024-' || lpad(CAST(1 + i % 12 AS VARCHAR), 2, '0') AS x_StorePeriod, "
          "CAST(i * 0.01 AS DECIMAL(38, 18)) AS v FROM range({n}) t(i)")


def test_rows_split_by_partition_exactly(tmp_path: Path) -> None:
    con = duckdb.connect()
    n = 700_000  # several batches and buffer flushes over 24 partitions
    files = write_batches(stream(con, SELECT.format(n=n)), tmp_path / "out")
    assert len(files) == 24 and PeriodKey("a:x", "2024-02") in files
    for key, path in files.items():
        bad = con.execute(
            "SELECT count(*) FROM read_parquet(?) WHERE x_StoreAccount <> ? OR x_StorePeriod <> ?",
            [str(path), key.billing_account, key.billing_period]).fetchone()
        assert bad == (0,)
    got = con.execute("SELECT count(*), sum(v) FROM read_parquet(?)",
                      [[str(p) for p in files.values()]]).fetchone()
    want = con.execute(f"SELECT count(*), sum(v) FROM ({SELECT.format(n=n)})").fetchone()
    assert got == want


def test_error_mid_stream_is_a_duckdb_error(tmp_path: Path) -> None:
    con = duckdb.connect()
    sel = ("SELECT 'a' AS x_StoreAccount, '2024-01' AS x_StorePeriod, "
           "CAST(CASE WHEN i < 300000 THEN '1' ELSE 'x' END AS INTEGER) AS v FROM range(400000) t(i)")
    with pytest.raises(duckdb.Error):
        write_batches(stream(con, sel), tmp_path / "out")


def test_dictionary_batches_and_an_empty_batch_split_by_value(tmp_path: Path) -> None:
    """The fast reader's batches: partition keys as dictionary codes over a dictionary
    that only grows (values no row of the batch uses, a value given twice); an empty
    batch (the exact reader's plain text) makes no partition."""
    import pyarrow as pa

    def batch(accounts: list[str], periods: list[str], account_codes: list[int],
              period_codes: list[int], v: list[int]) -> pa.RecordBatch:
        return pa.RecordBatch.from_arrays([
            pa.DictionaryArray.from_arrays(pa.array(account_codes, pa.uint32()), pa.array(accounts)),
            pa.DictionaryArray.from_arrays(pa.array(period_codes, pa.uint32()), pa.array(periods)),
            pa.array(v, pa.int64())], names=["x_StoreAccount", "x_StorePeriod", "v"])

    batches = [
        batch(["a"], ["2024-01"], [0, 0], [0, 0], [1, 2]),
        pa.RecordBatch.from_arrays([pa.array([], pa.string()), pa.array([], pa.string()), pa.array([], pa.int64())],
                                   names=["x_StoreAccount", "x_StorePeriod", "v"]),  # as DuckDB may hand one
        batch(["a", "b", "a"], ["2024-01", "2024-02"], [1, 2, 0, 1], [1, 0, 1, 1], [3, 4, 5, 6]),
    ]
    files = write_batches(iter(batches), tmp_path / "out")
    con = duckdb.connect()
    got = {key: con.execute("SELECT list(v ORDER BY v) FROM read_parquet(?)", [str(p)]).fetchone()[0]
           for key, p in files.items()}
    assert got == {PeriodKey("a", "2024-01"): [1, 2, 4], PeriodKey("a", "2024-02"): [5],
                   PeriodKey("b", "2024-02"): [3, 6]}

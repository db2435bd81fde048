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

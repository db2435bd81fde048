"""The exact reader: DuckDB's CSV / Parquet reader and the mapping as one SELECT
(mapping.build_select). Slower than the fast reader (fast.py), exact about every
malformed line: it reports each with its line number, its error and its money."""

from __future__ import annotations

from collections.abc import Iterator

import duckdb
import pyarrow as pa

from skytally.errors import InvalidInput

from ..schemas import RejectedRow
from .detect import READ_DECIMAL, SourceFile
from .mapping import DECIMAL_TYPE, build_select, quote_ident
from .reading import ReadParams, rejected_money, source_sql

BATCH_ROWS = 20_480


def batches(src: SourceFile, params: ReadParams) -> Iterator[pa.RecordBatch]:
    """The file's rows in store columns; its malformed rows go to `params.rejected`."""
    con = params.con
    reject_table = f"rejects_{params.index}"
    where = None
    exclude: tuple[str, ...] = ()
    if src.format == "parquet":
        where, bad = _parquet_rejects(con, src)
        params.rejected.extend(bad)
        where = f"NOT {where}" if where else None
        exclude = ("file_row_number",)
    select = build_select(src.layout, src.header, source_sql(src, reject_table),
                          parameters=params.values, where=where, exclude=exclude)
    try:
        yield from stream(con, select)
    except duckdb.Error as exc:
        raise InvalidInput(f"{src.path}: could not be read as {src.layout.title}: {exc}") from exc
    if src.format == "csv":
        params.rejected.extend(_csv_rejects(con, src, reject_table))


def stream(con: duckdb.DuckDBPyConnection, select: str) -> Iterator[pa.RecordBatch]:
    """The rows of `select`; an error DuckDB meets while streaming reaches Python through
    Arrow's C stream (as an Arrow or OS error) and is raised as the DuckDB error it is."""
    try:
        yield from con.sql(select).to_arrow_reader(BATCH_ROWS)
    except (pa.ArrowException, OSError) as exc:
        raise duckdb.Error(str(exc)) from exc


def _csv_rejects(con: duckdb.DuckDBPyConnection, src: SourceFile,
                 table: str) -> list[tuple[RejectedRow, str]]:
    rows = con.execute(
        f"SELECT line, first(error_type ORDER BY column_idx), first(error_message ORDER BY column_idx), "
        f"first(column_name ORDER BY column_idx), first(csv_line) FROM {table} GROUP BY line ORDER BY line"
    ).fetchall()
    out = []
    for line, etype, msg, column, raw in rows:
        raw = raw or ""
        err = f"{etype}: {msg}".splitlines()[0]
        if etype == "CAST" and column in src.header and src.read_type(column) == READ_DECIMAL:
            err += f" ({column} must be a finite number below 10^16 in size)"
        out.append((RejectedRow(file=str(src.path), line=int(line), error=err,
                                BilledCost=rejected_money(src, raw)), raw))
    return out


def _parquet_rejects(con: duckdb.DuckDBPyConnection,
                     src: SourceFile) -> tuple[str | None, list[tuple[RejectedRow, str]]]:
    """(predicate of bad rows, the bad rows) for a Parquet file whose money column
    holds values that are not numbers."""
    cost = src.layout.cost_source(src.header)
    if cost is None:
        return None, []
    c = quote_ident(cost)
    bad_pred = f"({c} IS NOT NULL AND TRY_CAST({c} AS {DECIMAL_TYPE}) IS NULL)"
    rows = con.execute(
        f"SELECT file_row_number, CAST({c} AS VARCHAR) FROM read_parquet(?, file_row_number = true) "
        f"WHERE {bad_pred} ORDER BY 1", [str(src.path)]
    ).fetchall()
    bad = [
        (RejectedRow(file=str(src.path), line=int(n) + 1, error=f"CAST: {cost}={v!r} is not a number",
                     BilledCost=None), str(v))
        for n, v in rows
    ]
    return (bad_pred if bad else None), bad

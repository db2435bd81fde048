"""Staging one source file: read it (the CSV fast path, factored.py, or DuckDB's reader),
map it to store rows and write one Parquet file per (billing account, billing period)
it holds (writer.py), with its malformed rows and its totals per partition."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa

from skytally.errors import InvalidInput

from .detect import READ_DECIMAL, Kind, SourceFile
from .factored import FactoredMapper, UseExactPath
from .mapping import DECIMAL_TYPE, build_select, quote_ident
from .plan import refusal
from .reading import Progress, bytes_per_row, rejected_money, source_sql
from .schemas import ZERO, FileReport, RejectedRow
from .storage import PeriodKey
from .tally import tag_sets_of, totals
from .writer import write_batches, write_by_period

log = logging.getLogger(__name__)
COMMIT_PURCHASE = "ChargeCategory = 'Purchase' AND PricingCategory = 'Committed'"


@dataclass
class Staged:
    src: SourceFile
    index: int
    files: dict[PeriodKey, Path]  # one Parquet file per partition the source holds
    report: FileReport
    kind: Kind
    groups: dict[PeriodKey, tuple[int, Decimal, Decimal]]  # rows, billed, effective
    # each partition's rows summed per currency, day and tag set (tally.py), when the
    # reader summed them while they streamed
    tag_sets: dict[PeriodKey, pa.Table] | None = None


def stage_file(
    con: duckdb.DuckDBPyConnection, src: SourceFile, i: int, stage: Path,
    params: dict[str, str | None], progress: Progress, fast_path: str = "auto",
) -> tuple[Staged, list[tuple[RejectedRow, str]]]:
    # One streaming pass per source file, written straight to one Parquet file per
    # (billing account, billing period): see writer.py.
    out_dir = stage / "files" / str(i)
    bad: list[tuple[RejectedRow, str]] = []
    fast = _stage_fast(src, out_dir, params, progress, fast_path) if fast_path != "off" else None
    reader = "fast"
    tag_sets: dict[PeriodKey, pa.Table] | None = None
    if fast is None:
        reader = "exact"
        files, bad = _stage_exact(con, src, i, out_dir, params)
    else:
        files, tag_sets = fast
    if tag_sets is None or set(tag_sets) != set(files):
        tag_sets = {key: tag_sets_of(con, [path]) for key, path in files.items()}
    groups = {key: _sum(totals(con, tag_sets[key])) for key in files}
    report = FileReport(path=str(src.path), layout=src.layout.name, kind=src.kind,
                        format=src.format + ("+gzip" if src.compression == "gzip" else ""),
                        bytes=src.size, reader=reader)
    report.rows = sum(g[0] for g in groups.values())
    report.rejected_rows = len(bad)
    report.rejected_BilledCost = sum((b.BilledCost or ZERO for b, _ in bad), ZERO)
    kind = src.kind
    if kind == "unknown" and groups:
        kind = _kind_from_data(con, files)
        report.kind = kind if kind != "unknown" else "actual or amortized (no commitments)"
    return Staged(src, i, files, report, kind, groups, tag_sets), bad


def _sum(per_currency: list[tuple[str | None, int, Decimal, Decimal]]) -> tuple[int, Decimal, Decimal]:
    return (sum(n for _, n, _, _ in per_currency), sum((b for _, _, b, _ in per_currency), ZERO),
            sum((e for _, _, _, e in per_currency), ZERO))


def _stage_fast(
    src: SourceFile, out_dir: Path, params: dict[str, str | None], progress: Progress, fast_path: str,
) -> tuple[dict[PeriodKey, Path], dict[PeriodKey, pa.Table] | None] | None:
    """The CSV fast path (factored.py): the file of each partition and, if the mapper
    summed them, the partitions' tag sets; None when the file needs the exact path."""
    why = refusal(src)
    if why is None:
        out_dir.mkdir(parents=True, exist_ok=True)
        mapper = FactoredMapper(src, params)
        per_row = bytes_per_row(src.path)
        rows = 0

        def counted() -> Iterator[pa.RecordBatch]:
            nonlocal rows
            for batch in mapper.batches():
                rows += batch.num_rows
                progress.bytes_read(int(rows * per_row))
                yield batch

        try:
            files = write_batches(counted(), out_dir)
            return files, mapper.tag_sets()
        except UseExactPath as exc:
            why = str(exc)
        except Exception as exc:  # a fast-path defect must not fail an import the exact path can do
            log.warning("%s: the CSV fast path failed; importing with DuckDB's reader", src.path, exc_info=True)
            why = f"{type(exc).__name__}: {exc}"
        finally:
            mapper.close()
        shutil.rmtree(out_dir, ignore_errors=True)
    log.info("%s: read with DuckDB's reader (%s)", src.path, why)
    return None


def _stage_exact(con: duckdb.DuckDBPyConnection, src: SourceFile, i: int, out_dir: Path,
    params: dict[str, str | None],
) -> tuple[dict[PeriodKey, Path], list[tuple[RejectedRow, str]]]:
    """DuckDB's reader: slower, exact about every malformed line."""
    out_dir.mkdir(parents=True, exist_ok=True)
    reject_table = f"rejects_{i}"
    bad: list[tuple[RejectedRow, str]] = []
    where = None
    exclude: tuple[str, ...] = ()
    if src.format == "parquet":
        where, bad = _parquet_rejects(con, src)
        where = f"NOT {where}" if where else None
        exclude = ("file_row_number",)
    select = build_select(src.layout, src.header, source_sql(src, reject_table),
                          parameters=params, where=where, exclude=exclude)
    try:
        files = write_by_period(con, select, out_dir)
    except duckdb.Error as exc:
        raise InvalidInput(f"{src.path}: could not be read as {src.layout.title}: {exc}") from exc
    if src.format == "csv":
        bad = _csv_rejects(con, src, reject_table)
    return files, bad


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
        out.append((RejectedRow(str(src.path), int(line), err, rejected_money(src, raw)), raw))
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
        (RejectedRow(str(src.path), int(n) + 1, f"CAST: {cost}={v!r} is not a number", None), str(v))
        for n, v in rows
    ]
    return (bad_pred if bad else None), bad


def _kind_from_data(con: duckdb.DuckDBPyConnection, files: dict[PeriodKey, Path]) -> Kind:
    row = con.execute(
        "SELECT count(*) FILTER (WHERE CommitmentDiscountStatus = 'Unused' OR "
        "(PricingCategory = 'Committed' AND ChargeCategory = 'Usage' AND EffectiveCost <> 0)), "
        f"count(*) FILTER (WHERE ({COMMIT_PURCHASE}) OR (PricingCategory = 'Committed' AND "
        "ChargeCategory = 'Usage' AND EffectiveCost = 0)) "
        "FROM read_parquet(?)", [[str(f) for f in files.values()]],
    ).fetchall()[0]
    amortized, actual = int(row[0]), int(row[1])
    if amortized and not actual:
        return "amortized"
    if actual and not amortized:
        return "actual"
    return "unknown"

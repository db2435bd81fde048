"""Staging one source file: its rows in store columns from a reader (the fast reader,
fast.py, or the exact one, exact.py: both `batches(source, params)`), written to one
Parquet file per (billing account, billing period) it holds (writer.py), with its
malformed rows and its totals per partition."""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import NamedTuple

import duckdb
import pyarrow as pa

from ..schemas import ZERO, FileReport, PeriodKey
from . import exact, fast
from .detect import Kind, SourceFile
from .reading import ReadParams
from .tally import CurrencyTotal, tag_sets_of, totals
from .writer import write_batches

log = logging.getLogger(__name__)
COMMIT_PURCHASE = "ChargeCategory = 'Purchase' AND PricingCategory = 'Committed'"


class Sums(NamedTuple):
    """A partition's rows and money (all currencies together: to tell identical files)."""

    rows: int
    billed: Decimal
    effective: Decimal


@dataclass
class Staged:
    src: SourceFile
    index: int
    files: dict[PeriodKey, Path]  # one Parquet file per partition the source holds
    report: FileReport
    kind: Kind
    sums: dict[PeriodKey, Sums]
    tag_sets: dict[PeriodKey, pa.Table]  # each partition's rows per currency, day and tag set


def stage_file(src: SourceFile, stage: Path, params: ReadParams, use_fast: bool = True) -> Staged:
    """One streaming pass over the file (two if the fast reader gives up on it)."""
    out_dir = stage / "files" / str(params.index)
    reader, why = "fast", fast.refusal(src) if use_fast else "the fast reader is off"
    files: dict[PeriodKey, Path] = {}
    if why is None:
        try:
            files = write_batches(fast.batches(src, params), out_dir)
        except fast.UseExactPath as exc:
            why = str(exc)
        except Exception as exc:  # a fast-reader defect must not fail an import the exact one can do
            log.warning("%s: the fast reader failed; reading with DuckDB's", src.path, exc_info=True)
            why = f"{type(exc).__name__}: {exc}"
    if why is not None:
        log.info("%s: read with DuckDB's reader (%s)", src.path, why)
        shutil.rmtree(out_dir, ignore_errors=True)
        reader, params.tag_sets = "exact", None
        files = write_batches(exact.batches(src, params), out_dir)
    con = params.con
    tag_sets = params.tag_sets if params.tag_sets is not None and set(params.tag_sets) == set(files) \
        else {key: tag_sets_of(con, [path]) for key, path in files.items()}
    sums = {key: _sums(totals(con, tag_sets[key])) for key in files}
    bad = params.rejected
    report = FileReport(path=str(src.path), layout=src.layout.name, kind=src.kind,
                        format=src.format + ("+gzip" if src.compression == "gzip" else ""),
                        bytes=src.size, reader=reader, rows=sum(s.rows for s in sums.values()),
                        rejected_rows=len(bad),
                        rejected_BilledCost=sum((b.BilledCost or ZERO for b, _ in bad), ZERO))
    kind = src.kind
    if kind == "unknown" and sums:
        kind = _kind_from_data(con, files)
        report.kind = kind if kind != "unknown" else "actual or amortized (no commitments)"
    return Staged(src, params.index, files, report, kind, sums, tag_sets)


def _sums(per_currency: list[CurrencyTotal]) -> Sums:
    return Sums(sum(t.rows for t in per_currency), sum((t.billed for t in per_currency), ZERO),
                sum((t.effective for t in per_currency), ZERO))


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

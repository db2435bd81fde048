"""Import cost files into the store: detect, map to FOCUS, stream to Parquet (one pass
per source, one file per period: writer.py), account for every rejected row, pair
actual with amortized data, then replace the touched periods atomically (storage.py)."""

from __future__ import annotations

import csv
import json
import logging
import shutil
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from skytally.errors import InvalidInput

from .. import coverage
from ..schemas import (
    ZERO,
    BadRowPolicy,
    ImportResult,
    PeriodKey,
    PeriodReport,
    RejectedRow,
    money,
)
from .detect import Kind, SourceFile, detect
from .engine import connect, sql_text
from .mapping import quote_literal
from .reading import Progress, ProgressCallback, ReadParams, WholeFiles
from .staging import COMMIT_PURCHASE, Staged, Sums, stage_file
from .storage import MANIFEST, TAG_DAILY, StoreLayout
from .tally import tag_sets_of, totals
from .writer import ROW_GROUP_ROWS

log = logging.getLogger(__name__)
MAX_REPORTED_REJECTS = 1000


class MalformedRows(InvalidInput):
    """on_bad_rows="reject" and some rows could not be read: nothing was imported."""

    def __init__(self, message: str, rejected: list[RejectedRow], rejected_rows: int,
                 rejected_billed: Decimal) -> None:
        super().__init__(message)
        self.rejected = rejected
        self.rejected_rows = rejected_rows
        self.rejected_BilledCost = rejected_billed


class Importer:
    def __init__(self, store: StoreLayout, *, memory_limit: str = "1GB",
                 threads: int | None = None, fast_reader: bool = True) -> None:
        self.store = store
        self.memory_limit = memory_limit
        self.threads = threads
        # True: the CSV fast reader (fast.py) for the files it can vouch for; False: DuckDB's
        # reader for every file
        self.fast_reader = fast_reader

    def run(
        self,
        paths: Sequence[Path | str],
        *,
        billing_account_id: str | None = None,
        currency: str | None = None,
        dataset: Kind | None = None,
        on_bad_rows: BadRowPolicy = "reject",
        progress: ProgressCallback | None = None,
        source_kind: str = coverage.FILE,
        source_name: str = "",
    ) -> ImportResult:
        if source_kind not in coverage.KINDS:
            raise InvalidInput(f"unknown cost source kind {source_kind!r}; one of {', '.join(coverage.KINDS)}")
        if on_bad_rows not in ("reject", "quarantine"):
            raise InvalidInput(f"on_bad_rows must be 'reject' or 'quarantine', not {on_bad_rows!r}.")
        if not paths:
            raise InvalidInput("No cost files given.")
        sources = [detect(Path(p), kind=dataset) for p in paths]
        params = {"billing_account_id": billing_account_id, "currency": currency}
        for s in sources:
            missing = [p for p in s.layout.requires_parameters if not params.get(p)]
            if missing:
                raise InvalidInput(
                    f"{s.path}: a {s.layout.title} file carries no "
                    f"{' and no '.join(m.replace('_id', '').replace('_', ' ') for m in missing)}; "
                    f"pass {', '.join(f'{m}=...' for m in missing)}."
                )
        self.store.recover()
        import_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:8]
        total_bytes = sum(s.size for s in sources)
        warnings: list[str] = []
        whole = WholeFiles(sources)  # gzip files read to their end (CRC) meanwhile
        with self.store.staging_dir(import_id) as stage:
            con = connect(memory_limit=self.memory_limit, threads=self.threads,
                          temp_directory=stage / "tmp")
            try:
                staged: list[Staged] = []
                rejected: list[RejectedRow] = []
                rejected_rows, rejected_billed, unreadable = 0, ZERO, 0
                quarantine_rows: dict[int, list[tuple[int, str, str]]] = {}
                done = 0
                for i, src in enumerate(sources):
                    with Progress(con, progress, done, src.size, total_bytes) as prog:
                        read = ReadParams(params, con, i, prog)
                        try:
                            st = stage_file(src, stage, read, use_fast=self.fast_reader)
                        except Exception:
                            whole.check()  # a damaged file is the cause to report
                            raise
                    done += src.size
                    staged.append(st)
                    bad = read.rejected
                    if bad:
                        quarantine_rows[i] = [(b.line, b.error, raw) for b, raw in bad]
                        for b, _ in bad:
                            rejected_rows += 1
                            if b.BilledCost is not None:
                                rejected_billed += b.BilledCost
                            else:
                                unreadable += 1
                            if len(rejected) < MAX_REPORTED_REJECTS:
                                rejected.append(b)
                whole.check()  # before any row is judged or anything replaced
                if rejected_rows and on_bad_rows == "reject":
                    where = ", ".join(f"{r.file}:{r.line} ({r.error})" for r in rejected[:5])
                    amounts = f"BilledCost {money(rejected_billed)}" + (
                        f", {unreadable} of them without a readable amount" if unreadable else "")
                    raise MalformedRows(
                        f"{rejected_rows} malformed row(s) ({amounts}), "
                        f"nothing imported: {where}"
                        + (" ..." if rejected_rows > 5 else "")
                        + ". Fix the file, or import with on_bad_rows='quarantine' to import the "
                        "other rows and set these aside.",
                        rejected, rejected_rows, rejected_billed,
                    )
                tag_sets = self._assemble(con, staged, stage, import_id, warnings)
                keys = list(tag_sets)
                self._write_tag_daily(con, stage, tag_sets)
                periods = self._period_totals(con, tag_sets)
                quarantine_path = None
                if quarantine_rows:
                    quarantine_path = self._write_quarantine(import_id, sources, quarantine_rows)
                source = {"kind": source_kind, "name": source_name}
                self._write_manifests(con, stage, import_id, staged, periods, keys, source)
            finally:
                con.close()
            shutil.rmtree(stage / "tmp", ignore_errors=True)
            shutil.rmtree(stage / "files", ignore_errors=True)
            kept = self.store.commit(stage, keys).kept
        skipped = _not_stored(kept, warnings)
        result = self._result(import_id, staged, periods, rejected, rejected_rows, rejected_billed,
                              quarantine_path, warnings)
        result.skipped = skipped
        return result

    # -- assembling the new periods ---------------------------------------------------
    def _assemble(self, con: duckdb.DuckDBPyConnection, staged: list[Staged], stage: Path,
                  import_id: str, warnings: list[str]) -> dict[PeriodKey, list[pa.Table]]:
        """Move each period's rows into place; returns, per period in order, the tag sets
        (tally.py) of the rows it keeps."""
        tag_sets: dict[PeriodKey, list[pa.Table]] = {}
        keys = sorted({k for s in staged for k in s.sums},
                      key=lambda k: (k.billing_account, k.billing_period))
        for key in keys:
            members = [s for s in staged if key in s.sums]
            # identical content for the same period (the same file twice, or an actual and an
            # amortized file of a period without commitments): count it once
            seen: dict[Sums, Staged] = {}
            keep: list[Staged] = []
            for s in members:
                fp = s.sums[key]
                if fp in seen and s.src.layout.family == seen[fp].src.layout.family:
                    warnings.append(
                        f"{s.src.path}: {key.billing_account} {key.billing_period} has exactly the "
                        f"content of {seen[fp].src.path}; counted once."
                    )
                    continue
                seen[fp] = s
                keep.append(s)
            kinds = {s.kind for s in keep}
            pair = "actual" in kinds and "amortized" in kinds
            if "focus" in kinds and len(kinds) > 1:
                raise InvalidInput(
                    f"{key.billing_account} {key.billing_period}: both FOCUS and actual/amortized "
                    "files were given for the same period; import one or the other."
                )
            if "actual" in kinds and "amortized" not in kinds and any(
                "amortized" in s.src.layout.kinds for s in keep if s.kind == "actual"
            ):
                msg = (f"{key.billing_account} {key.billing_period}: actual cost only; "
                       "EffectiveCost is not amortized (import the amortized file of the "
                       "period together with the actual one)")
                warnings.append(msg)
            target = stage / "new" / key.relpath
            target.mkdir(parents=True, exist_ok=True)
            sets = tag_sets[key] = []
            for s in keep:
                only_actual_purchases = pair and s.kind == "actual"
                out = target / f"part-{s.index}.parquet"
                if not only_actual_purchases:
                    s.files[key].rename(out)  # the partition's rows, written in one pass
                    sets.append(s.tag_sets[key])
                    continue
                # Microsoft's conversion: all amortized rows + the commitment purchases
                # and refunds of the actual data
                s.report.note = "paired with amortized data: only commitment purchases kept"
                copied = con.execute(
                    f"COPY (SELECT * FROM read_parquet($f) WHERE {COMMIT_PURCHASE}) "
                    f"TO {quote_literal(str(out))} "
                    f"(FORMAT parquet, COMPRESSION snappy, ROW_GROUP_SIZE {ROW_GROUP_ROWS})",
                    {"f": str(s.files[key])},
                ).fetchall()
                if int(copied[0][0]) == 0:
                    out.unlink(missing_ok=True)
                else:
                    sets.append(tag_sets_of(con, [out]))
        return tag_sets

    def _write_tag_daily(self, con: duckdb.DuckDBPyConnection, stage: Path,
                         tag_sets: dict[PeriodKey, list[pa.Table]]) -> None:
        """Each period's tag pre-aggregate (sql/tag_daily.sql), staged with its rows."""
        for key, sets in tag_sets.items():
            if not sets:
                continue
            out = stage / "new" / key.relpath / TAG_DAILY
            out.parent.mkdir(parents=True, exist_ok=True)
            con.register("tag_sets", pa.concat_tables(sets))
            try:
                con.execute(f"COPY ({sql_text('tag_daily')}) TO {quote_literal(str(out))} "
                            "(FORMAT parquet, COMPRESSION zstd)").fetchall()
            finally:
                con.unregister("tag_sets")

    def _period_totals(self, con: duckdb.DuckDBPyConnection,
                       tag_sets: dict[PeriodKey, list[pa.Table]]) -> list[PeriodReport]:
        out: list[PeriodReport] = []
        for key, sets in tag_sets.items():
            if not sets:
                out.append(PeriodReport(billing_account=key.billing_account, billing_period=key.billing_period,
                                        currency=None, rows=0, BilledCost=ZERO, EffectiveCost=ZERO))
                continue
            for t in totals(con, pa.concat_tables(sets)):
                out.append(PeriodReport(billing_account=key.billing_account, billing_period=key.billing_period,
                                        currency=t.currency, rows=t.rows, BilledCost=t.billed,
                                        EffectiveCost=t.effective))
        return out

    def _write_manifests(self, con: duckdb.DuckDBPyConnection, stage: Path, import_id: str,
                         staged: list[Staged], periods: list[PeriodReport], keys: list[PeriodKey],
                         source: dict[str, str]) -> None:
        now = datetime.now(UTC).isoformat()
        for key in keys:
            d = stage / "new" / key.relpath
            d.mkdir(parents=True, exist_ok=True)
            mine = [p for p in periods if p.billing_account == key.billing_account
                    and p.billing_period == key.billing_period]
            parts = sorted(str(p) for p in d.glob("*.parquet"))
            cov = coverage.coverage_from_rows(
                con.execute(coverage.COVERAGE_SQL, {"files": parts}).fetchall()) if parts else {}
            manifest: dict[str, Any] = {
                "import_id": import_id,
                "imported_at": now,
                "source": source,
                "files": [{"path": s.report.path, "layout": s.report.layout, "kind": s.kind}
                          for s in staged if key in s.sums],
                "totals": [p.model_dump() for p in mine],
                "coverage": cov,
            }
            (d / MANIFEST).write_text(json.dumps(manifest, default=str, indent=1), "utf-8")

    def _write_quarantine(self, import_id: str, sources: list[SourceFile],
                          rows: dict[int, list[tuple[int, str, str]]]) -> str:
        qdir = self.store.quarantine / import_id
        qdir.mkdir(parents=True, exist_ok=True)
        for i, items in rows.items():
            with open(qdir / f"{i}-{sources[i].path.name}.rejected.csv", "w", newline="",
                      encoding="utf-8") as f:
                w = csv.writer(f)
                w.writerow(["file", "line", "error", "raw"])
                for line, err, raw in items:
                    w.writerow([str(sources[i].path), line, err, raw])
        return str(qdir)

    def _result(self, import_id: str, staged: list[Staged], periods: list[PeriodReport],
                rejected: list[RejectedRow], rejected_rows: int, rejected_billed: Decimal,
                quarantine: str | None, warnings: list[str]) -> ImportResult:
        by_cur: dict[str, dict[str, Decimal | int]] = {}
        for p in periods:
            if p.currency is None:
                continue
            d = by_cur.setdefault(p.currency, {"rows": 0, "BilledCost": ZERO, "EffectiveCost": ZERO})
            d["rows"] = int(d["rows"]) + p.rows
            d["BilledCost"] = Decimal(d["BilledCost"]) + p.BilledCost
            d["EffectiveCost"] = Decimal(d["EffectiveCost"]) + p.EffectiveCost
        rows = sum(p.rows for p in periods)
        single = next(iter(by_cur)) if len(by_cur) == 1 else None
        if len(by_cur) > 1:
            warnings.append(f"several billing currencies ({', '.join(sorted(by_cur))}); "
                            "totals are given per currency in by_currency")
        unknown = [p for p in periods if p.billing_period == "unknown"]
        if unknown:
            warnings.append(f"{sum(p.rows for p in unknown)} row(s) without a date are stored "
                            "under billing_period=unknown")
        return ImportResult(
            import_id=import_id,
            rows=rows,
            BilledCost=Decimal(by_cur[single]["BilledCost"]) if single else (ZERO if not by_cur else None),
            EffectiveCost=Decimal(by_cur[single]["EffectiveCost"]) if single else (ZERO if not by_cur else None),
            rejected_rows=rejected_rows,
            rejected_BilledCost=rejected_billed,
            currency=single,
            files=[s.report for s in staged],
            periods=periods,
            by_currency=by_cur,
            rejected=rejected,
            quarantine=quarantine,
            warnings=warnings,
        )


def _not_stored(kept: dict[PeriodKey, dict[str, Any]], warnings: list[str]) -> list[dict[str, Any]]:
    """The import's `skipped` periods: those the store kept, a higher-ranked kind of source
    having imported them (their manifests in `kept`); a warning for each."""
    skipped = []
    for key, live in kept.items():
        by = coverage.source_of(live)
        skipped.append({"billing_account": key.billing_account, "billing_period": key.billing_period,
                        "covered_by": {**by, "import_id": live.get("import_id")}})
        warnings.append(
            f"{key.billing_account} {key.billing_period}: not stored; the store keeps the "
            f"{coverage.label(by['kind'])} import {live.get('import_id')}, which covers it "
            "(one source per period: see `skytally costs periods`)")
    return skipped

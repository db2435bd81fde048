"""Streaming a cost report to CSV files (blobs) and summing the truth.

Rows are formatted from per-unit templates (``str.format`` over the few per-row values)
and written in chunks, so memory stays flat whatever the volume; a blob is closed and the
next one started (with the header again) once it reaches ``max_bytes``.
"""

from __future__ import annotations

import gzip
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import IO

from azure_emulator.world.costs import formats
from azure_emulator.world.costs.generate import (
    iter_charges,
    month_start,
    next_month,
    replicas_for,
    suffix,
)
from azure_emulator.world.costs.model import (
    MP_USAGE,
    QTY,
    RESERVED,
    USAGE,
    CostAccount,
    CostSettings,
    Unit,
)

_CHUNK = 4000


@dataclass
class Blob:
    path: Path
    byte_count: int = 0
    rows: int = 0


@dataclass
class ReportResult:
    blobs: list[Blob] = field(default_factory=list)
    rows: int = 0
    total: int = 0  # billing currency, 1e-8

    @property
    def byte_count(self) -> int:
        return sum(b.byte_count for b in self.blobs)


def period_closed(period: date, now: datetime, settings: CostSettings) -> bool:
    close = datetime.combine(next_month(period), datetime.min.time(), tzinfo=UTC) + timedelta(days=settings.restatement_days)
    return now >= close


def invoice_for(account: CostAccount, period: date, now: datetime, settings: CostSettings) -> str:
    if account.agreement != "MCA" or not period_closed(period, now, settings):
        return ""
    return formats.invoice_id(account, period)


def rendered_rows(account: CostAccount, units: list[Unit], start: date, end: date, metric: str, now: datetime,
                  settings: CostSettings, subscription: str | None = None,
                  sections: set[str] | None = None) -> Iterator[tuple[str, int]]:
    """CSV lines (without header) and their cost in the billing currency (1e-8)."""
    layout = "mca" if account.agreement == "MCA" else "ea"
    mca = layout == "mca"
    money, qfmt = formats.money, formats.quantity
    rate = account.exchange_rate
    replicas = replicas_for(units, settings)
    suffixes = [suffix(k) for k in range(replicas)]
    sub_l = subscription.lower() if subscription else None
    filtered = sub_l is not None or sections is not None
    cur_day: date | None = None
    day_text = ""
    period = start
    key = rkey = ("", "", "", "")
    memo: dict[int, tuple[int, int, int, tuple[str, ...]]] = {}
    for unit, day, qty, usd, bill, price, rep in iter_charges(account, units, start, end, metric, now, settings, replicas):
        if filtered and ((sub_l is not None and unit.subscription_id.lower() != sub_l)
                         or (sections is not None and unit.section.id not in sections)):
            continue
        if day is not cur_day:
            cur_day = day
            day_text = formats.us_date(day)
            period = month_start(day)
            invoice = invoice_for(account, period, now, settings)
            key = (layout, period.isoformat(), invoice, "")
            rkey = (layout, period.isoformat(), invoice, "R")
            memo.clear()
        reserved = unit.kind == RESERVED and unit.reservation is not None and unit.reservation.active(day)
        k = rkey if reserved else key
        templates = unit.templates
        compiled = templates.get(k)
        if compiled is None:
            template = formats.row_template(layout, formats.describe(account, unit, period, k[2], reserved))
            compiled = templates[k] = formats.compile_template(template)
        parts, joiner = compiled
        uid = id(unit)
        cached = memo.get(uid)
        if cached is not None and cached[0] == qty and cached[1] == bill and cached[2] == price:
            values = cached[3]
        else:
            if mca:
                payg_usd = qty * unit.list_price // QTY if unit.kind in (USAGE, RESERVED, MP_USAGE) else usd
                values = (day_text, qfmt(qty), money(price), money(bill), money(usd), money(payg_usd * rate // QTY),
                          money(payg_usd), "")
            else:
                values = (day_text, qfmt(qty), money(price), money(bill), "", "", "", "")
            memo[uid] = (qty, bill, price, values)
        if rep:
            values = (*values[:7], suffixes[rep])
        yield joiner(parts, values), bill


def _open(path: Path, compress: bool) -> IO[bytes]:
    raw = open(path, "wb")  # noqa: SIM115 - closed by the caller
    return gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=1, mtime=0) if compress else raw  # type: ignore[return-value]


def write_report(directory: Path, stem: str, account: CostAccount, units: list[Unit], start: date, end: date,
                 metric: str, now: datetime, settings: CostSettings, *, subscription: str | None = None,
                 sections: set[str] | None = None, max_bytes: int | None = None, compress: bool | None = None,
                 progress: Callable[[int], None] | None = None) -> ReportResult:
    """Write the report as one or more CSV blobs ``{stem}_{n}.csv[.gz]`` in ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    compress = settings.compress if compress is None else compress
    max_bytes = max_bytes or settings.blob_max_bytes
    layout = "mca" if account.agreement == "MCA" else "ea"
    head = formats.header(layout).encode("utf-8")
    result = ReportResult()
    out: IO[bytes] | None = None
    blob: Blob | None = None
    written = 0

    def rotate() -> None:
        nonlocal out, blob, written
        close()
        path = directory / f"{stem}_{len(result.blobs) + 1}.csv{'.gz' if compress else ''}"
        out = _open(path, compress)
        blob = Blob(path)
        result.blobs.append(blob)
        out.write(head)
        written = len(head)

    def close() -> None:
        if out is not None:
            out.close()
            assert blob is not None
            blob.byte_count = blob.path.stat().st_size

    rotate()
    chunk: list[str] = []
    append = chunk.append
    rows_in_chunk = 0
    total = 0
    for line, bill in rendered_rows(account, units, start, end, metric, now, settings, subscription, sections):
        append(line)
        total += bill
        rows_in_chunk += 1
        if rows_in_chunk >= _CHUNK:
            data = "".join(chunk).encode("utf-8")
            if written + len(data) > max_bytes and blob is not None and blob.rows:
                rotate()
            assert out is not None and blob is not None
            out.write(data)
            written += len(data)
            blob.rows += rows_in_chunk
            result.rows += rows_in_chunk
            chunk.clear()
            rows_in_chunk = 0
            if progress is not None:
                progress(result.rows)
    if chunk:
        data = "".join(chunk).encode("utf-8")
        if written + len(data) > max_bytes and blob is not None and blob.rows:
            rotate()
        assert out is not None and blob is not None
        out.write(data)
        blob.rows += rows_in_chunk
        result.rows += rows_in_chunk
    close()
    result.total = total
    return result


def csv_text(account: CostAccount, units: list[Unit], start: date, end: date, metric: str, now: datetime,
             settings: CostSettings) -> str:
    """A whole (small) report as text: for tests."""
    buf = io.StringIO()
    buf.write(formats.header("mca" if account.agreement == "MCA" else "ea"))
    for line, _ in rendered_rows(account, units, start, end, metric, now, settings):
        buf.write(line)
    return buf.getvalue()

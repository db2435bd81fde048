"""Reading one source file: what a reader is given (`ReadParams`), the typed
`read_csv` / `read_parquet` call of a detected file, the money of a rejected CSV line,
import progress, and whether a gzip file can be read whole."""

from __future__ import annotations

import csv
import threading
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

import duckdb
import pyarrow as pa

from skytally.errors import InvalidInput

from ..schemas import ZERO, PeriodKey, RejectedRow
from .detect import MAX_AMOUNT, SourceFile
from .mapping import norm, quote_literal

ProgressCallback = Callable[[int, int], None]  # (bytes done, bytes total)


class Progress:
    """How far the import got, in bytes of all its files, while one file is read: DuckDB's
    query progress, polled from a thread, or what the fast reader reports. It never goes
    back (the poller reads 0 % while the fast reader, which runs no DuckDB scan, reads the
    file; a file that falls back to the exact reader is read again from its start) and
    ends at the file's end."""

    def __init__(self, con: duckdb.DuckDBPyConnection, callback: ProgressCallback | None,
                 done_before: int, size: int, total: int) -> None:
        self.con, self.callback = con, callback
        self.done_before, self.size, self.total = done_before, size, total
        self._reported = -1
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._poller = threading.Thread(target=self._poll, daemon=True)

    def __enter__(self) -> Progress:
        if self.callback is not None:
            self._poller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self.callback is not None:
            self._poller.join()
        self.bytes_read(self.size)

    def _poll(self) -> None:
        while not self._stop.wait(0.25):
            try:
                pct = float(self.con.query_progress())  # -1: not known
            except Exception:
                continue
            if pct >= 0:
                self.bytes_read(int(self.size * min(pct, 100.0) / 100))

    def bytes_read(self, done: int) -> None:
        """How far a reader got in the file."""
        if self.callback is None:
            return
        with self._lock:
            done = self.done_before + min(done, self.size)
            if done > self._reported:
                self._reported = done
                self.callback(done, self.total)


@dataclass
class ReadParams:
    """What a reader (`fast.batches`, `exact.batches`) is given, and what it finds
    besides the rows."""

    values: dict[str, str | None]  # the mapping's :parameters (billing_account_id, currency)
    con: duckdb.DuckDBPyConnection  # the import's connection (the exact reader runs on it)
    index: int  # the file's number in the import
    progress: Progress
    rejected: list[tuple[RejectedRow, str]] = field(default_factory=list)  # (row, its raw line)
    tag_sets: dict[PeriodKey, pa.Table] | None = None  # each partition's, if the reader summed them


def source_sql(src: SourceFile, reject_table: str) -> str:
    path = quote_literal(str(src.path))
    if src.format == "parquet":
        return f"read_parquet({path}, file_row_number = true)"
    cols = [f"{quote_literal(h)}: {quote_literal(src.read_type(h))}" for h in src.header]
    opts = [
        "auto_detect = false", "header = true", "delim = ','", "quote = '\"'", "escape = '\"'",
        f"columns = {{{', '.join(cols)}}}",
        f"compression = {quote_literal('gzip' if src.compression == 'gzip' else 'none')}",
        "store_rejects = true", f"rejects_table = '{reject_table}'",
        f"rejects_scan = '{reject_table}_scan'",
        "null_padding = false", "parallel = true",
    ]
    if src.date_format and src.date_type == "DATE":
        opts.append(f"dateformat = {quote_literal(src.date_format)}")
    if src.date_format and src.date_type == "TIMESTAMP":
        opts.append(f"timestampformat = {quote_literal(src.date_format)}")
    return f"read_csv({path}, {', '.join(opts)})"


def bytes_per_row(path: Path, sample: int = 1 << 20) -> float:
    """Average line length of a CSV file's first MiB (to turn rows read into progress)."""
    with open(path, "rb") as f:
        head = f.read(sample)
    return len(head) / max(head.count(b"\n"), 1)


def rejected_money(src: SourceFile, raw: str) -> Decimal | None:
    """BilledCost of a rejected CSV line by Microsoft's rules, or None if unreadable."""
    try:
        fields = next(csv.reader([raw]))
    except (csv.Error, StopIteration):
        return None
    pos = {norm(h): i for i, h in enumerate(src.header)}

    def get(name: str) -> str:
        i = pos.get(norm(name))
        return fields[i].strip() if i is not None and i < len(fields) else ""

    cost_col = src.layout.cost_source(src.header)
    if cost_col is None:
        return None
    try:
        amount = Decimal(get(cost_col) or "0")
    except InvalidOperation:
        return None
    if not amount.is_finite() or abs(amount) >= MAX_AMOUNT:
        return None  # not an amount: refused, and counted as unreadable
    commitment = get("PricingModel").replace(" ", "").lower() in ("reservation", "savingsplan")
    if commitment and get("ChargeType").lower() in ("usage", "unusedreservation", "unusedsavingsplan"):
        return ZERO
    return amount


# --- the whole file -------------------------------------------------------------------
_CHUNK = 1 << 20
_GZIP = 16 + zlib.MAX_WBITS  # a gzip header and trailer around a deflate stream


def gzip_damage(path: Path) -> str | None:
    """What is wrong with a gzip file's compressed stream, None if it is whole: every
    member is read to its end (zlib checks each one's CRC-32 and length), and nothing
    but another member or zero padding follows one."""
    d = zlib.decompressobj(_GZIP)
    try:
        with open(path, "rb") as f:
            buf = b""
            while True:
                if len(buf) < 2:
                    more = f.read(_CHUNK)
                    if not more and not buf:
                        break
                    buf += more
                if d.eof:  # a member ended: another one, zero padding, or garbage
                    if buf[:2] == b"\x1f\x8b":
                        d = zlib.decompressobj(_GZIP)
                    elif not buf.strip(b"\0"):
                        buf = b""
                        continue
                    else:
                        return "bytes that are not gzip data follow its end"
                d.decompress(buf, _CHUNK)  # output dropped; the limit bounds memory
                buf = d.unused_data if d.eof else d.unconsumed_tail
    except zlib.error as exc:
        text = str(exc)
        if "incorrect data check" in text or "incorrect length check" in text:
            return "its checksum does not match its content (gzip CRC check failed)"
        return f"its compressed data is corrupt ({text.split(': ', 1)[-1]})"
    except OSError as exc:
        return f"it cannot be read ({exc})"
    if not d.eof:
        return "it is truncated (the compressed stream ends before its end marker)"
    return None


class WholeFiles:
    """Checks, in a thread while the import reads them, that the gzip sources can be
    read whole. A damaged file must fail the import with what is wrong with it, not
    with the rows its corruption garbled (nor import the rows before the damage)."""

    def __init__(self, sources: list[SourceFile]) -> None:
        self.paths = [s.path for s in sources if s.compression == "gzip"]
        self._damage: list[tuple[Path, str]] = []
        self._thread: threading.Thread | None = None
        if self.paths:
            self._thread = threading.Thread(target=self._run, name="gzip-check", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        for path in self.paths:
            if why := gzip_damage(path):
                self._damage.append((path, why))

    def check(self) -> None:
        """Waits for the check; raises InvalidInput naming each damaged file."""
        if self._thread is not None:
            self._thread.join()
        if self._damage:
            raise InvalidInput(" ".join(
                f"{path}: the file is damaged: {why}; it cannot be read whole, so nothing was "
                "imported (the stored data is unchanged). Download or export it again."
                for path, why in self._damage))

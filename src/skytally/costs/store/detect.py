"""Recognise a cost file: its format (CSV, gzip CSV, Parquet), its layout (from the
header row) and how its dates are written (from the first rows)."""

from __future__ import annotations

import csv
import gzip
import io
import re
import zlib
from dataclasses import dataclass
from decimal import Decimal
from itertools import islice
from pathlib import Path
from typing import Literal

from skytally.errors import InvalidInput

from .mapping import Layout, layouts, norm

FileFormat = Literal["csv", "parquet"]
Kind = Literal["actual", "amortized", "focus", "unknown"]

_US_DATE = re.compile(r"^\d{1,2}/\d{1,2}/\d{4}$")
_US_DATETIME = re.compile(r"^\d{1,2}/\d{1,2}/\d{4}[ T]\d{1,2}:\d{2}(:\d{2})?( ?[AP]M)?$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_TS = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
_SAMPLE_ROWS = 50
# Amounts are read as DECIMAL(34, 18): a value that is not a finite number below 10^16
# (inf, nan, 1e30, 1e400) is not an amount, and its row is refused by either reader with
# its line and column, like any value that is not a number (stored as DECIMAL(38, 18),
# totals keep room to add up)
READ_DECIMAL = "DECIMAL(34, 18)"
MAX_AMOUNT = Decimal(10) ** 16
_DECIMAL = re.compile(r"DECIMAL(\(\s*\d+\s*,\s*\d+\s*\))?", re.IGNORECASE)


@dataclass(frozen=True)
class SourceFile:
    path: Path
    format: FileFormat
    compression: str  # "none" | "gzip"
    header: list[str]
    layout: Layout
    kind: Kind
    date_type: str  # how DATE columns are read: "DATE" or "TIMESTAMP"
    date_format: str | None  # strptime format for DATE columns (None = ISO)
    size: int

    def read_type(self, column: str) -> str:
        """The type a column of this file is read with (its dates as sniffed)."""
        t = self.layout.read_type(column)
        if _DECIMAL.fullmatch(t):
            return READ_DECIMAL
        return "TIMESTAMP" if t == "DATE" and self.date_type == "TIMESTAMP" else t


def _open_text(path: Path, compression: str) -> io.TextIOBase:
    if compression == "gzip":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8-sig", newline="")
    return open(path, encoding="utf-8-sig", newline="")


def read_header_and_sample(path: Path, compression: str) -> tuple[list[str], list[list[str]]]:
    try:
        with _open_text(path, compression) as f:
            reader = csv.reader(f)  # type: ignore[arg-type]
            header = next(reader, None)
            sample = list(islice(reader, _SAMPLE_ROWS))
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:  # a gzip stream damaged within its first rows
        raise InvalidInput(f"{path}: the gzip file is damaged ({exc}); it cannot be read, "
                           "so nothing was imported. Download or export it again.") from exc
    except (UnicodeDecodeError, csv.Error, OSError) as exc:
        raise InvalidInput(f"{path}: not a readable CSV file ({exc}).") from exc
    if not header:
        raise InvalidInput(f"{path}: the file is empty; a cost file starts with a header row.")
    return [h.strip() for h in header], sample


def choose_layout(path: Path, header: list[str]) -> Layout:
    candidates = [lay for lay in layouts().values() if not lay.missing(header)]
    if candidates:
        return max(candidates, key=lambda lay: (len(lay.required), lay.score(header)))
    expected = sorted(layouts().values(), key=lambda lay: len(lay.missing(header)))
    detail = "; ".join(
        f"{lay.name} ({lay.title}) needs {', '.join(lay.missing(header))}" for lay in expected
    )
    shown = ", ".join(header[:8]) + (", ..." if len(header) > 8 else "")
    raise InvalidInput(
        f"{path}: unknown cost file layout (header: {shown}). Expected one of: {detail}. "
        "Export the file as EA or MCA actual/amortized cost details, or as FOCUS."
    )


def sniff_dates(layout: Layout, header: list[str], sample: list[list[str]]) -> tuple[str, str | None]:
    """(type, format) for the layout's DATE columns, decided from the charge date column."""
    idx = next((i for i, h in enumerate(header) if norm(h) == norm(layout.date_column)), None)
    values = [row[idx].strip() for row in sample if idx is not None and idx < len(row) and row[idx].strip()]
    if values and all(_US_DATE.match(v) for v in values):
        return "DATE", "%m/%d/%Y"
    if values and all(_US_DATETIME.match(v) for v in values):
        fmt = "%m/%d/%Y %I:%M:%S %p" if values[0].upper().endswith("M") else "%m/%d/%Y %H:%M:%S"
        return "TIMESTAMP", fmt
    if values and all(_ISO_DATE.match(v) for v in values):
        return "DATE", None
    if values and all(_ISO_TS.match(v) for v in values):
        return "TIMESTAMP", None
    return "DATE", None


def kind_from_name(path: Path) -> Kind:
    """'actual' / 'amortized' from the file name or, failing that, its folders (Cost
    Management exports sit under the export's name); a name with both hints says nothing."""
    for text in (path.name, *(p.name for p in list(path.parents)[:3])):
        low = text.lower()
        amortized = "amortized" in low or "amortised" in low
        actual = "actual" in low
        if amortized != actual:
            return "amortized" if amortized else "actual"
    return "unknown"


def detect(path: Path, *, kind: Kind | None = None) -> SourceFile:
    """Recognise `path`, or raise InvalidInput naming the file and what was expected."""
    path = Path(path)
    if not path.is_file():
        raise InvalidInput(f"{path}: no such file.")
    size = path.stat().st_size
    if size == 0:
        raise InvalidInput(f"{path}: the file is empty; a cost file starts with a header row.")
    with open(path, "rb") as f:
        magic = f.read(4)
    if magic == b"PAR1":
        import pyarrow.parquet as pq

        try:
            header = list(pq.read_schema(path).names)
        except Exception as exc:
            raise InvalidInput(f"{path}: not a readable Parquet file ({exc}).") from exc
        layout = choose_layout(path, header)
        fmt: FileFormat = "parquet"
        compression = "none"
        date_type, date_format = "TIMESTAMP", None
    else:
        compression = "gzip" if magic[:2] == b"\x1f\x8b" else "none"
        header, sample = read_header_and_sample(path, compression)
        layout = choose_layout(path, header)
        fmt = "csv"
        date_type, date_format = sniff_dates(layout, header, sample)
    if layout.family == "focus":
        resolved: Kind = "focus"
    elif kind is not None and kind != "unknown":
        if kind not in layout.kinds:
            raise InvalidInput(f"{path}: a {layout.title} file cannot be {kind} cost data.")
        resolved = kind
    elif len(layout.kinds) == 1:
        resolved = layout.kinds[0]  # type: ignore[assignment]
    else:
        resolved = kind_from_name(path)
    return SourceFile(
        path=path,
        format=fmt,
        compression=compression,
        header=header,
        layout=layout,
        kind=resolved,
        date_type=date_type,
        date_format=date_format,
        size=size,
    )

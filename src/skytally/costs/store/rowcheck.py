"""Does every record of a CSV file have as many fields as its header? For the CSV fast
path (fast.py): Polars pads a row with too few fields with NULLs, which looks just
like a row whose last fields are empty, where DuckDB's reader rejects it (and the exact
path reports its line). EA exports and FOCUS files end with a column that is empty on
most rows (benefitName, x_SkuTier), so "the last column is empty somewhere" alone sent
them to the exact path, nearly twice as slow (1M EA rows: 5.6-5.9 s against 3.1 s).

The check reads the file once more, line by line (Polars' reader, one column per line):
with quoted fields removed (`"..."`, escaped `""` included), a line must hold exactly
one comma fewer than the header has columns. A line with an odd number of quotes (a
field spanning lines) or anything else unexpected is not vouched for. ~1.5 CPU-s per
1M EA rows.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

_NOT_A_CHAR = "\x1f"  # the unit separator: a line is one field (a file holding it fails)


def unequal_rows(path: Path, columns: int) -> str | None:
    """Why the file's records cannot be vouched for as `columns` fields each, or None if
    every line has exactly that many."""
    lines = pl.scan_csv(path, has_header=False, separator=_NOT_A_CHAR, quote_char=None,
                        schema={"line": pl.String}, raise_if_empty=False)
    line = pl.col("line")
    commas = line.str.replace_all('"[^"]*"', "").str.count_matches(",", literal=True)
    try:
        found = lines.select(
            line.is_null().alias("empty"), (line.str.count_matches('"', literal=True) % 2).alias("odd"),
            commas.alias("commas"),
        ).select(
            pl.col("empty").sum(), pl.col("odd").sum(),
            pl.col("commas").min().alias("least"), pl.col("commas").max().alias("most"),
        ).collect().row(0, named=True)
    except pl.exceptions.PolarsError as exc:
        return f"its lines could not be checked ({str(exc).splitlines()[0]})"
    if found["odd"]:
        return "a field spans lines (or has an unpaired quote)"
    if found["empty"]:
        return "it has blank lines"
    want = columns - 1
    if (found["least"], found["most"]) != (want, want):
        return f"a line has {found['least'] + 1 if found['least'] != want else found['most'] + 1} fields, not {columns}"
    return None

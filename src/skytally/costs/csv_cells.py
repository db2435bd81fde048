"""OWASP's CSV injection defence for every CSV skytally writes (FOCUS CSV export, the Costs
page's download, `costs query --csv`): a text cell a spreadsheet would read as a formula
(it starts with = + - @, a tab or a carriage return) is written with a leading apostrophe;
numbers pass unchanged."""

from __future__ import annotations

# The same rule as SQL, for exports written by DuckDB ({c}: a quoted column name).
CSV_SAFE = "CASE WHEN left({c}, 1) IN ('=', '+', '-', '@', chr(9), chr(13)) THEN '''' || {c} ELSE {c} END"
CSV_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: object) -> object:
    """A text cell for a CSV file, neutralised as CSV_SAFE does (numbers pass unchanged)."""
    if isinstance(value, str) and value.startswith(CSV_FORMULA_START):
        return "'" + value
    return value

"""DuckDB connections for the cost store, with skytally's macros loaded, and the named
`.sql` files of the query service."""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

import duckdb

from . import udf


@cache
def sql_text(name: str) -> str:
    """The text of `sql/<name>.sql`."""
    return resources.files("skytally.costs").joinpath("sql", f"{name}.sql").read_text("utf-8")


def connect(
    *,
    memory_limit: str = "1GB",
    threads: int | None = None,
    temp_directory: Path | None = None,
) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(":memory:")
    con.execute(f"SET memory_limit = '{memory_limit}'")
    con.execute("SET preserve_insertion_order = false")
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    if temp_directory is not None:
        temp_directory.mkdir(parents=True, exist_ok=True)
        con.execute("SET temp_directory = ?", [str(temp_directory)])
    udf.register(con)
    con.execute(sql_text("macros"))
    return con

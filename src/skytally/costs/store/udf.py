"""Per-value functions the import needs, evaluated once per *distinct* value.

Cost files repeat the same resource id, tag text and unit of measure on thousands of
rows. Doing string surgery on every row in SQL cost about as much as parsing the CSV;
these functions are registered in DuckDB as vectorised Arrow UDFs that dictionary-encode
each batch and compute every distinct value once (with a bounded cache across batches),
which makes them nearly free (measured: ~10x cheaper than the SQL equivalent).

Each function is also usable from Python and is what the mapping's `st_*` names call.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
from duckdb.sqltypes import DOUBLE, VARCHAR

_CACHE_LIMIT = 200_000
# "100 GB/Month", "1 Hour", "10K" (10,000 units), "1/Month" (units per month), "10K Transactions"
_BLOCK = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)([KM]?)(?=$|[\s/])\s*(.*)$")
_SUFFIX = {"": 1.0, "K": 1_000.0, "M": 1_000_000.0}


def resource_type(rid: str) -> str | None:
    """ARM type of a resource id, lower-cased: '.../providers/Microsoft.Sql/servers/s/
    databases/d' -> 'microsoft.sql/servers/databases'."""
    low = rid.lower().rstrip("/")
    i = low.rfind("/providers/")
    if i < 0:
        parts = low.strip("/").split("/")
        if len(parts) == 2 and parts[0] == "subscriptions":
            return "microsoft.resources/subscriptions"
        if len(parts) == 4 and parts[0] == "subscriptions" and parts[2] == "resourcegroups":
            return "microsoft.resources/resourcegroups"
        return None
    parts = low[i + len("/providers/"):].split("/")
    if len(parts) < 2:
        return None
    return "/".join([parts[0], *parts[1::2]])


def last_segment(rid: str) -> str | None:
    seg = rid.rstrip("/").rsplit("/", 1)[-1]
    return seg or None


def block_size(uom: str) -> float:
    """'100 GB/Month' -> 100.0; '1 Hour' -> 1.0; 'Hours' -> 1.0; '10K' -> 10000.0."""
    m = _BLOCK.match(uom)
    return float(m.group(1)) * _SUFFIX[m.group(2)] if m else 1.0


def unit(uom: str) -> str | None:
    """The unit in FOCUS Unit Format, as Microsoft's pricing units lookup distinguishes
    them: '100 GB/Month' -> 'GB/Month'; '10K' -> 'Units'; '1/Month' -> 'Units/Month'."""
    m = _BLOCK.match(uom)
    text = (m.group(3) if m else uom).strip()
    if m and (not text or text.startswith("/")):
        return "Units" + text
    return text or None


class _Pairs(list):  # type: ignore[type-arg]
    """A JSON object as its (key, value) pairs, in order, duplicates kept."""


def _plain(v: Any) -> Any:
    if isinstance(v, _Pairs):
        return {k: _plain(x) for k, x in v}
    if isinstance(v, list):
        return [_plain(x) for x in v]
    return v


def parse_tags(raw: str) -> dict[str, Any] | None:
    """Tags text of any source -> {"tags": [(k, v)], "keys": [lower k], "values": [v],
    "invalid": raw | None}. EA writes `"k": "v","k2": "v2"` (no braces); MCA/FOCUS write
    a JSON object; a key repeated with the same spelling keeps its first value; keys that
    differ only by case are kept as Azure reports them (both)."""
    text = raw.strip()
    if not text or text == "{}":
        return None
    if not text.startswith("{"):
        text = "{" + text + "}"
    try:  # text that starts with "{" is an object when it parses
        pairs: _Pairs = json.loads(text, object_pairs_hook=_Pairs)
    except ValueError:
        return {"tags": None, "keys": None, "values": None, "invalid": raw}
    tags: dict[str, str | None] = {}
    for k, v in pairs:
        if k not in tags:
            tags[k] = v if v is None or isinstance(v, str) else \
                json.dumps(_plain(v), ensure_ascii=False, separators=(",", ":"))
    return {"tags": list(tags.items()), "keys": [k.lower() for k in tags], "values": list(tags.values()),
            "invalid": None}


TAGS_ARROW = pa.struct([
    ("tags", pa.map_(pa.string(), pa.string())),
    ("keys", pa.list_(pa.string())),
    ("values", pa.list_(pa.string())),
    ("invalid", pa.string()),
])


def _memoized(fn: Callable[[str], Any], out_type: pa.DataType) -> Callable[[pa.Array], pa.Array]:
    cached = lru_cache(maxsize=_CACHE_LIMIT)(fn)

    def udf(arr: pa.Array | pa.ChunkedArray) -> pa.Array:
        enc = pc.dictionary_encode(arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr)
        out = [None if v is None else cached(v) for v in enc.dictionary.to_pylist()]
        return pc.take(pa.array(out, type=out_type), enc.indices)

    return udf


def register(con: duckdb.DuckDBPyConnection) -> None:
    """Register the st_* per-value functions on a connection."""
    tags_type = duckdb.struct_type({
        "tags": duckdb.map_type(VARCHAR, VARCHAR),
        "keys": duckdb.list_type(VARCHAR),
        "values": duckdb.list_type(VARCHAR),
        "invalid": VARCHAR,
    })
    specs: list[tuple[str, Callable[[str], Any], pa.DataType, Any]] = [
        ("st_resource_type", resource_type, pa.string(), VARCHAR),
        ("st_last_segment", last_segment, pa.string(), VARCHAR),
        ("st_block_size", block_size, pa.float64(), DOUBLE),
        ("st_unit", unit, pa.string(), VARCHAR),
        ("st_parse_tags", parse_tags, TAGS_ARROW, tags_type),
    ]
    for name, fn, arrow_type, duck_type in specs:
        con.create_function(name, _memoized(fn, arrow_type), [VARCHAR], duck_type,  # type: ignore[call-overload]
                            type="arrow", null_handling="special", side_effects=False)

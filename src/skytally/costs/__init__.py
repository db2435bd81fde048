"""Costs: import cost files (EA, MCA, FOCUS; CSV, gzip, Parquet) into a FOCUS 1.2
Parquet store, query it, export it. See docs/costs.md.

Public API: `CostStore` (service.py), `CostQuery` and the result types (schemas.py).
"""

import os

# Polars' allocator (jemalloc) hands freed pages back to the OS almost at once; an import
# allocates and frees ~100 MB per batch, and faulting those pages in again cost ~1 of ~25
# CPU-seconds of a 5M-row import (page faults 756K -> 456K). Read once, when Polars loads;
# a value set by the user wins.
os.environ.setdefault("_RJEM_MALLOC_CONF", "dirty_decay_ms:5000,muzzy_decay_ms:5000")

from .importer import MalformedRows
from .schemas import CostQuery, ImportResult, QueryResult, RejectedRow, UntaggedResult
from .service import CostStore

__all__ = ["CostQuery", "CostStore", "ImportResult", "MalformedRows", "QueryResult",
           "RejectedRow", "UntaggedResult"]

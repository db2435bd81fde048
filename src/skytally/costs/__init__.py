"""Costs: import cost files (EA, MCA, FOCUS; CSV, gzip, Parquet) into a FOCUS 1.2
Parquet store, query it, export it. See docs/costs.md.

Public API: `CostStore` (service.py), `CostQuery` and the result types (schemas.py).
"""

import os
import sys

# Polars' allocator (jemalloc) hands freed pages back to the OS after 0.5 s (Polars'
# own setting); an import frees and allocates ~100 MB per batch, and faulting the pages in
# again costs CPU. Kept 5 s, a 5M-row import took 0.3 s less in each of four paired runs
# (12.34 -> 12.04 s), with the same peak memory. Read once, when Polars loads (Polars
# appends this variable to its own setting); a value the user sets wins.
os.environ.setdefault("_RJEM_MALLOC_CONF", "dirty_decay_ms:5000,muzzy_decay_ms:5000")

# Arrow's default pool (mimalloc) backs its pages with huge pages and hands them back
# between batches: zeroing them again was ~10 % of an import's CPU (perf: clear_page_erms;
# 0.2-0.4 % with jemalloc). With jemalloc a 1M-row import took 4-14 % less CPU in each of
# four paired runs. Read when pyarrow loads (only skytally.costs loads it); a value the
# user sets wins. Linux only: pyarrow's Linux wheels have jemalloc, and Arrow warns on
# stderr when the variable names a pool its build lacks.
if sys.platform == "linux":
    os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "jemalloc")
# numpy's OpenBLAS starts a thread per core that spins ~0.1 CPU-s once numpy loads;
# nothing here does linear algebra (measured: 0.19 -> 0.09 CPU-s for import + 1 s idle)
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from .schemas import CostQuery, ImportResult, QueryResult, RejectedRow, UntaggedResult
from .service import CostStore
from .store.importer import MalformedRows

__all__ = ["CostQuery", "CostStore", "ImportResult", "MalformedRows", "QueryResult",
           "RejectedRow", "UntaggedResult"]

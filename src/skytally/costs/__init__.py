"""Costs: import cost files (EA, MCA, FOCUS; CSV, gzip, Parquet) into a FOCUS 1.2
Parquet store, query it, export it. See docs/costs.md.

Public API: `CostStore` (service.py), `CostQuery` and the result types (schemas.py).
"""

from .importer import MalformedRows
from .schemas import CostQuery, ImportResult, QueryResult, RejectedRow, UntaggedResult
from .service import CostStore

__all__ = ["CostQuery", "CostStore", "ImportResult", "MalformedRows", "QueryResult",
           "RejectedRow", "UntaggedResult"]

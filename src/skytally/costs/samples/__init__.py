"""Sample cost files — generated test data, not product logic.

Realistic cost CSVs in every supported layout (files.py), built from a seeded stream of
billing events (events.py) with exact expected totals. Used by the tests, the benchmarks
(bench/costs_import.py) and demos; nothing in the product imports them.
"""

from skytally.costs.samples.files import SampleTotals, write_sample

__all__ = ["SampleTotals", "write_sample"]

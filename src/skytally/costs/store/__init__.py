"""The cost store and its import engine: cost files in, one FOCUS Parquet dataset out.

Only `service.py` and `query.py` of the costs package use it: `Importer` (importer.py)
imports files, `StoreLayout` (storage.py) holds the dataset, `connect` (engine.py)
opens DuckDB with skytally's macros. See docs/costs.md.
"""

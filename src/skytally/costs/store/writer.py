"""Stream a mapped SELECT into one Parquet file per (billing account, billing period),
in a single pass over the source.

The rows come as Arrow record batches in store columns, from either reader (fast.py,
exact.py); a writer thread splits each batch by its partition key columns and appends
it to that partition's Parquet file (pyarrow, which releases the GIL while encoding),
so reading and encoding overlap.

Why not DuckDB alone: `COPY ... PARTITION_BY` buffers up to
`partitioned_write_flush_threshold` rows of every partition per thread (~1 GB for our
110 columns) and spilled: 3-9x slower than a plain COPY here; and a COPY to one file
followed by a filtered COPY per period wrote every row twice (~45 % of the import).
Memory stays bounded: at most `_QUEUE` batches in flight and `_MAX_BUFFERED` rows
buffered across all partitions.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from itertools import pairwise
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ..schemas import PeriodKey, encode_value

ROW_GROUP_ROWS = 122_880
# a partition's rows are written when it has ROW_GROUP_ROWS of them, as one row group,
# or, the largest first, when all partitions together hold more than this: small row
# groups cost the writer (per column and row group) more than the memory they save
_MAX_BUFFERED = 4 * ROW_GROUP_ROWS
_QUEUE = 4
# values the column writers take at a time (pyarrow's default: 1024): fewer rounds of
# level encoding and page checks, -3 % of the encoding time, the same files
WRITE_BATCH = 65_536
# min/max statistics only where queries filter (the period, the dates): computing them
# for all ~110 columns cost a third of the encoding time
STATISTICS = ("x_StoreAccount", "x_StorePeriod", "ChargePeriodStart", "ChargePeriodEnd",
              "BillingPeriodStart", "BillingPeriodEnd")
# amounts that differ on nearly every row: a dictionary is tried, then abandoned, per page
DENSE = ("BilledCost", "EffectiveCost", "ListCost", "ContractedCost", "x_BilledCostInUsd",
         "x_EffectiveCostInUsd", "x_ListCostInUsd", "x_ContractedCostInUsd")


def _keys(batch: pa.RecordBatch, name: str) -> pa.DictionaryArray:
    """A partition key column as dictionary codes: the fast reader's own, or Arrow's for
    the exact reader's plain text. The mapping coalesces the keys ('unassigned' /
    'unknown'), so no row lacks one."""
    arr = batch.column(batch.schema.get_field_index(name))
    arr = arr if isinstance(arr, pa.DictionaryArray) else pc.dictionary_encode(arr)
    if arr.null_count:
        raise ValueError(f"{arr.null_count} row(s) without {name}")
    return arr


def _split(batch: pa.RecordBatch) -> list[tuple[PeriodKey, pa.RecordBatch]]:
    """The batch's rows by (billing account, billing period): zero-copy slices of the
    batch, reordered first unless each partition's rows come together (the fast reader's
    order; cost files interleave their periods). A dictionary that repeats a value only
    makes two slices of one partition."""
    accounts, periods = _keys(batch, "x_StoreAccount"), _keys(batch, "x_StorePeriod")
    width = max(len(periods.dictionary), 1)
    code = accounts.indices.to_numpy().astype(np.int64) * width + periods.indices.to_numpy()

    def key(c: int) -> PeriodKey:
        a, p = divmod(c, width)
        return PeriodKey(accounts.dictionary[a].as_py(), periods.dictionary[p].as_py())

    if not len(code):
        return []
    if not (code != code[0]).any():
        return [(key(int(code[0])), batch)]
    steps = np.diff(code)
    if np.count_nonzero(steps) + 1 == np.count_nonzero(np.bincount(code)):
        ordered, taken = code, batch
    else:
        order = np.argsort(code, kind="stable")
        ordered = code[order]
        steps = np.diff(ordered)
        taken = batch.take(pa.array(order))
    starts = [0, *(np.flatnonzero(steps) + 1).tolist(), len(ordered)]
    return [(key(int(ordered[start])), taken.slice(start, end - start)) for start, end in pairwise(starts)]


class _PartitionWriter:
    def __init__(self, dest: Path) -> None:
        self.dest = dest
        self.writers: dict[PeriodKey, pq.ParquetWriter] = {}
        self.paths: dict[PeriodKey, Path] = {}
        self.buffers: dict[PeriodKey, list[pa.RecordBatch]] = {}
        self.buffered: dict[PeriodKey, int] = {}

    def add(self, batch: pa.RecordBatch) -> None:
        for key, part in _split(batch):
            self._append(key, part)
        while sum(self.buffered.values()) > _MAX_BUFFERED:
            self._flush(max(self.buffered, key=lambda k: self.buffered[k]))

    def _append(self, key: PeriodKey, batch: pa.RecordBatch) -> None:
        self.buffers.setdefault(key, []).append(batch)
        self.buffered[key] = self.buffered.get(key, 0) + batch.num_rows
        if self.buffered[key] >= ROW_GROUP_ROWS:
            self._flush(key)

    def _flush(self, key: PeriodKey) -> None:
        batches = self.buffers.pop(key, [])
        self.buffered.pop(key, None)
        if batches:
            self._write(self._writer(key, batches[0].schema), batches)

    def _writer(self, key: PeriodKey, schema: pa.Schema) -> pq.ParquetWriter:
        w = self.writers.get(key)
        if w is None:
            path = self.dest / f"{encode_value(key.billing_account)}__{encode_value(key.billing_period)}.parquet"
            w = self.writers[key] = pq.ParquetWriter(
                path, schema, compression="snappy", store_schema=False,
                write_statistics=[c for c in STATISTICS if c in schema.names],
                use_dictionary=[c for c in schema.names if c not in DENSE],
                write_batch_size=WRITE_BATCH)
            self.paths[key] = path
        return w

    @staticmethod
    def _write(w: pq.ParquetWriter, batches: list[pa.RecordBatch]) -> None:
        table = pa.Table.from_batches(batches)
        w.write_table(table, row_group_size=max(table.num_rows, 1))

    def close(self) -> dict[PeriodKey, Path]:
        # the rows still buffered are all the import waits for: partitions are encoded
        # side by side (each has its own file; pyarrow releases the GIL while encoding)
        last = [(self._writer(key, batches[0].schema), batches)
                for key, batches in self.buffers.items() if batches]
        self.buffers.clear()
        self.buffered.clear()
        if len(last) > 1:
            with ThreadPoolExecutor(max_workers=2, thread_name_prefix="parquet-flush") as pool:
                for done in [pool.submit(self._write, w, batches) for w, batches in last]:
                    done.result()
        else:
            for w, batches in last:
                self._write(w, batches)
        for w in self.writers.values():
            w.close()
        return dict(self.paths)

    def abort(self) -> None:
        for w in self.writers.values():
            try:
                w.close()
            except Exception:  # the original error is what matters
                pass


def write_batches(reader: Iterable[pa.RecordBatch], dest: Path) -> dict[PeriodKey, Path]:
    """Write store rows (with x_StoreAccount and x_StorePeriod) to one Parquet file per
    partition, `dest/<account>__<period>.parquet`, encoding on a second thread."""
    dest.mkdir(parents=True, exist_ok=True)
    out = _PartitionWriter(dest)
    pending: deque[Future[None]] = deque()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="parquet-writer") as pool:
        try:
            for batch in reader:
                pending.append(pool.submit(out.add, batch))
                if len(pending) >= _QUEUE:
                    pending.popleft().result()  # raises what the writer met
            while pending:
                pending.popleft().result()
        except BaseException:
            for f in pending:
                f.cancel()
            pool.shutdown(wait=True)
            out.abort()
            raise
    return out.close()

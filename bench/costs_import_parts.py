"""Where a cost import's CPU goes, next to what a plain Polars copy of the file costs.

    python bench/costs_import_parts.py FILE.csv --repeat 3

Each step runs in a fresh process, taking turns, and prints CPU-seconds (user + system,
all threads; medians over the turns):

* `copy`: Polars' `scan_csv(...).sink_parquet(...)` of the whole file (the benchmark's
  yardstick, bench/costs_import.py);
* `parse, text`: Polars parsing the columns the fast reader reads, text as plain strings;
* `parse, keyed`: the fast reader's own parse (`FactoredMapper.parse`: text as
  categoricals, with their keys), which the import cannot do without;
  for both, the process's CPU and that of the parse alone (without start-up);
* `import`: `CostStore.import_files`, and inside it the CPU of the main thread's mapping
  (`FactoredMapper.map_batch`) and of the Parquet writer (`writer._split` and
  `_PartitionWriter._write`, on whichever thread), each measured with `time.thread_time()`
  around those calls.

On a 2-core machine the import keeps both cores busy, so its wall time follows its CPU
time: the parts show how close to the copy an import of this file can come.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

COPY = """
import polars as pl, sys
pl.scan_csv(sys.argv[1], infer_schema_length=10000).sink_parquet(sys.argv[2] + "/copy.parquet")
print("{}")
"""
PARSE = """
import json, resource, sys
from pathlib import Path
import polars as pl
import skytally.costs
from skytally.costs.store import detect, fast
src = detect.detect(Path(sys.argv[1]))
mapper = fast.FactoredMapper(src, {})
if sys.argv[3] == "keyed":
    frame = mapper.parse()
else:
    keyed = mapper.parse().collect_schema()  # the same types, text as plain strings
    schema = {h: pl.String if isinstance(keyed.get(h), pl.Categorical) else keyed.get(h, pl.String)
              for h in src.header}
    frame = pl.scan_csv(src.path, schema=schema, quote_char='"').select(*mapper.read_columns)
before = resource.getrusage(resource.RUSAGE_SELF)
rows = sum(df.rechunk().height for df in frame.collect_batches(chunk_size=fast.BATCH_ROWS))
after = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"rows": rows, "parsing": after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime}))
"""
IMPORT = """
import json, sys, time
from skytally.costs import CostStore
from skytally.costs.store import fast, writer
spent = {"mapping": 0.0, "writer": 0.0}

def timed(part, fn):
    def wrapper(*args, **kwargs):
        t = time.thread_time()
        try:
            return fn(*args, **kwargs)
        finally:
            spent[part] += time.thread_time() - t
    return wrapper

fast.FactoredMapper.map_batch = timed("mapping", fast.FactoredMapper.map_batch)
writer._split = timed("writer", writer._split)
writer._PartitionWriter._write = staticmethod(timed("writer", writer._PartitionWriter._write))
res = CostStore(sys.argv[2]).import_files([sys.argv[1]], billing_account_id="bench", on_bad_rows="quarantine")
print(json.dumps({"rows": res.rows, "BilledCost": str(res.BilledCost), "reader": res.files[0].reader, **spent}))
"""
STEPS = {"copy": (COPY, ()), "parse, text": (PARSE, ("text",)), "parse, keyed": (PARSE, ("keyed",)),
         "import": (IMPORT, ())}


def run(code: str, csv: str, *args: str) -> tuple[float, dict[str, object]]:
    with tempfile.TemporaryDirectory(prefix="skytally-parts-") as work:
        proc = subprocess.Popen([sys.executable, "-c", textwrap.dedent(code), csv, work, *args],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(proc.pid, 0)
        out = proc.stdout.read().decode() if proc.stdout else ""
        if status:
            err = proc.stderr.read().decode() if proc.stderr else ""
            raise SystemExit(f"step failed:\n{err[-3000:]}")
    return usage.ru_utime + usage.ru_stime, json.loads(out.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("csv", type=Path)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    cpu: dict[str, list[float]] = {s: [] for s in STEPS}
    parts: dict[str, list[float]] = {"mapping": [], "writer": []}
    parsing: dict[str, list[float]] = {"parse, text": [], "parse, keyed": []}
    info: dict[str, object] = {}
    for turn in range(args.repeat):
        for step, (code, extra) in STEPS.items():
            seconds, out = run(code, str(args.csv), *extra)
            cpu[step].append(seconds)
            if "parsing" in out:
                parsing[step].append(float(out.pop("parsing")))  # type: ignore[arg-type]
            for p in parts:
                if p in out:
                    parts[p].append(float(out[p]))  # type: ignore[arg-type]
            info.update(out)
            print(f"turn {turn} {step:13s} {seconds:6.2f} CPU-s  load {os.getloadavg()[0]:.2f}", flush=True)
    med = {s: statistics.median(xs) for s, xs in cpu.items()}
    print(f"\n{args.csv.name}: {info.get('rows')} rows, BilledCost {info.get('BilledCost')}, "
          f"reader {info.get('reader')}; medians of {args.repeat} turns, CPU-seconds")
    for step, seconds in med.items():
        alone = f"; the parse alone {statistics.median(parsing[step]):.2f}" if step in parsing else ""
        print(f"  {step:36s} {seconds:6.2f}  ({seconds / med['copy']:.2f}x the copy{alone})")
    keyed = statistics.median(parsing["parse, keyed"])
    mapping, writing = (statistics.median(parts[p]) for p in ("mapping", "writer"))
    print(f"    the keyed parse (as measured alone)  {keyed:6.2f}")
    print(f"    mapping (main thread)                {mapping:6.2f}")
    print(f"    Parquet writer (its threads)         {writing:6.2f}")
    print(f"    the rest (start-up, detection, manifests, commit) {med['import'] - keyed - mapping - writing:6.2f}")


if __name__ == "__main__":
    main()

"""A/B of the cost import: the same CSV imported by several source trees, taking turns.

    python bench/costs_import_ab.py FILE.csv --repeat 2 base=/tmp/a/src trick-off=/tmp/b/src polars

Each NAME=SRC imports FILE with PYTHONPATH=SRC (a copy of `src/` with one change) in a
fresh process; `polars` is the plain Polars CSV-to-Parquet copy. Prints wall time,
CPU-seconds (user + system, all threads) and peak RSS per run, then medians and totals.
On a shared machine compare CPU-seconds from one run: wall time follows the load.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

IMPORT = """
import json, sys
from skytally.costs import CostStore
res = CostStore(sys.argv[2]).import_files([sys.argv[1]], billing_account_id="bench-a", on_bad_rows="quarantine")
print(json.dumps({"rows": res.rows, "BilledCost": str(res.BilledCost), "reader": res.files[0].reader}))
"""
POLARS = """
import polars as pl, sys
pl.scan_csv(sys.argv[1], infer_schema_length=10000).sink_parquet(sys.argv[2] + ".parquet")
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("csv")
    ap.add_argument("variants", nargs="+", help="NAME=SRC (a source tree) or polars")
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()
    runs: dict[str, list[tuple[float, float, float]]] = {v: [] for v in args.variants}
    info: dict[str, str] = {}
    for turn in range(args.repeat):
        for v in args.variants:
            work = tempfile.mkdtemp(prefix="skytally-ab-")
            env = dict(os.environ)
            if v != "polars":
                env["PYTHONPATH"] = v.split("=", 1)[1]
            t0 = time.perf_counter()
            proc = subprocess.Popen([sys.executable, "-c", POLARS if v == "polars" else IMPORT, args.csv,
                                     work + "/store"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            _, status, usage = os.wait4(proc.pid, 0)
            wall = time.perf_counter() - t0
            out = proc.stdout.read().decode() if proc.stdout else ""
            shutil.rmtree(work, ignore_errors=True)
            if status:
                err = proc.stderr.read().decode() if proc.stderr else ""
                raise SystemExit(f"{v} failed:\n{err[-3000:]}")
            if out.strip():
                info[v] = out.strip().splitlines()[-1]
            cpu = usage.ru_utime + usage.ru_stime
            runs[v].append((wall, cpu, usage.ru_maxrss / 1024))
            print(f"turn {turn} {v.split('=')[0]:14s} wall {wall:6.1f} s  cpu {cpu:6.1f} s  "
                  f"rss {usage.ru_maxrss / 1024:6.0f} MiB  load {os.getloadavg()[0]:.2f}", flush=True)
    for v, xs in runs.items():
        print(f"{v.split('=')[0]:14s} median wall {statistics.median(x[0] for x in xs):6.1f} s  "
              f"cpu {statistics.median(x[1] for x in xs):6.1f} s  peak rss {max(x[2] for x in xs):6.0f} MiB  "
              f"{info.get(v, '')}")


if __name__ == "__main__":
    main()

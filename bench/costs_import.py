"""Cost import benchmark: skytally's import vs a plain conversion of the same CSV.

    python bench/costs_import.py                 # 5M-row MCA actual-cost CSV (~4-5 GB)
    python bench/costs_import.py --rows 500000   # quicker
    python bench/costs_import.py --csv big.csv   # an existing MCA/EA/FOCUS file
    python bench/costs_import.py --layout ea_exports --rows 1000000   # another generated layout

Prints: file size; wall time and peak RSS of (a) DuckDB `COPY (SELECT * FROM
read_csv(...)) TO ... (FORMAT parquet)`, (b) Polars `scan_csv(...).sink_parquet(...)`,
(c) `CostStore.import_files` — each in a fresh subprocess, peak RSS from wait4(), the
three taking turns `--repeat` times (median of each); the ratio of (c) to the faster
of (a) and (b); then a group-by tag key x month query over 2x the rows (the file
imported under two billing accounts). Big files are removed at the end unless --keep.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

PLAIN_DUCKDB = """
import duckdb, sys
duckdb.execute(f"COPY (SELECT * FROM read_csv('{sys.argv[1]}')) TO '{sys.argv[2]}' (FORMAT parquet)")
"""
PLAIN_POLARS = """
import polars as pl, sys
pl.scan_csv(sys.argv[1], infer_schema_length=10000).sink_parquet(sys.argv[2])
"""
SKYTALLY_IMPORT = """
import json, sys
from skytally.costs import CostStore
store = CostStore(sys.argv[2])
res = store.import_files([sys.argv[1]], billing_account_id=sys.argv[3], on_bad_rows="quarantine")
print(json.dumps({"rows": res.rows, "BilledCost": str(res.BilledCost),
                  "rejected_rows": res.rejected_rows, "reader": res.files[0].reader}))
"""


def run(code: str, *args: str) -> tuple[float, float, str]:
    """(wall seconds, peak RSS MiB, stdout) of `python -c code args`."""
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", textwrap.dedent(code), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    out = proc.stdout.read().decode() if proc.stdout else ""
    err = proc.stderr.read().decode() if proc.stderr else ""
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"benchmark step failed ({proc.returncode}):\n{err[-3000:]}")
    return wall, usage.ru_maxrss / 1024, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=5_000_000, help="rows to generate (default 5M)")
    ap.add_argument("--layout", default="mca", help="layout to generate: mca (default), ea_exports, ea_c360, focus_1.2, ...")
    ap.add_argument("--csv", type=Path, help="use this file instead of generating one")
    ap.add_argument("--dir", type=Path, default=None, help="work directory (default: a temp dir under /work or /tmp)")
    ap.add_argument("--keep", action="store_true", help="keep the generated files")
    ap.add_argument("--skip-polars", action="store_true")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each step, taking turns (default 3)")
    args = ap.parse_args()

    base = args.dir or Path(tempfile.mkdtemp(prefix="skytally-bench-", dir="/work" if Path("/work").is_dir() else None))
    base.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(base).free / 2**30
    print(f"work dir {base} ({free:.0f} GiB free)")
    try:
        if args.csv:
            csv_path = args.csv
        else:
            need = args.rows * 1.6e-6  # GiB: CSV + 2 stores + baselines
            if free < need * 1.5:
                raise SystemExit(f"not enough disk: need ~{need:.0f} GiB")
            from skytally.costs.samples import write_sample

            csv_path = base / f"{args.layout}_actual.csv"
            t0 = time.perf_counter()
            write_sample(csv_path, layout=args.layout, kind="actual", rows=args.rows,
                         periods=["2024-01", "2024-02", "2024-03"], billing_account_id="bench",
                         subscriptions=10, resources_per_subscription=300, seed=1)
            print(f"generated {args.rows:,} rows in {time.perf_counter() - t0:.1f} s")
        size = csv_path.stat().st_size
        print(f"CSV {csv_path.name}: {size / 1e9:.2f} GB")

        # the steps take turns, `--repeat` times: on a shared VM a slow spell then hits
        # every step alike instead of one of them; each step's median is compared
        steps = [("duckdb plain COPY", PLAIN_DUCKDB, [str(base / "plain_duckdb.parquet")])]
        if not args.skip_polars:
            steps.append(("polars scan_csv.sink_parquet", PLAIN_POLARS, [str(base / "plain_polars.parquet")]))
        store = base / "store"
        steps.append(("skytally import", SKYTALLY_IMPORT, [str(store), "bench-a"]))
        walls: dict[str, list[float]] = {name: [] for name, _, _ in steps}
        peaks: dict[str, float] = dict.fromkeys(walls, 0.0)
        out = ""
        for _ in range(args.repeat):
            for name, code, extra in steps:
                if name == "skytally import":
                    shutil.rmtree(store, ignore_errors=True)
                w, rss, out_step = run(code, str(csv_path), *extra)
                walls[name].append(w)
                peaks[name] = max(peaks[name], rss)
                out = out_step or out
        info = json.loads(out.strip().splitlines()[-1])
        median = {name: statistics.median(ws) for name, ws in walls.items()}
        for name, ws in walls.items():
            spread = f"  (runs: {', '.join(f'{w:.1f}' for w in ws)})" if len(ws) > 1 else ""
            print(f"{name:32s} {median[name]:8.1f} s   peak RSS {peaks[name]:7.0f} MiB   "
                  f"{size / median[name] / 1e6:6.0f} MB/s{spread}")
        fastest = min(v for k, v in median.items() if k != "skytally import")
        print(f"import / fastest plain conversion: {median['skytally import'] / fastest:.2f}x"
              f"  (medians; rows {info['rows']:,}, BilledCost {info['BilledCost']}, "
              f"rejected {info['rejected_rows']}, reader {info['reader']})")
        for p in base.glob("plain_*.parquet"):
            p.unlink()

        # a second account with the same data: 2x the rows for the query
        run(SKYTALLY_IMPORT, str(csv_path), str(store), "bench-b")
        from skytally.costs import CostQuery, CostStore

        cs = CostStore(store)
        q = CostQuery(billing_accounts=["bench-a", "bench-b"], group_by=["tag:env"], granularity="month")
        t0 = time.perf_counter()
        res = cs.query(q)
        first = time.perf_counter() - t0
        times = []
        for _ in range(5):
            t0 = time.perf_counter()
            res = cs.query(q)
            times.append(time.perf_counter() - t0)
        total_rows = 2 * info["rows"]
        print(f"query group by tag:env x month over {total_rows:,} rows: first {first:.3f} s, "
              f"median {statistics.median(times):.3f} s, best {min(times):.3f} s ({len(res.rows)} groups)")
        # the same question with a filter, which the pre-aggregates cannot answer: the rows
        qd = CostQuery(billing_accounts=["bench-a", "bench-b"], group_by=["tag:env"], granularity="month",
                       filters={"billing_account": ["bench-a", "bench-b"]})
        times = []
        for _ in range(3):
            t0 = time.perf_counter()
            resd = cs.query(qd)
            times.append(time.perf_counter() - t0)
        same = resd.rows == res.rows
        print(f"  same query from the rows (filtered): median {statistics.median(times):.3f} s, "
              f"identical results: {same}")
        q2 = CostQuery(billing_accounts=["bench-a", "bench-b"], group_by=["ServiceName"], top=10)
        t0 = time.perf_counter()
        cs.query(q2)
        print(f"query top-10 ServiceName over {total_rows:,} rows: {time.perf_counter() - t0:.3f} s")
        t0 = time.perf_counter()
        cs.untagged(CostQuery(billing_accounts=["bench-a", "bench-b"]), "costcenter")
        print(f"untagged share (tag costcenter) with reasons over {total_rows:,} rows: {time.perf_counter() - t0:.3f} s")
        cs.close()
    finally:
        if not args.keep and not args.dir:
            shutil.rmtree(base, ignore_errors=True)
        elif not args.keep:
            for p in ("mca_actual.csv", "store"):
                target = base / p
                if target.is_dir():
                    shutil.rmtree(target, ignore_errors=True)
                elif target.exists() and not args.csv:
                    target.unlink()


if __name__ == "__main__":
    main()

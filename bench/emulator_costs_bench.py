"""Emulator cost figures: streamed CSV generation speed and memory, and a report end to end.

    python bench/emulator_costs_bench.py [--rows 1000000] [--big 10000000] [--skip-api]

1. Generation: an EA and an MCA account of a small world scaled to ``--rows`` rows in a
   month, written to CSV (rows/s, MB/s, peak RSS before/after — flat means streaming).
   ``--big`` adds one larger EA run (e.g. 10M rows, ~8 GB; needs the disk space).
2. End to end: a ``--rows``-row EA report through the HTTPS API (POST, poll, download every
   blob) with the emulator in this process's thread.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from azure_emulator.services.costmanagement import backend
from azure_emulator.world.costs.model import CostSettings
from azure_emulator.world.costs.report import write_report
from azure_emulator.world.generate import generate_world


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def generation(rows: int, agreements: tuple[str, ...]) -> None:
    world = generate_world(1, "small")
    settings = CostSettings(rows_per_month=rows, blob_max_bytes=2 * 1024**3)
    now = datetime.now(UTC)
    first = now.date().replace(day=1)
    start, end = (first - timedelta(days=1)).replace(day=1), first - timedelta(days=1)
    for account in backend.accounts(world, settings):
        if account.agreement not in agreements:
            continue
        units = backend.build_units(world, account, settings)
        tmp = Path(tempfile.mkdtemp(prefix="costs-bench-"))
        before = rss_mb()
        t0 = time.perf_counter()
        result = write_report(tmp, "part", account, units, start, end, "ActualCost", now, settings)
        elapsed = time.perf_counter() - t0
        print(f"{account.agreement:3} {result.rows:>11,} rows  {elapsed:6.1f} s  {result.rows / elapsed:>9,.0f} rows/s  "
              f"{result.byte_count / elapsed / 1e6:6.0f} MB/s  {result.byte_count / 1e9:5.2f} GB in {len(result.blobs)} blob(s)  "
              f"peak RSS {before:.0f} → {rss_mb():.0f} MB")
        shutil.rmtree(tmp)


def end_to_end(rows: int) -> None:
    import httpx

    from azure_emulator.testing import RunningEmulator

    with RunningEmulator(seed=1, size="small") as emu:
        fx = emu.fixtures
        emu.control.post("/costs/config", json={"rows_per_month": rows, "retry_after_seconds": 0,
                                                "scope_calls_per_minute": 0})
        token = emu.token("arm", client_id=fx["customer_sp_client_id"], client_secret=fx["customer_sp_secret"])
        now = datetime.fromisoformat(emu.control.get("/clock").json()["now"])
        first = now.date().replace(day=1)
        period = (first - timedelta(days=1)).strftime("%Y%m")
        auth = {"Authorization": f"Bearer {token}"}
        scope = f"providers/Microsoft.Billing/billingAccounts/{fx['ea_enrollment_number']}"
        with emu.client() as http:
            http.timeout = httpx.Timeout(600)
            t0 = time.perf_counter()
            accepted = http.post(f"{emu.arm_url}/{scope}/providers/Microsoft.CostManagement/generateCostDetailsReport",
                                 params={"api-version": "2024-08-01"}, json={"billingPeriod": period}, headers=auth)
            location = accepted.headers["location"]
            while (done := http.get(location, headers=auth)).status_code == 202:
                time.sleep(0.2)
            t1 = time.perf_counter()
            size = 0
            for blob in done.json()["manifest"]["blobs"]:
                with http.stream("GET", blob["blobLink"]) as response:
                    for chunk in response.iter_bytes(1 << 20):
                        size += len(chunk)
            t2 = time.perf_counter()
        ops = emu.control.get("/costs/operations").json()["value"]
        print(f"API: {ops[-1]['rows']:,} rows — report ready in {t1 - t0:.1f} s, downloaded {size / 1e6:.0f} MB in "
              f"{t2 - t1:.1f} s ({size / (t2 - t1) / 1e6:.0f} MB/s), end to end {t2 - t0:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--big", type=int, default=0)
    parser.add_argument("--skip-api", action="store_true")
    args = parser.parse_args()
    generation(args.rows, ("EA", "MCA"))
    if args.big:
        generation(args.big, ("EA",))
    if not args.skip_api:
        end_to_end(args.rows)


if __name__ == "__main__":
    main()

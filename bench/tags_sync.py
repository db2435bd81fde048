"""Inventory sync with tags of the emulator's bench world (≈100k resources in 200
subscriptions, every subscription at access level `tags`), against the floor Resource
Graph's page size (1000 rows) and per-user quota imply, and the sync process's peak RSS,
for a growing share of the subscriptions (flat memory: RSS should not grow with the
resource count).

The floor is what Azure would impose on any client: the fewest queries that can list what
was synced (one page per 1000 resources, one per 1000 resource groups and subscriptions:
the resources query and the containers query), spent at the emulator's quota (read from
it: 15 queries per 5 s window by default, a window starting with its first query), i.e.
(ceil(queries / quota) - 1) windows. The queries the sync actually sent are shown too: a
sync sending more than the fewest pays for them in its ratio.

Each measurement runs in a fresh child process (its own SQLite database, or PostgreSQL with
--database-url), so the peak RSS is the sync's alone; the emulator runs in this process.

    python bench/tags_sync.py [--subs 20,200] [--latency-ms 20] [--database-url postgresql://…]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PAGE = 1000


def child(n: int, data_dir: str, database_url: str | None) -> None:
    from pydantic import SecretStr
    from sqlalchemy import delete, func, select, update

    from skytally.accounts import service_principals
    from skytally.accounts.context import AccountsEnv
    from skytally.accounts.credentials import ClientSecretCredentialIn
    from skytally.accounts.models import CloudSubscription
    from skytally.config import Settings
    from skytally.inventory import service
    from skytally.inventory.tag_models import InventoryContainer, InventoryTag
    from skytally.runtime import build_runtime
    from skytally.workspaces import service as ws

    fx = json.loads(os.environ["BENCH_FIXTURES"])
    settings = Settings(data_dir=Path(data_dir), **({"database_url": database_url} if database_url else {}))
    rt = build_runtime(settings)
    env = AccountsEnv(rt.settings, rt.vault)
    with rt.db.session() as s:
        ws.ensure_organisation(s)
        data = ClientSecretCredentialIn(tenant_id=fx["primary_tenant_id"], client_id=fx["customer_sp_client_id"],
                                        client_secret=SecretStr(fx["customer_sp_secret"]))
        account, _, _ = service_principals.connect(s, env, None, "Bench", data, [])
        account_id = account.id
    with rt.db.session() as s:  # the first n subscriptions, all at level `tags` (set directly: a bench)
        subs = sorted(s.scalars(select(CloudSubscription.subscription_id).where(CloudSubscription.account_id == account_id)))
        s.execute(delete(CloudSubscription).where(CloudSubscription.account_id == account_id,
                                                  CloudSubscription.subscription_id.in_(subs[n:])))
        s.execute(update(CloudSubscription).where(CloudSubscription.account_id == account_id)
                  .values(access_level="tags", role_status="active"))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    start = time.perf_counter()
    result = service.sync_account(rt.db, env, account_id)
    wall = time.perf_counter() - start
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    with rt.db.session() as s:
        tags = s.scalar(select(func.count()).select_from(InventoryTag)) or 0
        containers = s.scalar(select(func.count()).select_from(InventoryContainer)) or 0
    out = {"subscriptions": len(subs[:n]), "resources": sum(o.resources for o in result.subscriptions),
           "failed": [o.message for o in result.subscriptions if o.status == "failed"][:3], "tags": tags,
           "containers": containers,
           "wall_s": round(wall, 2), "cpu_s": round(cpu, 1), "rss_before_mb": round(before / 1024, 1),
           "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}
    rt.close()
    print(json.dumps(out))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--subs", default="20,200", help="comma-separated subscription counts")
    parser.add_argument("--latency-ms", type=float, default=20.0, help="added to every emulator request")
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--child", type=int, default=0)
    parser.add_argument("--data", default="")
    args = parser.parse_args()
    if args.child:
        child(args.child, args.data, args.database_url)
        return
    from azure_emulator.testing import RunningEmulator

    t0 = time.perf_counter()
    with RunningEmulator(seed=1, size="bench", tag_demo=True) as emu:
        print(f"emulator (bench world) up in {time.perf_counter() - t0:.0f} s; latency {args.latency_ms:.0f} ms a request")
        emu.control.post("/latency", json={"latency_ms": args.latency_ms}).raise_for_status()
        quota = emu.control.get("/resource-graph/quota").json()
        per_window, window = int(quota["queries"]), float(quota["window_seconds"])
        print(f"Resource Graph quota: {per_window} queries per {window:g} s window")
        env = {**os.environ, **emu.settings, "BENCH_FIXTURES": json.dumps(emu.fixtures)}
        env.pop("SKYTALLY_DATABASE_URL", None)
        for n in (int(x) for x in args.subs.split(",")):
            time.sleep(window)  # the previous measurement's quota window is over
            with tempfile.TemporaryDirectory() as tmp:
                emu.control.delete("/requests")
                cmd = [sys.executable, __file__, "--child", str(n), "--data", tmp]
                if args.database_url:
                    cmd += ["--database-url", args.database_url]
                done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=3600)
                if done.returncode != 0:
                    print(done.stderr[-3000:])
                    raise SystemExit(1)
                out = json.loads(done.stdout.strip().splitlines()[-1])
                log = emu.control.get("/requests", params={"path_contains": "Microsoft.ResourceGraph"}).json()
                entries = log["value"] if isinstance(log, dict) else log
                queries = sum(1 for e in entries if e["status"] == 200)
                throttled = sum(1 for e in entries if e["status"] == 429)
                fewest = math.ceil(out["resources"] / PAGE) + math.ceil(out["containers"] / PAGE)
                floor = max(0, math.ceil(fewest / per_window) - 1) * window if per_window > 0 else 0.0
                print(f"{out['subscriptions']:>4} subscriptions, {out['resources']:>7,} resources, {out['tags']:>7,} tags, "
                      f"{out['containers']:,} groups and subscriptions: sync {out['wall_s']:.1f} s "
                      f"(the sync process's CPU {out.get('cpu_s', float('nan')):.1f} s); Resource Graph "
                      f"{queries} queries sent ({throttled} answered 429), {fewest} at the fewest → quota floor "
                      + (f"{floor:.0f} s → {out['wall_s'] / floor:.2f}× the floor; " if floor
                         else "0 s (every query fits in the first quota window: no ratio); ")
                      +
                      f"peak RSS {out['peak_rss_mb']:.0f} MB (before the sync {out['rss_before_mb']:.0f} MB); "
                      f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
                      + (f"; FAILED: {out['failed']}" if out["failed"] else ""))


if __name__ == "__main__":
    main()

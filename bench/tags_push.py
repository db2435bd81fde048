"""Push of ≈10k tag changes over the 10 write-back subscriptions of the emulator's bench
world, with 5% of the tag writes answered by an injected fault (429, 500, 503, or the write
applied and its answer dropped). Checks exactly once against the emulator's own journal of
applied tag writes (one Merge per resource, none repeated) and its state (every change in
Azure), and compares the wall time with the floor ARM's write limit implies (per
subscription × principal: 200 writes at once, then 10 a second; subscriptions in parallel;
the busiest subscription's metered writes set it). Prints the CPU of the push process and
of the emulator (a thread of this process) during the push: both share the machine's cores.

    python bench/tags_push.py [--keys 2] [--fault-rate 0.05] [--latency-ms 20]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

CAPACITY, REFILL = 200, 10.0


def child(data_dir: str, keys: int) -> None:
    from pydantic import SecretStr
    from sqlalchemy import delete, func, select, update

    from skytally.accounts import service_principals
    from skytally.accounts.context import AccountsEnv
    from skytally.accounts.credentials import ClientSecretCredentialIn
    from skytally.accounts.models import CloudSubscription
    from skytally.config import Settings
    from skytally.inventory import push, service, tag_service
    from skytally.inventory.tag_models import TagAudit
    from skytally.inventory.tag_schemas import EditOp, TagEdit
    from skytally.runtime import build_runtime
    from skytally.workspaces import service as ws

    fx = json.loads(os.environ["BENCH_FIXTURES"])
    writeback = fx["tag_writeback_subscription_ids"].split()
    rt = build_runtime(Settings(data_dir=Path(data_dir)))
    env = AccountsEnv(rt.settings, rt.vault)
    with rt.db.session() as s:
        ws.ensure_organisation(s)
        data = ClientSecretCredentialIn(tenant_id=fx["primary_tenant_id"], client_id=fx["customer_sp_client_id"],
                                        client_secret=SecretStr(fx["customer_sp_secret"]))
        account_id = service_principals.connect(s, env, None, "Bench", data, [])[0].id
    with rt.db.session() as s:
        s.execute(delete(CloudSubscription).where(CloudSubscription.account_id == account_id,
                                                  CloudSubscription.subscription_id.not_in(writeback)))
        s.execute(update(CloudSubscription).where(CloudSubscription.account_id == account_id)
                  .values(access_level="tags-writeback", role_status="active"))
    service.sync_account(rt.db, env, account_id)
    changes = 0
    for k in range(keys):
        with rt.db.session() as s:  # one key per edit, every taggable resource outside the locked group
            plan = tag_service.edit(s, None, TagEdit(op=EditOp.SET, where=f"taggable,lacks:bench{k}", key=f"bench{k}",
                                                     value=f"v{k}"), dry_run=False)
            changes += plan.changes
    print(json.dumps({"phase": "queued", "changes": changes}), flush=True)
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    start = time.perf_counter()
    result = push.push_account(rt.db, env, account_id, pushed_by="bench")
    wall = time.perf_counter() - start
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    with rt.db.session() as s:
        applied = s.scalar(select(func.count()).select_from(TagAudit).where(TagAudit.result == "applied")) or 0
    reasons: Counter[str] = Counter()
    for sub in result.pop("subscriptions").values():  # failure reasons are classes: they add up across resources
        for reason, n in sub["reasons"].items():
            reasons[reason] += n
    print(json.dumps({"phase": "pushed", "wall_s": round(wall, 1), "cpu_s": round(cpu, 1), "audit_applied": applied,
                      "reasons": dict(reasons), **result}))
    rt.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--keys", type=int, default=2, help="keys set per resource (changes = resources × keys)")
    parser.add_argument("--fault-rate", type=float, default=0.05)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--child", action="store_true")
    parser.add_argument("--data", default="")
    args = parser.parse_args()
    if args.child:
        child(args.data, args.keys)
        return
    from azure_emulator.testing import RunningEmulator

    with RunningEmulator(seed=1, size="bench", tag_demo=True) as emu:
        emu.control.post("/latency", json={"latency_ms": args.latency_ms}).raise_for_status()
        emu.control.post("/requests/config", json={"maxlen": 200_000}).raise_for_status()
        env = {**os.environ, **emu.settings, "BENCH_FIXTURES": json.dumps(emu.fixtures)}
        env.pop("SKYTALLY_DATABASE_URL", None)
        with tempfile.TemporaryDirectory() as tmp:
            proc = subprocess.Popen([sys.executable, __file__, "--child", "--data", tmp, "--keys", str(args.keys)],
                                    env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            assert proc.stdout is not None
            queued = json.loads(proc.stdout.readline())
            rate = args.fault_rate / 4
            emu.control.delete("/tag-writes")
            emu.control.post("/faults", json={"rules": [{"path": "tags/default", "method": "PATCH", "rates": {
                "429": rate, "500": rate, "503": rate, "drop": rate}, "retry_after": 1}]}).raise_for_status()
            emu_cpu0 = resource.getrusage(resource.RUSAGE_SELF)  # this process is the emulator (a thread) while the child pushes
            out, err = proc.communicate(timeout=7200)
            emu_cpu1 = resource.getrusage(resource.RUSAGE_SELF)
            emu_cpu = (emu_cpu1.ru_utime - emu_cpu0.ru_utime) + (emu_cpu1.ru_stime - emu_cpu0.ru_stime)
            emu.control.delete("/faults")
            if proc.returncode != 0:
                print(err[-3000:])
                raise SystemExit(1)
            pushed = json.loads(out.strip().splitlines()[-1])
        writes = emu.control.get("/tag-writes").json()["value"]
        per_scope = Counter(w["scope"].lower() for w in writes)
        repeated = sum(1 for n in per_scope.values() if n > 1)
        patches = emu.control.get("/requests", params={"path_contains": "tags/default", "method": "PATCH"}).json()["value"]
        faults = Counter(e.get("fault") for e in patches)
        tags = {t["scope"].lower(): t["tags"] for t in emu.control.get("/tags").json()["value"]}
        missing = sum(1 for scope in per_scope for k in range(args.keys)
                      if (tags.get(scope) or {}).get(f"bench{k}") != f"v{k}")
        by_sub = Counter(scope.split("/")[2] for scope in per_scope)
        # the floor: each subscription's writes that ARM metered (every PATCH that reached it: applied, refused
        # by a lock, or applied with its answer dropped; not the injected 429/5xx, nor a 429 of the bucket itself)
        metered = Counter(e["path"].lower().split("/subscriptions/")[1][:36] for e in patches
                          if e.get("fault") in (None, "drop") and e["status"] != 429)
        floor = max(max(0, n - CAPACITY) / REFILL for n in metered.values())
        print(f"{queued['changes']:,} changes queued over {len(by_sub)} subscriptions; pushed in {pushed['wall_s']:.1f} s "
              f"(write-limit floor {floor:.1f} s for {max(metered.values())} writes → {pushed['wall_s'] / floor if floor else float('nan'):.2f}×; "
              f"the push process's CPU {pushed.get('cpu_s', float('nan')):.1f} s; the emulator's {emu_cpu:.1f} s, "
              f"on the same cores)")
        print(f"  applied {pushed['applied']:,} (audit {pushed['audit_applied']:,}), already {pushed['already']}, "
              f"failed {pushed['failed']} {pushed['reasons']}, conflicts {pushed['conflicts']}; "
              f"{pushed['writes']:,} writes sent")
        print(f"  injected faults on PATCH: {dict((k or 'none', v) for k, v in faults.items())}")
        print(f"  emulator journal: {len(writes):,} writes applied on {len(per_scope):,} resources; "
              f"resources written more than once: {repeated}; changes missing in Azure: {missing}")
        # where the time went, for the subscription with the most writes: its burst, then its rate
        big = by_sub.most_common(1)[0][0]
        times = sorted(datetime.fromisoformat(e["time"]).timestamp() for e in patches
                       if f"/subscriptions/{big}/" in e["path"].lower() and e["status"] < 400)
        if len(times) > CAPACITY:
            t0 = times[0]
            after = (len(times) - CAPACITY) / (times[-1] - times[CAPACITY - 1]) if times[-1] > times[CAPACITY - 1] else 0
            print(f"  subscription {big[:8]}…: {len(times)} writes answered; write {CAPACITY} at "
                  f"{times[CAPACITY - 1] - t0:.1f} s, the last at {times[-1] - t0:.1f} s ({after:.1f} a second after "
                  f"the burst; ARM allows {REFILL:g}); its first write about {pushed['wall_s'] - (times[-1] - t0):.1f} s "
                  f"after the push started (wall {pushed['wall_s']:.1f} s)")
        print(f"  load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()

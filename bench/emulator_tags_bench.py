"""Emulator figures for tag governance: tag writes per second, tagNames and ResourceContainers.

Runs ``azure-emulator serve --size bench --tag-demo`` (200 subscriptions, ~100k resources) in
its own process, then over HTTPS on localhost as the demo's service principal (Reader on every
subscription, Tag Contributor on ten):

- tag writes: ``PATCH …/providers/Microsoft.Resources/tags/default`` (Merge) on resources of
  the ten write-back subscriptions, N client threads with keep-alive, ARM throttling switched
  off so the figure is the emulator's, not the bucket's; the tag-write journal must hold
  exactly the writes that answered 200;
- the same with ARM's write buckets on (200 + 10/s per subscription × principal): writes/s
  against the floor the buckets imply, and the 429 count;
- ``GET /subscriptions/{id}/tagNames`` (Tags_List) on one subscription;
- Resource Graph ``ResourceContainers`` over the 200 subscriptions (first page).

    python bench/emulator_tags_bench.py [--writes 2000] [--threads 4] [--seconds 20]
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time

import httpx

from azure_emulator.testing import RunningEmulator

API = {"api-version": "2025-04-01"}


def _ms(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return f"p50 {statistics.median(ordered) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms"


def _targets(emu: RunningEmulator, token: str, subs: list[str], per_sub: int) -> list[str]:
    """Taggable resources outside the locked group, ``per_sub`` per subscription (Resource Graph)."""
    locked = emu.fixtures["locked_resource_group_id"].lower()
    query = f"Resources | where isnotnull(tags) and tolower(id) !startswith '{locked}/' | project id"
    out: list[str] = []
    with httpx.Client(verify=emu.ssl_context, headers={"Authorization": f"Bearer {token}"}, timeout=60) as http:
        for sid in subs:
            r = http.post(f"{emu.arm_url}/providers/Microsoft.ResourceGraph/resources", params={"api-version": "2022-10-01"},
                          json={"subscriptions": [sid], "query": query, "options": {"$top": per_sub}})
            r.raise_for_status()
            out += [row["id"] for row in r.json()["data"]]
    return out


def writes(emu: RunningEmulator, token: str, targets: list[str], total: int, threads: int, seconds: float) -> tuple[int, int, float, list[float]]:
    done = [0] * threads
    throttled = [0] * threads
    latencies: list[float] = []
    stop = time.perf_counter() + seconds

    def worker(i: int) -> None:
        with httpx.Client(verify=emu.ssl_context, headers={"Authorization": f"Bearer {token}"}, timeout=30) as http:
            n = i
            while n < total and time.perf_counter() < stop:
                rid = targets[n % len(targets)]
                t0 = time.perf_counter()
                r = http.patch(f"{emu.arm_url}{rid}/providers/Microsoft.Resources/tags/default", params=API,
                               json={"operation": "Merge", "properties": {"tags": {"bench": str(n)}}})
                latencies.append(time.perf_counter() - t0)
                if r.status_code == 200:
                    done[i] += 1
                    n += threads
                elif r.status_code == 429:
                    throttled[i] += 1
                    time.sleep(min(float(r.headers.get("Retry-After", "1")), max(0.0, stop - time.perf_counter())))
                else:
                    raise RuntimeError(f"{r.status_code} {r.text[:200]}")

    started = time.perf_counter()
    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return sum(done), sum(throttled), time.perf_counter() - started, latencies


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--writes", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=20.0, help="bound of the unthrottled phase")
    args = parser.parse_args()
    t0 = time.perf_counter()
    with RunningEmulator(seed=1, size="bench", tag_demo=True, in_process=False) as emu:
        print(f"bench world (200 subscriptions, ~100k resources, tag demo) served in {time.perf_counter() - t0:.1f} s")
        fx = emu.fixtures
        token = emu.token("arm", client_id=fx["customer_sp_client_id"], client_secret=fx["customer_sp_secret"])
        subs = fx["tag_writeback_subscription_ids"].split()
        targets = _targets(emu, token, subs, 200)
        emu.control.post("/throttle", json={"enabled": False})
        emu.control.delete("/tag-writes")
        ok, _, elapsed, lat = writes(emu, token, targets, args.writes, args.threads, args.seconds)
        journal = emu.control.get("/tag-writes", params={"count": "true"}).json()["count"]
        print(f"tag writes, throttling off: {ok / elapsed:.0f} writes/s ({ok} in {elapsed:.1f} s, {args.threads} threads, "
              f"{_ms(lat)}); journal {journal} (equal: {journal == ok})")
        emu.control.post("/throttle", json={"enabled": True})
        burst = 200 * len(subs)
        total = burst + 10 * len(subs) * 10  # the burst, then 10 s of refill in every subscription
        ok, throttled, elapsed, lat = writes(emu, token, targets, total, args.threads, 60.0)
        print(f"tag writes, ARM buckets on (one principal, {len(subs)} subscriptions, 200 + 10/s each): {ok} writes in "
              f"{elapsed:.1f} s (floor the buckets imply: 10.0 s), {throttled} answers 429")
        with httpx.Client(verify=emu.ssl_context, headers={"Authorization": f"Bearer {token}"}, timeout=30) as http:
            times = []
            for _ in range(10):
                s = time.perf_counter()
                r = http.get(f"{emu.arm_url}/subscriptions/{subs[0]}/tagNames", params=API)
                times.append(time.perf_counter() - s)
            print(f"Tags_List on one subscription ({len(r.json()['value'])} names): {_ms(times)}")
            s = time.perf_counter()
            r = http.post(f"{emu.arm_url}/providers/Microsoft.ResourceGraph/resources", params={"api-version": "2022-10-01"},
                          json={"query": "ResourceContainers | project id, type, tags", "options": {"$top": 1000}})
            body = r.json()
            print(f"Resource Graph ResourceContainers: {body['totalRecords']} rows, first page of {body['count']} "
                  f"in {(time.perf_counter() - s) * 1000:.0f} ms")


if __name__ == "__main__":
    main()

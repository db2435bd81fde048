"""Emulator figures: Resource Graph 1000-row pages and small ARM reads per second.

Runs ``azure-emulator serve`` in a separate process (large world by default), then from
this process over HTTPS on localhost with one keep-alive client:

- Resource Graph: pages of 1000 rows of ``Resources | project ...`` through ``$skipToken``
  (the first page evaluates the query, the following ones come from the result cache) and a
  filtered query; goal < 50 ms a page. The per-user quota (15 queries / 5 s, emulator clock)
  is stepped over by advancing the emulator clock through the control API.
- ARM: sequential ``GET /subscriptions/{id}/resourcegroups/{rg}`` reads with throttling
  disabled (bounded: N requests or T seconds); goal ≥ 500 requests/s.

    python bench/emulator_arg_bench.py [--size large] [--requests 3000] [--seconds 10]
"""

from __future__ import annotations

import argparse
import statistics
import time

import httpx

from azure_emulator.testing import RunningEmulator


def _ms(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return f"p50 {statistics.median(ordered) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms, max {ordered[-1] * 1000:.1f} ms"


def bench_graph(emu: RunningEmulator, http: httpx.Client, token: str, subs: list[str]) -> None:
    url = f"{emu.arm_url}/providers/Microsoft.ResourceGraph/resources?api-version=2022-10-01"
    headers = {"Authorization": f"Bearer {token}"}
    used = 0

    def post(body: dict) -> tuple[dict, float]:
        nonlocal used
        if used and used % 14 == 0:
            emu.control.post("/clock/advance", json={"seconds": 6})  # next quota window
        used += 1
        start = time.perf_counter()
        resp = http.post(url, json=body, headers=headers)
        elapsed = time.perf_counter() - start
        resp.raise_for_status()
        return resp.json(), elapsed

    query = "Resources | project id, name, type, location, resourceGroup, subscriptionId, tags"
    first, cold = post({"subscriptions": subs, "query": query})
    total = first["totalRecords"]
    token_ = first.get("$skipToken")
    warm: list[float] = []
    rows = first["count"]
    while token_ and len(warm) < 60:
        page, elapsed = post({"subscriptions": subs, "query": query, "options": {"$skipToken": token_}})
        warm.append(elapsed)
        rows += page["count"]
        token_ = page.get("$skipToken")
    print(f"Resource Graph: {total} rows across {len(subs)} subscriptions")
    print(f"  first 1000-row page (query evaluated): {cold * 1000:.1f} ms")
    print(f"  next {len(warm)} pages of 1000 rows ($skipToken): {_ms(warm)}")
    filtered: list[float] = []
    for i in range(10):
        q = f"Resources | where type =~ 'microsoft.compute/disks' and location != 'nowhere{i}' | project id, name, tags"
        _, elapsed = post({"subscriptions": subs, "query": q})
        filtered.append(elapsed)
    print(f"  filtered query, first page, cold (10 distinct queries): {_ms(filtered)}")


def bench_arm(emu: RunningEmulator, http: httpx.Client, token: str, sid: str, rg: str, n: int, seconds: float) -> None:
    emu.control.post("/throttle", json={"enabled": False})
    url = f"{emu.arm_url}/subscriptions/{sid}/resourcegroups/{rg}?api-version=2025-04-01"
    headers = {"Authorization": f"Bearer {token}"}
    for _ in range(50):  # warm-up
        http.get(url, headers=headers).raise_for_status()
    latencies: list[float] = []
    start = time.perf_counter()
    deadline = start + seconds
    while len(latencies) < n and time.perf_counter() < deadline:
        t0 = time.perf_counter()
        resp = http.get(url, headers=headers)
        latencies.append(time.perf_counter() - t0)
        if resp.status_code != 200:
            raise SystemExit(f"unexpected {resp.status_code}: {resp.text[:200]}")
    wall = time.perf_counter() - start
    print(f"ARM small reads (GET resource group, HTTPS keep-alive, sequential): {len(latencies)} requests "
          f"in {wall:.2f} s = {len(latencies) / wall:.0f} requests/s; {_ms(latencies)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="large", choices=["small", "medium", "large"])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    started = time.perf_counter()
    with RunningEmulator(seed=1, size=args.size, in_process=False) as emu:
        print(f"emulator ({args.size} world) ready in {time.perf_counter() - started:.1f} s")
        fx = emu.fixtures
        token = emu.user_token(fx["owner_upn"], fx["owner_password"])
        subs = fx["owned_subscription_ids"].split()
        with httpx.Client(verify=emu.ca_bundle, timeout=60) as http:
            bench_graph(emu, http, token, subs)
            rg = fx["owned_resource_group_id"].rsplit("/", 1)[1]
            bench_arm(emu, http, token, fx["owned_subscription_id"], rg, args.requests, args.seconds)


if __name__ == "__main__":
    main()

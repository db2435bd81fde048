"""Emulator figures: large-world generation (time, RSS) and small authenticated reads/s over HTTPS.

    python bench/emulator_bench.py [--seconds 3] [--threads 4]

The server runs in its own process (``azure-emulator serve``, one core, h11 + TLS); the
client threads keep connections alive and call a small ARM GET and a Graph GET. ARM
throttling is switched off through the control API so the figure measures the emulator,
not the token bucket. Localhost only; bounded by --seconds / --max-requests.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import threading
import time

import httpx

from azure_emulator.testing import RunningEmulator


def large_world() -> None:
    code = (
        "import time, resource; t=time.perf_counter();"
        "from azure_emulator.world.generate import generate_world;"
        "w=generate_world(1, 'large'); d=time.perf_counter()-t;"
        "subs=sum(len(t.subscriptions) for t in w.tenants.values());"
        "res=sum(len(g.resources) for t in w.tenants.values() for s in t.subscriptions.values() for g in s.resource_groups.values());"
        "users=sum(len(t.users) for t in w.tenants.values());"
        "print(f'{d:.2f} {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss/1024:.0f} {subs} {res} {users}')"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    print(f"large world: generated in {out[0]} s, peak RSS {out[1]} MB "
          f"({out[2]} subscriptions, {out[3]} resources, {out[4]} users)")


def throughput(emu: RunningEmulator, url: str, token: str, seconds: float, threads: int, max_requests: int) -> None:
    counts = [0] * threads
    errors = [0] * threads
    stop = time.perf_counter() + seconds
    latencies: list[float] = []

    def worker(i: int) -> None:
        with httpx.Client(verify=emu.ssl_context, headers={"Authorization": f"Bearer {token}"}) as client:
            client.get(url)  # warm the connection
            while time.perf_counter() < stop and sum(counts) < max_requests:
                t0 = time.perf_counter()
                r = client.get(url)
                latencies.append(time.perf_counter() - t0)
                if r.status_code == 200:
                    counts[i] += 1
                else:
                    errors[i] += 1

    started = time.perf_counter()
    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    elapsed = time.perf_counter() - started
    latencies.sort()
    p50 = latencies[len(latencies) // 2] * 1000 if latencies else 0
    p99 = latencies[int(len(latencies) * 0.99)] * 1000 if latencies else 0
    print(f"{url.split('127.0.0.1')[1].split('?')[0]:<28} {sum(counts) / elapsed:7.0f} req/s "
          f"({sum(counts)} ok, {sum(errors)} errors, {threads} client threads, p50 {p50:.1f} ms, p99 {p99:.1f} ms)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--max-requests", type=int, default=20000)
    args = parser.parse_args()
    large_world()
    started = time.perf_counter()
    with RunningEmulator(seed=1, size="small", in_process=False) as emu:
        print(f"emulator subprocess ready in {time.perf_counter() - started:.2f} s at {emu.base_url}")
        emu.control.post("/throttle", json={"enabled": False})
        t0 = time.perf_counter()
        arm = emu.token("arm")
        print(f"client-credentials token: {(time.perf_counter() - t0) * 1000:.1f} ms")
        graph = emu.token("graph")
        throughput(emu, f"{emu.arm_url}/subscriptions?api-version=2022-12-01", arm, args.seconds, args.threads, args.max_requests)
        throughput(emu, f"{emu.graph_url}/v1.0/organization", graph, args.seconds, args.threads, args.max_requests)
    print(f"bench client peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()

"""CPU time per emulator request, in process (no TLS, no sockets): a figure that survives a
loaded machine better than requests/s over HTTPS (``emulator_bench.py``).

    python bench/emulator_request_cpu.py [--requests 200] [--rounds 5]

Prints the best round's process CPU time per request (client and app together, one thread)
for an ARM read (``GET /arm/subscriptions``) and a Graph read (``GET /graph/v1.0/organization``).
"""

from __future__ import annotations

import argparse
import asyncio
import time

import httpx

from azure_emulator.server import create_app
from azure_emulator.world.generate import generate_world

ROOT = "https://127.0.0.1:1"


async def measure(requests: int, rounds: int) -> None:
    world = generate_world(1, "small")
    app = create_app(world, base_url=ROOT)
    app.state.emulator.buckets.config.enabled = False  # measure the emulator, not ARM's token bucket
    fx = world.fixtures
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=ROOT) as client:
        async def token(client_id: str, secret: str, api: str) -> str:
            resp = await client.post(f"/{fx['primary_tenant_id']}/oauth2/v2.0/token", data={
                "grant_type": "client_credentials", "client_id": client_id, "client_secret": secret,
                "scope": f"{ROOT}/{api}/.default"})
            return str(resp.json()["access_token"])

        arm = await token(fx["customer_sp_client_id"], fx["customer_sp_secret"], "arm")
        graph = await token(fx["skytally_client_id"], fx["skytally_client_secret"], "graph")
        for url, tok in (("/arm/subscriptions?api-version=2022-12-01", arm), ("/graph/v1.0/organization", graph)):
            headers = {"Authorization": f"Bearer {tok}"}
            best = float("inf")
            for _ in range(rounds):
                started = time.process_time()
                for _ in range(requests):
                    resp = await client.get(url, headers=headers)
                    assert resp.status_code == 200, resp.text
                best = min(best, time.process_time() - started)
            print(f"{url.split('?')[0]:28s} {best / requests * 1000:.2f} ms CPU per request "
                  f"(best of {rounds} rounds of {requests})")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(measure(args.requests, args.rounds))


if __name__ == "__main__":
    main()

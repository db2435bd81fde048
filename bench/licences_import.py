"""Import a large Office 365 tenant (default 50,000 users) with its usage reports from the
emulator (a separate process, over HTTPS), and print:

- for each import (``--workers 1,8`` runs one import with one request in flight, then one
  with eight: an A/B in the same run), its wall time and the requests it made;
- the floor Graph's documented limits imply (docs/emulator.md, "Throttling (Microsoft
  Graph)"): each request's resource-unit cost as the emulator charges it against the
  8,000 units per 10 s of a large tenant's app + tenant bucket (which starts full), and the
  report calls against 14 per 10 minutes per report API; and, since those impose no
  waiting at this size, the other floor: the longest chain of requests that must follow
  each other (the users' ``@odata.nextLink`` pages, 999 a page), summed at the emulator's
  own time per page;
- the peak RSS of the importer process (the emulator runs apart);
- the Licences page's server time at that size (GET /licences, signed in: the first view in
  a process after an import, which reads the report the import stored; then the median of
  5, which reuse the process's copy), and the report's analysis time alone.

    python bench/licences_import.py [--users 50000] [--workers 1,8]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from fastapi.testclient import TestClient
from pydantic import SecretStr

from azure_emulator.config import skytally_settings
from azure_emulator.services.entra.scopes import ensure_service_principal, grant_app_roles
from azure_emulator.services.graph import throttling
from azure_emulator.testing import RunningEmulator
from azure_emulator.world.firstparty import GRAPH_APP_ID
from azure_emulator.world.generate import generate_world
from azure_emulator.world.generate_m365 import add_m365_tenant
from azure_emulator.world.graph_limits import GraphLimits
from skytally.accounts import repo as accounts_repo
from skytally.accounts.context import AccountsEnv
from skytally.accounts.models import AccountKind, CloudAccount
from skytally.config import Settings
from skytally.licences import fetch, importer, service
from skytally.runtime import build_runtime
from skytally.web.app import create_app
from skytally.workspaces import service as ws
from skytally.workspaces.schemas import UserCreate, WorkspaceCreate

ROLES = ["User.Read.All", "Group.Read.All", "Reports.Read.All", "LicenseAssignment.Read.All", "AuditLog.Read.All"]
REPORTS_PER_10_MIN = 14  # per app per tenant, for each report API


def floors(log: list[dict[str, Any]], wall: float) -> None:
    """The floor Graph's limits imply for the requests in ``log``, and the longest chain's."""
    graph = [e for e in log if "/graph/v1.0/" in e.get("path", "")]
    reports = [e for e in graph if "/reports/" in e["path"]]
    directory = [e for e in graph if "/reports/" not in e["path"]]
    throttled = sum(1 for e in graph if e["status"] == 429)
    lim = GraphLimits()
    bucket = lim.ru_quota(50_000)
    ru = 0
    for e in directory:
        query = dict(urllib.parse.parse_qsl(e.get("query", "")))
        cost = throttling.cost(e["method"], e["path"].split("/v1.0/", 1)[1], query)
        ru += cost[0] if cost else 0
    # the bucket starts full and refills at bucket / window per second
    ru_wait = max(0.0, (ru - bucket) / (bucket / lim.ru_window_seconds))
    per_api: dict[str, int] = {}
    for e in reports:
        name = urllib.parse.unquote(e["path"]).rsplit("/", 1)[1].split("(")[0]
        per_api[name] = per_api.get(name, 0) + 1
    report_wait = max((math.ceil(n / REPORTS_PER_10_MIN) - 1) * lim.reports_window_seconds for n in per_api.values()) if per_api else 0
    chain = [e for e in directory if e["path"].endswith("/v1.0/users") and "licenseAssignmentStates" in e.get("query", "")
             and "filter" not in e.get("query", "")]
    chain_s = sum(e.get("duration_ms", 0) for e in chain) / 1000
    print(f"  requests: {len(directory)} directory ({throttled} answered 429), {len(reports)} report calls "
          f"({', '.join(f'{k} {v}' for k, v in sorted(per_api.items()))}) + downloads")
    print(f"  floor from Graph's limits: {ru:,} resource units against a bucket of {bucket:,} (refill {bucket:,} per "
          f"{lim.ru_window_seconds:.0f} s) -> {ru_wait:.0f} s of waiting; report calls against {REPORTS_PER_10_MIN} per "
          f"10 min per report API -> {report_wait:.0f} s")
    floor = max(ru_wait, report_wait, chain_s)
    busy = sum(e.get("duration_ms", 0) for e in log) / 1000
    print(f"  floor from the longest chain: {len(chain)} users pages of 999 in sequence, {chain_s:.1f} s of emulator time "
          f"-> floor {floor:.1f} s; this import {wall:.1f} s ({wall / max(0.001, floor):.1f}x the floor)")
    print(f"  the emulator (one process, one request at a time) was busy {busy:.1f} s answering this import's "
          f"{len(log)} requests: no import against it can be shorter")


def peak_rss_mb() -> float:
    """This process's peak RSS (VmHWM: unlike ru_maxrss it does not carry the parent's peak over exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--users", type=int, default=50_000)
    ap.add_argument("--workers", default=str(fetch.WORKERS),
                    help="requests in flight per import, comma-separated for several imports (A/B): 1,8")
    ap.add_argument("--keep", type=Path, help="keep skytally's data directory (the imported database) here")
    args = ap.parse_args()

    t0 = time.perf_counter()
    world = generate_world(21, "small")
    tenant = add_m365_tenant(world, 21, args.users, prefix="bench")
    tenant.display_concealed_names = False
    app = world.application(world.fixtures["skytally_client_id"])
    assert app is not None
    sp = ensure_service_principal(tenant, app, datetime.now(UTC))
    grant_app_roles(tenant, sp, GRAPH_APP_ID, ROLES, datetime.now(UTC))
    print(f"world: {len(tenant.users):,} users, {len(tenant.skus)} products, generated in {time.perf_counter() - t0:.1f} s")
    del app, sp

    with RunningEmulator(world, in_process=False, start_timeout=600) as emu, tempfile.TemporaryDirectory(prefix="lic-bench-") as tmp:
        del world, tenant  # the emulator process holds its own copy
        cfg = Path(tmp) / "bench.json"
        cfg.write_text(json.dumps({"settings": skytally_settings(emu.base_url, emu.ca_bundle, emu.fixtures),
                                   "control": emu.base_url + "/_emulator", "ca": str(emu.ca_bundle),
                                   "tenant_id": emu.fixtures["bench_tenant_id"], "users": args.users,
                                   "data": str(args.keep.resolve()) if args.keep else tmp,
                                   "workers": [int(w) for w in args.workers.split(",")]}))
        # The importer runs in a fresh process, so its peak RSS is its own (not the world generator's).
        subprocess.run([sys.executable, __file__, "--child", str(cfg)], check=True)


def child(cfg_path: str) -> None:
    cfg = json.loads(Path(cfg_path).read_text())
    os.environ.update(cfg["settings"])
    control = httpx.Client(base_url=cfg["control"], verify=cfg["ca"], timeout=60)
    users = cfg["users"]
    rt = build_runtime(Settings(data_dir=Path(cfg["data"]) / "data", demo=True), immediate_jobs=True)
    with rt.db.session() as s:
        ws.ensure_organisation(s)
        space = ws.create_workspace(s, None, WorkspaceCreate(name=f"Bench {uuid.uuid4().hex[:4]}"))
        ws.create_user(s, None, UserCreate(email="bench@example.com", password=SecretStr("bench-password-123"), is_admin=True))
        acc = CloudAccount(kind=AccountKind.OFFICE365.value, name="Bench", tenant_id=cfg["tenant_id"],
                           connection="consent", granted_permissions=ROLES, created_by="bench")
        s.add(acc)
        s.flush()
        accounts_repo.set_workspaces(s, acc.id, [space.id])
        aid = acc.id
    rss0 = peak_rss_mb()
    env = AccountsEnv(rt.settings, rt.vault)
    for workers in cfg["workers"]:
        control.delete("/requests")
        original = fetch.WORKERS
        fetch.WORKERS = workers  # read_tenant's default, as the import job uses it
        try:
            t, cpu0 = time.perf_counter(), time.process_time()
            out = importer.sync_account(rt.db, env, aid)
            wall, cpu = time.perf_counter() - t, time.process_time() - cpu0
        finally:
            fetch.WORKERS = original
        log = control.get("/requests").json()["value"]
        print(f"import with {workers} request(s) in flight: {out.status}, {wall:.1f} s wall, {cpu:.1f} s CPU in the importer "
              f"(load {os.getloadavg()[0]:.1f}); rows: " + ", ".join(f"{k} {v['rows']:,}" for k, v in out.endpoints.items()))
        floors(log, wall)
    print(f"peak RSS of the importer process: {peak_rss_mb():.0f} MB (before the import: {rss0:.0f} MB)")
    runs, cpus = [], []
    for _ in range(3):  # built from the stored users each time (store=True: never the stored report)
        service._REPORTS.clear()
        with rt.db.session() as s:
            t, c = time.perf_counter(), time.process_time()
            rep = service.report(s, None, aid, store=True)
            runs.append(time.perf_counter() - t)
            cpus.append(time.process_time() - c)
    print(f"analysis built from the database (report over {users:,} users; runs: "
          + ", ".join(f"{w * 1000:.0f} ms wall / {c * 1000:.0f} ms CPU" for w, c in zip(runs, cpus, strict=True))
          + f"); findings {len(rep.findings):,}")
    client = TestClient(create_app(rt))
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]*)"', page.text)
    assert token
    client.post("/login", data={"email": "bench@example.com", "password": "bench-password-123",
                                "csrf_token": token.group(1), "next": "/"}, follow_redirects=False)
    service._REPORTS.clear()
    t, c = time.perf_counter(), time.process_time()
    r = client.get(f"/licences?account={aid}")
    assert r.status_code == 200, r.status_code
    print(f"Licences page, first view in a process after an import (the report the import stored, read from the "
          f"database): {(time.perf_counter() - t) * 1000:.0f} ms wall, "
          f"{(time.process_time() - c) * 1000:.0f} ms CPU")
    times, cpus = [], []
    for _ in range(5):
        t, c = time.perf_counter(), time.process_time()
        r = client.get(f"/licences?account={aid}")
        times.append(time.perf_counter() - t)
        cpus.append(time.process_time() - c)
        assert r.status_code == 200, r.status_code
    print(f"Licences page, later views (report reused) at {users:,} users: median {statistics.median(times) * 1000:.0f} ms wall, "
          f"{statistics.median(cpus) * 1000:.0f} ms CPU (wall min {min(times) * 1000:.0f}, max {max(times) * 1000:.0f}; "
          f"{len(r.content) / 1024:.0f} KiB of HTML; machine load {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)")
    print(f"peak RSS of the importer process at the end: {peak_rss_mb():.0f} MB")
    rt.close()


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        child(sys.argv[2])
    else:
        main()

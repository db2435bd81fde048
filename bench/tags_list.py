"""Resources & Tags list at 100k resources: p95 server time of filtered + sorted pages (the
REST API `GET /api/v1/tags/resources`, the same service the web page uses), on SQLite and,
with --database-url, PostgreSQL. The inventory is written straight into the database
(100k resources over 200 subscriptions, ≈5 tags each with casing variants).

    python bench/tags_list.py [--resources 100000] [--runs 40] [--database-url postgresql://…/db]

Besides wall time, each request's CPU time is given: this process's (the app, and SQLite,
which runs in it) plus, on PostgreSQL, the CPU its server processes for this database spent
(/proc/<pid>/schedstat, same machine). On a shared, loaded machine wall time is inflated by
waiting for a core; CPU time mostly is not, so it is the figure to compare runs with.
The app is started as a server starts it (its lifespan runs before the first request).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from pathlib import Path

from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import insert, select

from skytally.accounts.models import AccountWorkspace, CloudAccount, CloudSubscription
from skytally.config import Settings
from skytally.inventory.models import InventoryResource
from skytally.inventory.tag_models import InventoryTag
from skytally.runtime import build_runtime
from skytally.store.base import utcnow
from skytally.web.app import create_app
from skytally.workspaces import auth, service
from skytally.workspaces.schemas import ApiTokenCreate, UserCreate, WorkspaceCreate

TYPES = ["microsoft.compute/virtualmachines", "microsoft.compute/disks", "microsoft.network/networkinterfaces",
         "microsoft.storage/storageaccounts", "microsoft.web/sites", "microsoft.sql/servers/databases"]
LOCATIONS = ["westeurope", "northeurope", "eastus", "eastus2", "japaneast", "uksouth"]
ENV = [("env", "prod"), ("Env", "Prod"), ("ENV", "dev"), ("env", "test"), ("environment", "prod")]

# Every filter of the grammar and every sort: (label, filter, sort, descending).
QUERIES = [
    ("all, by name", "", "name", False),
    ("all, by name desc", "", "name", True),
    ("all, by type", "", "type", False),
    ("all, by rg desc", "", "rg", True),
    ("all, by location", "", "location", False),
    ("all, by subscription", "", "subscription", False),
    ("all, by last_seen desc", "", "last_seen", True),
    ("one subscription, by type", "subscription={sub}", "type", False),
    ("one subscription, by name", "subscription={sub}", "name", False),
    ("account, by name", "account={account}", "name", False),
    ("resource group, by name", "rg=rg-42", "name", False),
    ("type, by location", "type=microsoft.web/sites", "location", False),
    ("location, by name", "location=japaneast", "name", False),
    ("name pattern + location, by location", "name~vi-1*,location=westeurope", "location", False),
    ("name contains, by name", "name~999", "name", False),
    ("has app, by name", "has:app", "name", False),
    ("lacks costcenter, by rg", "lacks:costcenter", "rg", False),
    ("lacks costcenter + has owner, by rg", "lacks:costcenter,has:owner", "rg", False),
    ("tag value, by name", "tag:owner=team-7", "name", False),
    ("type + tag value, by name desc", "type=microsoft.compute/virtualmachines,tag:env=prod", "name", True),
    ("rare tag value, by type", "tag:app=app-10", "type", False),
    ("pending changes, by subscription", "state=pending", "subscription", False),
    ("pending changes, by name", "state=pending", "name", False),
    ("conflicts, by name", "state=conflict", "name", False),
    ("failed pushes, by type", "state=failed", "type", False),
    ("pending + type, by location", "state=pending,type=microsoft.compute/disks", "location", False),
    ("taggable + lacks owner, by name", "taggable,lacks:owner", "name", False),
]


def seed(rt: object, n: int, subs: int) -> tuple[str, list[str], int]:
    rng = random.Random(7)
    db = rt.db  # type: ignore[attr-defined]
    now = utcnow()
    with db.session() as s:
        service.ensure_organisation(s)
        admin = service.create_user(s, None, UserCreate(email="bench@example.com", password=SecretStr("bench-password-1"),
                                                        is_admin=True))
        ws = service.create_workspace(s, None, WorkspaceCreate(name="Bench"))
        acc = CloudAccount(kind="azure", name="Bench", tenant_id="b" * 36, connection="service_principal")
        s.add(acc)
        s.flush()
        s.add(AccountWorkspace(account_id=acc.id, workspace_id=ws.id))
        sub_ids = [f"{i:08x}-0000-4000-8000-{i:012x}" for i in range(subs)]
        for sid in sub_ids:
            s.add(CloudSubscription(account_id=acc.id, subscription_id=sid, access_level="tags-writeback",
                                    role_status="active"))
        actor = service.actor_for_user(s, admin)
        token = auth.create_api_token(s, actor, ApiTokenCreate(name="bench")).token
        account_id = acc.id
    batch = 5000
    for start in range(0, n, batch):
        rows = []
        for i in range(start, min(n, start + batch)):
            sid = sub_ids[i % subs]
            rtype = TYPES[i % len(TYPES)]
            name = f"{rtype.split('/')[-1][:2]}-{i}"
            rows.append({"account_id": account_id, "subscription_id": sid, "name": name, "type": rtype,
                         "resource_group": f"rg-{i % 997}", "location": LOCATIONS[i % len(LOCATIONS)],
                         "resource_id": f"/subscriptions/{sid}/resourcegroups/rg-{i % 997}/providers/{rtype}/{name}",
                         "first_seen": now, "last_seen": now})
        with db.session() as s:
            s.execute(insert(InventoryResource), rows)
            pks = list(s.scalars(select(InventoryResource.id).where(InventoryResource.id > 0)
                                 .order_by(InventoryResource.id.desc()).limit(len(rows))))
            tags = []
            for pk in pks:
                key, value = ENV[pk % len(ENV)]
                wanted = [(key, value), ("owner", f"team-{pk % 40}")]
                if pk % 3:
                    wanted.append(("CostCenter" if pk % 2 else "costcenter", f"cc-{pk % 120}"))
                if pk % 5 == 0:
                    wanted.append(("app", f"app-{pk % 300}"))
                for k, v in wanted:
                    state = "in_sync"
                    if pk % 50 == 0 and k == "owner":
                        state = "pending"
                    elif pk % 70 == 1 and k.lower() in ("env", "environment"):
                        state = "conflict"
                    elif pk % 90 == 1 and k.lower() == "costcenter":
                        state = "failed"
                    tags.append({"resource_pk": pk, "key_lower": k.lower(), "azure_key": k, "azure_value": v,
                                 "local_key": k, "local_value": v + ("-new" if state != "in_sync" else ""),
                                 "state": state, "reason": "ScopeLocked" if state == "failed" else "",
                                 "source": "azure", "set_by": "azure", "set_at": now})
            s.execute(insert(InventoryTag), tags)
    if db.engine.dialect.name == "postgresql":
        # what autovacuum does soon after such a load: planner statistics and the visibility map
        # (without it every index-only scan, counts included, visits the table too)
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    else:
        with db.engine.begin() as conn:  # planner statistics, as `PRAGMA optimize` keeps them
            conn.exec_driver_sql("ANALYZE")
    rng.random()
    return token, sub_ids, account_id


def _server_cpu_ns(rt: object) -> int:
    """CPU time so far of the PostgreSQL server processes serving this database (0 on SQLite)."""
    engine = rt.db.engine  # type: ignore[attr-defined]
    if engine.dialect.name != "postgresql":
        return 0
    if not _admin:
        from sqlalchemy import create_engine
        from sqlalchemy.pool import NullPool
        _admin.append(create_engine(engine.url, poolclass=NullPool).connect())
    pids = _admin[0].exec_driver_sql("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                                  "AND pid <> pg_backend_pid()").scalars().all()
    total = 0
    for pid in pids:
        try:
            total += int(Path(f"/proc/{pid}/schedstat").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            pass
    return total


_admin: list = []  # one connection that lists the server processes


def explain(rt: object, where: str, sort: str, desc: bool) -> None:
    """The plan of the page query and of the count, as the database gives it."""
    from sqlalchemy import func

    from skytally.inventory import filters, tag_repo
    engine = rt.db.engine  # type: ignore[attr-defined]
    with rt.db.session() as s:  # type: ignore[attr-defined]
        conds = tag_repo.conditions(filters.parse(where), None, s)  # the shape the page takes
    col = tag_repo.SORTS[sort]
    page = (select(InventoryResource.id).where(*conds)
            .order_by(col.desc() if desc else col, InventoryResource.id.desc() if desc else InventoryResource.id)
            .limit(50).offset(200))
    count = select(func.count()).select_from(select(InventoryResource.id).where(*conds)
                                             .limit(tag_repo.COUNT_CAP + 1).subquery())
    prefix = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN ANALYZE "
    with engine.connect() as conn:
        for stmt in (page, count):
            sql = str(stmt.compile(engine, compile_kwargs={"literal_binds": True}))
            for row in conn.exec_driver_sql(prefix + sql):
                print("      " + " | ".join(str(x) for x in row))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--resources", type=int, default=100_000)
    parser.add_argument("--subscriptions", type=int, default=200)
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--database-url", default=None, help="an empty PostgreSQL database (default: SQLite)")
    parser.add_argument("--explain", action="store_true", help="print each query's plan too")
    parser.add_argument("--only", default="", help="run only the queries whose label contains this")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        extra = {"database_url": args.database_url} if args.database_url else {}
        rt = build_runtime(Settings(data_dir=Path(tmp), **extra))
        t0 = time.perf_counter()
        token, subs, account = seed(rt, args.resources, args.subscriptions)
        backend = rt.db.engine.dialect.name
        print(f"{backend}: {args.resources:,} resources seeded in {time.perf_counter() - t0:.0f} s; "
              f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        client = TestClient(create_app(rt))
        client.__enter__()  # as a server does: the app's lifespan (start-up) runs before the first request
        client.headers["Authorization"] = f"Bearer {token}"
        for label, where, sort, desc in QUERIES:
            if args.only and args.only not in label:
                continue
            params = {"where": where.format(sub=subs[3], account=account), "sort": sort, "desc": str(desc).lower(), "limit": 50}
            times, cpus, total, exact = [], [], 0, True
            for run in range(args.runs):
                params["offset"] = str((run % 5) * 50)
                server0 = _server_cpu_ns(rt)
                start, cpu0 = time.perf_counter(), time.process_time()
                resp = client.get("/api/v1/tags/resources", params=params)
                times.append(time.perf_counter() - start)
                cpus.append(time.process_time() - cpu0 + (_server_cpu_ns(rt) - server0) / 1e9)
                assert resp.status_code == 200, resp.text
                total, exact = resp.json()["total"], resp.json().get("total_exact", True)
            if args.explain:
                explain(rt, params["where"], sort, desc)
            times.sort()
            cpus.sort()
            p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
            cpu95 = cpus[min(len(cpus) - 1, int(len(cpus) * 0.95))]
            print(f"  {label:<42} {'>' if not exact else ''}{total:>7,} matches: p50 {statistics.median(times) * 1000:6.1f} ms, "
                  f"p95 {p95 * 1000:6.1f} ms; cpu p50 {statistics.median(cpus) * 1000:6.1f} ms, p95 {cpu95 * 1000:6.1f} ms")
        print(f"  load average at the end {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        client.__exit__(None, None, None)
        rt.close()


if __name__ == "__main__":
    main()

"""The inventory's reads are scoped to the caller's workspaces (REST API and service), and
the untagged-cost rule "resource gone" only applies to inventoried subscriptions (store
level, over sample cost files)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from httpkit import ADMIN, ALICE, World, world  # noqa: F401
from skytally.accounts.models import AccountWorkspace, CloudAccount, CloudSubscription
from skytally.costs import CostQuery, CostStore
from skytally.costs.samples import write_sample
from skytally.inventory import repo, service
from skytally.inventory.models import InventorySubscription
from skytally.inventory.schemas import LiveResource
from skytally.store.base import utcnow
from skytally.workspaces.models import WorkspaceRole
from skytally.workspaces.schemas import Actor

SUB_A = "aaaaaaaa-0000-0000-0000-00000000000a"
SUB_B = "bbbbbbbb-0000-0000-0000-00000000000b"


@dataclass
class Data:
    world: World
    account_a: int
    account_b: int


def _res(sub: str, n: int) -> LiveResource:
    return LiveResource(f"/subscriptions/{sub}/resourceGroups/RG/providers/Microsoft.Web/sites/App{n}", f"App{n}",
                        "microsoft.web/sites", "rg", "westeurope", sub)


@pytest.fixture(scope="module")
def data(world: World) -> Iterator[Data]:  # noqa: F811
    ids = []
    with world.runtime.db.session() as s:
        for n, (ws, sub) in enumerate(((world.alpha, SUB_A), (world.bravo, SUB_B))):
            acc = CloudAccount(kind="azure", name=f"Tenant {n}", tenant_id=f"00000000-0000-0000-0000-0000000001{n}0",
                               connection="service_principal")
            s.add(acc)
            s.flush()
            s.add(AccountWorkspace(account_id=acc.id, workspace_id=ws))
            s.add(CloudSubscription(account_id=acc.id, subscription_id=sub, role_status="active"))
            repo.replace_subscription(s, acc.id, sub, [_res(sub, i) for i in range(3)], utcnow())
            s.add(InventorySubscription(account_id=acc.id, subscription_id=sub, status="ok", resources=3,
                                        last_attempt_at=utcnow(), last_success_at=utcnow()))
            ids.append(acc.id)
    yield Data(world, ids[0], ids[1])


def test_api_lists_only_the_callers_resources(data: Data) -> None:
    alice = data.world.client(ALICE)
    rows = alice.get("/api/v1/inventory/resources")
    assert rows.status_code == 200, rows.text
    assert {r["subscription_id"] for r in rows.json()} == {SUB_A} and len(rows.json()) == 3
    first = rows.json()[0]
    assert first["resource_id"] == first["resource_id"].lower() and first["name"].startswith("App")
    assert set(first) >= {"account_id", "name", "type", "resource_group", "location", "first_seen", "last_seen"}
    assert alice.get("/api/v1/inventory/resources", params={"account_id": data.account_b}).status_code == 404
    assert len(alice.get("/api/v1/inventory/resources", params={"limit": 2}).json()) == 2
    assert alice.get("/api/v1/inventory/resources", params={"limit": 0}).status_code == 422
    bob = data.world.bearer()
    assert {r["subscription_id"] for r in bob.get("/api/v1/inventory/resources").json()} == {SUB_B}
    admin = data.world.client(ADMIN).get("/api/v1/inventory/resources").json()
    assert {r["subscription_id"] for r in admin} == {SUB_A, SUB_B}
    states = alice.get("/api/v1/inventory/subscriptions").json()
    assert [(s["subscription_id"], s["status"], s["resources"]) for s in states] == [(SUB_A, "ok", 3)]


def test_live_inventory_follows_the_callers_workspaces(data: Data) -> None:
    viewer = Actor(user_id=99, email="v@example.com", is_admin=False, roles={data.world.alpha: WorkspaceRole.VIEWER})
    with data.world.runtime.db.session() as s:
        mine = service.live_inventory(s, viewer)
        everything = service.live_inventory(s, None)
    assert mine.subscriptions == {SUB_A} and len(mine.resource_ids) == 3
    assert all(i.startswith(f"/subscriptions/{SUB_A}/") and i == i.lower() for i in mine.resource_ids)
    assert everything.subscriptions == {SUB_A, SUB_B} and len(everything.resource_ids) == 6


def test_resource_gone_needs_an_inventoried_subscription(tmp_path: Path) -> None:
    sample = write_sample(tmp_path / "mca-actual.csv", billing_account_id="S-1", seed=4, rows=400)
    store = CostStore(tmp_path / "store")
    try:
        store.import_files([sample.path])
        files = store.layout.files(store.layout.periods(["S-1"]))
        ids = [str(r[0]) for r in duckdb.execute(
            "SELECT DISTINCT ResourceId FROM read_parquet($f) WHERE coalesce(ResourceId, '') <> '' ORDER BY 1",
            {"f": files}).fetchall()]
        subs = sorted({i.lower().split("/")[2] for i in ids})
        assert len(subs) > 1
        covered = subs[0]
        q = CostQuery(billing_accounts=["S-1"])
        # nothing is live: only the covered subscription's rows may be gone
        [res] = store.untagged(q, None, existing_resource_ids=[], inventoried_subscriptions=[f"/subscriptions/{covered}"])
        gone = {r.reason: r.rows for r in res.reasons}.get("resource_gone", 0)
        [only] = store.untagged(CostQuery(billing_accounts=["S-1"], filters={"SubAccountId": [f"/subscriptions/{covered}"]}),
                                None)
        expected = {r.reason: r.rows for r in only.reasons}
        assert gone > 0 and gone == expected.get("no_tags", 0) + expected.get("key_missing", 0)
        # no subscription inventoried: no row is gone
        [none] = store.untagged(q, None, existing_resource_ids=[], inventoried_subscriptions=[])
        assert "resource_gone" not in {r.reason for r in none.reasons}
        assert none.untagged == res.untagged
    finally:
        store.close()

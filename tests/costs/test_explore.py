"""Workspace scoping of costs through the service, the REST API and the Costs page: a
member sees the billing accounts of their workspaces only (imported files mapped to a
workspace, and billing accounts of cloud accounts assigned to it); exact JSON money."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest

from httpkit import ADMIN, ALICE, BOB, ERIN, World, world  # noqa: F401
from skytally.accounts.models import (
    AccountWorkspace,
    BillingAccount,
    BillingAccountWorkspace,
    CloudAccount,
)
from skytally.costs import CostStore, explore
from skytally.costs.samples import SampleTotals, write_sample
from skytally.errors import NotFound
from skytally.workspaces.models import WorkspaceRole
from skytally.workspaces.schemas import Actor


@dataclass
class Data:
    world: World
    a: SampleTotals  # alpha, USD, imported file
    a_eur: SampleTotals  # alpha, EUR
    b: SampleTotals  # bravo, via a cloud account's billing account
    account_a: int
    account_b: int


def _money(cents: int) -> Decimal:
    return Decimal(cents) / Decimal(10**8)


@pytest.fixture(scope="module")
def data(world: World, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Data]:  # noqa: F811
    tmp = tmp_path_factory.mktemp("explore")
    rt = world.runtime
    a = write_sample(tmp / "a-actual.csv", billing_account_id="A-1", seed=1, rows=300)
    a_eur = write_sample(tmp / "a-eur-actual.csv", billing_account_id="A-2", seed=2, rows=200, currency="EUR")
    b = write_sample(tmp / "b-actual.csv", billing_account_id="B-1", seed=3, rows=250)
    store = CostStore(rt.settings.cost_store_dir)
    for sample in (a, a_eur, b):
        store.import_files([sample.path])
    store.close()
    with rt.db.session() as s:
        explore.assign_dataset(s, "A-1", "Alpha")
        explore.assign_dataset(s, "A-2", "Alpha")
        ids = []
        for name, ws, ba in (("Alpha tenant", world.alpha, "A-9"), ("Bravo tenant", world.bravo, "B-1")):
            acc = CloudAccount(kind="azure", name=name, tenant_id=f"00000000-0000-0000-0000-00000000000{len(ids)}",
                               connection="service_principal")
            s.add(acc)
            s.flush()
            s.add(AccountWorkspace(account_id=acc.id, workspace_id=ws))
            row = BillingAccount(account_id=acc.id, billing_account_id=ba, display_name=f"{name} EA",
                                 agreement_type="EnterpriseAgreement", via="service_principal")
            s.add(row)
            s.flush()
            # a billing account is assigned to workspaces on its own (here: its tenant's)
            s.add(BillingAccountWorkspace(billing_account_id=row.id, workspace_id=ws))
            ids.append(acc.id)
    yield Data(world, a, a_eur, b, ids[0], ids[1])


def test_service_scope(data: Data) -> None:
    rt = data.world.runtime
    viewer = Actor(user_id=99, email="v@example.com", is_admin=False, roles={data.world.alpha: WorkspaceRole.VIEWER})
    store = CostStore(rt.settings.cost_store_dir)
    try:
        with rt.db.session() as s:
            assert set(explore.allowed(s, store, viewer)) == {"A-1", "A-2", "A-9"}
            assert set(explore.allowed(s, store, None)) >= {"A-1", "A-2", "B-1"}
            with pytest.raises(NotFound):
                explore.allowed(s, store, viewer, ["B-1"])
    finally:
        store.close()


def test_api_scoping_and_exact_json(data: Data) -> None:
    alice = data.world.client(ALICE)
    scopes = {s["billing_account_id"] for s in alice.get("/api/v1/costs/scopes").json()}
    assert scopes == {"A-1", "A-2", "A-9"}
    mixed = alice.get("/api/v1/costs/query")
    assert mixed.status_code == 422 and "EUR, USD" in mixed.json()["detail"]
    usd = alice.get("/api/v1/costs/query", params={"currency": "USD", "group_by": "ServiceName"})
    assert usd.status_code == 200, usd.text
    body = usd.json()
    assert set(body) == {"currency", "rows", "total"} and body["currency"] == "USD"
    expected = _money(data.a.by_period["2024-01"].billed)
    assert Decimal(usd.text.split('"BilledCost": ')[-1].split(",")[0]) == expected
    assert all(set(r) == {"ServiceName", "BilledCost", "EffectiveCost"} for r in body["rows"])
    denied = alice.get("/api/v1/costs/query", params={"billing_account": "B-1"})
    assert denied.status_code == 404
    bob = data.world.bearer()
    bob_body = bob.get("/api/v1/costs/query", params={"billing_account": "B-1"}).json()
    assert Decimal(str(bob_body["total"]["BilledCost"])) == _money(data.b.by_period["2024-01"].billed)
    assert bob.get("/api/v1/costs/query", params={"billing_account": "A-1"}).status_code == 404
    untagged = alice.get("/api/v1/costs/untagged", params={"billing_account": "A-1"}).json()
    assert untagged[0]["currency"] == "USD" and untagged[0]["reasons"]
    periods = alice.get("/api/v1/costs/periods").json()
    assert {p["billing_account"] for p in periods} == {"A-1", "A-2"}
    files = [f["path"] for p in periods for f in p["files"]]
    assert files and all("/" not in f for f in files), files  # a viewer sees file names, not server paths
    admin_files = [f["path"] for p in data.world.client(ADMIN).get("/api/v1/costs/periods").json() for f in p["files"]]
    assert any("/" in f for f in admin_files)
    export = alice.get("/api/v1/costs/export", params={"format": "focus-csv", "billing_account": "A-1"})
    assert export.status_code == 200 and export.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(export.text)))
    assert len(rows) == data.a.rows and all(r["BillingAccountId"].startswith("A-1") for r in rows)


def test_import_now_permissions(data: Data) -> None:
    alice, erin, bob = data.world.client(ALICE), data.world.client(ERIN), data.world.bearer()
    body = {"account_id": data.account_a}
    assert alice.post("/api/v1/costs/imports", json=body, headers={"X-CSRF-Token": alice.csrf}).status_code == 403
    assert bob.post("/api/v1/costs/imports", json=body).status_code == 404
    queued = erin.post("/api/v1/costs/imports", json=body, headers={"X-CSRF-Token": erin.csrf})
    assert queued.status_code == 202, queued.text
    assert queued.json()["kind"] == "costs.import" and queued.json()["workspace_id"] == data.world.alpha
    statuses = erin.get("/api/v1/costs/imports").json()
    assert {s["scope_id"] for s in statuses} == {"A-9"}
    assert all(s["status"] in ("failed", "never") for s in statuses)  # no credential to read it with
    assert bob.get("/api/v1/costs/imports", params={"account_id": data.account_a}).status_code == 404


def test_page_scoping(data: Data) -> None:
    alice = data.world.client(ALICE)
    page = alice.get("/costs", params={"from": "2024-01-01", "to": "2024-01-31"})
    assert page.status_code == 200
    assert "A-1" in page.text and "B-1" not in page.text and 'id="cost-chart-data"' in page.text
    assert alice.get("/costs", params={"billing_account": "B-1"}).status_code == 404
    download = alice.get("/costs/download.csv", params={"from": "2024-01-01", "to": "2024-01-31",
                                                         "currency": "USD", "group": "SubAccountName"})
    assert download.status_code == 200 and download.text.startswith("SubAccountName,date,BilledCost")
    admin = data.world.client(ADMIN).get("/costs", params={"from": "2024-01-01", "to": "2024-01-31"})
    assert "B-1" in admin.text


def test_cli_shapes(tmp_path: Path) -> None:
    import json
    import os
    import subprocess
    import sys

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "SKYTALLY_DATA_DIR": str(tmp_path / "data"), "COLUMNS": "200"}
        env.pop("SKYTALLY_DATABASE_URL", None)
        return subprocess.run([sys.executable, "-m", "skytally.cli.main", *args], capture_output=True, text=True,
                              env=env, timeout=120)

    sample = write_sample(tmp_path / "mca-actual.csv", billing_account_id="CLI-1", rows=200, seed=5)
    cli("workspaces", "create", "Ops")
    imported = cli("costs", "import", str(sample.path), "--workspace", "Ops", "--json")
    assert imported.returncode == 0, imported.stderr
    doc = json.loads(imported.stdout, parse_float=Decimal)
    assert {"rows", "BilledCost", "EffectiveCost", "rejected_rows", "rejected_BilledCost", "currency", "files"} <= set(doc)
    assert doc["rows"] == 200 and doc["BilledCost"] == _money(sample.by_period["2024-01"].billed)
    assert doc["EffectiveCost"] == _money(sample.by_period["2024-01"].effective)
    assert doc["rejected_rows"] == 0 and doc["currency"] == "USD" and doc["files"][0]["layout"] == "mca"
    queried = cli("costs", "query", "--from", "2024-01-01", "--to", "2024-01-31", "--group-by",
                  "ServiceName,tag:env", "--json")
    assert queried.returncode == 0, queried.stderr
    q = json.loads(queried.stdout, parse_float=Decimal)
    assert set(q) == {"currency", "rows", "total"} and set(q["total"]) == {"BilledCost", "EffectiveCost"}
    assert all(set(r) == {"ServiceName", "tag:env", "BilledCost", "EffectiveCost"} for r in q["rows"])
    assert q["total"]["BilledCost"] == doc["BilledCost"]
    assert sum(r["BilledCost"] for r in q["rows"]) == doc["BilledCost"]
    bad = tmp_path / "odd.csv"
    bad.write_text("foo,bar\n1,2\n")
    refused = cli("costs", "import", str(bad))
    assert refused.returncode == 1 and refused.stderr.count("\n") == 1
    assert "unknown cost file layout" in refused.stderr and "Expected one of" in refused.stderr
    csv_out = cli("costs", "query", "--group-by", "ServiceName", "--csv")
    assert csv_out.stdout.splitlines()[0] == "ServiceName,BilledCost,EffectiveCost"
    assert json.loads(cli("costs", "periods", "--json").stdout)[0]["billing_account"] == "CLI-1"
    # people read amounts rounded to the cent, with separators; --json above is exact
    again = cli("costs", "import", str(sample.path))
    assert again.returncode == 0, again.stderr
    cents = f"{doc['BilledCost']:,.2f}"
    assert f"BilledCost {cents}" in again.stdout and cents in cli("costs", "periods").stdout

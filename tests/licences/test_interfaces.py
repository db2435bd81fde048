"""`skytally licences …` as a user runs it (an Office 365 tenant connected with the
customer's own service principal), and the /api/v1/licences endpoints."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from azure_emulator.testing import RunningEmulator
from httpkit import ADMIN, ALICE, World, world  # noqa: F401
from skytally.accounts.models import AccountWorkspace, CloudAccount
from skytally.licences import repo

from .support import ROLES, customer_app, emu, rt  # noqa: F401

E3 = "05e9a617-0261-4cee-bb44-138d3ef5d965"


def test_cli_connect_sync_skus_waste_report(emu: RunningEmulator, tmp_path: Path) -> None:  # noqa: F811
    tid = emu.fixtures["wingtip_tenant_id"]
    client_id, secret = customer_app(emu.world, tid, ROLES)
    environ = {**os.environ, **emu.settings, "SKYTALLY_DATA_DIR": str(tmp_path / "data"), "COLUMNS": "200"}
    environ.pop("SKYTALLY_DATABASE_URL", None)

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "skytally.cli.main", *args], capture_output=True, text=True,
                              env=environ, timeout=120)

    connected = cli("licences", "connect-sp", tid, "--client-id", client_id, "--secret", secret, "--name", "Wingtip")
    assert connected.returncode == 0, connected.stderr
    synced = cli("licences", "sync", "Wingtip", "--json")
    assert synced.returncode == 0, synced.stderr
    out = json.loads(synced.stdout)
    assert out["status"] == "ok" and out["sign_in"] == "no_premium"
    skus = json.loads(cli("licences", "skus", "--json").stdout)
    assert {s["name"] for s in skus} >= {"Office 365 E3", "Office 365 E1"}
    assert cli("licences", "price", skus[0]["sku_id"], "120", "--currency", "usd", "--term", "annual").returncode == 0
    waste = json.loads(cli("licences", "waste", "--json").stdout)
    assert {r["id"] for r in waste["rules"]} == {"disabled", "inactive", "unassigned", "duplicate", "overlap", "mailbox"}
    assert "USD" in waste["monthly_waste"]
    report = json.loads(cli("licences", "report", "--json", "--inactive-days", "30").stdout)
    assert report["inactive_days"] == 30 and any("Entra ID P1 or P2" in n for n in report["knowledge"])
    users = json.loads(cli("licences", "users", "--json").stdout)
    assert users and all(u["skus"] for u in users)
    bad = cli("licences", "waste", "--rule", "nosuch")
    assert bad.returncode == 1 and "unknown rule 'nosuch'" in bad.stderr


@pytest.fixture(scope="module")
def stored(world: World) -> tuple[int, int]:  # noqa: F811
    """Two imported Office 365 accounts, one in Alpha (Alice views it), one in Bravo."""
    ids = []
    with world.runtime.db.session() as s:
        for n, ws in enumerate((world.alpha, world.bravo)):
            acc = CloudAccount(kind="office365", name=f"M365 {n}", tenant_id=f"00000000-0000-0000-0000-0000000002{n}0")
            s.add(acc)
            s.flush()
            s.add(AccountWorkspace(account_id=acc.id, workspace_id=ws))
            repo.replace_skus(s, acc.id, [{"sku_id": E3, "part_number": "SPE_E3", "enabled": 10, "consumed": 2,
                                           "service_plans": [["p1", "EXCHANGE_S_ENTERPRISE"]]}])
            repo.replace_users(s, acc.id, [{"object_id": f"u{i}", "upn": f"u{i}@m365-{n}.example", "department": "Sales",
                                            "account_enabled": i != 0, "licences": [{"sku": E3, "direct": True, "groups": []}]}
                                           for i in range(2)])
            ids.append(acc.id)
    return ids[0], ids[1]


def test_api_is_scoped_and_prices_need_an_editor(world: World, stored: tuple[int, int]) -> None:  # noqa: F811
    mine, theirs = stored
    alice, admin = world.client(ALICE), world.client(ADMIN)
    assert [a["id"] for a in alice.get("/api/v1/licences/accounts").json()] == [mine]
    rep = alice.get(f"/api/v1/licences/{mine}/report").json()
    assert {r["id"]: r["findings"] for r in rep["rules"]}["disabled"] == 1
    assert {r["id"]: r["units"] for r in rep["rules"]}["unassigned"] == 8
    assert alice.get(f"/api/v1/licences/{theirs}/report").status_code == 404
    price = {"sku_id": E3, "amount": "30", "currency": "EUR", "term": "monthly"}
    headers = {"X-CSRF-Token": alice.refresh_csrf()}
    assert alice.put(f"/api/v1/licences/{mine}/prices", json=price, headers=headers).status_code == 403
    headers = {"X-CSRF-Token": admin.refresh_csrf()}
    assert admin.put(f"/api/v1/licences/{mine}/prices", json=price, headers=headers).status_code == 200
    rep = alice.get(f"/api/v1/licences/{mine}/report").json()
    assert rep["monthly_waste"] == {"EUR": "270.0000"}  # 8 unassigned + 1 disabled, 30 EUR each
    csv_text = alice.get(f"/api/v1/licences/{mine}/waste.csv", params={"rule": "disabled"}).text
    assert csv_text.splitlines()[1].startswith("disabled,u0@m365-0.example")
    assert alice.get(f"/api/v1/licences/{mine}/report", params={"inactive_days": 0}).status_code == 422


def test_web_form_connects_office365_with_own_service_principal(emu: RunningEmulator, rt) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    import re

    from fastapi.testclient import TestClient
    from pydantic import SecretStr

    from skytally.web.app import create_app
    from skytally.workspaces import service as ws
    from skytally.workspaces.schemas import UserCreate

    with rt.db.session() as s:
        ws.ensure_organisation(s)
        ws.create_user(s, None, UserCreate(email="o365-admin@example.com", password=SecretStr("o365-admin-password"), is_admin=True))
    client = TestClient(create_app(rt), follow_redirects=False)
    token = re.search(r'name="csrf_token" value="([^"]*)"', client.get("/login").text)
    assert token
    client.post("/login", data={"email": "o365-admin@example.com", "password": "o365-admin-password", "csrf_token": token.group(1)})
    form = client.get("/accounts/new?kind=sp").text
    assert "LicenseAssignment.Read.All" in form and 'value="office365"' in form
    csrf = re.search(r'name="csrf_token" value="([^"]*)"', form)
    assert csrf
    tid = emu.fixtures["tailspin_tenant_id"]
    for roles, ok in (([r for r in ROLES if r != "Reports.Read.All"], False), (ROLES, True)):
        client_id, secret = customer_app(emu.world, tid, roles)
        r = client.post("/accounts/service-principal", data={
            "csrf_token": csrf.group(1), "reads": "office365", "name": "Tailspin (own app)", "tenant_id": tid,
            "client_id": client_id, "client_secret": secret})
        if ok:
            assert r.status_code == 303 and re.search(r"/licences\?account=\d+$", r.headers["location"]), r.text[:300]
        else:
            assert r.status_code == 422 and "lacks the Microsoft Graph application permission(s) Reports.Read.All" in r.text

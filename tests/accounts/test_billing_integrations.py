"""A billing account connected with a service principal (the Vantage flow) is an
integration of its own (DESIGN §1): named by the user, assigned to workspaces independently
of its tenant; costs follow that assignment, inventory follows the tenant's; connecting it
again says so."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from azure_emulator.testing import RunningEmulator
from azure_emulator.world import builtin_roles as roles
from azure_emulator.world.model import RoleAssignment
from skytally.accounts import service, service_principals
from skytally.accounts.context import AccountsEnv
from skytally.accounts.credentials import ClientSecretCredentialIn
from skytally.accounts.schemas import BillingAccountUpdate
from skytally.costs import explore
from skytally.costs.service import CostStore
from skytally.errors import AlreadyConnected
from skytally.jobs import service as jobs
from skytally.jobs.models import JobRun
from skytally.runtime import Runtime
from skytally.workspaces.models import WorkspaceRole
from skytally.workspaces.schemas import Actor

from .conftest import People


def _grant_mca_reader(emu: RunningEmulator) -> None:
    world, fx = emu.world, emu.fixtures
    assert world is not None
    name = str(uuid.uuid4())
    with world.lock:
        world.role_assignments[name] = RoleAssignment(
            name=name, scope=f"/providers/Microsoft.Billing/billingAccounts/{fx['mca_billing_account_id']}",
            role_definition_id=roles.MCA_BILLING_ACCOUNT_READER, principal_id=fx["customer_sp_object_id"],
            principal_type="ServicePrincipal", tenant_id=fx["mca_billing_tenant_id"],
            created=world.clock.now() - timedelta(days=1))
        world.touch()


def _credential(fx: dict[str, str], **extra: Any) -> ClientSecretCredentialIn:
    return ClientSecretCredentialIn(tenant_id=fx["primary_tenant_id"], client_id=fx["customer_sp_client_id"],
                                    client_secret=SecretStr(fx["customer_sp_secret"]), **extra)


def _member(ws: int, user_id: int = 99) -> Actor:
    return Actor(user_id=user_id, email=f"m{ws}@example.com", is_admin=False, roles={ws: WorkspaceRole.ADMIN})


@pytest.fixture
def connected(emu: RunningEmulator, rt: Runtime, env: AccountsEnv, people: People, fx: dict[str, str]) -> tuple[int, int]:
    """Tenant in workspace Cloud; its MCA billing account named "Finance MCA", moved to Other."""
    _grant_mca_reader(emu)
    with rt.db.session() as s:
        account, _, result = service_principals.connect(
            s, env, people.admin, "Contoso", _credential(fx, billing_account_id=fx["mca_billing_account_id"]),
            [people.ws_id], billing_name="Finance MCA")
        assert result.billing is not None and result.billing.agreement_type == "MicrosoftCustomerAgreement"
        out = service.to_out(s, account)
        billing = out.billing_accounts[0]
        assert billing.name == "Finance MCA" and [w.id for w in billing.workspaces] == [people.ws_id]
        moved = service.update_billing_account(s, people.admin, account.id, billing.id,
                                               BillingAccountUpdate(workspace_ids=[people.other_ws_id]))
        assert [w.id for w in moved.workspaces] == [people.other_ws_id]
        return account.id, billing.id


def test_costs_follow_the_billing_accounts_workspaces_and_inventory_the_tenants(
        rt: Runtime, people: People, fx: dict[str, str], connected: tuple[int, int], tmp_path: Path) -> None:
    account_id, _ = connected
    store = CostStore(tmp_path / "costs")
    mca = fx["mca_billing_account_id"]
    finance, engineering = _member(people.other_ws_id), _member(people.ws_id, 98)
    with rt.db.session() as s:
        scopes = {x.billing_account_id: x for x in explore.scopes(s, store, finance)}
        assert mca in scopes and scopes[mca].name == "Finance MCA" and scopes[mca].account_name == "Contoso"
        assert service.list_accounts(s, finance) == []  # nothing of the tenant's inventory
        assert [b.name for b in service.list_billing_accounts(s, finance)] == ["Finance MCA"]
        assert mca not in {x.billing_account_id for x in explore.scopes(s, store, engineering)}
        assert [a.id for a in service.list_accounts(s, engineering)] == [account_id]
        # the header's workspace narrows an admin the same way
        admin_in_cloud = Actor(user_id=1, email="a@example.com", is_admin=True, scope=people.ws_id)
        assert mca not in {x.billing_account_id for x in explore.scopes(s, store, admin_in_cloud)}


def test_a_cost_import_run_of_the_billing_account_is_seen_where_its_costs_are(
        rt: Runtime, people: People, fx: dict[str, str], connected: tuple[int, int]) -> None:
    account_id, _ = connected
    with rt.db.session() as s:
        run = JobRun(kind="costs.import_period", target="Finance MCA 2026-11", workspace_id=people.ws_id,
                     params={"account_id": account_id, "scope_id": fx["mca_billing_account_id"], "period": "2026-11"},
                     status="succeeded")
        s.add(run)
        s.flush()
        assert jobs.may_see(s, _member(people.other_ws_id), run)
        assert not jobs.may_see(s, _member(people.ws_id, 98), run)


def test_rename_and_connecting_it_again_says_so(
        rt: Runtime, env: AccountsEnv, people: People, fx: dict[str, str], connected: tuple[int, int]) -> None:
    account_id, billing_id = connected
    with rt.db.session() as s:
        out = service.update_billing_account(s, people.admin, account_id, billing_id,
                                             BillingAccountUpdate(name="  Contoso MCA (finance) "))
        assert out.name == "Contoso MCA (finance)" and [w.id for w in out.workspaces] == [people.other_ws_id]
    with rt.db.session() as s, pytest.raises(AlreadyConnected) as err:
        service_principals.connect(s, env, people.admin, "", _credential(fx, billing_account_id=fx["mca_billing_account_id"]),
                                   [], into_account_id=account_id)
    assert "already connected as “Contoso MCA (finance)”" in err.value.message
    assert "rename" in err.value.message and err.value.account_id == account_id
    with rt.db.session() as s:  # nothing changed
        assert len(service.get_account(s, people.admin, account_id).credentials) == 1
    with rt.db.session() as s:  # an empty name gives back Azure's
        out = service.update_billing_account(s, people.admin, account_id, billing_id, BillingAccountUpdate(name=""))
        assert out.name == out.display_name


def test_a_workspace_admin_cannot_take_it_from_a_workspace_they_do_not_administer(
        rt: Runtime, people: People, connected: tuple[int, int]) -> None:
    account_id, billing_id = connected
    both = Actor(user_id=97, email="b@example.com", is_admin=False,
                 roles={people.ws_id: WorkspaceRole.ADMIN, people.other_ws_id: WorkspaceRole.VIEWER})
    with rt.db.session() as s:
        out = service.update_billing_account(s, both, account_id, billing_id,
                                             BillingAccountUpdate(workspace_ids=[people.ws_id]))
    assert {w.id for w in out.workspaces} == {people.ws_id, people.other_ws_id}


def test_rest_api_shows_renames_and_assigns_it(emu: RunningEmulator, rt: Runtime, people: People,
                                                fx: dict[str, str]) -> None:
    from fastapi.testclient import TestClient

    from skytally.web.app import create_app
    from skytally.workspaces.auth import create_api_token
    from skytally.workspaces.schemas import ApiTokenCreate

    _grant_mca_reader(emu)
    with rt.db.session() as s:
        token = create_api_token(s, people.admin, ApiTokenCreate(name="t")).token
    client = TestClient(create_app(rt), headers={"Authorization": f"Bearer {token}"})
    made = client.post("/api/v1/accounts/service-principal", json={
        "name": "Contoso", "workspace_ids": [people.ws_id], "billing_name": "Finance MCA",
        "credential": {"kind": "client_secret", "tenant_id": fx["primary_tenant_id"],
                       "client_id": fx["customer_sp_client_id"], "client_secret": fx["customer_sp_secret"],
                       "billing_account_id": fx["mca_billing_account_id"]}})
    assert made.status_code == 201, made.text
    account_id = made.json()["account"]["id"]
    billing = made.json()["account"]["billing_accounts"][0]
    assert billing["name"] == "Finance MCA" and billing["tenant_name"] == "Contoso"
    changed = client.patch(f"/api/v1/accounts/{account_id}/billing-accounts/{billing['id']}",
                           json={"name": "Finance", "workspace_ids": [people.other_ws_id]})
    assert changed.status_code == 200, changed.text
    assert changed.json()["name"] == "Finance" and [w["name"] for w in changed.json()["workspaces"]] == ["Other"]
    assert client.get(f"/api/v1/accounts/{account_id}/billing-accounts/{billing['id']}").json()["name"] == "Finance"
    assert [b["name"] for b in client.get("/api/v1/billing-accounts").json()] == ["Finance"]
    again = client.post("/api/v1/accounts/service-principal", json={"into_account_id": account_id, "credential": {
        "kind": "client_secret", "tenant_id": fx["primary_tenant_id"], "client_id": fx["customer_sp_client_id"],
        "client_secret": fx["customer_sp_secret"], "billing_account_id": fx["mca_billing_account_id"]}})
    assert again.status_code == 409 and "already connected as “Finance”" in again.json()["detail"]
    spec = client.get("/api/v1/openapi.json").json()
    assert "patch" in spec["paths"]["/api/v1/accounts/{account_id}/billing-accounts/{billing_id}"]
    assert "BillingAccountUpdate" in spec["components"]["schemas"]


def test_cli_lists_renames_and_assigns_it(emu: RunningEmulator, rt: Runtime, people: People, fx: dict[str, str]) -> None:
    import json
    import os
    import subprocess
    import sys

    _grant_mca_reader(emu)
    env = {**os.environ, **emu.settings, "SKYTALLY_DATA_DIR": str(rt.settings.data_dir), "SKYTALLY_DEMO": "true",
           "SKYTALLY_DATABASE_URL": rt.settings.resolved_database_url, "COLUMNS": "200",
           "SKYTALLY_SP_SECRET": fx["customer_sp_secret"]}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "skytally.cli.main", *args], capture_output=True, text=True,
                              env=env, timeout=120)

    ok = run("accounts", "connect-sp", fx["primary_tenant_id"], "--client-id", fx["customer_sp_client_id"],
             "--name", "Contoso", "-w", "Cloud", "--billing-account", fx["mca_billing_account_id"],
             "--billing-name", "Finance MCA", "--json")
    assert ok.returncode == 0, ok.stderr
    listed = json.loads(run("accounts", "billing", "list", "--json").stdout)
    assert [(b["name"], b["tenant_name"], [w["name"] for w in b["workspaces"]]) for b in listed] == \
        [("Finance MCA", "Contoso", ["Cloud"])]
    moved = run("accounts", "billing", "assign", "Finance MCA", "-w", "Other")
    assert moved.returncode == 0 and "its costs seen in: Other" in moved.stdout, moved.stdout + moved.stderr
    renamed = json.loads(run("accounts", "billing", "rename", fx["mca_billing_account_id"], "Finance", "--json").stdout)
    assert renamed["name"] == "Finance" and [w["name"] for w in renamed["workspaces"]] == ["Other"]
    again = run("accounts", "connect-sp", fx["primary_tenant_id"], "--client-id", fx["customer_sp_client_id"],
                "--into", "Contoso", "--billing-account", fx["mca_billing_account_id"])
    assert again.returncode == 1 and "already connected as “Finance”" in again.stderr, again.stderr
    shown = run("accounts", "show", "Contoso")
    assert "Billing accounts" in shown.stdout and "Finance" in shown.stdout


def test_a_tenant_connected_with_the_same_principal_gets_the_billing_account_added(
        emu: RunningEmulator, rt: Runtime, env: AccountsEnv, people: People, fx: dict[str, str]) -> None:
    """The Vantage flow on a tenant already connected with the customer's principal: the same
    application, now with a billing account ID, adds the billing account (no second credential)."""
    with rt.db.session() as s:
        account, _, _ = service_principals.connect(s, env, people.admin, "Contoso", _credential(fx), [people.ws_id])
        account_id = account.id
    _grant_mca_reader(emu)
    with rt.db.session() as s:
        service_principals.connect(s, env, people.admin, "", _credential(fx, billing_account_id=fx["mca_billing_account_id"]),
                                   [people.other_ws_id], into_account_id=account_id, billing_name="Finance MCA")
    with rt.db.session() as s:
        out = service.get_account(s, people.admin, account_id)
        assert len(out.credentials) == 1
        assert [(b.name, [w.id for w in b.workspaces]) for b in out.billing_accounts] == [("Finance MCA", [people.other_ws_id])]
        assert [w.id for w in out.workspaces] == [people.ws_id]

"""Fixtures for the licence tests: one HTTPS emulator per module with two Office 365
tenants (Tailspin: Entra ID P1, 300 users; Wingtip: no P1, 80 users), a fresh runtime
per test, and helpers that connect them the way a user does."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest

from azure_emulator.services.entra.scopes import ensure_service_principal, grant_app_roles
from azure_emulator.testing import RunningEmulator
from azure_emulator.world.firstparty import GRAPH_APP_ID
from azure_emulator.world.generate import generate_world
from azure_emulator.world.generate_m365 import add_m365_tenant
from azure_emulator.world.model import Application, PasswordCredential, ServicePrincipal, World
from skytally.accounts import repo as accounts_repo
from skytally.accounts.context import AccountsEnv
from skytally.accounts.models import AccountKind, CloudAccount
from skytally.config import Settings
from skytally.runtime import Runtime, build_runtime
from skytally.workspaces import service as ws_service
from skytally.workspaces.schemas import Actor, WorkspaceCreate

INSTALLATION = Actor(user_id=0, email="test", is_admin=True)
ROLES = ["User.Read.All", "Group.Read.All", "Reports.Read.All", "LicenseAssignment.Read.All", "AuditLog.Read.All"]


def grant(world: World, tenant_id: str, roles: list[str]) -> None:
    """skytally's app consented in the tenant with exactly these Graph application permissions."""
    tenant = world.tenants[tenant_id]
    app = world.application(world.fixtures["skytally_client_id"])
    assert app is not None
    sp = ensure_service_principal(tenant, app, datetime.now(UTC))
    tenant.app_role_assignments = [a for a in tenant.app_role_assignments if a.principal_id != sp.object_id]
    grant_app_roles(tenant, sp, GRAPH_APP_ID, roles, datetime.now(UTC))


def customer_app(world: World, tenant_id: str, roles: list[str]) -> tuple[str, str]:
    """The customer's own single-tenant app registration with these permissions: (client id, secret)."""
    tenant = world.tenants[tenant_id]
    now = datetime.now(UTC)
    secret = "Cus8Q~" + uuid.uuid4().hex + "AbC"
    app = Application(app_id=str(uuid.uuid4()), object_id=str(uuid.uuid4()), home_tenant_id=tenant_id,
                      display_name="Licence reader", sign_in_audience="AzureADMyOrg",
                      password_credentials=[PasswordCredential(str(uuid.uuid4()), "s", secret, secret[:3], now - timedelta(days=1),
                                                               now + timedelta(days=300))])
    tenant.applications[app.app_id] = app
    sp = ServicePrincipal(str(uuid.uuid4()), app.app_id, tenant_id, app.display_name, created=now)
    tenant.service_principals[sp.object_id] = sp
    grant_app_roles(tenant, sp, GRAPH_APP_ID, roles, now)
    return app.app_id, secret


@pytest.fixture(scope="module")
def emu() -> Iterator[RunningEmulator]:
    world = generate_world(11, "small")
    add_m365_tenant(world, 11, 300, prefix="tailspin")
    add_m365_tenant(world, 11, 80, premium=False, name="Wingtip Toys", prefix="wingtip")
    for prefix in ("tailspin", "wingtip"):
        grant(world, world.fixtures[f"{prefix}_tenant_id"], ROLES)
        world.tenants[world.fixtures[f"{prefix}_tenant_id"]].display_concealed_names = False
    with RunningEmulator(world) as running:
        yield running


@pytest.fixture
def rt(emu: RunningEmulator, make_settings: Callable[..., Settings], monkeypatch: pytest.MonkeyPatch) -> Iterator[Runtime]:
    for key, value in emu.settings.items():
        monkeypatch.setenv(key, value)
    runtime = build_runtime(make_settings(), immediate_jobs=True)
    try:
        yield runtime
    finally:
        runtime.close()
        emu.app.state.emulator.faults.clear()


def env(rt: Runtime) -> AccountsEnv:
    return AccountsEnv(rt.settings, rt.vault)


def consented(rt: Runtime, emu: RunningEmulator, prefix: str, name: str | None = None) -> int:
    """An Office 365 account as admin consent leaves it (skytally's own app), in a workspace."""
    with rt.db.session() as session:
        ws = ws_service.create_workspace(session, INSTALLATION, WorkspaceCreate(name=f"WS {prefix} {uuid.uuid4().hex[:4]}"))
        account = CloudAccount(kind=AccountKind.OFFICE365.value, name=name or prefix.title(),
                               tenant_id=emu.fixtures[f"{prefix}_tenant_id"], connection="consent",
                               granted_permissions=list(ROLES), created_by="test")
        session.add(account)
        session.flush()
        accounts_repo.set_workspaces(session, account.id, [ws.id])
        return account.id

"""Fixtures for the cost import tests: one HTTPS emulator per module, a fresh runtime (and
database of the requested backend) per test, and helpers that connect billing accounts
the way a user does (service principal, EA API key) and read the emulator's truth."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import select

from azure_emulator.testing import RunningEmulator
from azure_emulator.world import builtin_roles as roles
from azure_emulator.world.model import RoleAssignment
from skytally.accounts import ea_tokens, repo, service_principals
from skytally.accounts.context import AccountsEnv
from skytally.accounts.credentials import ClientSecretCredentialIn
from skytally.accounts.models import CloudAccount
from skytally.config import Settings
from skytally.costs.jobs import IMPORT
from skytally.costs.models import CostImport
from skytally.jobs import service as jobs
from skytally.jobs.schemas import JobRunOut
from skytally.runtime import Runtime, build_runtime
from skytally.workspaces import service as ws_service
from skytally.workspaces.schemas import Actor, WorkspaceCreate

INSTALLATION = Actor(user_id=0, email="test", is_admin=True)


@pytest.fixture(scope="module")
def emu() -> Iterator[RunningEmulator]:
    with RunningEmulator(seed=7, size="small") as running:
        yield running


@pytest.fixture(autouse=True)
def _fresh_world(emu: RunningEmulator) -> Iterator[None]:
    emu.control.post("/reset").raise_for_status()
    # Cost Details rate-limit windows outlive a reset: start each test with empty ones (the
    # imports of earlier tests in the module would otherwise throttle this one's)
    emu.control.post("/costs/config", json={}).raise_for_status()
    yield
    for account in emu.control.get("/costs/accounts").json()["value"]:
        emu.control.post(f"/costs/accounts/{account['id']}", json={"created": "2023-01-01T00:00:00+00:00"})


@pytest.fixture
def rt(emu: RunningEmulator, make_settings: Callable[..., Settings], monkeypatch: pytest.MonkeyPatch) -> Iterator[Runtime]:
    for key, value in emu.settings.items():
        monkeypatch.setenv(key, value)
    runtime = build_runtime(make_settings(), immediate_jobs=True)
    try:
        yield runtime
    finally:
        runtime.close()


@dataclass
class Setup:
    rt: Runtime
    emu: RunningEmulator
    ws_a: int
    ws_b: int

    @property
    def env(self) -> AccountsEnv:
        return AccountsEnv(self.rt.settings, self.rt.vault)

    @property
    def fx(self) -> dict[str, str]:
        return self.emu.fixtures

    def connect_sp(self, billing_account_id: str, workspace_id: int | None = None) -> int:
        data = ClientSecretCredentialIn(
            tenant_id=self.fx["primary_tenant_id"], client_id=self.fx["customer_sp_client_id"],
            client_secret=SecretStr(self.fx["customer_sp_secret"]), billing_account_id=billing_account_id or None)
        with self.rt.db.session() as s:
            account, _, _ = service_principals.connect(s, self.env, None, "Contoso", data,
                                                       [workspace_id or self.ws_a])
            return account.id

    def grant_mca_reader(self) -> None:
        """Billing Account Reader on the MCA account for the customer's service principal."""
        world = self.emu.world
        assert world is not None
        name = str(uuid.uuid4())
        with world.lock:
            world.role_assignments[name] = RoleAssignment(
                name=name, scope=f"/providers/Microsoft.Billing/billingAccounts/{self.fx['mca_billing_account_id']}",
                role_definition_id=roles.MCA_BILLING_ACCOUNT_READER, principal_id=self.fx["customer_sp_object_id"],
                principal_type="ServicePrincipal", tenant_id=self.fx["mca_billing_tenant_id"],
                created=world.clock.now() - timedelta(days=1))
            world.touch()

    def connect_ea_token(self, workspace_id: int | None = None, tenant_id: str | None = None) -> tuple[int, str]:
        key = str(self.emu.control.post("/billing/ea-keys", json={}).json()["key"])
        with self.rt.db.session() as s:
            row = CloudAccount(kind="azure", name="Contoso EA", tenant_id=tenant_id or self.fx["primary_tenant_id"],
                               connection="consent")
            s.add(row)
            s.flush()
            repo.set_workspaces(s, row.id, [workspace_id or self.ws_a])
            ea_tokens.add(s, self.env, None, row.id, key)
            return row.id, key

    def connect_ea_token_key_only(self, account_id: int) -> str:
        key = str(self.emu.control.post("/billing/ea-keys", json={}).json()["key"])
        with self.rt.db.session() as s:
            ea_tokens.add(s, self.env, None, account_id, key)
        return key

    def dispatch(self, account_id: int | None = None, periods: list[str] | None = None) -> JobRunOut:
        """Run the `costs.import` dispatcher (its children run when queued: immediate queue)."""
        params: dict[str, Any] = {"periods": periods} if periods else {}
        if account_id is not None:
            params["account_id"] = account_id
        run = jobs.submit(self.rt.db, self.rt.queue, IMPORT, params=params)
        return self.run(run.id)

    def run(self, run_id: int) -> JobRunOut:
        with self.rt.db.session() as s:
            return jobs.get_run(s, INSTALLATION, run_id)

    def import_now(self, account_id: int, period: str) -> JobRunOut:
        """"Import now" of one period of an account with one cost scope: its one child run."""
        parent = self.dispatch(account_id, [period])
        assert parent.status == "succeeded", parent.error
        assert parent.result is not None and len(parent.result["submitted"]) == 1, parent.result
        return self.run(parent.result["submitted"][0]["run_id"])

    def state(self, account_id: int, period: str) -> CostImport:
        with self.rt.db.session() as s:
            row = s.scalar(select(CostImport).where(CostImport.account_id == account_id,
                                                    CostImport.billing_period == period))
            assert row is not None
            s.expunge(row)
            return row

    def truth(self, billing_account: str, period: str, metric: str = "ActualCost") -> dict[str, Any]:
        response = self.emu.control.get("/costs/totals", params={
            "billing_account": billing_account, "period": period.replace("-", ""), "metric": metric})
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]

    def previous_period(self) -> str:
        now = datetime.fromisoformat(self.emu.control.get("/clock").json()["now"]).date()
        return (now.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")

    def current_period(self) -> str:
        return datetime.fromisoformat(self.emu.control.get("/clock").json()["now"]).strftime("%Y-%m")


@pytest.fixture
def setup(rt: Runtime, emu: RunningEmulator) -> Setup:
    with rt.db.session() as s:
        ws_service.ensure_organisation(s)
        a = ws_service.create_workspace(s, None, WorkspaceCreate(name="Alpha"))
        b = ws_service.create_workspace(s, None, WorkspaceCreate(name="Bravo"))
    return Setup(rt, emu, a.id, b.id)


def dec(value: Any) -> Decimal:
    return Decimal(str(value))


def month_range(period: str) -> tuple[date, date]:
    y, m = int(period[:4]), int(period[5:])
    return date(y, m, 1), date(y + m // 12, m % 12 + 1, 1)

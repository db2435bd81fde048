"""Every outbound call site × every transient fault (429 with Retry-After, 500, 503,
connection reset, timeout), injected once by the emulator: each call is retried to
success by the one retry policy (skytally/azure/retry.py), and the emulator's request log
shows the faulted attempt and the retry. Then the end-to-end view: a cost import and an
inventory sync each succeed through a fault on their calls, and a fault that persists is
reported as that item's failure.

Each call site is what the product calls (the same connector method, the same request);
the table is the list of outbound call sites: a new one belongs here."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from costs.fanout_support import assert_exact
from costs.ingest_support import Setup, _fresh_world, emu, rt, setup  # noqa: F401
from skytally.accounts.context import AccountsEnv
from skytally.azure import retry
from skytally.azure.clients import AzureConnector
from skytally.costs import fetch

FAULTS = ["429", "500", "503", "reset", "timeout"]
FAST = retry.RetrySettings(total=3, backoff=0.05, backoff_max=0.2, retry_after_cap=5,
                           connect_timeout=5, read_timeout=2.0)
SLOW_SECONDS = 4.0  # a "timeout" fault: the answer comes after the read timeout


@pytest.fixture(autouse=True)
def _fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(retry, "DEFAULT", FAST)


class Ctx:
    def __init__(self, s: Setup, tmp: Path) -> None:
        self.s, self.tmp = s, tmp
        self.fx = s.fx
        self.connector: AzureConnector = AccountsEnv(s.rt.settings, s.rt.vault).connector

    def credential(self) -> Any:  # a fresh one: no token cached from an earlier cell
        return self.connector.client_secret_credential(
            self.fx["primary_tenant_id"], self.fx["customer_sp_client_id"], SecretStr(self.fx["customer_sp_secret"]))

    def sub(self) -> str:
        return self.fx["customer_sp_subscription_id"]


def _cost_report(c: Ctx) -> Any:
    client = c.connector.cost_management(c.credential())
    try:
        src = fetch.Source(1, "billing_account", c.fx["ea_enrollment_number"], "EA")
        return client.generate_cost_details_report.begin_create_operation(
            src.arm_scope, fetch._request(src, c.s.previous_period(), "ActualCost")).result()
    finally:
        client.close()


def _blob(c: Ctx) -> int:
    result = _cost_report_unfaulted(c)
    assert result.manifest is not None and result.manifest.blobs
    return c.connector.download_blob(str(result.manifest.blobs[0].blob_link), c.tmp / "blob.csv")


_reports: dict[int, Any] = {}


def _cost_report_unfaulted(c: Ctx) -> Any:
    if id(c.s) not in _reports:
        rules = c.s.emu.control.get("/faults").json()
        c.s.emu.control.delete("/faults")
        _reports[id(c.s)] = _cost_report(c)
        c.s.emu.control.post("/faults", json=rules)
    return _reports[id(c.s)]


def _ea_key(c: Ctx) -> SecretStr:
    return SecretStr(str(c.s.emu.control.post("/billing/ea-keys", json={}).json()["key"]))


def _msal_token(c: Ctx) -> Any:
    app = c.connector.msal_app(c.fx["primary_tenant_id"], c.fx["customer_sp_client_id"],
                               SecretStr(c.fx["customer_sp_secret"]))
    result = app.acquire_token_for_client([c.connector.endpoints.arm_scope()])
    assert "access_token" in result, result
    return result


# (site, path regex of the faulted request, method, the call as the product makes it)
SITES: list[tuple[str, str, str | None, Callable[[Ctx], Any]]] = [
    ("openid discovery (tenants.resolve)", r"openid-configuration", "GET",
     lambda c: c.connector.openid().configuration(c.fx["primary_tenant_id"])),
    ("token (azure-identity)", r"/oauth2/v2\.0/token", "POST",
     lambda c: c.credential().get_token(c.connector.endpoints.arm_scope())),
    ("token (MSAL, consent)", r"/oauth2/v2\.0/token", "POST", _msal_token),
    ("subscriptions list", r"/arm/subscriptions$", "GET",
     lambda c: list(c.connector.subscriptions(c.credential()).subscriptions.list())),
    ("Graph read (secret expiry)", r"/graph/v1\.0/applications", "GET",
     lambda c: c.connector.graph(c.credential()).get("/applications")),
    ("ARM REST (permissions)", r"/providers/Microsoft\.Authorization/permissions", "GET",
     lambda c: c.connector.arm_rest(c.credential()).get(
         f"/subscriptions/{c.sub()}/providers/Microsoft.Authorization/permissions", "2022-04-01")),
    ("role assignments", r"/providers/Microsoft\.Authorization/roleAssignments", "GET",
     lambda c: list(c.connector.authorization(c.credential(), c.sub()).role_assignments.list_for_scope(
         f"/subscriptions/{c.sub()}"))),
    ("Resource Graph", r"/providers/Microsoft\.ResourceGraph/resources", "POST",
     lambda c: __import__("skytally.inventory.graph", fromlist=["containers"]).containers(
         c.connector.resource_graph(c.credential()), [c.sub()])),
    ("ARM resources list", r"/resources$", "GET",
     lambda c: list(c.connector.resources(c.credential(), c.sub()).resources.list())),
    ("Cost Details report POST", r"generateCostDetailsReport", "POST", _cost_report),
    ("Cost Details poll", r"costDetailsOperationResults", "GET", _cost_report),
    ("report blob download", r"/blobs?/|\.blob\.", "GET", _blob),
    ("EA balance summary", r"/balancesummary", "GET",
     lambda c: c.connector.ea_reporting(_ea_key(c)).get(
         f"/v3/enrollments/{c.fx['ea_enrollment_number']}/billingPeriods/{c.s.previous_period().replace('-', '')}/balancesummary")),
    ("EA usage download", r"/usagedetails/download", "GET",
     lambda c: c.connector.ea_reporting(_ea_key(c)).download(
         f"/v3/enrollments/{c.fx['ea_enrollment_number']}/usagedetails/download", c.tmp / "ea.csv",
         billingPeriod=c.s.previous_period().replace("-", ""))),
]


def _rule(path: str, method: str | None, fault: str, count: int | None = 1) -> dict[str, Any]:
    kind = "slow" if fault == "timeout" else fault
    # a 429 asks to wait 1 s (honoured); the 503s' Retry-After is 0 (the matrix stays quick)
    rule: dict[str, Any] = {"path": path, "rates": {kind: 1}, "count": count, "retry_after": 1 if fault == "429" else 0,
                            "slow_seconds": SLOW_SECONDS}
    if method:
        rule["method"] = method
    return rule


@pytest.fixture
def ctx(setup: Setup, tmp_path: Path) -> Iterator[Ctx]:  # noqa: F811
    _reports.clear()
    yield Ctx(setup, tmp_path)
    setup.emu.control.delete("/faults")


@pytest.mark.parametrize("site", SITES, ids=[s[0] for s in SITES])
def test_every_call_site_retries_every_transient_fault(ctx: Ctx, site: tuple[str, str, str | None, Callable[[Ctx], Any]]) -> None:
    name, path, method, call = site
    if name == "report blob download":
        _cost_report_unfaulted(ctx)  # the report itself is not faulted
    passed = []
    for fault in FAULTS:
        ctx.s.emu.control.delete("/requests")
        ctx.s.emu.control.post("/faults", json={"rules": [_rule(path, method, fault)]}).raise_for_status()
        call(ctx)  # retried to success: no exception
        rules = ctx.s.emu.control.get("/faults").json()["rules"]
        assert rules[0]["count"] == 0, f"{name} × {fault}: the fault was never injected (path {path})"
        passed.append(fault)
    assert passed == FAULTS


def test_a_persistent_fault_is_reported_as_that_call_failing(ctx: Ctx) -> None:
    ctx.s.emu.control.post("/faults", json={"rules": [_rule("/balancesummary", "GET", "503", None)]})
    from skytally.azure.rest import AzureHttpError

    with pytest.raises(AzureHttpError) as err:
        ctx.connector.ea_reporting(_ea_key(ctx)).get(
            f"/v3/enrollments/{ctx.fx['ea_enrollment_number']}/billingPeriods/202401/balancesummary")
    assert err.value.status == 503
    attempts = ctx.s.emu.control.get("/requests", params={"path_contains": "balancesummary"}).json()
    entries = attempts["value"] if isinstance(attempts, dict) else attempts
    assert len(entries) == FAST.total + 1  # the first try and every retry


def test_a_retry_after_beyond_the_cap_is_not_waited_for(ctx: Ctx, monkeypatch: pytest.MonkeyPatch) -> None:
    rule = _rule("/balancesummary", "GET", "429", None)
    rule["retry_after"] = 3600
    ctx.s.emu.control.post("/faults", json={"rules": [rule]})
    from skytally.azure.rest import AzureHttpError

    with pytest.raises(AzureHttpError) as err:
        ctx.connector.ea_reporting(_ea_key(ctx)).get(
            f"/v3/enrollments/{ctx.fx['ea_enrollment_number']}/billingPeriods/202401/balancesummary")
    assert err.value.status == 429


def test_an_import_and_an_inventory_sync_go_through_faults(ctx: Ctx) -> None:
    """One reset on the report POST, a 503 and a reset on the blob download, a reset on
    Resource Graph: the jobs retry them and succeed, with exact results."""
    s = ctx.s
    ea = s.fx["ea_enrollment_number"]
    account_id = s.connect_sp(ea)
    period = s.previous_period()
    s.emu.control.post("/faults", json={"rules": [
        _rule("generateCostDetailsReport", "POST", "reset"), _rule(r"/blobs?/|\.blob\.", "GET", "503"),
        _rule(r"/blobs?/|\.blob\.", "GET", "reset"),
        _rule("Microsoft.ResourceGraph/resources", "POST", "reset")]}).raise_for_status()
    run = s.import_now(account_id, period)
    assert run.status == "succeeded", run.error
    assert_exact(s, "ea_sp", account_id, ea, period)
    from skytally.inventory.jobs import SYNC
    from skytally.jobs import service as jobs

    sync = jobs.submit(s.rt.db, s.rt.queue, SYNC, params={"account_id": account_id})
    assert s.run(sync.id).status == "succeeded", s.run(sync.id).error
    assert all(r["count"] == 0 for r in s.emu.control.get("/faults").json()["rules"])


def test_costs_sync_exits_non_zero_naming_the_part_that_failed(ctx: Ctx) -> None:
    s = ctx.s
    good = s.connect_sp(s.fx["ea_enrollment_number"])
    bad, _ = s.connect_ea_token(tenant_id=s.fx["second_tenant_id"])
    period = s.previous_period()
    s.emu.control.post("/faults", json={"rules": [_rule("/usagedetails/download", "GET", "503", None)]})
    env = {**os.environ, **s.emu.settings, "SKYTALLY_DATA_DIR": str(s.rt.settings.data_dir),
           "SKYTALLY_DATABASE_URL": s.rt.settings.resolved_database_url, "SKYTALLY_DEMO": "true", "COLUMNS": "200"}
    done = subprocess.run([sys.executable, "-m", "skytally.cli.main", "costs", "sync", "--period", period],
                          capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "1 of 2 import(s) failed: EA enrollment" in done.stderr, done.stdout + done.stderr
    assert "imported" in done.stdout  # the other scope's import is reported, and kept
    assert good != bad

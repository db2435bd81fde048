"""The REST API and the CLI over the same services: consent URLs, service principals,
EA tokens, subscriptions and access levels, with --json; secrets never come back."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from fastapi.testclient import TestClient

from accounts.conftest import People
from azure_emulator.testing import RunningEmulator
from skytally.runtime import Runtime
from skytally.web.app import create_app
from skytally.workspaces.auth import create_api_token
from skytally.workspaces.schemas import ApiTokenCreate


def test_rest_api(emu: RunningEmulator, rt: Runtime, people: People, fx: dict[str, str]) -> None:
    with rt.db.session() as s:
        token = create_api_token(s, people.admin, ApiTokenCreate(name="t")).token
    client = TestClient(create_app(rt), headers={"Authorization": f"Bearer {token}"})
    started = client.post("/api/v1/accounts", json={"kind": "azure", "tenant": "contoso.com", "workspace_ids": [people.ws_id]})
    assert started.status_code == 201 and "/oauth2/v2.0/authorize?" in started.json()["url"]
    bad = client.post("/api/v1/accounts", json={"tenant": "not a domain"})
    assert bad.status_code == 422 and "neither a tenant ID" in bad.json()["detail"]

    wrong = client.post("/api/v1/accounts/service-principal", json={"credential": {
        "kind": "client_secret", "tenant_id": fx["primary_tenant_id"], "client_id": fx["customer_sp_client_id"],
        "client_secret": "definitely-wrong"}})
    assert wrong.status_code == 422 and "client secret is wrong" in wrong.json()["detail"]
    assert "cause:" not in wrong.json()["detail"]
    made = client.post("/api/v1/accounts/service-principal", json={"name": "Contoso", "workspace_ids": [people.ws_id],
        "credential": {"kind": "client_secret", "tenant_id": "contoso.com", "client_id": fx["customer_sp_client_id"],
                       "client_secret": fx["customer_sp_secret"], "billing_account_id": fx["ea_enrollment_number"]}})
    assert made.status_code == 201, made.text
    assert fx["customer_sp_secret"] not in made.text
    account_id = made.json()["account"]["id"]
    assert made.json()["account"]["billing_accounts"][0]["role"] == "EnrollmentReader"
    # connecting started the first inventory sync and the cost imports (costs/autostart.py)
    runs = {r["kind"]: r for r in client.get("/api/v1/jobs").json() if r["params"].get("account_id") == account_id}
    assert runs["inventory.sync"]["status"] == "succeeded" and runs["costs.import"]["status"] == "succeeded", runs
    periods = client.get(f"/api/v1/costs/imports?account_id={account_id}").json()
    assert periods and {p["status"] for p in periods} == {"ok"}, periods

    key = emu.control.post("/billing/ea-keys", json={}).json()["key"]
    added = client.post(f"/api/v1/accounts/{account_id}/tokens", json={"token": key})
    assert added.status_code == 201 and key not in added.text and added.json()["in_use"]
    expired = client.post(f"/api/v1/accounts/{account_id}/tokens",
                          json={"token": emu.control.post("/billing/ea-keys", json={"expired": True}).json()["key"]})
    assert expired.status_code == 422 and expired.json()["detail"].startswith("expired")
    subs = client.get("/api/v1/subscriptions").json()
    assert [x["subscription_id"] for x in subs] == [fx["customer_sp_subscription_id"]]
    access = client.put(f"/api/v1/accounts/{account_id}/subscriptions/{subs[0]['subscription_id']}/access",
                        json={"level": "tags"})
    assert access.json()["subscription"]["access_level"] == "tags"
    swap = client.put(f"/api/v1/accounts/{account_id}/subscriptions/{subs[0]['subscription_id']}/access",
                      json={"level": "tags-writeback"})
    assert swap.status_code == 422 and "Tag Contributor" in swap.json()["detail"]
    # "Check now" records the credential's status: a viewer of the workspace may not (403, as on the page)
    with rt.db.session() as s:
        from pydantic import SecretStr

        from skytally.workspaces import service as ws_service
        from skytally.workspaces.models import WorkspaceRole
        from skytally.workspaces.schemas import MemberAdd, UserCreate

        viewer = ws_service.create_user(s, None, UserCreate(email="viewer@example.com", password=SecretStr("v" * 16)))
        ws_service.add_member(s, None, people.ws_id, MemberAdd(email=viewer.email, role=WorkspaceRole.VIEWER))
        viewer_token = create_api_token(s, ws_service.actor_for_user(s, ws_service.repo.user_by_email(s, viewer.email)),
                                        ApiTokenCreate(name="v")).token
    credential = client.get(f"/api/v1/accounts/{account_id}/credentials").json()[0]
    as_viewer = TestClient(create_app(rt), headers={"Authorization": f"Bearer {viewer_token}"})
    assert as_viewer.get(f"/api/v1/accounts/{account_id}/credentials").status_code == 200  # may see it
    refused = as_viewer.post(f"/api/v1/accounts/{account_id}/credentials/{credential['id']}/check")
    assert refused.status_code == 403, refused.text
    assert client.get(f"/api/v1/accounts/{account_id}/credentials").json()[0]["last_checked_at"] == \
        credential["last_checked_at"]  # unchanged
    assert client.post(f"/api/v1/accounts/{account_id}/credentials/{credential['id']}/check").status_code == 200
    assert client.put(f"/api/v1/accounts/{account_id}/workspaces", json={"workspace_ids": [people.other_ws_id]}).status_code == 200
    assert client.delete(f"/api/v1/accounts/{account_id}").status_code == 204
    assert client.get(f"/api/v1/accounts/{account_id}").status_code == 404


def test_cli(emu: RunningEmulator, rt: Runtime, fx: dict[str, str], tmp_path: Path) -> None:
    env = {**os.environ, **emu.settings, "SKYTALLY_DATA_DIR": str(rt.settings.data_dir), "SKYTALLY_DEMO": "true",
           "SKYTALLY_DATABASE_URL": rt.settings.resolved_database_url, "COLUMNS": "200",
           "SKYTALLY_SP_SECRET": fx["customer_sp_secret"]}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "skytally.cli.main", *args], capture_output=True, text=True,
                              env=env, timeout=120)

    consent = run("accounts", "add", "contoso.com", "--name", "Contoso")
    assert consent.returncode == 0 and "Open this URL" in consent.stdout and "authorize?" in consent.stdout
    bad = run("accounts", "connect-sp", fx["primary_tenant_id"], "--client-id", fx["expired_sp_client_id"],
              "--secret", fx["expired_sp_secret"])
    assert bad.returncode == 1 and "has expired" in bad.stderr and "cause:" not in bad.stderr
    ok = run("accounts", "connect-sp", "contoso.com", "--client-id", fx["customer_sp_client_id"], "--json")
    assert ok.returncode == 0, ok.stderr
    listed = json.loads(run("accounts", "list", "--json").stdout)
    assert listed[0]["connection"] == "service_principal" and fx["customer_sp_secret"] not in json.dumps(listed)
    # the tables say it in words, not codes; a principal has no consent to show ("consented by — at —")
    assert "service_principal" not in run("accounts", "list").stdout
    shown = run("accounts", "show", "contoso.com").stdout
    assert "connection: your own service principal" in shown and "consented by" not in shown
    key_file = tmp_path / "ea.key"
    key_file.write_text(emu.control.post("/billing/ea-keys", json={}).json()["key"])
    assert run("tokens", "add", str(listed[0]["id"]), "--file", str(key_file)).returncode == 0
    tokens = json.loads(run("tokens", "list", "contoso.com", "--json").stdout)
    assert tokens[0]["status"] == "valid" and tokens[0]["hint"].startswith("••••")
    subs = json.loads(run("subscriptions", "list", "--json").stdout)
    assert subs[0]["role_status"] == "active"
    table = run("accounts", "show", str(listed[0]["id"]))
    assert "Subscriptions" in table.stdout and "EA access tokens" in table.stdout
    assert run("accounts", "remove", str(listed[0]["id"]), "--yes").returncode == 0

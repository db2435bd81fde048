"""EA access tokens (incomplete / expired / revoked, newest valid used), Office 365 admin
consent, workspace scoping, and the proof that a delegated token is never persisted."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from accounts.conftest import People
from accounts.flows import assignments, parse_url, sign_in, snapshot
from azure_emulator.testing import RunningEmulator
from conftest import backend_params
from skytally.accounts import consent_finish, ea_tokens, service
from skytally.accounts.context import AccountsEnv
from skytally.accounts.models import AccountKind, CloudAccount
from skytally.accounts.schemas import AccountCreate
from skytally.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from skytally.runtime import Runtime
from skytally.workspaces.models import WorkspaceRole
from skytally.workspaces.schemas import Actor

pytestmark = pytest.mark.parametrize("database_url", backend_params(), indirect=True)


def _account(rt: Runtime, people: People, fx: dict[str, str]) -> int:
    with rt.db.session() as s:
        row = CloudAccount(kind="azure", name="Contoso EA", tenant_id=fx["primary_tenant_id"], connection="consent")
        s.add(row)
        s.flush()
        from skytally.accounts import repo

        repo.set_workspaces(s, row.id, [people.ws_id])
        return row.id


def _mint(emu: RunningEmulator, **body: object) -> str:
    return str(emu.control.post("/billing/ea-keys", json=body).json()["key"])


def test_ea_tokens(emu: RunningEmulator, rt: Runtime, env: AccountsEnv, people: People, fx: dict[str, str]) -> None:
    account_id = _account(rt, people, fx)
    before = snapshot(rt)
    cases = {
        "incomplete": "eyJhbGciOiJSUzI1NiJ9.eyJFbnJvbGxtZW50TnVtYmVyIjoiMSJ9",  # two parts: truncated paste
        "expired": _mint(emu, expired=True),
        "revoked": _mint(emu),
    }
    emu.control.post("/ea-keys/revoke", json={"key": cases["revoked"]})
    whole = _mint(emu)
    head, body, sig = whole.split(".")
    cases["incomplete "] = whole[:-20]  # the signature cut short: not "revoked"
    forged = sig[:10] + ("A" if sig[10] != "A" else "B") + sig[11:]
    cases["invalid"] = f"{head}.{body}.{forged}"  # a signature that does not match: not "revoked"
    for reason, token in cases.items():
        with rt.db.session() as s, pytest.raises(InvalidInput) as err:
            ea_tokens.add(s, env, people.admin, account_id, token)
        assert err.value.message.startswith(reason.strip()), err.value.message
    with rt.db.session() as s, pytest.raises(InvalidInput, match="incomplete: the token's payload"):
        ea_tokens.add(s, env, people.admin, account_id, "eyJhbGciOiJSUzI1NiJ9.!!!.sig")
    assert snapshot(rt) == before

    older, newer = _mint(emu), _mint(emu, days=170)
    with rt.db.session() as s:
        first = ea_tokens.add(s, env, people.admin, account_id, older)
    with rt.db.session() as s:
        second = ea_tokens.add(s, env, people.admin, account_id, "  bearer " + newer + "\n")
    with rt.db.session() as s, pytest.raises(Conflict, match="already stored"):  # the same key, pasted again
        ea_tokens.add(s, env, people.admin, account_id, older + "\n")
    with rt.db.session() as s:
        listed = {t.id: t for t in ea_tokens.listing(s, people.admin, account_id)}
        out = service.get_account(s, people.admin, account_id)
    assert listed[second.id].in_use and not listed[first.id].in_use
    assert listed[second.id].enrollment_number == fx["ea_enrollment_number"]
    assert all(t.hint.startswith("••••") and len(t.hint) < 16 for t in listed.values())
    assert older not in out.model_dump_json() and newer not in out.model_dump_json()
    assert out.billing_accounts[0].agreement_type == "EnterpriseAgreement"

    # The newer key gets revoked: the daily health check says so, and the older one is used.
    emu.control.post("/ea-keys/revoke", json={"key": newer})
    from skytally.accounts.jobs import HEALTH
    from skytally.jobs import service as jobs

    run = jobs.submit(rt.db, rt.queue, HEALTH)
    with rt.db.session() as s:
        done = jobs.get_run(s, people.admin, run.id)
        listed = {t.id: t for t in ea_tokens.listing(s, people.admin, account_id)}
    assert done.status == "partial"
    assert listed[second.id].status == "revoked" and "401" in listed[second.id].reason
    assert listed[first.id].in_use
    with rt.db.session() as s:
        ea_tokens.delete(s, env, people.admin, account_id, first.id)
    with rt.db.session() as s:
        assert [t.id for t in ea_tokens.listing(s, people.admin, account_id)] == [second.id]
        assert "No valid EA access token" in " ".join(service.get_account(s, people.admin, account_id).warnings)


def test_office365_admin_consent(emu: RunningEmulator, rt: Runtime, env: AccountsEnv, people: People,
                                 fx: dict[str, str]) -> None:
    create = AccountCreate(kind=AccountKind.OFFICE365, name="Northwind", tenant=fx["o365_domain"],
                           workspace_ids=[people.ws_id])
    # A non-admin cannot grant application permissions: nothing is recorded.
    before = snapshot(rt)
    with rt.db.session() as s:
        start = service.start_add_account(s, env, people.admin, create)
    assert "/v2.0/adminconsent" in start.url and parse_url(start.url)["state"]
    back = sign_in(emu, start.url, fx["o365_admin_upn"], fx["o365_admin_password"], accept=False)
    assert back.query is not None and back.query["error"] == "permission_denied"
    with rt.db.session() as s:
        outcome = consent_finish.complete(s, env, people.admin, back.query)
    assert not outcome.ok and "cancelled" in outcome.message
    assert snapshot(rt) == before

    with rt.db.session() as s:
        start = service.start_add_account(s, env, people.admin, create)
    back = sign_in(emu, start.url, fx["o365_admin_upn"], fx["o365_admin_password"])
    assert back.query is not None and back.query.get("admin_consent") == "True"
    with rt.db.session() as s:
        outcome = consent_finish.complete(s, env, people.admin, back.query)
    assert outcome.ok, outcome.message
    for permission in ("Reports.Read.All", "Group.Read.All", "User.Read.All"):
        assert permission in outcome.granted_permissions
    with rt.db.session() as s:
        accounts = service.list_accounts(s, people.admin, AccountKind.OFFICE365)
    assert accounts[0].tenant_id == fx["o365_tenant_id"] and not accounts[0].missing_permissions


def test_accounts_visible_only_in_their_workspaces(rt: Runtime, env: AccountsEnv, people: People,
                                                   fx: dict[str, str]) -> None:
    account_id = _account(rt, people, fx)
    member = Actor(user_id=999, email="m@example.com", is_admin=False, roles={people.other_ws_id: WorkspaceRole.ADMIN})
    viewer = Actor(user_id=998, email="v@example.com", is_admin=False, roles={people.ws_id: WorkspaceRole.VIEWER})
    with rt.db.session() as s:
        assert service.list_accounts(s, member) == []
        with pytest.raises(NotFound):
            service.get_account(s, member, account_id)
        assert [a.id for a in service.list_accounts(s, viewer)] == [account_id]
        with pytest.raises(PermissionDenied):
            service.remove_account(s, env, viewer, account_id)
        with pytest.raises(NotFound):
            service.assign_workspaces(s, member, account_id, [people.other_ws_id])
        service.assign_workspaces(s, people.admin, account_id, [people.other_ws_id])
    with rt.db.session() as s:
        assert [a.id for a in service.list_accounts(s, member)] == [account_id]
        assert service.list_accounts(s, viewer) == []


def test_delegated_token_is_never_persisted(emu: RunningEmulator, rt: Runtime, env: AccountsEnv, people: People,
                                            fx: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []
    from skytally.azure.rest import StaticTokenCredential

    original = StaticTokenCredential.__init__

    def spy(self: object, token: str, expires_on: int) -> None:
        seen.append(token)
        original(self, token, expires_on)  # type: ignore[arg-type]

    monkeypatch.setattr(StaticTokenCredential, "__init__", spy)
    with rt.db.session() as s:
        start = service.start_add_account(s, env, people.admin, AccountCreate(tenant="contoso.com", workspace_ids=[people.ws_id]))
    back = sign_in(emu, start.url, fx["owner_upn"], fx["owner_password"])
    assert back.query is not None
    with rt.db.session() as s:
        assert consent_finish.complete(s, env, people.admin, back.query).ok
    assert len(seen) == 1 and seen[0].count(".") == 2
    token = seen[0]
    signature = token.split(".")[2]
    # Every row of every table, plus every file in the data dir (database, WAL, queue, key).
    with rt.db.engine.connect() as conn:
        tables = inspect(conn).get_table_names()
        dump = "\n".join(str(tuple(row)) for t in tables for row in conn.execute(text(f'SELECT * FROM "{t}"')))
    assert token not in dump and signature not in dump
    data_dir = Path(rt.settings.data_dir)
    files = [*data_dir.rglob("*")]
    if rt.db.engine.dialect.name == "sqlite":
        db_file = Path(str(rt.db.engine.url.database))
        files += list(db_file.parent.glob(db_file.name + "*"))
        # The database file itself through sqlite's own dump as well.
        dumped = subprocess.run(
            [sys.executable, "-c", f"import sqlite3;print('\\n'.join(sqlite3.connect('{db_file}').iterdump()))"],
            capture_output=True, text=True, check=True,
        ).stdout
        assert signature not in dumped
    for path in files:
        if path.is_file():
            blob = path.read_bytes()
            assert token.encode() not in blob and signature.encode() not in blob, path
    assert assignments(emu, fx["skytally_sp_object_id"])

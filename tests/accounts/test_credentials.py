"""Service-principal credentials against the emulator: each failure names its exact cause
and leaves nothing behind; success records subscriptions, billing account and expiry;
secrets are replaced in place with history; warnings at 30 and 7 days."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import SecretStr, TypeAdapter

from accounts.conftest import People
from accounts.flows import assignments, snapshot
from azure_emulator.testing import RunningEmulator
from azure_emulator.world.model import PasswordCredential
from skytally.accounts import service, service_principals
from skytally.accounts.context import AccountsEnv
from skytally.accounts.credentials import ClientSecretCredentialIn, CredentialIn
from skytally.accounts.schemas import AccountKind, expiry_warning
from skytally.errors import InvalidInput
from skytally.runtime import Runtime


def _cred(fx: dict[str, str], **over: object) -> ClientSecretCredentialIn:
    values: dict[str, object] = {
        "tenant_id": fx["primary_tenant_id"], "client_id": fx["customer_sp_client_id"],
        "client_secret": SecretStr(fx["customer_sp_secret"]),
    }
    values.update(over)
    return ClientSecretCredentialIn(**values)  # type: ignore[arg-type]


FAILURES = {
    "tenant_not_found": lambda fx: {"tenant_id": "00000000-0000-4000-8000-00000000dead"},
    "app_not_in_tenant": lambda fx: {"tenant_id": fx["second_tenant_id"]},
    "wrong_secret": lambda fx: {"client_secret": SecretStr(fx["customer_sp_secret"] + "x")},
    "expired_secret": lambda fx: {"client_id": fx["expired_sp_client_id"], "client_secret": SecretStr(fx["expired_sp_secret"])},
    "billing_role_missing": lambda fx: {"billing_account_id": fx["mca_billing_account_id"]},
    "subscription_role_missing": lambda fx: {"client_id": fx["skytally_client_id"],
                                             "client_secret": SecretStr(fx["skytally_client_secret"])},
}
MESSAGES = {
    "tenant_not_found": "no Microsoft Entra tenant", "app_not_in_tenant": "was not found in tenant",
    "wrong_secret": "client secret is wrong", "expired_secret": "has expired",
    "billing_role_missing": "Billing Account Reader", "subscription_role_missing": "no role on any subscription",
}


@pytest.mark.parametrize("problem", list(FAILURES))
def test_each_failure_has_its_exact_cause(problem: str, emu: RunningEmulator, rt: Runtime, env: AccountsEnv,
                                          people: People, fx: dict[str, str]) -> None:
    before = (snapshot(rt), assignments(emu))
    data = _cred(fx, **FAILURES[problem](fx))
    with rt.db.session() as s, pytest.raises(InvalidInput) as err:
        service_principals.connect(s, env, people.admin, "Contoso SP", data, [people.ws_id])
    assert err.value.cause == problem and "cause:" not in err.value.message
    assert MESSAGES[problem] in err.value.message
    assert (snapshot(rt), assignments(emu)) == before


def test_connect_records_subscriptions_billing_and_expiry(emu: RunningEmulator, rt: Runtime, env: AccountsEnv,
                                                          people: People, fx: dict[str, str]) -> None:
    data = TypeAdapter(CredentialIn).validate_python({
        "kind": "client_secret", "tenant_id": fx["primary_domain"], "client_id": fx["customer_sp_client_id"],
        "client_secret": fx["customer_sp_secret"], "billing_account_id": fx["ea_enrollment_number"],
    })
    with rt.db.session() as s:
        account, cred, result = service_principals.connect(s, env, people.admin, "Contoso SP", data, [people.ws_id])
        account_id, cred_id = account.id, cred.id
    assert result.ok and result.expiry_source == "graph"
    with rt.db.session() as s:
        out = service.get_account(s, people.admin, account_id)
    assert out.connection == "service_principal" and out.tenant_id == fx["primary_tenant_id"]
    assert [x.subscription_id for x in out.subscriptions] == [fx["customer_sp_subscription_id"]]
    assert out.subscriptions[0].role_status.value == "active" and out.subscriptions[0].role_name == "Reader"
    assert out.billing_accounts[0].agreement_type == "EnterpriseAgreement"
    assert out.billing_accounts[0].role == "EnrollmentReader" and out.billing_accounts[0].role_status == "ok"
    credential = out.credentials[0]
    assert credential.expires_at is not None and credential.secret_hint.startswith("••••")
    assert fx["customer_sp_secret"] not in out.model_dump_json()
    with rt.db.session() as s:  # the demo finds its sample tenant this way (`skytally demo`)
        found = service.account_for_tenant(s, AccountKind.AZURE, fx["primary_tenant_id"])
        assert found is not None and found.id == account_id
        assert service.account_for_tenant(s, AccountKind.OFFICE365, fx["primary_tenant_id"]) is None

    # Replace the secret in place: same credential id, history kept, the old one retired.
    app = emu.world.application(fx["customer_sp_client_id"]) if emu.world else None
    assert app is not None
    now = datetime.now(UTC)
    new_secret = "Nw8Q~" + "n" * 34
    app.password_credentials.append(PasswordCredential("k-new", "rotated", new_secret, new_secret[:3], now,
                                                       now + timedelta(days=20)))
    with rt.db.session() as s, pytest.raises(InvalidInput, match="client secret is wrong"):
        service_principals.replace_secret(s, env, people.admin, account_id, cred_id, SecretStr("nope-" + new_secret))
    with rt.db.session() as s:
        replaced = service_principals.replace_secret(s, env, people.admin, account_id, cred_id, SecretStr(new_secret))
    assert replaced.id == cred_id and len(replaced.history) == 2
    assert replaced.history[0].retired_at is not None and replaced.history[1].retired_at is None
    assert replaced.warning is not None and "expires in 19 days" in replaced.warning
    with rt.db.session() as s:
        assert rt.vault.reveal(s, service_principals.stored_secret_id(s, cred_id)).get_secret_value() == new_secret


def test_expiry_warnings_at_30_and_7_days() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert expiry_warning("Secret", now + timedelta(days=45), now) is None
    assert "expires in 29 days" in (expiry_warning("Secret", now + timedelta(days=29, hours=1), now) or "")
    assert "expires in 6 days" in (expiry_warning("Secret", now + timedelta(days=6, hours=3), now) or "")
    assert "expired on 2025-12-31" in (expiry_warning("Secret", now - timedelta(days=1), now) or "")
    assert expiry_warning("Secret", None, now) is None


def test_credential_kinds_validate() -> None:
    adapter = TypeAdapter(CredentialIn)
    with pytest.raises(ValueError, match="client"):
        adapter.validate_python({"kind": "client_secret", "tenant_id": "contoso.com", "client_id": "nope",
                                 "client_secret": "s"})
    with pytest.raises(ValueError, match="PEM"):
        adapter.validate_python({"kind": "certificate", "tenant_id": "contoso.com",
                                 "client_id": "00000000-0000-4000-8000-000000000001", "certificate_pem": "x"})
    with pytest.raises(ValueError):
        adapter.validate_python({"kind": "password", "tenant_id": "t", "client_id": "c"})

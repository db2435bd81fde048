"""One tenant, several identities: each subscription is read by the identity that was
given access to it (skytally's app after an owner's consent, or the customer's principal),
the page says which, and the inventory sync uses exactly that identity for each."""

from __future__ import annotations

from pydantic import SecretStr

from accounts.conftest import People
from accounts.flows import sign_in
from azure_emulator.testing import RunningEmulator
from skytally.accounts import consent_finish, service, service_principals
from skytally.accounts.context import AccountsEnv
from skytally.accounts.credentials import ClientSecretCredentialIn
from skytally.accounts.models import CloudAccount
from skytally.errors import AlreadyConnected
from skytally.inventory.sync import sync_account
from skytally.runtime import Runtime


def test_consent_into_a_service_principal_tenant_reads_each_subscription_with_its_own_identity(
        emu: RunningEmulator, rt: Runtime, env: AccountsEnv, people: People, fx: dict[str, str]) -> None:
    data = ClientSecretCredentialIn(tenant_id=fx["primary_tenant_id"], client_id=fx["customer_sp_client_id"],
                                    client_secret=SecretStr(fx["customer_sp_secret"]))
    with rt.db.session() as s:
        account, cred, _ = service_principals.connect(s, env, people.admin, "Contoso SP", data, [people.ws_id])
        account_id, cred_id = account.id, cred.id
    sp_sub = fx["customer_sp_subscription_id"]

    # Connecting the same tenant again is refused with what can be done; nothing merges.
    with rt.db.session() as s:
        try:
            service_principals.connect(s, env, people.admin, "Typed name", data, [people.other_ws_id])
            raise AssertionError("connecting twice must be refused")
        except AlreadyConnected as exc:
            assert exc.account_id == account_id and "already connected with a service principal" in exc.message
    with rt.db.session() as s:
        out = service.get_account(s, people.admin, account_id)
    assert out.name == "Contoso SP" and [w.id for w in out.workspaces] == [people.ws_id]

    # An owner consents for the subscriptions they own (Add Existing Subscriptions).
    with rt.db.session() as s:
        start = service.start_add_subscriptions(s, env, people.admin, account_id)
    back = sign_in(emu, start.url, fx["owner_upn"], fx["owner_password"])
    assert back.query is not None
    with rt.db.session() as s:
        outcome = consent_finish.complete(s, env, people.admin, back.query)
    assert outcome.ok, outcome.message
    owned = set(fx["owned_subscription_ids"].split())

    with rt.db.session() as s:
        out = service.get_account(s, people.admin, account_id)
        row = s.get(CloudAccount, account_id)
        assert row is not None
        groups = {g.reader.kind: {x.subscription_id for x in g.subscriptions} for g in service.readers_of(s, env, row)}
    subs = {x.subscription_id: x for x in out.subscriptions}
    for sid in owned:
        assert subs[sid].read_by == "skytally_app" and subs[sid].read_by_label == "skytally's app (consent)"
    if sp_sub not in owned:
        assert subs[sp_sub].read_by == "service_principal"
        assert subs[sp_sub].read_by_label == f"your service principal {fx['customer_sp_client_id']}"
        assert groups["service_principal"] == {sp_sub}
    assert groups["skytally_app"] == owned
    assert cred_id

    # The sync reads every subscription with its own identity: none fails for the other's lack of a role.
    result = sync_account(rt.db, env, account_id)
    failed = [o for o in result.subscriptions if o.status == "failed"]
    assert not failed, failed
    with rt.db.session() as s:
        out = service.get_account(s, people.admin, account_id)
    synced = {x.subscription_id for x in out.subscriptions if x.last_sync_status == "ok"}
    active = {x.subscription_id for x in out.subscriptions if x.role_status.value == "active"}
    assert synced == active and active

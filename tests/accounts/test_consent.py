"""Azure consent against the emulator over HTTPS: the happy path, idempotent re-consent,
access-level swaps, and every failure path leaving Azure and skytally unchanged."""

from __future__ import annotations

from datetime import timedelta

import pytest

from accounts.conftest import People
from accounts.flows import assignments, parse_url, sign_in, snapshot
from azure_emulator.testing import RunningEmulator
from conftest import backend_params
from skytally.accounts import consent_finish, service
from skytally.accounts.context import AccountsEnv
from skytally.accounts.models import AccessLevel, AccountKind, ConsentRequest
from skytally.accounts.roles import READER, TAG_CONTRIBUTOR
from skytally.accounts.schemas import AccountCreate, ConsentStart
from skytally.errors import AlreadyConnected
from skytally.runtime import Runtime
from skytally.store.base import utcnow

pytestmark = pytest.mark.parametrize("database_url", backend_params(), indirect=True)


def _start(rt: Runtime, env: AccountsEnv, people: People, tenant: str) -> ConsentStart:
    with rt.db.session() as s:
        return service.start_add_account(
            s, env, people.admin, AccountCreate(kind=AccountKind.AZURE, name="Contoso", tenant=tenant,
                                                workspace_ids=[people.ws_id]),
        )


def _complete(rt: Runtime, env: AccountsEnv, people: People, query: dict[str, str]):  # type: ignore[no-untyped-def]
    with rt.db.session() as s:
        return consent_finish.complete(s, env, people.admin, query)


def test_owner_consents_by_domain_and_gets_reader(emu: RunningEmulator, rt: Runtime, env: AccountsEnv,
                                                  people: People, fx: dict[str, str]) -> None:
    start = _start(rt, env, people, "contoso.com")
    assert start.tenant_id == fx["primary_tenant_id"]
    params = parse_url(start.url)
    assert params["code_challenge_method"] == "S256" and params["code_challenge"]
    assert params["redirect_uri"] == "http://127.0.0.1:8765/accounts/consent/callback"
    back = sign_in(emu, start.url, fx["owner_upn"], fx["owner_password"])
    assert back.query is not None and "code" in back.query
    outcome = _complete(rt, env, people, back.query)
    assert outcome.ok, outcome.message
    assert outcome.consented_by == fx["owner_upn"]
    by_id = {r.subscription_id: r for r in outcome.subscriptions}
    owned = fx["owned_subscription_ids"].split()
    for sid in owned:
        assert by_id[sid].outcome in ("assigned", "already")
        assert by_id[sid].role_status.value in ("active", "activating")
    assert by_id[fx["not_owned_subscription_id"]].outcome == "needs_owner"
    sp = fx["skytally_sp_object_id"]
    held = assignments(emu, sp)
    for sid in owned:
        assert (f"/subscriptions/{sid}", READER, sp) in held
    assert not any(scope == f"/subscriptions/{fx['not_owned_subscription_id']}" for scope, _, _ in held)
    with rt.db.session() as s:
        accounts = service.list_accounts(s, people.admin)
    assert [a.name for a in accounts] == ["Contoso"]
    assert accounts[0].workspaces[0].id == people.ws_id
    subs = {x.subscription_id: x for x in accounts[0].subscriptions}
    assert subs[fx["not_owned_subscription_id"]].role_label == "needs an owner to consent"
    assert subs[owned[0]].role_name == "Reader"

    # Adding the tenant again says so and changes nothing (never merges silently).
    with pytest.raises(AlreadyConnected, match="already connected by consent as “Contoso”") as err:
        _start(rt, env, people, fx["primary_tenant_id"])
    assert err.value.account_id == accounts[0].id and "Add Existing Subscriptions" in err.value.message

    # Re-consent (Add Existing Subscriptions by the same owner) is idempotent: same assignments, same records.
    with rt.db.session() as s:
        again_start = service.start_add_subscriptions(s, env, people.admin, accounts[0].id)
    again = sign_in(emu, again_start.url, fx["owner_upn"], fx["owner_password"])
    assert again.query is not None
    second = _complete(rt, env, people, again.query)
    assert second.ok and all(r.outcome in ("already", "needs_owner") for r in second.subscriptions)
    assert assignments(emu, sp) == held
    with rt.db.session() as s:
        assert len(service.list_accounts(s, people.admin)) == 1

    # Another owner adds the subscription the first could not.
    with rt.db.session() as s:
        more = service.start_add_subscriptions(s, env, people.admin, accounts[0].id)
    back = sign_in(emu, more.url, fx["co_owner_upn"], fx["co_owner_password"])
    assert back.query is not None
    third = _complete(rt, env, people, back.query)
    assert third.ok
    assert (f"/subscriptions/{fx['not_owned_subscription_id']}", READER, sp) in assignments(emu, sp)

    # Change access to write-back: Tag Contributor replaces Reader on that subscription only.
    target = owned[0]
    with rt.db.session() as s:
        change = service.change_access(s, env, people.admin, accounts[0].id, target, AccessLevel.TAGS_WRITEBACK)
    assert isinstance(change, ConsentStart)
    back = sign_in(emu, change.url, fx["owner_upn"], fx["owner_password"])
    assert back.query is not None
    swapped = _complete(rt, env, people, back.query)
    assert swapped.ok, swapped.message
    held = assignments(emu, sp)
    assert (f"/subscriptions/{target}", TAG_CONTRIBUTOR, sp) in held
    assert (f"/subscriptions/{target}", READER, sp) not in held
    for sid in owned[1:]:
        assert (f"/subscriptions/{sid}", READER, sp) in held
    with rt.db.session() as s:
        sub = service.find_subscription(s, people.admin, target)
    assert sub.access_level is AccessLevel.TAGS_WRITEBACK and sub.role_name == "Tag Contributor"

    # resources ↔ tags keeps Reader: applied at once, no consent.
    with rt.db.session() as s:
        direct = service.change_access(s, env, people.admin, accounts[0].id, owned[1], AccessLevel.TAGS)
    assert not isinstance(direct, ConsentStart) and direct.access_level is AccessLevel.TAGS


def test_role_propagation_shows_activating_then_job_activates(emu: RunningEmulator, rt: Runtime, env: AccountsEnv,
                                                              people: People, fx: dict[str, str]) -> None:
    assert emu.world is not None
    emu.world.role_propagation_delay = timedelta(minutes=5)
    sp = fx["skytally_sp_object_id"]
    for name, ra in list(emu.world.role_assignments.items()):  # start clean for skytally
        if ra.principal_id == sp:
            del emu.world.role_assignments[name]
    emu.world.touch()
    try:
        back = sign_in(emu, _start(rt, env, people, "contoso.com").url, fx["owner_upn"], fx["owner_password"])
        assert back.query is not None
        outcome = _complete(rt, env, people, back.query)
        assert outcome.ok and "activating…" in outcome.message
        assert {r.role_status.value for r in outcome.subscriptions if r.outcome == "assigned"} == {"activating"}
        with rt.db.session() as s:
            assert service.activate_pending(s, env)["activated"] == 0
        emu.world.clock.advance(timedelta(minutes=6))
        from skytally.accounts.jobs import ACTIVATE
        from skytally.jobs import service as jobs

        run = jobs.submit(rt.db, rt.queue, ACTIVATE)
        with rt.db.session() as s:
            done = jobs.get_run(s, people.admin, run.id)
        assert done.status == "succeeded", done.error
        assert done.result and done.result["activated"] >= 3
        with rt.db.session() as s:
            statuses = {x.role_status.value for x in service.list_subscriptions(s, people.admin)
                        if x.role_name == "Reader" and x.consented_by}
        assert statuses == {"active"}
    finally:
        emu.world.role_propagation_delay = timedelta(0)


# --- failure paths: message, and nothing changed anywhere -----------------------------------
@pytest.fixture
def before(emu: RunningEmulator, rt: Runtime, people: People) -> tuple[object, object]:
    return snapshot(rt), assignments(emu)


def _unchanged(emu: RunningEmulator, rt: Runtime, before: tuple[object, object]) -> None:
    assert snapshot(rt) == before[0]
    assert assignments(emu) == before[1]


def test_user_cancels(emu: RunningEmulator, rt: Runtime, env: AccountsEnv, people: People, fx: dict[str, str],
                      before: tuple[object, object]) -> None:
    # skytally is not yet in Fabrikam's directory, so its owner sees the consent screen.
    back = sign_in(emu, _start(rt, env, people, fx["second_domain"]).url, fx["second_owner_upn"],
                   fx["second_owner_password"], accept=False)
    assert back.query is not None and back.query["error"] == "access_denied"
    outcome = _complete(rt, env, people, back.query)
    assert not outcome.ok and "cancelled" in outcome.message and "Nothing was changed" in outcome.message
    _unchanged(emu, rt, before)


def test_access_denied_redirect_is_explained(emu: RunningEmulator, rt: Runtime, env: AccountsEnv, people: People,
                                             before: tuple[object, object]) -> None:
    start = _start(rt, env, people, "contoso.com")
    state = parse_url(start.url)["state"]
    outcome = _complete(rt, env, people, {"error": "access_denied", "error_subcode": "cancel", "state": state,
                                          "error_description": "AADSTS65004: User declined to consent to access the app."})
    assert not outcome.ok and "access_denied" in outcome.message
    _unchanged(emu, rt, before)


def test_user_from_another_tenant(emu: RunningEmulator, rt: Runtime, env: AccountsEnv, people: People,
                                  fx: dict[str, str], before: tuple[object, object]) -> None:
    start = _start(rt, env, people, "contoso.com")
    back = sign_in(emu, start.url, fx["second_owner_upn"], fx["second_owner_password"])
    assert back.query is None and 'data-code="AADSTS50020"' in back.page  # Entra stops it at its page
    # Entra can also send AADSTS50020 back to the app: skytally explains it.
    outcome = _complete(rt, env, people, {
        "state": parse_url(start.url)["state"], "error": "invalid_request",
        "error_description": "AADSTS50020: User account from identity provider does not exist in tenant."})
    assert not outcome.ok and "another tenant" in outcome.message
    _unchanged(emu, rt, before)


def test_user_owns_nothing(emu: RunningEmulator, rt: Runtime, env: AccountsEnv, people: People, fx: dict[str, str],
                           before: tuple[object, object]) -> None:
    back = sign_in(emu, _start(rt, env, people, "contoso.com").url, fx["plain_user_upn"], fx["plain_user_password"])
    assert back.query is not None and "code" in back.query, back.page[:300]
    outcome = _complete(rt, env, people, back.query)
    assert not outcome.ok
    assert "cannot see any Azure subscription" in outcome.message or "owns none" in outcome.message
    _unchanged(emu, rt, before)


def test_state_forged(emu: RunningEmulator, rt: Runtime, env: AccountsEnv, people: People,
                      before: tuple[object, object]) -> None:
    _start(rt, env, people, "contoso.com")
    outcome = _complete(rt, env, people, {"code": "1.Aforged", "state": "not-a-state-we-issued"})
    assert not outcome.ok and "forged" in outcome.message
    outcome = _complete(rt, env, people, {"code": "1.Aforged"})
    assert not outcome.ok and "missing or forged" in outcome.message
    _unchanged(emu, rt, before)


def test_state_replayed(emu: RunningEmulator, rt: Runtime, env: AccountsEnv, people: People, fx: dict[str, str],
                        before: tuple[object, object]) -> None:
    back = sign_in(emu, _start(rt, env, people, fx["second_domain"]).url, fx["second_owner_upn"],
                   fx["second_owner_password"], accept=False)
    assert back.query is not None
    query = back.query
    first = _complete(rt, env, people, query)
    assert not first.ok
    replay = _complete(rt, env, people, query)
    assert not replay.ok and "already used" in replay.message
    _unchanged(emu, rt, before)


def test_state_expired(emu: RunningEmulator, rt: Runtime, env: AccountsEnv, people: People, fx: dict[str, str],
                       before: tuple[object, object]) -> None:
    start = _start(rt, env, people, "contoso.com")
    back = sign_in(emu, start.url, fx["owner_upn"], fx["owner_password"])
    assert back.query is not None
    with rt.db.session() as s:
        for row in s.query(ConsentRequest).all():
            row.expires_at = utcnow() - timedelta(seconds=1)
    outcome = _complete(rt, env, people, back.query)
    assert not outcome.ok and "expired" in outcome.message and "10 minutes" in outcome.message
    _unchanged(emu, rt, before)


def test_microsoft_error_code(emu: RunningEmulator, rt: Runtime, env: AccountsEnv, people: People, fx: dict[str, str],
                             before: tuple[object, object]) -> None:
    back = sign_in(emu, _start(rt, env, people, "contoso.com").url, fx["owner_upn"], fx["owner_password"])
    assert back.query is not None
    back.query["code"] = back.query["code"] + "tampered"
    outcome = _complete(rt, env, people, back.query)
    assert not outcome.ok and "AADSTS" in outcome.message
    start = _start(rt, env, people, "contoso.com")
    admin_needed = _complete(rt, env, people, {
        "state": parse_url(start.url)["state"], "error": "access_denied",
        "error_description": "AADSTS90094: Admin consent is required for the permissions requested."})
    assert not admin_needed.ok and "administrator" in admin_needed.message.lower()
    _unchanged(emu, rt, before)


def test_unknown_tenant_and_bad_ids(rt: Runtime, env: AccountsEnv, people: People) -> None:
    from skytally.errors import InvalidInput, NotFound

    with pytest.raises(NotFound, match="no Microsoft Entra tenant has the domain"):
        _start(rt, env, people, "no-such-tenant.example.org")
    with pytest.raises(NotFound):
        _start(rt, env, people, "00000000-0000-4000-8000-000000000001")
    for bad in ("not a tenant", "1234-5678", "common", "https://contoso.com"):
        with pytest.raises(InvalidInput):
            _start(rt, env, people, bad)

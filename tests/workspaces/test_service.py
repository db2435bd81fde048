"""Workspaces, users, memberships and tokens: rules enforced in the service."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from conftest import backend_params
from skytally.errors import Conflict, InvalidInput, NotAuthenticated, NotFound, PermissionDenied
from skytally.runtime import Runtime
from skytally.workspaces import auth, service
from skytally.workspaces.models import WorkspaceRole
from skytally.workspaces.schemas import (
    Actor,
    ApiTokenCreate,
    MemberAdd,
    UserCreate,
    WorkspaceCreate,
    WorkspaceOut,
)

PASSWORD = "correct horse battery"
pytestmark = pytest.mark.parametrize("database_url", backend_params(), indirect=True)


def _user(rt: Runtime, email: str, admin: bool = False) -> None:
    with rt.db.session() as s:
        service.create_user(s, None, UserCreate(email=email, password=SecretStr(PASSWORD), is_admin=admin))


def _actor(rt: Runtime, email: str) -> Actor:
    with rt.db.session() as s:
        return service.authenticate(s, email, PASSWORD)


def _alpha_and_beta(rt: Runtime) -> tuple[Actor, WorkspaceOut, WorkspaceOut]:
    """An admin, users alice and bob (members of nothing yet), workspaces Alpha and Beta."""
    _user(rt, "admin@example.com", admin=True)
    _user(rt, "alice@example.com")
    _user(rt, "bob@example.com")
    admin = _actor(rt, "admin@example.com")
    with rt.db.session() as s:
        return (admin, service.create_workspace(s, admin, WorkspaceCreate(name="Alpha")),
                service.create_workspace(s, admin, WorkspaceCreate(name="Beta")))


def test_admin_creates_workspace_and_members_see_only_theirs(runtime: Runtime) -> None:
    admin, a, b = _alpha_and_beta(runtime)
    with runtime.db.session() as s:
        service.add_member(s, admin, a.id, MemberAdd(email="alice@example.com", role=WorkspaceRole.VIEWER))
        service.add_member(s, admin, b.id, MemberAdd(email="bob@example.com", role=WorkspaceRole.ADMIN))
    alice = _actor(runtime, "alice@example.com")
    with runtime.db.session() as s:
        assert [w.name for w in service.list_workspaces(s, alice)] == ["Alpha"]
        assert service.get_workspace(s, alice, a.id).role is WorkspaceRole.VIEWER
        with pytest.raises(NotFound):
            service.get_workspace(s, alice, b.id)
        with pytest.raises(NotFound):
            service.list_members(s, alice, b.id)
        with pytest.raises(PermissionDenied):
            service.add_member(s, alice, a.id, MemberAdd(email="bob@example.com"))
        with pytest.raises(PermissionDenied):
            service.create_workspace(s, alice, WorkspaceCreate(name="Gamma"))
        assert {w.name for w in service.list_workspaces(s, admin)} == {"Alpha", "Beta"}


def test_duplicate_names_and_last_admin_are_refused(runtime: Runtime) -> None:
    _user(runtime, "admin@example.com", admin=True)
    admin = _actor(runtime, "admin@example.com")
    with runtime.db.session() as s:
        ws = service.create_workspace(s, admin, WorkspaceCreate(name="Ops"))
        with pytest.raises(Conflict, match="already exists"):
            service.create_workspace(s, admin, WorkspaceCreate(name="ops"))
        service.add_member(s, admin, ws.id, MemberAdd(email="admin@example.com", role=WorkspaceRole.ADMIN))
        with pytest.raises(Conflict, match="last admin"):
            service.add_member(s, admin, ws.id, MemberAdd(email="admin@example.com", role=WorkspaceRole.VIEWER))
        with pytest.raises(Conflict, match="last organisation admin"):
            service.set_active(s, admin, "admin@example.com", False)


def test_wrong_password_and_unknown_email_say_the_same(runtime: Runtime) -> None:
    _user(runtime, "alice@example.com")
    with runtime.db.session() as s:
        with pytest.raises(NotAuthenticated) as wrong:
            service.authenticate(s, "alice@example.com", "nope nope nope")
        with pytest.raises(NotAuthenticated) as unknown:
            service.authenticate(s, "nobody@example.com", "nope nope nope")
    assert wrong.value.message == unknown.value.message == "wrong email or password"


def test_api_tokens_are_hashed_shown_once_and_revocable(runtime: Runtime) -> None:
    _user(runtime, "alice@example.com")
    alice = _actor(runtime, "alice@example.com")
    with runtime.db.session() as s:
        issued = auth.create_api_token(s, alice, ApiTokenCreate(name="ci"))
    assert issued.token.startswith("sky_")
    with runtime.db.session() as s:
        from skytally.workspaces.models import ApiToken

        stored = s.get(ApiToken, issued.id)
        assert stored is not None and issued.token not in (stored.token_hash, stored.prefix)
        assert auth.actor_for_api_token(s, issued.token).email == "alice@example.com"
        listed = auth.list_api_tokens(s, alice)
        assert "token" not in listed[0].model_dump()
        auth.revoke_api_token(s, alice, issued.id)
    with runtime.db.session() as s, pytest.raises(NotAuthenticated, match="revoked"):
        auth.actor_for_api_token(s, issued.token)


def test_web_sessions_end_on_logout_and_password_change(runtime: Runtime) -> None:
    _user(runtime, "alice@example.com")
    alice = _actor(runtime, "alice@example.com")
    with runtime.db.session() as s:
        cookie, csrf = auth.start_session(s, alice, hours=1)
        other, _ = auth.start_session(s, alice, hours=1)
    with runtime.db.session() as s:
        resumed = auth.resume_session(s, cookie)
        assert resumed is not None and resumed[1] == csrf
        auth.end_session(s, cookie)
    with runtime.db.session() as s:
        assert auth.resume_session(s, cookie) is None
        assert auth.resume_session(s, other) is not None
        service.set_password(s, None, "alice@example.com", "another long password")
    with runtime.db.session() as s:
        assert auth.resume_session(s, other) is None


def test_the_installation_manages_members_under_the_same_rules(runtime: Runtime) -> None:
    # actor=None is the installation (the CLI): full rights, but the workspace keeps its last admin
    _user(runtime, "ann@example.com")
    _user(runtime, "bob@example.com")
    with runtime.db.session() as s:
        ops = service.create_workspace(s, None, WorkspaceCreate(name="Ops"))
        empty = service.create_workspace(s, None, WorkspaceCreate(name="Empty"))
        service.add_member(s, None, ops.id, MemberAdd(email="ann@example.com", role=WorkspaceRole.ADMIN))
        service.add_member(s, None, ops.id, MemberAdd(email="bob@example.com"))
        assert [w.name for w in service.list_workspaces(s, None)] == ["Empty", "Ops"]
        assert service.member_counts(s, None, {ops.id, empty.id}) == {ops.id: 2}
        assert [m.email for m in service.list_members(s, None, ops.id)] == ["ann@example.com", "bob@example.com"]
        assert [u.email for u in service.list_users(s, None)] == ["ann@example.com", "bob@example.com"]
        with pytest.raises(NotFound, match=r"^nobody@example.com is not a member of Ops$"):
            service.remove_member_by_email(s, None, ops.id, "nobody@example.com")
        with pytest.raises(NotFound, match=r"^ann@example.com is not a member of Empty$"):
            service.remove_member_by_email(s, None, empty.id, "ann@example.com")
        with pytest.raises(Conflict, match=r"^this is the workspace's last admin; make someone else admin first$"):
            service.remove_member_by_email(s, None, ops.id, "ann@example.com")
        service.remove_member_by_email(s, None, ops.id, "bob@example.com")
        assert service.member_counts(s, None, {ops.id}) == {ops.id: 1}
        service.delete_workspace(s, None, empty.id)
        assert [w.name for w in service.list_workspaces(s, None)] == ["Ops"]
        assert service.actor_for_email(s, "ann@example.com").roles == {ops.id: WorkspaceRole.ADMIN}
        with pytest.raises(InvalidInput, match=r"^no user with email nobody@example\.com; list users with"):
            service.actor_for_email(s, "nobody@example.com")


def test_member_counts_and_removal_by_email_respect_the_actor(runtime: Runtime) -> None:
    admin, a, b = _alpha_and_beta(runtime)
    with runtime.db.session() as s:
        service.add_member(s, admin, a.id, MemberAdd(email="alice@example.com"))
        service.add_member(s, admin, a.id, MemberAdd(email="bob@example.com"))
        service.add_member(s, admin, b.id, MemberAdd(email="bob@example.com"))
    alice = _actor(runtime, "alice@example.com")
    with runtime.db.session() as s:
        assert service.member_counts(s, alice, {a.id, b.id}) == {a.id: 2}  # Beta is not hers to see
        with pytest.raises(NotFound, match="does not exist or you are not a member"):
            service.remove_member_by_email(s, alice, b.id, "bob@example.com")
        with pytest.raises(PermissionDenied, match="only a workspace admin can remove other members"):
            service.remove_member_by_email(s, alice, a.id, "bob@example.com")
        service.remove_member_by_email(s, alice, a.id, "alice@example.com")  # a member may leave
        assert [m.email for m in service.list_members(s, admin, a.id)] == ["bob@example.com"]

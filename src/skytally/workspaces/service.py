"""Use cases: the organisation, users, workspaces and memberships.

Authorisation lives here, not in routes: every function that reads or changes a
workspace takes the acting `Actor` and refuses what that actor may not do. A workspace
the actor cannot see is reported as not found, so its existence does not leak.
"""

from __future__ import annotations

import functools
import unicodedata

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from skytally.errors import Conflict, InvalidInput, NotAuthenticated, NotFound, PermissionDenied
from skytally.security.passwords import hash_password, needs_rehash, verify_password
from skytally.store.base import utcnow
from skytally.workspaces import repo
from skytally.workspaces.models import Membership, Organisation, User, Workspace, WorkspaceRole
from skytally.workspaces.schemas import (
    Actor,
    MemberAdd,
    MemberOut,
    UserCreate,
    UserOut,
    WorkspaceCreate,
    WorkspaceOut,
)


@functools.cache
def _dummy_hash() -> str:
    """A verifiable hash to compare against when the email is unknown, so a wrong email
    costs the same time as a wrong password and does not reveal which accounts exist.
    Made on first use: an argon2 hash costs ~0.1-0.7 s, which no CLI command should pay
    at import."""
    return hash_password("not-a-real-password-for-timing")


def ensure_organisation(session: Session, name: str = "My organisation") -> Organisation:
    org = repo.organisation(session)
    if org is None:
        org = Organisation(name=name)
        session.add(org)
        session.flush()
    return org


def actor_for_user(session: Session, user: User) -> Actor:
    roles = {m.workspace_id: WorkspaceRole(m.role) for m in repo.memberships_of(session, user.id)}
    return Actor(user_id=user.id, email=user.email, is_admin=user.is_admin, roles=roles)


def require_admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise PermissionDenied("only organisation admins can do this; ask an admin")


# --- users ---------------------------------------------------------------------------
def create_user(session: Session, actor: Actor | None, data: UserCreate) -> UserOut:
    """Create a user. `actor=None` is the installation itself (CLI, demo, first admin)."""
    if actor is not None:
        require_admin(actor)
    if repo.user_by_email(session, data.email) is not None:
        raise Conflict(f"a user with email {data.email} already exists")
    user = User(
        email=data.email,
        display_name=data.display_name or data.email.split("@")[0],
        password_hash=hash_password(data.password.get_secret_value()),
        is_admin=data.is_admin,
    )
    session.add(user)
    try:
        session.flush()
    except IntegrityError:
        raise Conflict(f"a user with email {data.email} already exists") from None
    return UserOut.model_validate(user)


def authenticate(session: Session, email: str, password: str) -> Actor:
    user = repo.user_by_email(session, email)
    if user is None or not user.is_active:
        verify_password(_dummy_hash(), password)
        raise NotAuthenticated("wrong email or password")
    if not verify_password(user.password_hash, password):
        raise NotAuthenticated("wrong email or password")
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    return actor_for_user(session, user)


def list_users(session: Session, actor: Actor | None) -> list[UserOut]:
    if actor is not None:
        require_admin(actor)
    return [UserOut.model_validate(u) for u in repo.users(session)]


def actor_for_email(session: Session, email: str) -> Actor:
    """The installation acting as the user with this email (`skytally users create-token`)."""
    user = repo.user_by_email(session, email)
    if user is None:
        raise InvalidInput(f"no user with email {email}; list users with `skytally users list`")
    return actor_for_user(session, user)


def user_exists(session: Session, email: str) -> bool:
    return repo.user_by_email(session, email) is not None


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"user {user_id} does not exist")
    return user


def set_password(session: Session, actor: Actor | None, email: str, password: str) -> None:
    user = repo.user_by_email(session, email)
    if user is None:
        raise NotFound(f"no user with email {email}; list users with `skytally users list`")
    if actor is not None and actor.user_id != user.id:
        require_admin(actor)
    UserCreate(email=user.email, password=password)  # the same password rules
    user.password_hash = hash_password(password)
    repo.delete_web_sessions_of(session, user.id)


def set_active(session: Session, actor: Actor | None, email: str, active: bool) -> UserOut:
    if actor is not None:
        require_admin(actor)
    user = repo.user_by_email(session, email)
    if user is None:
        raise NotFound(f"no user with email {email}")
    if not active and user.is_admin and repo.count_admins(session) <= 1:
        raise Conflict("cannot deactivate the last organisation admin; make another admin first")
    user.is_active = active
    if not active:
        repo.delete_web_sessions_of(session, user.id)
    session.flush()
    return UserOut.model_validate(user)


# --- workspaces ----------------------------------------------------------------------
def _out(ws: Workspace, actor: Actor | None) -> WorkspaceOut:
    out = WorkspaceOut.model_validate(ws)
    out.role = actor.role_in(ws.id) if actor else None
    return out


def create_workspace(session: Session, actor: Actor | None, data: WorkspaceCreate) -> WorkspaceOut:
    if actor is not None:
        require_admin(actor)
    name = unicodedata.normalize("NFC", data.name.strip())
    existing = repo.workspace_by_name(session, name)
    if existing is not None:
        raise Conflict(f"a workspace named {existing.name!r} already exists (names are compared ignoring case); "
                       "choose another name")
    ws = Workspace(name=name, description=data.description)
    session.add(ws)
    session.flush()
    return _out(ws, actor)


def list_workspaces(session: Session, actor: Actor | None) -> list[WorkspaceOut]:
    ids = None if actor is None or actor.is_admin else set(actor.roles)
    return [_out(ws, actor) for ws in repo.workspaces(session, ids)]


def visible_workspace_ids(session: Session, actor: Actor) -> set[int]:
    if actor.is_admin:
        return {ws.id for ws in repo.workspaces(session)}
    return set(actor.roles)


def get_workspace(session: Session, actor: Actor, workspace_id: int) -> WorkspaceOut:
    ws = session.get(Workspace, workspace_id)
    if ws is None or not actor.can_view(workspace_id):
        raise NotFound(f"workspace {workspace_id} does not exist or you are not a member of it")
    return _out(ws, actor)


def find_workspace(session: Session, actor: Actor | None, name_or_id: str) -> WorkspaceOut:
    ws = (
        session.get(Workspace, int(name_or_id))
        if name_or_id.isdigit()
        else repo.workspace_by_name(session, name_or_id)
    )
    if ws is None or (actor is not None and not actor.can_view(ws.id)):
        raise NotFound(
            f"no workspace {name_or_id!r}; list them with `skytally workspaces list`"
        )
    return _out(ws, actor)


def rename_workspace(
    session: Session, actor: Actor, workspace_id: int, data: WorkspaceCreate
) -> WorkspaceOut:
    get_workspace(session, actor, workspace_id)
    if not actor.can_admin(workspace_id):
        raise PermissionDenied("only a workspace admin can change the workspace")
    name = unicodedata.normalize("NFC", data.name.strip())
    other = repo.workspace_by_name(session, name)
    if other is not None and other.id != workspace_id:
        raise Conflict(f"a workspace named {other.name!r} already exists (names are compared ignoring case)")
    ws = session.get(Workspace, workspace_id)
    assert ws is not None
    ws.name, ws.description = name, data.description
    session.flush()
    return _out(ws, actor)


def delete_workspace(session: Session, actor: Actor | None, workspace_id: int) -> None:
    if actor is not None:
        require_admin(actor)
    ws = session.get(Workspace, workspace_id)
    if ws is None:
        raise NotFound(f"workspace {workspace_id} does not exist")
    session.delete(ws)
    session.flush()


# --- members -------------------------------------------------------------------------
def list_members(session: Session, actor: Actor | None, workspace_id: int) -> list[MemberOut]:
    _visible_workspace(session, actor, workspace_id)
    return [
        MemberOut(user_id=u.id, email=u.email, display_name=u.display_name, role=WorkspaceRole(m.role))
        for m, u in repo.members(session, workspace_id)
    ]


def add_member(
    session: Session, actor: Actor | None, workspace_id: int, data: MemberAdd
) -> MemberOut:
    """Add a user to a workspace, or change their role if they are already a member."""
    if actor is not None:
        get_workspace(session, actor, workspace_id)
        if not actor.can_admin(workspace_id):
            raise PermissionDenied("only a workspace admin can add members")
    elif session.get(Workspace, workspace_id) is None:
        raise NotFound(f"workspace {workspace_id} does not exist")
    user = repo.user_by_email(session, data.email)
    if user is None:
        raise NotFound(f"no user with email {data.email}; an organisation admin must create it first")
    existing = repo.membership(session, workspace_id, user.id)
    if existing is None:
        session.add(Membership(user_id=user.id, workspace_id=workspace_id, role=data.role.value))
    else:
        if (
            existing.role == WorkspaceRole.ADMIN
            and data.role is not WorkspaceRole.ADMIN
            and repo.count_workspace_admins(session, workspace_id) <= 1
        ):
            raise Conflict("this is the workspace's last admin; make someone else admin first")
        existing.role = data.role.value
    session.flush()
    return MemberOut(user_id=user.id, email=user.email, display_name=user.display_name, role=data.role)


def member_counts(session: Session, actor: Actor | None, workspace_ids: set[int]) -> dict[int, int]:
    """{workspace id: how many members} for the workspaces the actor can see."""
    visible = workspace_ids if actor is None or actor.is_admin else workspace_ids & set(actor.roles)
    return repo.member_counts(session, visible) if visible else {}


def remove_member(session: Session, actor: Actor | None, workspace_id: int, user_id: int) -> None:
    """Take a user out of a workspace. A member may leave; only an admin removes others;
    the last admin stays (so a workspace is never left without one), whoever asks."""
    _visible_workspace(session, actor, workspace_id)
    if actor is not None and not actor.can_admin(workspace_id) and actor.user_id != user_id:
        raise PermissionDenied("only a workspace admin can remove other members")
    existing = repo.membership(session, workspace_id, user_id)
    if existing is None:
        raise NotFound(f"user {user_id} is not a member of workspace {workspace_id}")
    if existing.role == WorkspaceRole.ADMIN and repo.count_workspace_admins(session, workspace_id) <= 1:
        raise Conflict("this is the workspace's last admin; make someone else admin first")
    session.delete(existing)
    session.flush()


def remove_member_by_email(session: Session, actor: Actor | None, workspace_id: int, email: str) -> None:
    """`remove_member` for a user named by email (the CLI's words when they are no member)."""
    ws = _visible_workspace(session, actor, workspace_id)
    user = repo.user_by_email(session, email)
    if user is None or repo.membership(session, workspace_id, user.id) is None:
        raise NotFound(f"{email} is not a member of {ws.name}")
    remove_member(session, actor, workspace_id, user.id)


def _visible_workspace(session: Session, actor: Actor | None, workspace_id: int) -> WorkspaceOut:
    """The workspace, when it exists and the actor (None: the installation) may see it."""
    if actor is not None:
        return get_workspace(session, actor, workspace_id)
    ws = session.get(Workspace, workspace_id)
    if ws is None:
        raise NotFound(f"workspace {workspace_id} does not exist")
    return _out(ws, None)


def parse_role(value: str) -> WorkspaceRole:
    try:
        return WorkspaceRole(value.strip().lower())
    except ValueError:
        raise InvalidInput(f"unknown role {value!r}; use admin, editor or viewer") from None


# --- for other capabilities (no actor: system jobs and admin commands) ---------------------
def workspace_id(session: Session, name_or_id: str) -> int | None:
    """The id of the workspace named (or numbered) `name_or_id`; None when there is none."""
    ws = repo.workspace_by_name(session, name_or_id)
    if ws is None and name_or_id.strip().isdigit():
        ws = next(iter(repo.workspaces(session, {int(name_or_id)})), None)
    return ws.id if ws is not None else None


def workspace_names(session: Session, ids: set[int]) -> dict[int, str]:
    """{id: name} of these workspaces, ordered by name."""
    return {ws.id: ws.name for ws in repo.workspaces(session, ids)} if ids else {}


def purge_expired_sessions(session: Session) -> int:
    """Delete web sessions past their expiry; returns how many."""
    return repo.delete_expired_web_sessions(session, utcnow())

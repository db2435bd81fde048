"""Every SQL statement of the workspaces capability. Never commits."""

from __future__ import annotations

import unicodedata
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from skytally.workspaces.models import (
    ApiToken,
    Membership,
    Organisation,
    User,
    WebSession,
    Workspace,
)


def organisation(session: Session) -> Organisation | None:
    return session.scalars(select(Organisation).limit(1)).first()


def user_by_email(session: Session, email: str) -> User | None:
    return session.scalars(select(User).where(User.email == email.strip().lower())).first()


def users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.email)))


def count_admins(session: Session) -> int:
    return session.scalar(
        select(func.count()).select_from(User).where(User.is_admin, User.is_active)
    ) or 0


def memberships_of(session: Session, user_id: int) -> list[Membership]:
    return list(session.scalars(select(Membership).where(Membership.user_id == user_id)))


def name_key(name: str) -> str:
    """Workspace names match case-folded and NFC-normalised (`Über` = `über`, and the two
    spellings of `ñ` are one name): the databases' lower() knows neither."""
    return unicodedata.normalize("NFC", unicodedata.normalize("NFC", name.strip()).casefold())


def workspace_by_name(session: Session, name: str) -> Workspace | None:
    key = name_key(name)
    return next((w for w in session.scalars(select(Workspace).order_by(Workspace.id))
                 if name_key(w.name) == key), None)


def workspaces(session: Session, ids: set[int] | None = None) -> list[Workspace]:
    stmt = select(Workspace).order_by(Workspace.name)
    if ids is not None:
        stmt = stmt.where(Workspace.id.in_(ids))
    return list(session.scalars(stmt))


def membership(session: Session, workspace_id: int, user_id: int) -> Membership | None:
    return session.get(Membership, (user_id, workspace_id))


def members(session: Session, workspace_id: int) -> list[tuple[Membership, User]]:
    rows = session.execute(
        select(Membership, User)
        .join(User, User.id == Membership.user_id)
        .where(Membership.workspace_id == workspace_id)
        .order_by(User.email)
    )
    return [(m, u) for m, u in rows.all()]


def member_counts(session: Session, workspace_ids: set[int]) -> dict[int, int]:
    """{workspace id: number of members}; a workspace without members is absent."""
    rows = session.execute(
        select(Membership.workspace_id, func.count())
        .where(Membership.workspace_id.in_(workspace_ids))
        .group_by(Membership.workspace_id)
    )
    return {ws_id: n for ws_id, n in rows}


def count_workspace_admins(session: Session, workspace_id: int) -> int:
    return session.scalar(
        select(func.count())
        .select_from(Membership)
        .where(Membership.workspace_id == workspace_id, Membership.role == "admin")
    ) or 0


def token_by_hash(session: Session, token_hash: str) -> ApiToken | None:
    return session.scalars(select(ApiToken).where(ApiToken.token_hash == token_hash)).first()


def tokens_of(session: Session, user_id: int) -> list[ApiToken]:
    return list(
        session.scalars(
            select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.created_at.desc())
        )
    )


def web_session_by_hash(session: Session, token_hash: str) -> WebSession | None:
    return session.scalars(select(WebSession).where(WebSession.token_hash == token_hash)).first()


def delete_expired_web_sessions(session: Session, now: datetime) -> int:
    result = session.execute(delete(WebSession).where(WebSession.expires_at < now))
    return int(getattr(result, "rowcount", 0) or 0)


def delete_web_sessions_of(session: Session, user_id: int) -> None:
    session.execute(delete(WebSession).where(WebSession.user_id == user_id))

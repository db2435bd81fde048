"""Credentials that stand for a user: web sessions (cookie) and API tokens (bearer)."""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy.orm import Session

from skytally.errors import NotAuthenticated, NotFound
from skytally.security import tokens
from skytally.store.base import utcnow
from skytally.workspaces import repo
from skytally.workspaces.models import ApiToken, User, WebSession
from skytally.workspaces.schemas import Actor, ApiTokenCreate, ApiTokenIssued, ApiTokenOut
from skytally.workspaces.service import actor_for_user

API_TOKEN_PREFIX = "sky"
SESSION_PREFIX = "sess"


# --- web sessions --------------------------------------------------------------------
def start_session(session: Session, actor: Actor, hours: int) -> tuple[str, str]:
    """Returns (cookie value, CSRF token). Only the cookie's digest is stored."""
    now = utcnow()
    repo.delete_expired_web_sessions(session, now)
    token = tokens.new_token(SESSION_PREFIX)
    csrf = secrets.token_urlsafe(32)
    session.add(
        WebSession(
            token_hash=tokens.digest(token),
            user_id=actor.user_id,
            csrf_token=csrf,
            expires_at=now + timedelta(hours=hours),
        )
    )
    session.flush()
    return token, csrf


def resume_session(session: Session, token: str) -> tuple[Actor, str] | None:
    row = repo.web_session_by_hash(session, tokens.digest(token))
    if row is None or row.expires_at < utcnow():
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        return None
    return actor_for_user(session, user), row.csrf_token


def end_session(session: Session, token: str) -> None:
    row = repo.web_session_by_hash(session, tokens.digest(token))
    if row is not None:
        session.delete(row)


# --- API tokens ----------------------------------------------------------------------
def create_api_token(session: Session, actor: Actor, data: ApiTokenCreate) -> ApiTokenIssued:
    plain = tokens.new_token(API_TOKEN_PREFIX)
    row = ApiToken(
        user_id=actor.user_id,
        name=data.name,
        token_hash=tokens.digest(plain),
        prefix=plain[:10],
        expires_at=utcnow() + timedelta(days=data.expires_in_days) if data.expires_in_days else None,
    )
    session.add(row)
    session.flush()
    return ApiTokenIssued(**ApiTokenOut.model_validate(row).model_dump(), token=plain)


def list_api_tokens(session: Session, actor: Actor) -> list[ApiTokenOut]:
    return [ApiTokenOut.model_validate(t) for t in repo.tokens_of(session, actor.user_id)]


def revoke_api_token(session: Session, actor: Actor, token_id: int) -> ApiTokenOut:
    row = session.get(ApiToken, token_id)
    if row is None or (row.user_id != actor.user_id and not actor.is_admin):
        raise NotFound(f"API token {token_id} does not exist")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
    session.flush()
    return ApiTokenOut.model_validate(row)


def actor_for_api_token(session: Session, token: str) -> Actor:
    row = repo.token_by_hash(session, tokens.digest(token))
    now = utcnow()
    if row is None:
        raise NotAuthenticated("unknown API token; create one under Settings → API tokens")
    if row.revoked_at is not None:
        raise NotAuthenticated("this API token was revoked; create a new one")
    if row.expires_at is not None and row.expires_at < now:
        raise NotAuthenticated("this API token expired; create a new one")
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        raise NotAuthenticated("the user of this API token is deactivated")
    row.last_used_at = now
    return actor_for_user(session, user)


"""Request plumbing shared by the pages and the REST API.

- `DbSession`: one SQLAlchemy session per request, committed when the handler returns
  (before the response is sent) and rolled back if it raises. Services never commit.
- The caller: a bearer API token (`Authorization: Bearer sky_…`) or the web session
  cookie. It is resolved once per request in its own short transaction, so recording
  "last used" never holds a write lock while the handler works.
- CSRF: every unsafe request authenticated by the cookie must carry the session's CSRF
  token, as the `X-CSRF-Token` header (htmx, API) or a `csrf_token` form field (forms).
  Bearer-token calls are exempt: browsers never attach those on their own.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Annotated, Literal, cast

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyCookie, HTTPBearer
from sqlalchemy.orm import Session

from skytally.errors import NotAuthenticated, PermissionDenied
from skytally.runtime import Runtime
from skytally.security import tokens
from skytally.workspaces.auth import actor_for_api_token, resume_session
from skytally.workspaces.schemas import Actor

SESSION_COOKIE = "skytally_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CSRF_FAILED = (
    "the request did not carry a valid CSRF token (the page may be stale); "
    "reload the page and try again"
)


class LoginRequired(Exception):
    """A page needs a signed-in user; the handler redirects to /login?next=…"""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


@dataclass(frozen=True)
class Caller:
    actor: Actor
    via: Literal["session", "token"]
    csrf_token: str = ""
    session_token: str = ""


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def db_session(request: Request) -> Iterator[Session]:
    session = get_runtime(request).db.sessionmaker()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


DbSession = Annotated[Session, Depends(db_session, scope="function")]


_UNRESOLVED = object()


def resolve_caller(request: Request) -> Caller | None:
    """Who is calling, or None. A malformed or dead bearer token is an error (401)."""
    cached = getattr(request.state, "caller", _UNRESOLVED)
    if cached is not _UNRESOLVED:
        return cast("Caller | None", cached)
    runtime = get_runtime(request)
    caller: Caller | None = None
    header = request.headers.get("authorization")
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise NotAuthenticated("use the header `Authorization: Bearer <API token>`")
        with runtime.db.session() as session:
            actor = actor_for_api_token(session, value.strip())
        caller = Caller(actor=actor, via="token")
    else:
        cookie = request.cookies.get(SESSION_COOKIE)
        if cookie:
            with runtime.db.session() as session:
                resumed = resume_session(session, cookie)
            if resumed is not None:
                caller = Caller(
                    actor=resumed[0], via="session", csrf_token=resumed[1], session_token=cookie
                )
    request.state.caller = caller
    return caller


def check_csrf(request: Request, caller: Caller, submitted: str) -> None:
    if request.method not in UNSAFE_METHODS or caller.via != "session":
        return
    if not submitted or not tokens.same(submitted, caller.csrf_token):
        raise PermissionDenied(CSRF_FAILED)


async def submitted_csrf(request: Request) -> str:
    """The CSRF token sent with an unsafe request: header first, then the form field."""
    header = request.headers.get(CSRF_HEADER)
    if header or request.method not in UNSAFE_METHODS:
        return header or ""
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        return value if isinstance(value, str) else ""
    return ""


def submitted_csrf_header(request: Request) -> str:
    return request.headers.get(CSRF_HEADER, "")


# --- pages -----------------------------------------------------------------------------
def page_caller(
    request: Request, submitted: Annotated[str, Depends(submitted_csrf)]
) -> Caller:
    try:
        caller = resolve_caller(request)
    except NotAuthenticated:
        caller = None
    if caller is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        if request.method in UNSAFE_METHODS:
            target = request.headers.get("hx-current-url") or "/"
        raise LoginRequired(target)
    check_csrf(request, caller, submitted)
    return with_scope(request, caller)


SCOPE_COOKIE = "skytally_scope"


def with_scope(request: Request, caller: Caller) -> Caller:
    """The workspace chosen in the header (a cookie) narrows what every page lists; a
    workspace the user cannot see is ignored."""
    raw = request.cookies.get(SCOPE_COOKIE, "")
    if raw.isdigit() and caller.actor.can_view(int(raw)):
        return replace(caller, actor=replace(caller.actor, scope=int(raw)))
    return caller


PageCaller = Annotated[Caller, Depends(page_caller)]


# --- REST API --------------------------------------------------------------------------
bearer_scheme = HTTPBearer(
    auto_error=False,
    scheme_name="ApiToken",
    description="An API token created under Settings → API tokens (`sky_…`).",
)
cookie_scheme = APIKeyCookie(
    name=SESSION_COOKIE,
    auto_error=False,
    scheme_name="SessionCookie",
    description=(
        "The web session cookie set at sign-in. Unsafe methods (POST, PUT, PATCH, DELETE) "
        f"must also send the session's CSRF token in the `{CSRF_HEADER}` header."
    ),
)


def api_caller(
    request: Request,
    submitted: Annotated[str, Depends(submitted_csrf_header)],
    _bearer: Annotated[object, Security(bearer_scheme)] = None,
    _cookie: Annotated[object, Security(cookie_scheme)] = None,
) -> Caller:
    caller = resolve_caller(request)
    if caller is None:
        raise NotAuthenticated(
            "sign in, or send `Authorization: Bearer <API token>` "
            "(create one under Settings → API tokens)"
        )
    check_csrf(request, caller, submitted)
    return caller


ApiCaller = Annotated[Caller, Depends(api_caller)]


def api_actor(caller: ApiCaller) -> Actor:
    return caller.actor


ApiActor = Annotated[Actor, Depends(api_actor)]

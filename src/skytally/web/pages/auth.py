"""Sign in and sign out."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from skytally.errors import NotAuthenticated, UserError
from skytally.security import tokens
from skytally.web.deps import SESSION_COOKIE, DbSession, PageCaller, get_runtime, resolve_caller
from skytally.web.security import LoginThrottle, safe_next
from skytally.web.templating import render, set_flash
from skytally.workspaces import auth as sessions
from skytally.workspaces import service as workspaces

router = APIRouter(include_in_schema=False)

# Before sign-in there is no session to hold a CSRF token: the login form uses a
# double-submit cookie instead (a random value in a cookie and in the form).
LOGIN_CSRF_COOKIE = "skytally_login_csrf"


def _login_form(
    request: Request,
    next_path: str,
    *,
    email: str = "",
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    runtime = get_runtime(request)
    token = secrets.token_urlsafe(24)
    response = render(
        request,
        "login.html",
        {
            "next": next_path,
            "email": email,
            "csrf_token": token,
            "flash": ("error", error) if error else None,
            "demo": runtime.settings.demo,
        },
        status_code=status_code,
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE, token, max_age=3600, httponly=True, samesite="strict",
        secure=runtime.settings.secure_cookies, path="/login",
    )
    return response


@router.get("/login")
def login_page(request: Request, next: str = "/") -> Response:
    next_path = safe_next(next)
    try:
        if resolve_caller(request) is not None:
            return RedirectResponse(next_path, status_code=303)
    except UserError:
        pass
    return _login_form(request, next_path)


@router.post("/login")
def login(
    request: Request,
    session: DbSession,
    email: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    runtime = get_runtime(request)
    next_path = safe_next(next)
    email = email.strip().lower()
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not csrf_token or not tokens.same(expected, csrf_token):
        return _login_form(
            request, next_path, email=email, status_code=403,
            error="The sign-in form expired. Please try again.",
        )
    if not email or not password:
        return _login_form(
            request, next_path, email=email, status_code=422,
            error="Enter your email address and password.",
        )
    throttle: LoginThrottle = request.app.state.login_throttle
    ip = request.client.host if request.client else "unknown"
    try:
        throttle.check(email, ip)
        actor = workspaces.authenticate(session, email, password)
    except NotAuthenticated:
        throttle.failed(email, ip)
        return _login_form(
            request, next_path, email=email, status_code=401,
            error="Wrong email or password.",
        )
    except UserError as exc:
        return _login_form(
            request, next_path, email=email, status_code=exc.status_code,
            error=exc.message[:1].upper() + exc.message[1:] + ".",
        )
    throttle.succeeded(email, ip)
    cookie, _csrf = sessions.start_session(session, actor, runtime.settings.session_hours)
    response = RedirectResponse(next_path, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        cookie,
        max_age=runtime.settings.session_hours * 3600,
        httponly=True,
        samesite="lax",
        secure=runtime.settings.secure_cookies,
        path="/",
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout")
def logout(request: Request, session: DbSession, caller: PageCaller) -> Response:
    if caller.session_token:
        sessions.end_session(session, caller.session_token)
    response: Response
    if request.headers.get("hx-request") == "true":
        response = Response(status_code=204, headers={"HX-Redirect": "/login"})
    else:
        response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    set_flash(response, get_runtime(request), "You are signed out.", "info")
    return response

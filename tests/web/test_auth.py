"""Sign-in, sign-out, sessions, CSRF and security headers of the web pages."""

from __future__ import annotations

import dataclasses

import pytest
from fastapi.testclient import TestClient

from httpkit import ADMIN, ALICE, FORM_CSRF_RE, PASSWORD, Client, World, login
from skytally.web.app import create_app
from skytally.web.security import LoginThrottle, TooManyAttempts


def test_unauthenticated_page_redirects_to_login_with_next(world: World) -> None:
    response = world.anonymous().get("/jobs?status=failed")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/jobs%3Fstatus%3Dfailed"


def test_htmx_request_without_session_gets_hx_redirect(world: World) -> None:
    response = world.anonymous().get("/jobs/table", headers={"HX-Request": "true"})
    assert response.status_code == 204
    assert response.headers["HX-Redirect"].startswith("/login")


def test_login_sets_a_safe_cookie_and_follows_next(world: World) -> None:
    client = world.anonymous()
    response = login(client, ALICE, next_path="/workspaces")
    assert response.status_code == 303
    assert response.headers["location"] == "/workspaces"
    cookie = response.headers["set-cookie"].lower()
    assert "skytally_session=" in cookie and "httponly" in cookie and "samesite=lax" in cookie
    assert "secure" not in cookie.replace("skytally_session", "")  # plain http in tests
    assert client.get("/workspaces").status_code == 200


def test_next_must_be_a_local_path(world: World) -> None:
    for evil in ("https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"):
        response = login(world.anonymous(), ALICE, next_path=evil)
        assert response.headers["location"] == "/", evil


def test_wrong_password_is_refused_with_a_message(world: World) -> None:
    response = login(world.anonymous(), ALICE, password="not-the-password")
    assert response.status_code == 401
    assert "Wrong email or password." in response.text
    assert "skytally_session" not in response.headers.get("set-cookie", "")


def test_login_form_needs_its_csrf_token(world: World) -> None:
    client = world.anonymous()
    client.get("/login")
    response = client.post(
        "/login", data={"email": ALICE, "password": PASSWORD, "csrf_token": "forged"}
    )
    assert response.status_code == 403
    assert "form expired" in response.text


def test_repeated_failures_are_throttled(world: World) -> None:
    # the app's own throttle with its clock held still: on a loaded machine the 4th sign-in
    # could come more than the 1 s delay after the 3rd failure, and be let through
    state = world.app.state
    kept, state.login_throttle = state.login_throttle, LoginThrottle(clock=lambda: 1000.0)
    try:
        email = "nobody-throttled@example.com"
        statuses = [login(world.anonymous(), email, password="wrong-password").status_code for _ in range(5)]
        assert statuses[:3] == [401] * 3
        assert statuses[3:] == [429, 429]  # from the same address: wait, growing
        assert "too many failed sign-ins" in login(world.anonymous(), email).text.lower()
    finally:
        state.login_throttle = kept


def test_throttling_grows_and_locks_nobody_out() -> None:
    now = [1000.0]
    t = LoginThrottle(free=3, free_per_ip=20, base_delay=1.0, max_delay=60.0, clock=lambda: now[0])
    for _ in range(3):
        t.check("admin@example.com", "6.6.6.6")
        t.failed("admin@example.com", "6.6.6.6")
    waits = []
    for _ in range(7):  # each further failure doubles the wait, up to the cap
        with pytest.raises(TooManyAttempts):
            t.check("admin@example.com", "6.6.6.6")
        start = now[0]
        while True:
            now[0] += 0.25
            try:
                t.check("admin@example.com", "6.6.6.6")
                break
            except TooManyAttempts:
                pass
        waits.append(round(now[0] - start))
        t.failed("admin@example.com", "6.6.6.6")
    assert waits == [1, 2, 4, 8, 16, 32, 60]
    t.check("admin@example.com", "10.0.0.1")  # the owner, elsewhere: not affected (no lockout)
    t.succeeded("admin@example.com", "10.0.0.1")
    for n in range(17):  # one address trying many accounts is slowed down too
        t.failed(f"user{n}@example.com", "6.6.6.6")
    with pytest.raises(TooManyAttempts):
        t.check("someone-new@example.com", "6.6.6.6")


def test_logout_needs_csrf_and_ends_the_session(world: World) -> None:
    client = world.fresh_client(ALICE)
    missing = client.post("/logout")
    assert missing.status_code == 403
    assert "CSRF" in missing.text
    wrong = client.post("/logout", data={"csrf_token": "nope"})
    assert wrong.status_code == 403
    cookie = client.cookies.get("skytally_session")
    done = client.post("/logout", data={"csrf_token": client.csrf})
    assert done.status_code == 303 and done.headers["location"] == "/login"
    # The old cookie is dead on the server, not only deleted in the browser.
    replay = TestClient(world.app, follow_redirects=False, cookies={"skytally_session": cookie or ""})
    assert replay.get("/").status_code == 303
    assert "signed out" in client.get("/login").text


def test_unsafe_page_requests_need_the_csrf_token(world: World) -> None:
    client = world.client(ADMIN)
    assert client.post("/workspaces", data={"name": "No CSRF"}).status_code == 403
    assert client.post("/workspaces", data={"name": "Bad", "csrf_token": "x"}).status_code == 403
    header = client.post(
        "/workspaces", data={"name": "Via header"}, headers={"X-CSRF-Token": client.csrf}
    )
    assert header.status_code == 303


def test_security_headers_on_pages_api_and_static(world: World) -> None:
    client = world.client(ALICE)
    for path in ("/", "/api/v1/me", "/api/v1/docs", "/static/css/skytally.css", "/login"):
        headers = client.get(path).headers
        csp = headers["content-security-policy"]
        assert "default-src 'self'" in csp and "script-src 'self'" in csp, path
        assert "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
        assert headers["x-frame-options"] == "DENY"
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"]


def test_secure_cookie_flag_follows_settings(world: World) -> None:
    settings = world.runtime.settings.model_copy(update={"cookie_secure": True})
    app = create_app(dataclasses.replace(world.runtime, settings=settings))
    client = Client(app, follow_redirects=False, base_url="https://testserver")
    response = login(client, ALICE)
    assert "secure" in response.headers["set-cookie"].lower()


def test_signed_in_user_visiting_login_goes_home(world: World) -> None:
    response = world.client(ALICE).get("/login")
    assert response.status_code == 303 and response.headers["location"] == "/"
    assert FORM_CSRF_RE.search(world.anonymous().get("/login").text)


def test_healthz(world: World) -> None:
    response = world.anonymous().get("/healthz")
    assert response.status_code == 200 and response.json()["database"] == "ok"

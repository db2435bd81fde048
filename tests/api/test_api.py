"""The REST API under /api/v1: authentication, CSRF, each resource, and error shapes."""

from __future__ import annotations

from httpkit import ADMIN, ALICE, BOB, ERIN, World


def test_me_with_api_token(world: World) -> None:
    response = world.bearer().get("/api/v1/me")
    assert response.status_code == 200
    body = response.json()
    assert body["user"]["email"] == BOB and body["authenticated_by"] == "token"
    assert [w["name"] for w in body["workspaces"]] == ["Bravo"]
    assert "password" not in response.text and "hash" not in response.text


def test_me_with_session_cookie(world: World) -> None:
    body = world.client(ALICE).get("/api/v1/me").json()
    assert body["user"]["email"] == ALICE and body["authenticated_by"] == "session"


def test_missing_or_bad_credentials_are_401_with_a_message(world: World) -> None:
    anonymous = world.anonymous().get("/api/v1/me")
    assert anonymous.status_code == 401
    assert "Bearer" in anonymous.json()["detail"]
    assert anonymous.headers["www-authenticate"] == "Bearer"
    unknown = world.bearer("sky_not-a-real-token").get("/api/v1/me")
    assert unknown.status_code == 401 and "unknown API token" in unknown.json()["detail"]
    basic = world.anonymous().get("/api/v1/me", headers={"Authorization": "Basic abc"})
    assert basic.status_code == 401


def test_revoked_token_is_refused_with_a_message(world: World) -> None:
    client = world.bearer()
    created = client.post("/api/v1/tokens", json={"name": "short-lived"})
    assert created.status_code == 201
    issued = created.json()
    assert issued["token"].startswith("sky_") and issued["prefix"] == issued["token"][:10]
    listed = client.get("/api/v1/tokens").json()
    assert "short-lived" in {t["name"] for t in listed}
    assert all("token" not in t for t in listed)  # never again after creation
    assert world.bearer(issued["token"]).get("/api/v1/me").status_code == 200
    revoked = client.delete(f"/api/v1/tokens/{issued['id']}")
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    refused = world.bearer(issued["token"]).get("/api/v1/me")
    assert refused.status_code == 401
    assert refused.json() == {"detail": "this API token was revoked; create a new one"}
    other = world.client(ALICE)
    stolen = other.delete(f"/api/v1/tokens/{issued['id']}", headers={"X-CSRF-Token": other.csrf})
    assert stolen.status_code == 404


def test_cookie_auth_needs_csrf_header_but_bearer_does_not(world: World) -> None:
    client = world.client(BOB)
    body = {"name": "via cookie"}
    missing = client.post("/api/v1/tokens", json=body)
    assert missing.status_code == 403 and "CSRF" in missing.json()["detail"]
    wrong = client.post("/api/v1/tokens", json=body, headers={"X-CSRF-Token": "nope"})
    assert wrong.status_code == 403
    ok = client.post("/api/v1/tokens", json=body, headers={"X-CSRF-Token": client.csrf})
    assert ok.status_code == 201
    assert world.bearer().post("/api/v1/tokens", json={"name": "via bearer"}).status_code == 201


def test_workspace_lifecycle(world: World) -> None:
    admin = world.client(ADMIN)
    h = {"X-CSRF-Token": admin.csrf}
    created = admin.post("/api/v1/workspaces", json={"name": "Delta", "description": "D"}, headers=h)
    assert created.status_code == 201
    ws = created.json()
    assert ws["name"] == "Delta"
    assert admin.get(f"/api/v1/workspaces/{ws['id']}").json()["description"] == "D"
    patched = admin.patch(f"/api/v1/workspaces/{ws['id']}", json={"description": "New"}, headers=h)
    assert patched.status_code == 200 and patched.json() == {**ws, "description": "New"}
    clash = admin.patch(f"/api/v1/workspaces/{ws['id']}", json={"name": "Alpha"}, headers=h)
    assert clash.status_code == 409 and "already exists" in clash.json()["detail"]
    put = admin.put(
        f"/api/v1/workspaces/{ws['id']}/members", json={"email": ERIN, "role": "admin"}, headers=h
    )
    assert put.status_code == 200 and put.json()["role"] == "admin"
    as_erin = world.client(ERIN).get(f"/api/v1/workspaces/{ws['id']}")
    assert as_erin.status_code == 200 and as_erin.json()["role"] == "admin"
    members = admin.get(f"/api/v1/workspaces/{ws['id']}/members").json()
    assert [m["email"] for m in members] == [ERIN]
    gone = admin.delete(f"/api/v1/workspaces/{ws['id']}", headers=h)
    assert gone.status_code == 204 and gone.content == b""
    assert admin.get(f"/api/v1/workspaces/{ws['id']}").status_code == 404


def test_members_put_and_delete(world: World) -> None:
    bob = world.bearer()
    base = f"/api/v1/workspaces/{world.bravo}/members"
    added = bob.put(base, json={"email": ERIN, "role": "viewer"})
    assert added.status_code == 200 and added.json()["email"] == ERIN
    changed = bob.put(base, json={"email": ERIN, "role": "editor"})
    assert changed.json()["role"] == "editor"
    assert {m["email"]: m["role"] for m in bob.get(base).json()}[ERIN] == "editor"
    bad_role = bob.put(base, json={"email": ERIN, "role": "owner"})
    assert bad_role.status_code == 422 and isinstance(bad_role.json()["detail"], str)
    assert "role" in bad_role.json()["detail"]
    unknown = bob.put(base, json={"email": "ghost@example.com"})
    assert unknown.status_code == 404
    removed = bob.delete(f"{base}/{world.users[ERIN]}")
    assert removed.status_code == 204
    last_admin = bob.delete(f"{base}/{world.users[BOB]}")
    assert last_admin.status_code == 409 and "last admin" in last_admin.json()["detail"]


def test_users_are_for_org_admins(world: World) -> None:
    admin = world.client(ADMIN)
    h = {"X-CSRF-Token": admin.csrf}
    listed = admin.get("/api/v1/users").json()
    assert {ADMIN, ALICE, BOB, ERIN} <= {u["email"] for u in listed}
    assert all("password" not in u and "password_hash" not in u for u in listed)
    created = admin.post(
        "/api/v1/users", json={"email": "frank@example.com", "password": "frank-password"}, headers=h
    )
    assert created.status_code == 201 and "password" not in created.json()
    frank = created.json()["id"]
    assert admin.get(f"/api/v1/users/{frank}").json()["email"] == "frank@example.com"
    dup = admin.post(
        "/api/v1/users", json={"email": "frank@example.com", "password": "frank-password"}, headers=h
    )
    assert dup.status_code == 409
    weak = admin.post("/api/v1/users", json={"email": "g@example.com", "password": "x"}, headers=h)
    assert weak.status_code == 422 and "10 characters" in weak.json()["detail"]
    off = admin.patch(f"/api/v1/users/{frank}", json={"is_active": False}, headers=h)
    assert off.status_code == 200 and off.json()["is_active"] is False
    assert world.bearer().get("/api/v1/users").status_code == 403
    assert world.bearer().get(f"/api/v1/users/{frank}").status_code == 403
    assert admin.get("/api/v1/users/999999").status_code == 404


def test_jobs_list_get_and_submit(world: World) -> None:
    admin = world.client(ADMIN)
    h = {"X-CSRF-Token": admin.csrf}
    kinds = admin.get("/api/v1/jobs/kinds").json()
    assert "maintenance.housekeeping" in {k["kind"] for k in kinds}
    bob_kinds = {k["kind"] for k in world.bearer().get("/api/v1/jobs/kinds").json()}
    assert "maintenance.housekeeping" not in bob_kinds
    submitted = admin.post(
        "/api/v1/jobs", json={"kind": "maintenance.housekeeping", "params": {"keep_days": 30}}, headers=h
    )
    assert submitted.status_code == 202
    run = submitted.json()
    assert run["queued_by"] == ADMIN and run["params"] == {"keep_days": 30}
    fetched = admin.get(f"/api/v1/jobs/{run['id']}").json()
    assert fetched["status"] == "succeeded" and fetched["result"]["keep_days"] == 30
    listed = admin.get("/api/v1/jobs", params={"status": "succeeded", "kind": "maintenance.housekeeping", "limit": 2})
    assert listed.status_code == 200 and len(listed.json()) == 2
    assert all(j["status"] == "succeeded" for j in listed.json())
    bad_status = admin.get("/api/v1/jobs", params={"status": "exploded"})
    assert bad_status.status_code == 422 and isinstance(bad_status.json()["detail"], str)
    unknown = admin.post("/api/v1/jobs", json={"kind": "no.such.job"}, headers=h)
    assert unknown.status_code == 422 and "unknown job kind" in unknown.json()["detail"]
    in_ws = admin.post(
        "/api/v1/jobs", json={"kind": "maintenance.housekeeping", "workspace_id": world.alpha}, headers=h
    )
    assert in_ws.status_code == 422 and "installation-wide" in in_ws.json()["detail"]
    refused = world.bearer().post("/api/v1/jobs", json={"kind": "maintenance.housekeeping"})
    assert refused.status_code == 403 and "organisation admins" in refused.json()["detail"]
    assert admin.get("/api/v1/jobs/999999").status_code == 404


def test_errors_are_json_detail_strings(world: World) -> None:
    client = world.bearer()
    for response in (
        client.get("/api/v1/workspaces/abc"),
        client.post("/api/v1/workspaces", json={"name": ""}),
        client.post("/api/v1/workspaces", content=b"{not json", headers={"content-type": "application/json"}),
        client.get("/api/v1/no-such-endpoint"),
        client.get("/api/v1/workspaces/999999"),
    ):
        assert response.status_code in (403, 404, 422), response.text
        assert response.headers["content-type"].startswith("application/json")
        body = response.json()
        assert set(body) == {"detail"} and isinstance(body["detail"], str) and body["detail"]

"""Workspace isolation: a viewer of workspace A is refused every object of workspace B,
through the REST API (session and API token) and through the pages, and cannot edit A."""

from __future__ import annotations

import pytest

from httpkit import ALICE, BOB, ERIN, Client, World
from skytally.workspaces import auth as credentials
from skytally.workspaces import service
from skytally.workspaces.schemas import ApiTokenCreate

HTMX = {"HX-Request": "true"}


@pytest.fixture(scope="module")
def alice_token(world: World) -> str:
    with world.runtime.db.session() as s:
        actor = service.actor_for_user(s, service.get_user(s, world.users[ALICE]))
        return credentials.create_api_token(s, actor, ApiTokenCreate(name="alice")).token


def _api_clients(world: World, token: str) -> list[tuple[str, Client, dict[str, str]]]:
    session = world.client(ALICE)
    return [
        ("session", session, {"X-CSRF-Token": session.csrf}),
        ("token", world.bearer(token), {}),
    ]


def test_api_refuses_every_object_of_the_other_workspace(world: World, alice_token: str) -> None:
    b, bob_id, run_b = world.bravo, world.users[BOB], world.runs["bravo"]
    for via, client, headers in _api_clients(world, alice_token):
        reads = [
            f"/api/v1/workspaces/{b}",
            f"/api/v1/workspaces/{b}/members",
            f"/api/v1/jobs/{run_b}",
            f"/api/v1/jobs/{world.runs['system']}",
        ]
        for path in reads:
            response = client.get(path)
            assert response.status_code == 404, (via, path, response.text)
            assert isinstance(response.json()["detail"], str)
        writes = [
            ("PATCH", f"/api/v1/workspaces/{b}", {"name": "Hijacked"}),
            ("DELETE", f"/api/v1/workspaces/{b}", None),
            ("PUT", f"/api/v1/workspaces/{b}/members", {"email": ALICE, "role": "admin"}),
            ("DELETE", f"/api/v1/workspaces/{b}/members/{bob_id}", None),
        ]
        for method, path, body in writes:
            response = client.request(method, path, json=body, headers=headers)
            assert response.status_code in (403, 404), (via, method, path, response.text)
        listed = {w["id"] for w in client.get("/api/v1/workspaces").json()}
        assert listed == {world.alpha}, via
        jobs = client.get("/api/v1/jobs").json()
        assert {j["workspace_id"] for j in jobs} <= {world.alpha}, via
        assert run_b not in {j["id"] for j in jobs}
        assert client.get(f"/api/v1/jobs?workspace_id={b}").json() == []
        assert client.get("/api/v1/users").status_code == 403


def test_api_viewer_cannot_edit_their_own_workspace(world: World, alice_token: str) -> None:
    a, erin_id = world.alpha, world.users[ERIN]
    for via, client, headers in _api_clients(world, alice_token):
        assert client.get(f"/api/v1/workspaces/{a}").json()["role"] == "viewer"
        assert client.get(f"/api/v1/workspaces/{a}/members").status_code == 200
        for method, path, body in [
            ("PATCH", f"/api/v1/workspaces/{a}", {"description": "mine now"}),
            ("PUT", f"/api/v1/workspaces/{a}/members", {"email": ALICE, "role": "admin"}),
            ("DELETE", f"/api/v1/workspaces/{a}/members/{erin_id}", None),
            ("DELETE", f"/api/v1/workspaces/{a}", None),
            ("POST", "/api/v1/workspaces", {"name": "Alice's own"}),
            ("POST", "/api/v1/jobs", {"kind": "maintenance.housekeeping"}),
            ("POST", "/api/v1/users", {"email": "x@example.com", "password": "long-enough-pw"}),
        ]:
            response = client.request(method, path, json=body, headers=headers)
            assert response.status_code == 403, (via, method, path, response.text)
    members = world.client(ERIN).get(f"/api/v1/workspaces/{a}/members").json()
    assert {m["email"]: m["role"] for m in members}[ALICE] == "viewer"


def test_pages_refuse_every_object_of_the_other_workspace(world: World) -> None:
    client = world.client(ALICE)
    b, bob_id, run_b = world.bravo, world.users[BOB], world.runs["bravo"]
    for path, headers in [
        (f"/workspaces/{b}", {}),
        (f"/workspaces/{b}/members", HTMX),
        (f"/workspaces/{b}/members", {}),
        (f"/jobs/{run_b}", {}),
        (f"/jobs/{run_b}/panel", HTMX),
        (f"/jobs/{world.runs['system']}", {}),
    ]:
        response = client.get(path, headers=headers)
        assert response.status_code == 404, (path, response.text)
        assert "Bravo" not in response.text and "Team B" not in response.text
    for path, data in [
        (f"/workspaces/{b}", {"name": "Hijacked"}),
        (f"/workspaces/{b}/delete", {}),
        (f"/workspaces/{b}/members", {"email": ALICE, "role": "admin"}),
        (f"/workspaces/{b}/members/{bob_id}/role", {"role": "viewer"}),
        (f"/workspaces/{b}/members/{bob_id}/remove", {}),
    ]:
        response = client.post(path, data={**data, "csrf_token": client.csrf})
        assert response.status_code in (403, 404), (path, response.text)
    for path in ("/", "/workspaces", "/jobs"):
        html = client.get(path).text
        assert "Bravo" not in html and f"/workspaces/{b}" not in html, path
        assert f'data-run="{run_b}"' not in html
    assert client.get("/users").status_code == 403


def test_pages_viewer_cannot_edit_their_own_workspace(world: World) -> None:
    client = world.client(ALICE)
    a, erin_id = world.alpha, world.users[ERIN]
    detail = client.get(f"/workspaces/{a}").text
    assert "Add member" not in detail and "Save changes" not in detail
    assert "Delete workspace" not in detail
    for path, data in [
        (f"/workspaces/{a}", {"name": "Mine"}),
        (f"/workspaces/{a}/delete", {}),
        (f"/workspaces/{a}/members", {"email": ALICE, "role": "admin"}),
        (f"/workspaces/{a}/members/{erin_id}/role", {"role": "viewer"}),
        (f"/workspaces/{a}/members/{erin_id}/remove", {}),
    ]:
        response = client.post(path, data={**data, "csrf_token": client.csrf})
        assert response.status_code == 403, (path, response.text)
    assert "Alpha" in client.get(f"/workspaces/{a}").text

"""No input answers 5xx: ids of 2^63 and more in paths, bodies and pages; workspace names
that differ only in Unicode case or normalisation (409); OPTIONS (405 with Allow);
dates that are not dates (`?to=0`)."""

from __future__ import annotations

import re

import pytest

from httpkit import ADMIN, World

BIG = 2**63


def _paths(world: World) -> list[tuple[str, str]]:
    doc = world.client(ADMIN).get("/api/v1/openapi.json").json()
    out = []
    for path, ops in doc["paths"].items():
        if "{" not in path:
            continue
        for method in ops:
            if method in ("get", "delete", "post", "put", "patch"):
                out.append((method, path))
    return out


@pytest.mark.parametrize("value", [BIG, BIG * 10, 2**64 + 1])
def test_ids_past_2_63_are_never_a_server_error(world: World, value: int) -> None:
    admin = world.client(ADMIN)
    h = {"X-CSRF-Token": admin.csrf}
    seen = []
    for method, path in _paths(world):
        url = "/api/v1" + re.sub(r"\{[^}]+\}", str(value), path.removeprefix("/api/v1"))
        r = admin.request(method.upper(), url, headers=h, json={})
        seen.append(r.status_code)
        assert r.status_code < 500, (method, url, r.status_code, r.text[:200])
    assert seen and (404 in seen or 422 in seen)


@pytest.mark.parametrize("page", ["/accounts/{n}", "/jobs/{n}", "/workspaces/{n}"])
def test_pages_with_ids_past_2_63(world: World, page: str) -> None:
    r = world.client(ADMIN).get(page.format(n=BIG))
    assert r.status_code < 500, r.text[:300]


def test_body_ids_past_2_63(world: World) -> None:
    admin = world.client(ADMIN)
    h = {"X-CSRF-Token": admin.csrf}
    r = admin.post("/api/v1/jobs", json={"kind": "inventory.sync", "workspace_id": BIG}, headers=h)
    assert r.status_code < 500, r.text[:300]
    r = admin.post(f"/api/v1/workspaces/{world.alpha}/members", json={"email": "x@example.com", "role": "viewer",
                                                                      "user_id": BIG}, headers=h)
    assert r.status_code < 500, r.text[:300]


@pytest.mark.parametrize(("first", "second"), [("Über-team", "über-team"), ("Ca\u00f1on", "Can\u0303on"),
                                               ("STRASSE", "straße")])
def test_workspace_names_are_compared_case_folded_and_normalised(world: World, first: str, second: str) -> None:
    admin = world.client(ADMIN)
    h = {"X-CSRF-Token": admin.csrf}
    made = admin.post("/api/v1/workspaces", json={"name": first}, headers=h)
    assert made.status_code == 201, made.text
    again = admin.post("/api/v1/workspaces", json={"name": second}, headers=h)
    assert again.status_code == 409, again.text
    assert "already" in again.json()["detail"]
    admin.delete(f"/api/v1/workspaces/{made.json()['id']}", headers=h)


def test_options_is_405_with_allow(world: World) -> None:
    r = world.client(ADMIN).options("/api/v1/workspaces")
    assert r.status_code == 405
    assert {"GET", "POST"} <= {m.strip() for m in r.headers["allow"].split(",")}


@pytest.mark.parametrize("value", ["0", "-1", "99999", "2024-13-01", "x"])
def test_a_date_that_is_not_a_date_is_refused(world: World, value: str) -> None:
    r = world.client(ADMIN).get("/api/v1/costs/query", params={"from": "2024-01-01", "to": value})
    assert r.status_code in (400, 422), (value, r.status_code, r.text[:200])


def test_a_job_run_is_seen_by_who_may_see_its_account_now(world: World) -> None:
    from httpkit import ALICE
    from skytally.accounts import repo
    from skytally.accounts.models import CloudAccount
    from skytally.jobs.models import JobRun

    with world.runtime.db.session() as s:
        account = CloudAccount(kind="azure", name="Moving", tenant_id="00000000-0000-0000-0000-00000000abcd",
                               connection="consent")
        s.add(account)
        s.flush()
        repo.set_workspaces(s, account.id, [world.alpha])
        run = JobRun(kind="inventory.sync", workspace_id=world.alpha, params={"account_id": account.id},
                     status="succeeded")
        s.add(run)
        s.flush()
        run_id, account_id = run.id, account.id
    alice, bob = world.client(ALICE), world.bearer()
    assert alice.get(f"/api/v1/jobs/{run_id}").status_code == 200
    assert bob.get(f"/api/v1/jobs/{run_id}").status_code == 404
    with world.runtime.db.session() as s:  # `skytally accounts assign` to Bravo
        repo.set_workspaces(s, account_id, [world.bravo])
    assert alice.get(f"/api/v1/jobs/{run_id}").status_code == 404
    assert run_id not in {r["id"] for r in alice.get("/api/v1/jobs", params={"limit": 500}).json()}
    assert bob.get(f"/api/v1/jobs/{run_id}").status_code == 200
    assert run_id in {r["id"] for r in bob.get("/api/v1/jobs").json()}
    assert alice.get(f"/jobs/{run_id}").status_code in (403, 404)  # the page too

"""Every page renders for the people who may see it, and its forms do what they say."""

from __future__ import annotations

import re

import pytest

from httpkit import ADMIN, ALICE, BOB, ERIN, FORM_CSRF_RE, World
from skytally.jobs.models import JobRun, JobStatus

HTMX = {"HX-Request": "true"}


@pytest.mark.parametrize(
    ("path", "marker"),
    [
        ("/", "Your workspaces"),
        ("/workspaces", "New workspace"),
        ("/workspaces/{alpha}", "Members"),
        ("/jobs", "Run now"),
        ("/jobs?status=succeeded", "maintenance.housekeeping"),
        ("/jobs/{run}", "Parameters"),
        ("/settings/tokens", "New token"),
        ("/users", "New user"),
        ("/api/v1/docs", "swagger-ui"),
    ],
)
def test_every_page_renders_for_an_admin(world: World, path: str, marker: str) -> None:
    url = path.format(alpha=world.alpha, run=world.runs["system"])
    response = world.client(ADMIN).get(url)
    assert response.status_code == 200, response.text
    assert marker in response.text
    assert "https://" not in response.text and "http://cdn" not in response.text


@pytest.mark.parametrize("path", ["/workspaces", "/workspaces/{alpha}", "/jobs", "/settings/tokens", "/users"])
def test_every_form_carries_the_session_csrf_token(world: World, path: str) -> None:
    client = world.client(ADMIN)
    html = client.get(path.format(alpha=world.alpha)).text
    fields = FORM_CSRF_RE.findall(html)
    assert fields, "no form on the page"
    assert set(fields) == {client.csrf}
    assert html.count("<form") == len(fields)


def test_layout_has_navigation_switcher_and_user_menu(world: World) -> None:
    html = world.client(ALICE).get("/").text
    assert 'href="/workspaces"' in html and 'href="/jobs"' in html
    assert 'href="/users"' not in html  # admin-only entry hidden
    assert ALICE in html and "Sign out" in html
    assert f'href="/workspaces/{world.alpha}"' in html  # switcher lists Alpha …
    assert f'href="/workspaces/{world.bravo}"' not in html  # … and not Bravo
    assert 'href="/users"' in world.client(ADMIN).get("/").text


def test_users_page_is_for_org_admins_only(world: World) -> None:
    response = world.client(BOB).get("/users")
    assert response.status_code == 403
    assert "organisation admins" in response.text
    assert "<nav" in response.text  # rendered inside the layout


def test_unknown_page_is_a_friendly_404(world: World) -> None:
    response = world.client(ALICE).get("/no/such/page")
    assert response.status_code == 404 and "Not found" in response.text


def test_admin_creates_a_workspace_and_edits_it(world: World) -> None:
    client = world.client(ADMIN)
    created = client.post(
        "/workspaces", data={"name": "Charlie", "description": "C", "csrf_token": client.csrf}
    )
    assert created.status_code == 303
    location = created.headers["location"]
    page = client.get(location)
    assert "Workspace “Charlie” created." in page.text
    assert "Workspace “Charlie” created." not in client.get(location).text  # flash shown once
    saved = client.post(
        location, data={"name": "Charlie 2", "description": "Renamed", "csrf_token": client.csrf}
    )
    assert saved.status_code == 303
    assert "Charlie 2" in client.get(location).text
    duplicate = client.post("/workspaces", data={"name": "alpha", "csrf_token": client.csrf})
    assert duplicate.status_code == 409 and "already exists" in duplicate.text
    deleted = client.post(f"{location}/delete", data={"csrf_token": client.csrf})
    assert deleted.status_code == 303 and client.get(location).status_code == 404


def test_non_admin_cannot_create_a_workspace(world: World) -> None:
    client = world.client(BOB)
    response = client.post("/workspaces", data={"name": "Mine", "csrf_token": client.csrf})
    assert response.status_code == 403


def test_members_are_managed_with_htmx_partials(world: World) -> None:
    client = world.client(BOB)  # admin of Bravo
    headers = {**HTMX, "X-CSRF-Token": client.csrf}
    base = f"/workspaces/{world.bravo}/members"
    added = client.post(base, data={"email": ERIN, "role": "viewer"}, headers=headers)
    assert added.status_code == 200
    assert 'id="members"' in added.text and ERIN in added.text
    assert 'hx-swap-oob="true"' in added.text and "is now viewer" in added.text
    assert "<html" not in added.text  # a fragment, not a page
    erin_id = world.users[ERIN]
    changed = client.post(f"{base}/{erin_id}/role", data={"role": "editor"}, headers=headers)
    assert changed.status_code == 200 and "is now editor" in changed.text
    partial = client.get(base, headers=HTMX)
    assert re.search(r'<option value="editor" selected>', partial.text)
    bad = client.post(base, data={"email": "not-an-email", "role": "viewer"}, headers=headers)
    assert bad.status_code == 422
    assert bad.headers["HX-Retarget"] == "#flash" and "email address" in bad.text
    unknown = client.post(base, data={"email": "ghost@example.com"}, headers=headers)
    assert unknown.status_code == 404 and "no user with email" in unknown.text.lower()
    removed = client.post(f"{base}/{erin_id}/remove", headers=headers)
    assert removed.status_code == 200 and f'data-member="{ERIN}"' not in removed.text
    last_admin = client.post(f"{base}/{world.users[BOB]}/remove", headers=headers)
    assert last_admin.status_code == 409 and "last admin" in last_admin.text


def test_members_form_works_without_javascript(world: World) -> None:
    client = world.client(BOB)
    base = f"/workspaces/{world.bravo}/members"
    added = client.post(base, data={"email": ALICE, "role": "viewer", "csrf_token": client.csrf})
    assert added.status_code == 303 and added.headers["location"].endswith("#members")
    assert "is now viewer" in client.get(f"/workspaces/{world.bravo}").text
    removed = client.post(
        f"{base}/{world.users[ALICE]}/remove", data={"csrf_token": client.csrf}
    )
    assert removed.status_code == 303


def test_api_token_is_shown_once_and_can_be_revoked(world: World) -> None:
    client = world.client(ERIN)
    created = client.post(
        "/settings/tokens",
        data={"name": "laptop", "expires_in_days": "30", "csrf_token": client.csrf},
    )
    assert created.status_code == 201
    token = re.search(r'<code id="new-token">([^<]+)</code>', created.text)
    assert token and token.group(1).startswith("sky_")
    listing = client.get("/settings/tokens").text
    assert "laptop" in listing and token.group(1) not in listing
    assert world.bearer(token.group(1)).get("/api/v1/me").json()["user"]["email"] == ERIN
    token_id = re.search(r'/settings/tokens/(\d+)/revoke', listing)
    assert token_id
    revoked = client.post(
        f"/settings/tokens/{token_id.group(1)}/revoke", data={"csrf_token": client.csrf}
    )
    assert revoked.status_code == 303
    assert "revoked" in client.get("/settings/tokens").text
    assert world.bearer(token.group(1)).get("/api/v1/me").status_code == 401


def test_admin_creates_and_deactivates_a_user(world: World) -> None:
    client = world.client(ADMIN)
    weak = client.post(
        "/users", data={"email": "dave@example.com", "password": "short", "csrf_token": client.csrf}
    )
    assert weak.status_code == 422 and "at least 10 characters" in weak.text
    created = client.post(
        "/users",
        data={"email": "Dave@Example.com", "password": "a-long-password", "csrf_token": client.csrf},
    )
    assert created.status_code == 303
    assert "dave@example.com" in client.get("/users").text
    with world.runtime.db.session() as s:
        from skytally.workspaces import repo

        user = repo.user_by_email(s, "dave@example.com")
        assert user is not None
        dave_id = user.id
    off = client.post(f"/users/{dave_id}/deactivate", data={"csrf_token": client.csrf})
    assert off.status_code == 303
    assert "deactivated" in client.get("/users").text
    on = client.post(f"/users/{dave_id}/activate", data={"csrf_token": client.csrf})
    assert on.status_code == 303


def test_admin_runs_housekeeping_from_the_jobs_page(world: World) -> None:
    client = world.client(ADMIN)
    submitted = client.post(
        "/jobs", data={"kind": "maintenance.housekeeping", "csrf_token": client.csrf}
    )
    assert submitted.status_code == 303
    detail = client.get(submitted.headers["location"])
    assert detail.status_code == 200
    assert "badge-succeeded" in detail.text and "job_runs_pruned" in detail.text
    assert "hx-trigger" not in detail.text  # finished: no polling


def test_viewers_cannot_run_system_jobs(world: World) -> None:
    client = world.client(ALICE)
    assert "Run now" not in client.get("/jobs").text
    refused = client.post(
        "/jobs", data={"kind": "maintenance.housekeeping", "csrf_token": client.csrf}
    )
    assert refused.status_code == 403


def test_jobs_table_polls_only_while_something_runs(world: World) -> None:
    client = world.client(ADMIN)
    assert 'data-polling="off"' in client.get("/jobs/table", headers=HTMX).text
    with world.runtime.db.session() as s:
        run = JobRun(kind="maintenance.housekeeping", status=JobStatus.RUNNING.value, progress=0.4)
        s.add(run)
        s.flush()
        run_id = run.id
    try:
        table = client.get("/jobs/table", headers=HTMX).text
        assert 'data-polling="on"' in table and 'hx-trigger="every 2s"' in table
        assert 'value="40"' in table  # the progress bar
        panel = client.get(f"/jobs/{run_id}/panel", headers=HTMX).text
        assert f'hx-get="/jobs/{run_id}/panel"' in panel
        assert 'data-status="running"' in client.get("/jobs?status=running").text
        assert f'data-run="{run_id}"' not in client.get("/jobs?status=failed").text
    finally:
        with world.runtime.db.session() as s:
            row = s.get(JobRun, run_id)
            assert row is not None
            row.status = JobStatus.SUCCEEDED.value


def test_unknown_status_filter_is_explained(world: World) -> None:
    response = world.client(ADMIN).get("/jobs?status=exploded")
    assert response.status_code == 422 and "unknown status" in response.text.lower()


def test_runs_without_a_workspace_say_where_they_belong_and_who_started_them(world: World) -> None:
    """Not "system": a run about a tenant belongs to that tenant (a link), any other to the
    whole installation; what started it is said in words."""
    from skytally.accounts.models import CloudAccount

    client = world.client(ADMIN)
    with world.runtime.db.session() as s:
        account = CloudAccount(kind="azure", name="Contoso Jobs", tenant_id="11111111-2222-3333-4444-555555555555")
        s.add(account)
        s.flush()
        run = JobRun(kind="inventory.sync", target="scheduled", params={"account_id": account.id},
                     status=JobStatus.SUCCEEDED.value, progress=1.0, queued_by="system")
        s.add(run)
        s.flush()
        account_id, run_id = account.id, run.id
    try:
        table = client.get("/jobs/table", headers=HTMX).text
        row = table[table.index(f'data-run="{run_id}"'):]
        row = row[:row.index("</tr>")]
        assert f'<a href="/accounts/{account_id}" title="seen in its workspaces">Tenant Contoso Jobs</a>' in row
        assert "the schedule" in row and "system" not in row
        seeded = table[table.index(f'data-run="{world.runs["system"]}"'):]
        seeded = seeded[:seeded.index("</tr>")]
        assert "Whole installation" in seeded and "seen by organisation admins" in seeded and "system" not in seeded
        panel = client.get(f"/jobs/{run_id}").text
        assert "Tenant Contoso Jobs" in panel and "the schedule" in panel
        assert ">system<" not in panel
    finally:
        with world.runtime.db.session() as s:
            s.delete(s.get(JobRun, run_id))
            s.delete(s.get(CloudAccount, account_id))

"""REST API of Resources & Tags: list/sort/filter, resource detail with history, edit with
dry-run diff, pending, revert, conflicts, audit (JSON and CSV), coverage; viewers read and
may not edit; other workspaces' resources stay invisible."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import pytest

from httpkit import ADMIN, ALICE, ERIN, World, world  # noqa: F401
from inventory import tagworld
from skytally.accounts.models import AccountWorkspace


@pytest.fixture(scope="module")
def data(world: World) -> Iterator[tagworld.World]:  # noqa: F811
    with world.runtime.db.session() as s:
        w = tagworld.build(s)
        s.add(AccountWorkspace(account_id=w.account_id, workspace_id=world.alpha))
    yield w


def _post(client: object, path: str, **kw: object) -> object:
    return client.post(path, headers={"X-CSRF-Token": client.csrf}, **kw)  # type: ignore[attr-defined]


def test_list_detail_edit_pending_revert_audit_coverage(world: World, data: tagworld.World) -> None:  # noqa: F811
    erin = world.client(ERIN)
    page = erin.get("/api/v1/tags/resources", params={"where": "has:env", "sort": "name", "limit": 2}).json()
    assert page["total"] == 4 and [r["name"] for r in page["items"]] == ["app-1", "db-1"]
    page = erin.get("/api/v1/tags/resources", params={"where": "tag:env=prod", "sort": "name", "desc": True}).json()
    assert [r["name"] for r in page["items"]] == ["web-2", "web-1"]
    assert {t["local_key"] for t in page["items"][0]["tags"]} == {"Env"}
    bad = erin.get("/api/v1/tags/resources", params={"where": "colour=red"})
    assert bad.status_code == 422 and "unknown" in bad.json()["detail"]
    body = {"op": "set", "where": f"subscription={tagworld.WB},taggable", "key": "owner", "value": "team-a"}
    diff = _post(erin, "/api/v1/tags/edit", json=body).json()  # type: ignore[attr-defined]
    assert diff["applied"] is False and diff["changes"] == 4 and diff["to_push"] == 4
    assert {(c["name"], c["before"], c["after"]) for c in diff["sample"]} >= {("web-1", None, "team-a")}
    done = _post(erin, "/api/v1/tags/edit", params={"dry_run": "false"}, json=body).json()  # type: ignore[attr-defined]
    assert done["applied"] is True
    pending = erin.get("/api/v1/tags/pending", params={"where": "name~web"}).json()
    assert sorted(p["name"] for p in pending) == ["web-1", "web-2"] and pending[0]["tag"]["state"] == "pending"
    rid = pending[0]["resource_id"]
    detail = erin.get("/api/v1/tags/resource", params={"id": rid}).json()
    assert detail["resource"]["group_tags"] == {"Owner": "team-web"} or detail["resource"]["resource_group"] != "rg-web"
    assert [(h["key"], h["after"], h["result"], h["actor"]) for h in detail["history"]] == [
        ("owner", "team-a", "queued", ERIN)]
    alice = world.client(ALICE)  # a viewer reads, never edits
    assert alice.get("/api/v1/tags/pending").status_code == 200
    refused = _post(alice, "/api/v1/tags/edit", params={"dry_run": "false"}, json=body)
    assert refused.status_code == 403  # type: ignore[attr-defined]
    reverted = _post(erin, "/api/v1/tags/revert", json={"where": "name~web-1", "key": "owner"}).json()  # type: ignore[attr-defined]
    assert reverted == {"reverted": 1}
    audit = erin.get("/api/v1/tags/audit", params={"key": "owner"}).json()
    assert audit["total"] == 5 and {a["result"] for a in audit["items"]} == {"queued", "reverted"}
    exported = erin.get("/api/v1/tags/audit.csv", params={"key": "owner"})
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert len(rows) == 5 and rows[0]["actor"] == ERIN and rows[0]["action"] in ("revert", "set")
    cov = erin.get("/api/v1/tags/coverage").json()
    env = next(k for k in cov["keys"] if k["key"].lower() == "env")
    assert cov["taggable"] == 5 and cov["untaggable_types"] == {"microsoft.network/virtualnetworks/subnets": 1}
    assert env["resources"] == 4 and env["variants"] == {"env": 2, "Env": 1, "ENV": 1} and env["share"] == 0.8
    assert env["top_values"][0] == ["prod", 2]
    assert world.client(ADMIN).get("/api/v1/tags/resources").json()["total"] == 6
    assert world.bearer().get("/api/v1/tags/resources").json()["total"] == 0  # Bob: Bravo only


def test_page_offers_only_the_actions_the_user_may_take(world: World, data: tagworld.World) -> None:  # noqa: F811
    erin, alice = world.client(ERIN), world.client(ALICE)  # an editor and a viewer of the same workspace
    body = {"op": "set", "where": f"subscription={tagworld.WB},name~web-2", "key": "team", "value": "page"}
    assert _post(erin, "/api/v1/tags/edit", params={"dry_run": "false"}, json=body).json()["applied"]  # type: ignore[attr-defined]
    for client, editor in ((erin, True), (alice, False)):
        resources = client.get("/resources")
        pending = client.get("/resources", params={"tab": "pending"})
        assert resources.status_code == pending.status_code == 200
        assert ('data-testid="bulk-edit"' in resources.text) is editor
        assert ('data-testid="sync-now"' in resources.text) is editor
        assert ('data-testid="push"' in pending.text) is editor
        assert ('action="/resources/revert"' in pending.text) is editor
        assert "team=page" in pending.text  # both see what waits to be pushed


def test_counts_stop_at_the_cap_and_say_more_than(world: World, data: tagworld.World,  # noqa: F811
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from skytally.inventory import tag_repo
    from skytally.web.pages import tags as tags_page
    admin = world.client(ADMIN)
    assert admin.get("/api/v1/tags/resources", params={"limit": 1}).json()["total_exact"] is True  # 6 < the cap
    monkeypatch.setattr(tag_repo, "COUNT_CAP", 2)
    capped = admin.get("/api/v1/tags/resources", params={"limit": 1}).json()
    assert (capped["total"], capped["total_exact"], len(capped["items"])) == (2, False, 1)
    beyond = admin.get("/api/v1/tags/resources", params={"limit": 2, "offset": 2}).json()
    assert (beyond["total"], beyond["total_exact"]) == (4, False)  # counted to the end of the page asked for
    short = admin.get("/api/v1/tags/resources", params={"limit": 50, "offset": 4}).json()
    assert (short["total"], short["total_exact"], len(short["items"])) == (6, True, 2)  # a short page is its own count
    monkeypatch.setattr(tags_page, "PAGE_SIZE", 1)
    page = admin.get("/resources").text
    assert "of more than 2</span>" in page and 'data-testid="next-page"' in page


def test_coverage_page_chooses_a_workspace(world: World, data: tagworld.World) -> None:  # noqa: F811
    admin = world.client(ADMIN)
    every = admin.get("/resources", params={"tab": "coverage"}).text
    assert 'data-testid="workspace"' in every and ">Alpha</option>" in every and ">Bravo</option>" in every
    assert "5 taggable resources" in every
    alpha = admin.get("/resources", params={"tab": "coverage", "workspace": world.alpha}).text
    assert "5 taggable resources" in alpha and f'value="{world.alpha}" selected' in alpha
    assert "shown only with" in alpha  # cost shares are not scoped to one workspace: not shown beside it
    bravo = admin.get("/resources", params={"tab": "coverage", "workspace": world.bravo}).text
    assert "0 taggable resources" in bravo and "No tags yet." in bravo


def test_failed_changes_group_by_reason_class_in_api_and_page(world: World, data: tagworld.World) -> None:  # noqa: F811
    from sqlalchemy import select

    from skytally.inventory.tag_models import InventoryTag

    locked = "409 ScopeLocked: a ReadOnly lock on the resource, its group or its subscription refuses tag writes"
    with world.runtime.db.session() as s:
        for name in ("web-1", "db-1"):
            tag = s.scalars(select(InventoryTag).where(InventoryTag.resource_pk == data.ids[name])).first()
            assert tag is not None
            tag.state, tag.reason_class = "failed", locked
            tag.reason = f"Azure answered 409 ScopeLocked: The scope '/subscriptions/x/{name}' cannot perform write"
    try:
        erin = world.client(ERIN)
        groups = erin.get("/api/v1/tags/pending/reasons").json()
        assert [(g["reason_class"], g["changes"], g["resources"]) for g in groups] == [(locked, 2, 2)]
        rows = erin.get("/api/v1/tags/pending", params={"reason_class": locked}).json()
        assert sorted(r["name"] for r in rows) == ["db-1", "web-1"]
        assert {r["tag"]["reason_class"] for r in rows} == {locked}
        page = erin.get("/resources", params={"tab": "pending"})
        assert page.status_code == 200 and 'data-testid="failure-groups"' in page.text
        assert page.text.count('data-testid="failure-group"') == 1
        one = erin.get("/resources", params={"tab": "pending", "reason": locked})
        assert one.status_code == 200 and "web-1" in one.text and "db-1" in one.text
    finally:
        with world.runtime.db.session() as s:
            for tag in s.scalars(select(InventoryTag).where(InventoryTag.state == "failed")):
                tag.state, tag.reason, tag.reason_class = "in_sync", "", ""


def test_queued_bulk_edit_shows_every_pending_change_with_its_reason(world: World, data: tagworld.World) -> None:  # noqa: F811
    """The edit's filter (lacks:oncall) matches nothing once OnCall is set: the pending tab it
    lands on is not filtered by it, and a filter hiding every pending change says so."""
    from sqlalchemy import update

    from skytally.inventory.tag_models import InventoryTag
    erin = world.client(ERIN)
    where = f"subscription={tagworld.WB},name~db-1,lacks:oncall"
    form = {"op": "set", "where": where, "key": "OnCall", "value": "dba", "apply": "1", "csrf_token": erin.csrf}  # type: ignore[attr-defined]
    done = erin.post("/resources/edit", data=form, follow_redirects=False)  # type: ignore[attr-defined]
    assert done.status_code == 303 and done.headers["location"] == "/resources?tab=pending"
    with world.runtime.db.session() as s:
        s.execute(update(InventoryTag).where(InventoryTag.resource_pk == data.ids["db-1"], InventoryTag.key_lower == "oncall")
                  .values(state="failed", reason="Azure answered 409 ScopeLocked: the scope is locked"))
    pending = erin.get("/resources", params={"tab": "pending"}).text  # type: ignore[attr-defined]
    assert "OnCall=dba" in pending and 'data-testid="row-reason">Azure answered 409 ScopeLocked' in pending
    hidden = erin.get("/resources", params={"tab": "pending", "where": where}).text  # type: ignore[attr-defined]
    assert 'data-testid="pending-hidden"' in hidden

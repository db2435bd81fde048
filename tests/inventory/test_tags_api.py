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

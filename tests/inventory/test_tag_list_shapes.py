"""The Resources & Tags list picks a query shape per tag term (semi-join from the tags'
index when the term matches few tags, correlated EXISTS when it matches many): both
shapes give the same pages and counts, for every tag and state term, on both backends
(PostgreSQL's semi-join is an array of primary keys)."""

from __future__ import annotations

import pytest

from conftest import backend_params
from inventory import tagworld
from skytally.inventory import filters, tag_repo
from skytally.runtime import Runtime

pytestmark = pytest.mark.parametrize("database_url", backend_params(), indirect=True)

WHERES = ["tag:env=prod", "has:costcenter", "has:env,lacks:costcenter", "tag:env=prod,has:env", "state=pending",
          "state=in_sync,type=microsoft.compute/virtualmachines", "lacks:env", "has:nothing", "tag:env=nope"]


def _pages(runtime: Runtime, where: str) -> list[tuple[list[str], int]]:
    out = []
    with runtime.db.session() as s:
        for sort in tag_repo.SORTS:
            rows, total, _ = tag_repo.page(s, None, filters.parse(where), sort=sort, limit=2)
            out.append(([r.name for r in rows], total))
    return out


@pytest.mark.parametrize("where", WHERES)
def test_both_shapes_agree(runtime: Runtime, monkeypatch: pytest.MonkeyPatch, where: str) -> None:
    with runtime.db.session() as s:
        tagworld.build(s)
        s.execute(tag_repo.InventoryTag.__table__.update().where(
            tag_repo.InventoryTag.key_lower == "env", tag_repo.InventoryTag.local_value == "prod").values(
            state="pending"))
    monkeypatch.setattr(tag_repo, "SEMI_JOIN_MAX", 0)  # every term: EXISTS
    dense = _pages(runtime, where)
    monkeypatch.setattr(tag_repo, "SEMI_JOIN_MAX", 10**6)  # every term: IN (SELECT resource_pk ...)
    sparse = _pages(runtime, where)
    assert dense == sparse
    assert (dense[0][1] == 0) == (where in ("has:nothing", "tag:env=nope"))

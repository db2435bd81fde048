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
          "state=in_sync,type=microsoft.compute/virtualmachines", "lacks:env", "has:nothing", "tag:env=nope",
          "lacks:nothing", "lacks:env,lacks:costcenter", "taggable,lacks:env", "lacks:env,rg=rg-web"]


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


def _lacking(runtime: Runtime, where: str) -> list[str]:
    """Every resource the filter finds, through the page and through iter_matching (bulk edits)."""
    with runtime.db.session() as s:
        flt = filters.parse(where)
        rows, total, _ = tag_repo.page(s, None, flt, limit=1000)
        assert total == len(rows)
        matched = sorted(r.name for chunk in tag_repo.iter_matching(s, None, flt) for r in chunk)
        assert matched == sorted(r.name for r in rows)
        return [r.name for r in rows]


@pytest.mark.parametrize("where", ["lacks:env", "lacks:costcenter", "lacks:env,lacks:costcenter", "lacks:nothing",
                                   "has:env,lacks:costcenter", "taggable,lacks:env"])
def test_lacks_listed_first_or_walked_agree(runtime: Runtime, monkeypatch: pytest.MonkeyPatch, where: str) -> None:
    """`lacks:` walks the sort index, or, when nearly every resource carries the key, lists the
    few lacking it first (`id IN (...)`): both give the same resources; a key removed
    locally (local_value NULL) is lacked."""
    with runtime.db.session() as s:
        tagworld.build(s)
        s.execute(tag_repo.InventoryTag.__table__.update().where(
            tag_repo.InventoryTag.key_lower == "costcenter").values(local_value=None, state="pending"))
    monkeypatch.setattr(tag_repo, "SEMI_JOIN_MAX", 0)  # walk unless none lacks it
    walked = _lacking(runtime, where)
    monkeypatch.setattr(tag_repo, "SEMI_JOIN_MAX", 10**6)  # list the lacking ones first
    listed = _lacking(runtime, where)
    assert walked == listed
    expected = {"lacks:env": ["stor1", "subnet-a"], "lacks:nothing": ["app-1", "db-1", "stor1", "subnet-a", "web-1", "web-2"]}
    if where in expected:
        assert listed == expected[where]


def _oracle(runtime: Runtime, key: str) -> tuple[list[str], list[str]]:
    """(carrying, lacking) the key, from the tag rows themselves."""
    from sqlalchemy import select

    with runtime.db.session() as s:
        names = dict(s.execute(select(tag_repo.InventoryResource.id, tag_repo.InventoryResource.name)).all())
        carrying = {pk for pk, in s.execute(select(tag_repo.InventoryTag.resource_pk).where(
            tag_repo.InventoryTag.key_lower == key, tag_repo.InventoryTag.local_value.is_not(None)))}
    return sorted(names[pk] for pk in carrying), sorted(n for pk, n in names.items() if pk not in carrying)


def test_lacks_and_has_follow_edits(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    """Through set-where-missing (by a lacks: filter), remove, rename, canonicalise and revert,
    has:/lacks: in either shape give what the tag rows say."""
    from skytally.inventory import tag_service
    from skytally.inventory.tag_schemas import EditOp, TagEdit

    with runtime.db.session() as s:
        tagworld.build(s)

    def edit(op: EditOp, where: str, key: str, **kw: str) -> None:
        with runtime.db.session() as s:
            tag_service.edit(s, None, TagEdit(op=op, where=where, key=key, **kw), dry_run=False)  # type: ignore[arg-type]

    def check() -> None:
        for key in ("env", "costcenter", "owner"):
            carrying, lacking = _oracle(runtime, key)
            for cap in (0, 10**6):
                monkeypatch.setattr(tag_repo, "SEMI_JOIN_MAX", cap)
                assert sorted(_lacking(runtime, f"lacks:{key}")) == lacking, (key, cap)
                assert sorted(_lacking(runtime, f"has:{key}")) == carrying, (key, cap)

    check()
    monkeypatch.setattr(tag_repo, "SEMI_JOIN_MAX", 10**6)  # the bulk edit finds the resources listed first
    edit(EditOp.SET_MISSING, "taggable,lacks:costcenter", "CostCenter", value="cc9")
    check()
    edit(EditOp.REMOVE, "name~web-", "CostCenter")
    check()
    edit(EditOp.RENAME, "taggable", "costcenter", new_key="owner")
    check()
    edit(EditOp.CANONICALISE, "taggable", "env", new_key="ENV")
    check()
    with runtime.db.session() as s:
        tag_service.revert(s, None, "")
    check()


def test_lacks_a_key_every_resource_carries(runtime: Runtime) -> None:
    """Unscoped, the two counts are exact (one row per resource and key): none lacking is
    answered without the anti-join; one lacking is still found; both agree with the walk."""
    from sqlalchemy import delete, select

    from skytally.inventory.models import InventoryResource

    with runtime.db.session() as s:
        tagworld.build(s)
        pks = list(s.scalars(select(InventoryResource.id)))
        s.add_all(tag_repo.InventoryTag(resource_pk=pk, key_lower="everywhere", local_key="Everywhere",
                                        local_value="x") for pk in pks)
    flt = filters.parse("lacks:everywhere")

    def walked(s: object) -> list[int]:
        return sorted(s.scalars(select(InventoryResource.id).where(*tag_repo.conditions(flt, None))))  # type: ignore[attr-defined]

    with runtime.db.session() as s:
        rows, total, exact = tag_repo.page(s, None, flt, limit=50)
        assert (rows, total, exact) == ([], 0, True) and walked(s) == []
        s.execute(delete(tag_repo.InventoryTag).where(tag_repo.InventoryTag.resource_pk == pks[3],
                                                      tag_repo.InventoryTag.key_lower == "everywhere"))
    with runtime.db.session() as s:
        rows, total, _ = tag_repo.page(s, None, flt, limit=50)
        assert [r.id for r in rows] == walked(s) == [pks[3]] and total == 1
        account = s.get(InventoryResource, pks[3]).account_id  # type: ignore[union-attr]
        scoped, _, _ = tag_repo.page(s, [account], flt, limit=50)
        assert [r.id for r in scoped] == [pks[3]]

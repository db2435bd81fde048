"""Tag editing: the filter grammar, every edit with its dry-run diff, Azure's rules refusing
before anything is queued, pending changes, revert, conflicts' resolution, the audit."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from inventory import tagworld
from skytally.errors import InvalidInput
from skytally.inventory import filters, tag_service
from skytally.inventory.tag_models import InventoryTag, TagAudit
from skytally.inventory.tag_schemas import EditOp, Resolution, TagEdit
from skytally.runtime import Runtime


def _tags(s: object, w: tagworld.World, name: str) -> dict[str, tuple[str | None, str]]:
    from sqlalchemy.orm import Session
    assert isinstance(s, Session)
    return {t.local_key: (t.local_value, t.state)
            for t in s.scalars(select(InventoryTag).where(InventoryTag.resource_pk == w.ids[name]))}


def test_filter_grammar() -> None:
    f = filters.parse("subscription=ABC,type=microsoft.compute/virtualmachines,type=microsoft.sql/servers,"
                      "rg=RG-Web,name~web-*,tag:env=Prod,has:owner,lacks:CostCenter,taggable,'location=west,europe'")
    assert f.fields == {"subscription_id": ["abc"], "type": ["microsoft.compute/virtualmachines", "microsoft.sql/servers"],
                        "resource_group": ["rg-web"], "location": ["west,europe"]}
    assert f.names == ["web-*"] and f.tags == [("env", "Prod")] and f.has == ["owner"] and f.lacks == ["costcenter"]
    assert f.taggable_only
    for bad in ("colour=red", "tag:env", "has:", "state=weird", "name~", "'open"):
        with pytest.raises(InvalidInput):
            filters.parse(bad)


def _edit(rt: Runtime, op: EditOp, where: str, key: str, dry: bool = True, **kw: object) -> object:
    with rt.db.session() as s:
        return tag_service.edit(s, None, TagEdit(op=op, where=where, key=key, **kw), dry_run=dry)  # type: ignore[arg-type]


def test_edits_diff_then_queue(runtime: Runtime) -> None:
    with runtime.db.session() as s:
        w = tagworld.build(s)
    where = f"subscription={tagworld.WB},taggable"
    plan = _edit(runtime, EditOp.SET_MISSING, where + ",lacks:costcenter", "CostCenter", value="cc9")
    assert plan.changes == 3 and plan.resources_changed == 3 and not plan.applied  # type: ignore[attr-defined]
    assert {c.name for c in plan.sample} == {"web-2", "db-1", "stor1"}  # type: ignore[attr-defined]
    with runtime.db.session() as s:
        assert s.scalar(select(func.count()).select_from(InventoryTag).where(InventoryTag.state == "pending")) == 0
    plan = _edit(runtime, EditOp.SET_MISSING, where + ",lacks:costcenter", "CostCenter", dry=False, value="cc9")
    assert plan.applied and plan.to_push == 3  # type: ignore[attr-defined]
    # canonicalise env/Env/ENV → env: values kept, the casing change pending
    plan = _edit(runtime, EditOp.CANONICALISE, "", "env", dry=False, new_key="env")
    assert plan.changes == 2 and plan.to_push == 2 and plan.local_only == 0  # type: ignore[attr-defined]
    # copy the group's Owner down; rename CostCenter → costcenter is a casing change too
    _edit(runtime, EditOp.COPY_FROM_GROUP, "rg=rg-web,taggable", "owner", dry=False)
    _edit(runtime, EditOp.SET, "subscription=" + tagworld.TG, "env", dry=False, value="qa")
    with runtime.db.session() as s:
        assert _tags(s, w, "web-2") == {"env": ("prod", "pending"), "CostCenter": ("cc9", "pending"),
                                        "Owner": ("team-web", "pending")}
        assert _tags(s, w, "db-1") == {"env": ("dev", "pending"), "CostCenter": ("cc9", "pending")}
        assert _tags(s, w, "web-1")["env"] == ("prod", "in_sync")
        assert _tags(s, w, "app-1") == {"env": ("qa", "local")}  # not a write-back subscription
        pending = tag_service.tag_rows(s, None, "name~web-*")
        assert {(p.name, p.tag.local_key) for p in pending} == {("web-2", "env"), ("web-2", "CostCenter"),
                                                                ("web-2", "Owner"), ("web-1", "Owner")}
        assert s.scalar(select(func.count()).select_from(TagAudit)) == 3 + 2 + 2 + 1
    # remove then revert: back to Azure's values, new keys gone
    _edit(runtime, EditOp.REMOVE, "name=web-1".replace("name=", "name~"), "CostCenter", dry=False)
    with runtime.db.session() as s:
        assert _tags(s, w, "web-1")["CostCenter"] == (None, "pending")
        assert tag_service.revert(s, None, "name~web-") == 5
    with runtime.db.session() as s:
        assert _tags(s, w, "web-1") == {"env": ("prod", "in_sync"), "CostCenter": ("cc1", "in_sync")}
        assert _tags(s, w, "web-2") == {"Env": ("prod", "in_sync")}


@pytest.mark.parametrize(("op", "key", "kw", "rule"), [
    (EditOp.SET, "owner", {"value": "x" * 257}, "at most 256"),
    (EditOp.SET, "a/b", {"value": "x"}, "may not contain"),
    (EditOp.SET, "azure-team", {"value": "x"}, "reserved prefixes"),
    (EditOp.RENAME, "env", {"new_key": "Windows.Env"}, "reserved prefixes"),
])
def test_rules_refuse_the_name_or_value(runtime: Runtime, op: EditOp, key: str, kw: dict[str, str], rule: str) -> None:
    with runtime.db.session() as s:
        tagworld.build(s)
    with pytest.raises(InvalidInput) as refused:
        _edit(runtime, op, "taggable", key, dry=False, **kw)
    assert rule in refused.value.message and "nothing was queued" in refused.value.message


def test_rules_refuse_per_resource_and_queue_nothing(runtime: Runtime) -> None:
    with runtime.db.session() as s:
        tagworld.build(s)
    with pytest.raises(InvalidInput) as refused:  # a subnet takes no tags
        _edit(runtime, EditOp.SET, "rg=rg-web", "team", dry=False, value="web")
    assert "take no tags" in refused.value.message and "subnet-a" in refused.value.message
    with pytest.raises(InvalidInput) as refused:  # 128 characters at most on a storage account
        _edit(runtime, EditOp.SET, "rg=rg-data", "k" * 200, dry=False, value="v")
    assert "at most 128 characters" in refused.value.message and "stor1" in refused.value.message
    assert "db-1" not in refused.value.message
    for n in range(50):  # 50 tags at most
        _edit(runtime, EditOp.SET, "name~stor1", f"k{n}", dry=False, value="v")
    with pytest.raises(InvalidInput) as refused:
        _edit(runtime, EditOp.SET, "rg=rg-data", "one-more", dry=False, value="v")
    assert "at most 50 tags" in refused.value.message and "stor1" in refused.value.message
    with runtime.db.session() as s:
        assert s.scalar(select(func.count()).select_from(InventoryTag).where(InventoryTag.key_lower.in_(
            ["team", "one-more", "k" * 200]))) == 0


def test_conflicts_resolve(runtime: Runtime) -> None:
    with runtime.db.session() as s:
        w = tagworld.build(s)
        for t in s.scalars(select(InventoryTag).where(InventoryTag.resource_pk.in_([w.ids["web-1"], w.ids["db-1"]]),
                                                      InventoryTag.key_lower == "env")):
            t.local_value, t.azure_value, t.state = "mine", "azure-new", "conflict"
    with runtime.db.session() as s:
        assert tag_service.resolve(s, None, Resolution.KEEP_AZURE, "name~web") == 1
        assert tag_service.resolve(s, None, Resolution.KEEP_MINE, "name~db") == 1
    with runtime.db.session() as s:
        assert _tags(s, w, "web-1")["env"] == ("azure-new", "in_sync")
        assert _tags(s, w, "db-1")["ENV"] == ("mine", "pending")

"""Access levels made real: what a sync does to a resource's stored tags per level (a table
of cases over the pure `reconcile`), and the same through the real SDK path against the
emulator (resource, resource group and subscription tags; raw key casing; the level of a
subscription read by the customer's own service principal set from its Azure permissions)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from azure_emulator.world import builtin_roles
from costs.ingest_support import Setup, _fresh_world, emu, rt, setup  # noqa: F401
from inventory import support
from skytally.accounts import access
from skytally.accounts.models import AccessLevel, CloudSubscription
from skytally.errors import InvalidInput
from skytally.inventory import service, tag_service
from skytally.inventory.models import InventoryResource
from skytally.inventory.tag_models import InventoryContainer, InventoryTag
from skytally.inventory.tag_schemas import EditOp, TagEdit
from skytally.inventory.tag_sync import Changes, TagRow, reconcile

NOW = datetime(2026, 1, 1, tzinfo=UTC)
R, T, W = "resources", "tags", "tags-writeback"


def row(key: str, azure: str | None, local: str | None, state: str, source: str = "azure",
        local_key: str | None = None, azure_key: str | None = None) -> TagRow:
    return TagRow(1, key.lower(), (azure_key or key) if azure is not None else None, azure,
                  local_key or key, local, state, source)


# (level, stored row or None, Azure's tags now, expected: "insert" | "delete" | "none" | {column: value})
CASES = [
    # resources: nothing from Azure is stored
    (R, None, {"env": "prod"}, "none"),
    (R, row("env", "prod", "prod", "in_sync"), {"env": "prod"}, "delete"),
    (R, row("owner", None, "ann", "local", source="edit"), {}, "none"),
    (R, row("env", "prod", "dev", "pending", source="edit"), {"env": "prod"},
     {"azure_key": None, "azure_value": None, "state": "local"}),
    # tags: Azure's value overwrites the local one per key; local-only keys stay local
    (T, None, {"Env": "prod"}, "insert"),
    (T, row("env", "prod", "prod", "in_sync"), {"env": "prod"}, "none"),
    (T, row("env", "prod", "dev", "local", source="edit"), {"env": "prod"},
     {"local_value": "prod", "state": "in_sync", "source": "azure"}),
    (T, row("env", "prod", "prod", "in_sync"), {"env": "test"}, {"local_value": "test", "azure_value": "test"}),
    (T, row("env", "prod", "prod", "in_sync"), {}, "delete"),
    (T, row("owner", None, "ann", "local", source="edit"), {"env": "prod"}, "insert"),
    (T, row("owner", None, "ann", "local", source="edit"), {}, "none"),
    # tags-writeback: pending changes kept; Azure changed meanwhile → conflict
    (W, row("env", "prod", "dev", "pending", source="edit"), {"env": "prod"}, "none"),
    (W, row("env", "prod", "dev", "pending", source="edit"), {"env": "test"},
     {"azure_value": "test", "state": "conflict"}),
    (W, row("env", "prod", "dev", "pending", source="edit"), {"env": "dev"}, {"state": "in_sync"}),
    (W, row("env", "prod", "dev", "pending", source="edit"), {}, {"azure_value": None, "state": "conflict"}),
    (W, row("env", "prod", None, "pending", source="edit"), {}, "delete"),
    (W, row("env", "prod", "prod", "in_sync"), {"env": "qa"}, {"local_value": "qa", "state": "in_sync"}),
    (W, row("owner", None, "ann", "pending", source="edit"), {}, "none"),
    (W, row("env", "prod", "prod", "pending", source="edit", local_key="Env"), {"env": "prod"}, "none"),
    # raised to tags-writeback: changes made locally at a lower level are local changes to write back
    (W, row("owner", None, "ann", "local", source="edit"), {}, {"state": "pending"}),
    (W, row("env", "prod", "dev", "local", source="edit"), {"env": "prod"}, {"state": "pending"}),
    (W, row("env", "prod", "dev", "local", source="edit"), {"env": "test"}, {"azure_value": "test", "state": "conflict"}),
    (W, row("env", "prod", "dev", "local", source="edit"), {"env": "dev"}, {"state": "in_sync"}),
    (W, row("owner", None, "ann", "local", source="edit"), {"owner": "bob"}, {"azure_value": "bob", "state": "conflict"}),
    (W, row("owner", None, "ann", "local", source="edit"), {"owner": "ann"}, {"state": "in_sync"}),
]


@pytest.mark.parametrize(("level", "stored", "azure", "expected"), CASES)
def test_sync_semantics_per_access_level(level: str, stored: TagRow | None, azure: dict[str, str],
                                         expected: str | dict[str, object]) -> None:
    changes = Changes()
    reconcile(changes, 7, {stored.key_lower: stored} if stored else {}, azure, level, NOW)
    if expected == "insert":
        assert not changes.updates and not changes.deletes
        assert [(i["local_key"], i["local_value"], i["state"]) for i in changes.inserts
                if i["key_lower"] not in ({stored.key_lower} if stored else set())] == \
            [(k, v, "in_sync") for k, v in azure.items()]
    elif expected == "delete":
        assert changes.deletes == [1] and not changes.updates and not changes.inserts
    elif expected == "none":
        assert not changes.updates and not changes.deletes and not changes.inserts
    else:
        assert isinstance(expected, dict)
        [update] = changes.updates
        assert {k: update.get(k) for k in expected} == expected
        assert not changes.deletes and not changes.inserts


def _tags(s: Setup, account_id: int) -> dict[str, dict[str, tuple[str | None, str | None, str]]]:
    with s.rt.db.session() as session:
        out: dict[str, dict[str, tuple[str | None, str | None, str]]] = {}
        for rid, t in session.execute(select(InventoryResource.resource_id, InventoryTag).join(
                InventoryTag, InventoryTag.resource_pk == InventoryResource.id).where(
                InventoryResource.account_id == account_id)):
            out.setdefault(rid, {})[t.local_key] = (t.azure_value, t.local_value, t.state)
        return out


def _level(s: Setup, account_id: int, sub: str, level: AccessLevel) -> object:
    with s.rt.db.session() as session:
        return access.change_access(session, s.env, None, account_id, sub, level)


def test_levels_through_the_sdk_and_own_principal_permissions(setup: Setup) -> None:  # noqa: F811
    world = setup.emu
    sub = setup.fx["customer_sp_subscription_id"]
    account_id = setup.connect_sp(setup.fx["ea_enrollment_number"])
    first, second = support.resources_of(world, sub)[:2]
    support.set_tags(world, first, {"Env": "Prod", "CostCenter": "cc-1"})
    group = next(g for g in support.subscription(world, sub).resource_groups.values()
                 if g.name.lower() == first.resource_group.lower())
    support.set_tags(world, group, {"Owner": "team-a"})
    support.set_tags(world, support.subscription(world, sub), {"BillingUnit": "bu-9"})

    # level resources (the default): resources stored, no Azure tag
    result = service.sync_account(setup.rt.db, setup.env, account_id)
    assert [o.status for o in result.subscriptions] == ["ok"], result.to_dict()
    assert _tags(setup, account_id) == {}

    # level tags: the Reader it has suffices; tags stored with Azure's casing, containers too
    _level(setup, account_id, sub, AccessLevel.TAGS)
    service.sync_account(setup.rt.db, setup.env, account_id)
    stored = _tags(setup, account_id)
    assert stored[first.id.lower()] == {"Env": ("Prod", "Prod", "in_sync"), "CostCenter": ("cc-1", "cc-1", "in_sync")}
    truth = {r.id.lower(): r.tags for r in support.resources_of(world, sub) if r.tags}
    assert {rid: {k: v[1] for k, v in tags.items()} for rid, tags in stored.items()} == truth
    with setup.rt.db.session() as session:
        containers = {c.resource_group: c.tags for c in session.scalars(select(InventoryContainer))}
    assert containers[""] == {"BillingUnit": "bu-9"} and containers[group.name.lower()] == {"Owner": "team-a"}

    # tags-writeback: refused without Tag Contributor, naming the role and the action
    with pytest.raises(InvalidInput) as refused:
        _level(setup, account_id, sub, AccessLevel.TAGS_WRITEBACK)
    assert "Tag Contributor" in refused.value.message and "Microsoft.Resources/tags/write" in refused.value.message
    # edits made at `tags` stay local...
    with setup.rt.db.session() as session:
        for key, value in (("Env", "Dev"), ("Owner", "ann")):
            tag_service.edit(session, None, TagEdit(op=EditOp.SET, where=f"id={first.id}", key=key, value=value),
                             dry_run=False)
    assert _tags(setup, account_id)[first.id.lower()]["Env"] == ("Prod", "Dev", "local")
    support.grant(world, sub, builtin_roles.TAG_CONTRIBUTOR)
    _level(setup, account_id, sub, AccessLevel.TAGS_WRITEBACK)
    with setup.rt.db.session() as session:
        row = session.scalars(select(CloudSubscription).where(CloudSubscription.subscription_id == sub)).one()
        assert row.access_level == "tags-writeback" and row.role_name == "Tag Contributor"
    # ... and are pending as soon as the level is raised, before any sync: a changed value and
    # a local-only key; the key left as Azure has it stays in sync
    assert _tags(setup, account_id)[first.id.lower()] == {
        "Env": ("Prod", "Dev", "pending"), "Owner": (None, "ann", "pending"), "CostCenter": ("cc-1", "cc-1", "in_sync")}
    with setup.rt.db.session() as session:
        assert {t.tag.local_key for t in tag_service.tag_rows(session, None, f"id={first.id}")} == {"Env", "Owner"}

    # back to resources: the Azure tags are dropped again; the local edits stay, local
    _level(setup, account_id, sub, AccessLevel.RESOURCES)
    service.sync_account(setup.rt.db, setup.env, account_id)
    assert _tags(setup, account_id) == {first.id.lower(): {"Env": (None, "Dev", "local"), "Owner": (None, "ann", "local")}}
    with setup.rt.db.session() as session:
        assert all(c.tags is None for c in session.scalars(select(InventoryContainer)))
    assert second.id  # a second resource exists (the world has more than one)


def test_resource_manager_lists_when_resource_graph_is_refused(setup: Setup, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    from azure.core.exceptions import HttpResponseError

    from skytally.azure.clients import AzureConnector

    class Refusing:
        def resources(self, *args: object, **kwargs: object) -> object:
            exc = HttpResponseError(message="Resource Graph is disabled for this tenant")
            exc.status_code = 403
            raise exc

    monkeypatch.setattr(AzureConnector, "resource_graph", lambda self, credential: Refusing())
    sub = setup.fx["customer_sp_subscription_id"]
    account_id = setup.connect_sp(setup.fx["ea_enrollment_number"])
    first = support.resources_of(setup.emu, sub)[0]
    support.set_tags(setup.emu, first, {"Owner": "ann"})
    _level(setup, account_id, sub, AccessLevel.TAGS)
    result = service.sync_account(setup.rt.db, setup.env, account_id)
    [outcome] = result.subscriptions
    assert outcome.status == "ok" and "through Resource Manager" in outcome.message, outcome
    with setup.rt.db.session() as session:
        stored = set(session.scalars(select(InventoryResource.resource_id).where(
            InventoryResource.account_id == account_id)))
    assert stored == support.resource_ids(setup.emu, sub)
    assert _tags(setup, account_id)[first.id.lower()] == {"Owner": ("ann", "ann", "in_sync")}


def test_the_runtime_hands_access_level_changes_to_the_inventory(runtime, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """Accounts cannot import the inventory; the runtime registers a listener that imports it
    when a level changes (not at start-up: tests/cli/test_cli_startup.py)."""
    from skytally.accounts import events

    heard: list[tuple[int, str, str, str]] = []
    monkeypatch.setattr(tag_service, "access_changed", lambda _s, *args: heard.append(args))
    with runtime.db.session() as session:
        events.access_changed(session, 7, "sub-1", R, W)
        events.access_changed(session, 7, "sub-1", W, W)  # no change: nobody is told
    assert heard == [(7, "sub-1", R, W)]

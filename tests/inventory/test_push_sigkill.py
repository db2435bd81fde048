"""A push killed with SIGKILL in the middle (a real separate process, slow tag writes) and
pushed again: every change ends up in Azure and no resource is written twice (the
emulator's journal of applied tag writes is the judge)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter

from azure_emulator.world import builtin_roles
from costs.ingest_support import Setup, _fresh_world, emu, rt, setup  # noqa: F401
from inventory import support
from skytally.accounts import access
from skytally.accounts.models import AccessLevel
from skytally.inventory import push, service, tag_service
from skytally.inventory.tag_schemas import EditOp, TagEdit

CHILD = """
import sys
from skytally.accounts.context import AccountsEnv
from skytally.config import Settings
from skytally.inventory import push
from skytally.runtime import build_runtime
rt = build_runtime(Settings(), migrate_db=False)
push.push_account(rt.db, AccountsEnv(rt.settings, rt.vault), int(sys.argv[1]), per_subscription=2)
"""


def test_sigkill_mid_push_then_push_again(setup: Setup) -> None:  # noqa: F811
    world = setup.emu
    sub = setup.fx["customer_sp_subscription_id"]
    account_id = setup.connect_sp(setup.fx["ea_enrollment_number"])
    support.grant(world, sub, builtin_roles.TAG_CONTRIBUTOR)
    with setup.rt.db.session() as s:
        access.change_access(s, setup.env, None, account_id, sub, AccessLevel.TAGS_WRITEBACK)
    service.sync_account(setup.rt.db, setup.env, account_id)
    with setup.rt.db.session() as s:
        plan = tag_service.edit(s, None, TagEdit(op=EditOp.SET, where=f"subscription={sub},taggable", key="killtest",
                                                 value="v1"), dry_run=False)
    assert plan.changes >= 20
    world.control.delete("/tag-writes")
    world.control.post("/faults", json={"rules": [{"path": "tags/default", "method": "PATCH", "latency_ms": 150}]})
    env = {**os.environ, **world.settings, "SKYTALLY_DATA_DIR": str(setup.rt.settings.data_dir),
           "SKYTALLY_DATABASE_URL": setup.rt.settings.database_url or ""}
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(account_id)], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 90
        while world.control.get("/tag-writes", params={"count": "true"}).json()["count"] < 6:
            assert child.poll() is None, child.stderr.read().decode() if child.stderr else ""
            assert time.monotonic() < deadline
            time.sleep(0.05)
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=10)
    finally:
        world.control.delete("/faults")
    killed_at = world.control.get("/tag-writes", params={"count": "true"}).json()["count"]
    assert killed_at < plan.changes  # killed midway
    result = push.push_account(setup.rt.db, setup.env, account_id)
    writes = world.control.get("/tag-writes").json()["value"]
    per_scope = Counter(w["scope"].lower() for w in writes)
    assert len(per_scope) == plan.changes and set(per_scope.values()) == {1}, per_scope.most_common(3)
    assert all(w["operation"] == "Merge" for w in writes)
    assert result["failed"] == 0 and result["applied"] + result["already"] + killed_at >= plan.changes
    for change in tag_service.tag_rows(setup.rt.db.sessionmaker(), None, f"subscription={sub}",
                                       states=("pending", "failed", "conflict")):
        raise AssertionError(f"left behind: {change}")
    for scope in per_scope:
        assert support.azure_tags(world, scope)["killtest"] == "v1"

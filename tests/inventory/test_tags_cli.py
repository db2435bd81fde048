"""`skytally tags …` / `skytally resources list` as a user runs them against the HTTPS
emulator: level set from the service principal's permissions, sync, a bulk edit with its
dry-run diff, pending, push (a job with progress), Azure's state, audit CSV, coverage."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

from azure_emulator.testing import RunningEmulator
from azure_emulator.world import builtin_roles
from costs.ingest_support import _fresh_world, emu  # noqa: F401
from inventory import support


def test_bulk_edit_push_audit_from_the_cli(emu: RunningEmulator, tmp_path: Path) -> None:  # noqa: F811
    env = {**os.environ, **emu.settings, "SKYTALLY_DATA_DIR": str(tmp_path / "data"), "COLUMNS": "200",
           "SKYTALLY_SP_SECRET": emu.fixtures["customer_sp_secret"]}
    env.pop("SKYTALLY_DATABASE_URL", None)

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "skytally.cli.main", *args], capture_output=True, text=True,
                              env=env, timeout=120)

    sub = emu.fixtures["customer_sp_subscription_id"]
    vms = [r for r in support.resources_of(emu, sub) if r.tags is not None][:3]
    for r in vms:
        support.set_tags(emu, r, {"Pilot": "yes"})
    assert cli("workspaces", "create", "Ops").returncode == 0
    assert cli("accounts", "connect-sp", emu.fixtures["primary_tenant_id"], "--client-id",
               emu.fixtures["customer_sp_client_id"], "--name", "Contoso", "-w", "Ops").returncode == 0
    refused = cli("subscriptions", "access", sub, "tags-writeback")
    assert refused.returncode == 1 and "Tag Contributor" in refused.stderr
    support.grant(emu, sub, builtin_roles.TAG_CONTRIBUTOR)
    assert cli("subscriptions", "access", sub, "tags-writeback").returncode == 0
    assert cli("inventory", "sync", "Contoso", "--json").returncode == 0
    where = "tag:pilot=yes,lacks:costcenter"
    dry = cli("tags", "set", "CostCenter=cc-9", "--where", where, "--dry-run", "--json")
    assert dry.returncode == 0, dry.stderr
    plan = json.loads(dry.stdout)
    assert plan["applied"] is False and plan["changes"] == 3 and plan["to_push"] == 3
    assert json.loads(cli("tags", "pending", "--json").stdout) == []
    table = cli("tags", "set", "CostCenter=cc-9", "--where", where)
    assert table.returncode == 0 and "Queued" in table.stdout and "cc-9" in table.stdout
    assert len(json.loads(cli("tags", "pending", "--json").stdout)) == 3
    bad = cli("tags", "set", "a/b=1", "--where", where)
    assert bad.returncode == 1 and "may not contain" in bad.stderr
    pushed = cli("tags", "push", "Contoso", "--json")
    assert pushed.returncode == 0, pushed.stderr
    assert pushed.stdout.strip(), pushed.stderr
    run = json.loads(pushed.stdout)
    assert run["kind"] == "tags.push" and run["status"] == "succeeded" and run["result"]["applied"] == 3
    for r in vms:
        assert support.azure_tags(emu, r.id) == {"Pilot": "yes", "CostCenter": "cc-9"}
    listed = json.loads(cli("resources", "list", "--where", "has:costcenter,has:pilot", "--json").stdout)
    assert listed["total"] == 3 and all(t["state"] == "in_sync" for r in listed["items"] for t in r["tags"])
    out = tmp_path / "audit.csv"
    assert cli("tags", "audit", "--csv", str(out)).returncode == 0
    rows = list(csv.DictReader(out.open()))
    assert sorted(r["result"] for r in rows) == ["applied"] * 3 + ["queued"] * 3
    assert {r["actor"] for r in rows} == {"installation"} and {r["key"] for r in rows} == {"CostCenter"}
    coverage = json.loads(cli("tags", "coverage", "--json").stdout)
    assert {k["key"]: k["resources"] for k in coverage["keys"]}["Pilot"] == 3
    # two locked resources fail for one reason: one group, not two reasons quoting two ids
    for r in vms[:2]:
        emu.control.post("/locks", json={"scope": r.id, "name": "freeze", "level": "ReadOnly"})
    try:
        assert cli("tags", "set", "Owner=ann", "--where", "tag:pilot=yes").returncode == 0
        assert cli("tags", "push", "Contoso", "--json").returncode == 0
    finally:
        emu.control.delete("/locks")
    groups = json.loads(cli("tags", "pending", "--by-reason", "--json").stdout)
    assert [(g["reason_class"].split(":")[0], g["changes"], g["resources"]) for g in groups] == [
        ("409 ScopeLocked", 2, 2)]
    failed = json.loads(cli("tags", "pending", "--reason-class", groups[0]["reason_class"], "--json").stdout)
    assert len(failed) == 2 and len({f["tag"]["reason"] for f in failed}) == 2

"""`skytally inventory …` as a user runs it: a tenant connected with a service principal,
then sync (a job run, Rich progress), resources and status, against the HTTPS emulator."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from azure_emulator.testing import RunningEmulator
from costs.ingest_support import _fresh_world, emu  # noqa: F401
from inventory import support


def test_sync_resources_and_status(emu: RunningEmulator, tmp_path: Path) -> None:  # noqa: F811
    env = {**os.environ, **emu.settings, "SKYTALLY_DATA_DIR": str(tmp_path / "data"), "COLUMNS": "200",
           "SKYTALLY_SP_SECRET": emu.fixtures["customer_sp_secret"]}
    env.pop("SKYTALLY_DATABASE_URL", None)

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "skytally.cli.main", *args], capture_output=True, text=True,
                              env=env, timeout=120)

    assert cli("workspaces", "create", "Ops").returncode == 0
    connected = cli("accounts", "connect-sp", emu.fixtures["primary_tenant_id"], "--client-id",
                    emu.fixtures["customer_sp_client_id"], "--name", "Contoso", "-w", "Ops")
    assert connected.returncode == 0, connected.stderr
    synced = cli("inventory", "sync", "Contoso", "--json")
    assert synced.returncode == 0, synced.stderr
    run = json.loads(synced.stdout)
    sub = emu.fixtures["customer_sp_subscription_id"]
    truth = support.resource_ids(emu, sub)
    assert run["kind"] == "inventory.sync" and run["status"] == "succeeded" and run["result"]["resources"] == len(truth)
    listed = json.loads(cli("inventory", "resources", "--account", "Contoso", "--limit", "10000", "--json").stdout)
    assert {r["resource_id"] for r in listed} == truth
    table = cli("inventory", "status")
    assert table.returncode == 0 and sub in table.stdout and "ok" in table.stdout
    missing = cli("inventory", "sync", "nosuch")
    assert missing.returncode == 1 and "nosuch" in missing.stderr and missing.stderr.count("\n") == 1

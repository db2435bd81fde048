"""The CLI loads a command group only when it runs (cli/main.py SUB_APPS)."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer

from skytally.cli.main import SUB_APPS

PROBE = """
import sys
sys.argv = ["skytally", *sys.argv[1:]]
from skytally.cli import main
try:
    main.main()
except SystemExit:
    pass
heavy = sorted(m for m in sys.modules if m.startswith(("skytally.cli.", "azure.mgmt", "azure.identity", "pyarrow",
                                                       "duckdb", "polars", "alembic", "huey", "msal")) or m in (
    "azure.core", "cryptography", "cryptography.x509", "cryptography.fernet"))
print("LOADED", " ".join(heavy))
"""


def loaded(args: list[str], data_dir: Path) -> tuple[str, set[str]]:
    env = {**os.environ, "SKYTALLY_DATA_DIR": str(data_dir), "COLUMNS": "120"}
    env.pop("SKYTALLY_DATABASE_URL", None)
    out = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, env=env, timeout=60)
    text, _, modules = out.stdout.rpartition("LOADED")
    return text, set(modules.split())


@pytest.mark.parametrize("name", sorted(SUB_APPS))
def test_each_help_line_is_the_sub_apps_own(name: str) -> None:
    module, attribute, help_line = SUB_APPS[name]
    sub = getattr(importlib.import_module(module), attribute)
    assert isinstance(sub, typer.Typer)
    assert sub.info.help == help_line


def test_help_and_version_import_no_command_group(tmp_path: Path) -> None:
    text, modules = loaded(["--help"], tmp_path)
    assert {"accounts", "costs", "inventory", "jobs", "tokens"} <= {w for line in text.splitlines() for w in line.split()}
    assert modules == {"skytally.cli.main"}
    text, modules = loaded(["--version"], tmp_path)
    assert text.strip().startswith("skytally ") and modules == {"skytally.cli.main"}


def test_a_light_command_loads_only_its_group(tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-m", "skytally.cli.main", "db", "upgrade"], check=True, capture_output=True,
                   env={**os.environ, "SKYTALLY_DATA_DIR": str(tmp_path)})
    text, modules = loaded(["accounts", "list"], tmp_path)
    assert "Cloud accounts: none" in text
    # no azure-core (~0.15 CPU-s) nor cryptography: listing calls no Azure API and opens no secret
    assert modules == {"skytally.cli.main", "skytally.cli.common", "skytally.cli.accounts"}, modules


def test_a_group_runs_and_shows_its_own_help(tmp_path: Path) -> None:
    text, modules = loaded(["costs", "--help"], tmp_path)
    assert "sync" in text and "query" in text and "--install-completion" not in text
    assert "skytally.cli.costs_sync" in modules


def all_loaded(args: list[str], data_dir: Path) -> set[str]:
    """Every module loaded by `skytally <args>` (PROBE prints only the heavy ones)."""
    probe = PROBE.replace("print(\"LOADED\"", "heavy = sorted(sys.modules)\nprint(\"LOADED\"")
    env = {**os.environ, "SKYTALLY_DATA_DIR": str(data_dir), "COLUMNS": "120"}
    env.pop("SKYTALLY_DATABASE_URL", None)
    out = subprocess.run([sys.executable, "-c", probe, *args], capture_output=True, text=True, env=env, timeout=60)
    return set(out.stdout.rpartition("LOADED")[2].split())


def test_a_groups_help_loads_no_database_nor_settings(tmp_path: Path) -> None:
    for args in (["accounts", "--help"], ["accounts", "billing", "--help"], ["tokens", "--help"]):
        modules = all_loaded(args, tmp_path)
        assert "skytally.cli.accounts" in modules, args
        assert not {"sqlalchemy", "skytally.config", "skytally.runtime"} & modules, (args, sorted(modules))
        assert not any(m.startswith("skytally.accounts") for m in modules), args


def test_listing_accounts_does_not_load_the_inventory(tmp_path: Path) -> None:
    """The inventory listens to access level changes; it is loaded when one happens, not
    by every command that builds a runtime (~45 ms of `skytally accounts list`)."""
    subprocess.run([sys.executable, "-m", "skytally.cli.main", "db", "upgrade"], check=True, capture_output=True,
                   env={**os.environ, "SKYTALLY_DATA_DIR": str(tmp_path)})
    modules = all_loaded(["accounts", "list"], tmp_path)
    assert "skytally.accounts.service" in modules
    assert not any(m.startswith("skytally.inventory") for m in modules), sorted(m for m in modules if "inventory" in m)

"""The CLI as a user types it: one-line errors, --json everywhere, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


def run(args: list[str], data_dir: Path, stdin: str | None = None, **env: str) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "SKYTALLY_DATA_DIR": str(data_dir), "COLUMNS": "200", **env}
    full_env.pop("SKYTALLY_DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "skytally.cli.main", *args],
        input=stdin, capture_output=True, text=True, env=full_env, timeout=60,
    )


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


def test_users_workspaces_and_jobs_round_trip(data_dir: Path) -> None:
    assert "upgraded from empty" in run(["db", "upgrade"], data_dir).stdout
    created = run(["users", "create", "Ann@Example.com", "--admin", "--password-stdin", "--json"], data_dir, "a long password\n")
    assert created.returncode == 0, created.stderr
    assert json.loads(created.stdout)["email"] == "ann@example.com"
    assert run(["workspaces", "create", "Ops", "--description", "ops team"], data_dir).returncode == 0
    assert run(["workspaces", "add-member", "Ops", "ann@example.com", "--role", "admin"], data_dir).returncode == 0
    listed = json.loads(run(["workspaces", "list", "--json"], data_dir).stdout)
    assert listed[0]["name"] == "Ops" and listed[0]["members"] == 1
    members = json.loads(run(["workspaces", "members", "Ops", "--json"], data_dir).stdout)
    assert members == [{"user_id": 1, "email": "ann@example.com", "display_name": "ann", "role": "admin"}]
    kinds = json.loads(run(["jobs", "kinds", "--json"], data_dir).stdout)
    assert "maintenance.housekeeping" in {k["kind"] for k in kinds}
    assert json.loads(run(["jobs", "list", "--json"], data_dir).stdout) == []
    token = run(["users", "create-token", "ann@example.com", "--name", "ci", "--json"], data_dir)
    assert json.loads(token.stdout)["token"].startswith("sky_")


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["workspaces", "members", "Nope"], None, "no workspace 'Nope'; list them with `skytally workspaces list`"),
        (["users", "create", "bad", "--password-stdin"], "short\n", "email: must be an email address"),
        (["workspaces", "add-member", "1", "x@example.com", "--role", "boss"], None, "no workspace '1'"),
        (["jobs", "list", "--status", "weird"], None, "unknown status 'weird'"),
        (["jobs", "show", "42"], None, "job run 42 does not exist"),
    ],
)
def test_user_errors_are_one_line_without_traceback(data_dir: Path, args: list[str], stdin: str | None, message: str) -> None:
    result = run(args, data_dir, stdin)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("error: ") and message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_bad_configuration_is_one_line(data_dir: Path) -> None:
    result = run(["workspaces", "list"], data_dir, SKYTALLY_AZURE_APP__CLIENT_SECRET="changeme")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "SKYTALLY_AZURE_APP__CLIENT_SECRET is a placeholder value" in result.stderr
    result = run(["workspaces", "list"], data_dir, SKYTALLY_QUEUE_URL="amqp://x")
    assert result.returncode == 1 and "SKYTALLY_QUEUE_URL must be a redis:// URL" in result.stderr


@pytest.mark.parametrize("name", ["Ops [prod]", "A [/] b", "[bold]Team[/bold]"])
def test_names_with_square_brackets_print_as_typed(data_dir: Path, name: str) -> None:
    # Rich reads "[...]" in a table cell as markup: a user's name must not be styled away or crash the table
    assert run(["db", "upgrade"], data_dir).returncode == 0
    assert run(["workspaces", "create", name], data_dir).returncode == 0
    listed = run(["workspaces", "list"], data_dir)
    assert listed.returncode == 0, listed.stderr
    assert name in listed.stdout


def test_member_removal_and_deletion_go_through_the_workspace_rules(data_dir: Path) -> None:
    assert run(["db", "upgrade"], data_dir).returncode == 0
    for email in ("ann@example.com", "bob@example.com"):
        assert run(["users", "create", email, "--password-stdin"], data_dir, "a long password\n").returncode == 0
    for name in ("Ops", "Empty"):
        assert run(["workspaces", "create", name], data_dir).returncode == 0
    assert run(["workspaces", "add-member", "Ops", "ann@example.com", "--role", "admin"], data_dir).returncode == 0
    assert run(["workspaces", "add-member", "Ops", "bob@example.com"], data_dir).returncode == 0
    refused = [
        (["workspaces", "remove-member", "Ops", "nobody@example.com"], "nobody@example.com is not a member of Ops"),
        (["workspaces", "remove-member", "Empty", "ann@example.com"], "ann@example.com is not a member of Empty"),
        # the same words as the API's 409 (tests/api/test_api.py): one rule, in the service
        (["workspaces", "remove-member", "Ops", "ann@example.com"],
         "this is the workspace's last admin; make someone else admin first"),
        (["workspaces", "delete", "Nope", "--yes"], "no workspace 'Nope'; list them with `skytally workspaces list`"),
        (["users", "create-token", "nobody@example.com", "--name", "ci"],
         "no user with email nobody@example.com; list users with `skytally users list`"),
    ]
    for args, message in refused:
        result = run(args, data_dir)
        assert (result.returncode, result.stdout, result.stderr) == (1, "", f"error: {message}\n"), args
    removed = run(["workspaces", "remove-member", "Ops", "bob@example.com"], data_dir)
    assert (removed.returncode, removed.stdout) == (0, "Removed bob@example.com from Ops\n")
    deleted = run(["workspaces", "delete", "Empty", "--yes"], data_dir)
    assert (deleted.returncode, deleted.stdout) == (0, "Deleted workspace Empty\n")
    listed = json.loads(run(["workspaces", "list", "--json"], data_dir).stdout)
    assert [(w["name"], w["members"]) for w in listed] == [("Ops", 1)]
    users = json.loads(run(["users", "list", "--json"], data_dir).stdout)
    assert [u["email"] for u in users] == ["ann@example.com", "bob@example.com"]
    assert "ann@example.com" in run(["users", "list"], data_dir).stdout

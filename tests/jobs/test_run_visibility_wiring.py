"""Who may see a job run about an account is decided by skytally.accounts, a layer above
jobs: the resolver is named in jobs.registry (RUN_WORKSPACES) and imported on first use, not
installed as a side effect of importing skytally.accounts."""

from __future__ import annotations

import subprocess
import sys


def _run(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_importing_accounts_changes_nothing_in_jobs() -> None:
    out = _run("import skytally.jobs.service as j, skytally.jobs.registry as r; before = dict(vars(j));"
               "import skytally.accounts;"
               "print(sorted(k for k in vars(j) if before.get(k) is not vars(j)[k]), r._run_workspaces)")
    assert out == "[] None"


def test_the_resolver_is_found_without_anyone_importing_accounts_first() -> None:
    out = _run("import sys; from skytally.jobs import registry;"
               "assert 'skytally.accounts.service' not in sys.modules;"
               "f = registry.run_workspaces(); import skytally.accounts.service as a;"
               "print(f is a.run_workspace_ids)")
    assert out == "True"

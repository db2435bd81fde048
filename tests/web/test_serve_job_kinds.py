"""`skytally serve` runs the web app without a worker in its process: it still knows every
job kind (titles, the Run now list, submitting a tags push or a costs import). Before, only
the kinds some page happened to import were registered (4 of 9)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

PROBE = """
import json
from skytally.cli.common import runtime
from skytally.web.app import create_app
from skytally.jobs.registry import JOBS, JOB_MODULES
create_app(runtime())
before = sorted(JOBS)
import importlib
for m in JOB_MODULES:
    importlib.import_module(m)
print(json.dumps([before, sorted(JOBS)]))
"""


def test_web_app_registers_every_job_kind(tmp_path: Path) -> None:
    env = {**os.environ, "SKYTALLY_DATA_DIR": str(tmp_path), "SKYTALLY_DEMO": "true"}
    out = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    registered, every = json.loads(out.stdout)
    assert registered == every and {"tags.push", "costs.import", "inventory.sync"} <= set(registered)

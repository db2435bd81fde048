"""Cost imports side by side: children of `costs.import` on a real Huey queue (SQLite, and
Redis when SKYTALLY_TEST_REDIS_URL is set) with two workers; two processes importing
different periods of one billing account at once (both land, exact totals); two processes
importing the same period at once (no double count, bookkeeping names the live import)."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import backend_params
from costs.fanout_support import Holding, assert_exact, connect, state, stored, truth
from costs.ingest_support import INSTALLATION, Setup, _fresh_world, emu, rt, setup  # noqa: F401
from skytally.costs import dispatch
from skytally.costs.jobs import IMPORT, IMPORT_PERIOD
from skytally.jobs import service as jobs
from skytally.jobs.schemas import JobRunOut
from skytally.runtime import Runtime, build_runtime

pytestmark = pytest.mark.parametrize("database_url", backend_params(), indirect=True)

# Runs one recorded job run in a fresh process. With "commit", each process waits before
# swapping its periods in until the other has staged its own: their imports overlap for sure.
RUN_IN_PROCESS = r"""
import pathlib, sys, time
from skytally.config import Settings
from skytally.costs.store import storage
from skytally.jobs.runner import run_job
from skytally.runtime import build_runtime

run_id, gate, me, mode = int(sys.argv[1]), pathlib.Path(sys.argv[2]), sys.argv[3], sys.argv[4]

def wait_for(prefix):
    deadline = time.monotonic() + 60
    while len(list(gate.glob(prefix + "-*"))) < 2:
        if time.monotonic() > deadline:
            print("gate timeout " + prefix)
            return
        time.sleep(0.05)

if mode == "commit":
    original = storage.StoreLayout.commit
    def commit(self, stage, keys, **kw):
        (gate / f"staged-{me}").touch()
        wait_for("staged")
        return original(self, stage, keys, **kw)
    storage.StoreLayout.commit = commit

rt = build_runtime(Settings())
(gate / f"up-{me}").touch()
wait_for("up")
print(run_job(run_id, rt.queue.env))
"""


def run_in_two_processes(s: Setup, run_ids: list[int], gate: Path, mode: str) -> list[str]:
    gate.mkdir()
    env = {**os.environ, "SKYTALLY_DATA_DIR": str(s.rt.settings.data_dir),
           "SKYTALLY_DATABASE_URL": s.rt.settings.resolved_database_url, "SKYTALLY_DEMO": "true"}
    procs = [subprocess.Popen([sys.executable, "-c", RUN_IN_PROCESS, str(run_id), str(gate), str(n), mode],
                              env=env, cwd=gate, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for n, run_id in enumerate(run_ids)]
    outputs = []
    for p in procs:
        out, err = p.communicate(timeout=240)
        assert p.returncode == 0, err[-3000:]
        outputs.append(out.strip())
    return outputs


def finished(s: Setup, run_id: int) -> JobRunOut:
    with s.rt.db.session() as session:
        return jobs.get_run(session, INSTALLATION, run_id)


def test_two_processes_import_different_periods_of_one_billing_account(setup: Setup, tmp_path: Path) -> None:  # noqa: F811
    account_id, scope, _ = connect(setup, "mca_sp")
    periods = [setup.previous_period(), setup.current_period()]
    held = Holding()
    done = dispatch.submit_imports(setup.rt.db, held, account_id=account_id, periods=periods)
    assert len(done.submitted) == 2
    outputs = run_in_two_processes(setup, held.run_ids, tmp_path / "gate", "commit")
    assert outputs == ["succeeded", "succeeded"]  # no gate timeout: both staged before either committed
    for item in done.submitted:
        assert finished(setup, item["run_id"]).status == "succeeded"
        assert_exact(setup, "mca_sp", account_id, scope, item["period"])


def test_two_processes_import_the_same_period_at_once(setup: Setup, tmp_path: Path) -> None:  # noqa: F811
    """The second waits for the first (a lock per scope and period), then imports afresh:
    the period is counted once and `cost_imports` names the import the store holds."""
    account_id, scope, _ = connect(setup, "ea_sp")
    period = setup.previous_period()
    held = Holding()
    first = dispatch.submit_imports(setup.rt.db, held, account_id=account_id, periods=[period])
    # a second run of the same period that bypasses the duplicate check (`skytally jobs run`)
    second = jobs.submit(setup.rt.db, held, IMPORT_PERIOD, params={
        "account_id": account_id, "scope_id": scope, "period": period})
    run_ids = [*first.run_ids, second.id]
    assert run_in_two_processes(setup, run_ids, tmp_path / "gate", "start") == ["succeeded", "succeeded"]
    imports = {finished(setup, r).result["import_id"] for r in run_ids}  # type: ignore[index]
    assert len(imports) == 2
    assert_exact(setup, "ea_sp", account_id, scope, period)
    assert state(setup, account_id, scope, period).import_id in imports
    assert stored(setup, scope, period)[:2] == truth(setup, "ea_sp", scope, period)


@contextlib.contextmanager
def real_queue(s: Setup, request: pytest.FixtureRequest, backend: str) -> Iterator[Runtime]:
    """A runtime on the test's database and data dir whose jobs go through a real Huey
    queue (SQLite in the data dir, or Redis), with a consumer of two worker threads."""
    url = None
    if backend == "redis":
        import redis

        url = request.getfixturevalue("redis_url").rstrip("/").rsplit("/", 1)[0] + "/12"
        redis.Redis.from_url(url).flushdb()
    runtime = build_runtime(s.rt.settings.model_copy(update={"queue_url": url}))
    consumer = runtime.queue.consumer(workers=2)
    consumer.start()
    try:
        yield runtime
    finally:
        consumer.stop(graceful=True)
        runtime.close()


def wait(runtime: Runtime, run_id: int, seconds: float = 240) -> JobRunOut:
    deadline = time.monotonic() + seconds
    while True:
        with runtime.db.session() as session:
            run = jobs.get_run(session, INSTALLATION, run_id)
        if run.status.finished or time.monotonic() > deadline:
            return run
        time.sleep(0.2)


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("redis", marks=pytest.mark.redis)])
def test_children_run_on_a_real_queue(setup: Setup, request: pytest.FixtureRequest, backend: str) -> None:  # noqa: F811
    account_id, scope, _ = connect(setup, "ea_sp")
    revoked, key = setup.connect_ea_token(tenant_id=setup.fx["second_tenant_id"])
    setup.emu.control.post("/ea-keys/revoke", json={"key": key}).raise_for_status()
    periods = [setup.previous_period(), setup.current_period()]
    with real_queue(setup, request, backend) as runtime:
        parent = wait(runtime, jobs.submit(runtime.db, runtime.queue, IMPORT, params={"periods": periods}).id)
        assert parent.status == "succeeded", parent.error
        assert parent.result is not None and len(parent.result["submitted"]) == 4
        children = [(item, wait(runtime, item["run_id"])) for item in parent.result["submitted"]]
    for item, child in children:
        if item["account_id"] == revoked:
            assert child.status == "failed" and (child.error or "").startswith("revoked:"), child.error
        else:
            assert child.status == "succeeded", child.error
            assert_exact(setup, "ea_sp", account_id, scope, item["period"])

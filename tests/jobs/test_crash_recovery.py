"""Crashed work is recovered at once: a worker killed with SIGKILL mid-run leaves its run
`running`; the next worker to start marks it `interrupted` with the cause, removes its
temporary files, submits it again, and the work completes exactly once. One test per
long-running job kind (cost import, inventory sync) through `crash_support`; the same
helper serves any later kind (the tag push)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from costs.fanout_support import assert_exact, state
from costs.ingest_support import Setup, _fresh_world, emu, rt, setup  # noqa: F401
from inventory import support
from jobs.crash_support import crash_and_recover, scratch_dirs
from skytally.costs.jobs import IMPORT_PERIOD
from skytally.inventory.jobs import SYNC
from skytally.inventory.models import InventoryResource
from skytally.jobs import reaper, recovery
from skytally.jobs import service as jobs
from skytally.jobs.models import JobRun, JobStatus
from skytally.jobs.workers import Worker
from skytally.store.base import utcnow


def _slow(s: Setup, path: str, ms: int) -> None:
    s.emu.control.post("/faults", json={"rules": [{"path": path, "latency_ms": ms}]}).raise_for_status()


def _fast(s: Setup) -> None:
    s.emu.control.delete("/faults").raise_for_status()


def test_a_killed_cost_import_is_recovered_and_imported_once(setup: Setup) -> None:  # noqa: F811
    ea = setup.fx["ea_enrollment_number"]
    account_id = setup.connect_sp(ea)
    period = setup.previous_period()
    params = {"account_id": account_id, "scope_id": ea, "period": period}
    seen: list[int] = []

    def downloading(run: JobRun) -> bool:  # killed with the report's files in its scratch dir
        seen.append(len(scratch_dirs(setup.rt)))
        return "download" in run.message and seen[-1] > 0

    dead, final = crash_and_recover(setup.rt, IMPORT_PERIOD, params, env=setup.emu.settings,
                                    slow=lambda: _slow(setup, r"\.blob\.|/blobs?/|costDetails", 1500),
                                    fast=lambda: _fast(setup), running=downloading)
    assert dead.status is JobStatus.INTERRUPTED and "killed or crashed" in (dead.error or "")
    assert final.status is JobStatus.SUCCEEDED, final.error
    assert_exact(setup, "ea_sp", account_id, ea, period)  # imported once: totals exact
    assert state(setup, account_id, ea, period).status == "ok"


def test_a_killed_inventory_sync_is_recovered_and_synced_once(setup: Setup) -> None:  # noqa: F811
    account_id = setup.connect_sp(setup.fx["ea_enrollment_number"])
    sub = setup.fx["customer_sp_subscription_id"]
    truth = support.resource_ids(setup.emu, sub)
    dead, final = crash_and_recover(setup.rt, SYNC, {"account_id": account_id}, env=setup.emu.settings,
                                    slow=lambda: _slow(setup, "Microsoft.ResourceGraph", 4000),
                                    fast=lambda: _fast(setup))
    assert dead.status is JobStatus.INTERRUPTED
    assert final.status is JobStatus.SUCCEEDED, final.error
    with setup.rt.db.session() as s:
        ids = list(s.scalars(select(InventoryResource.resource_id).where(InventoryResource.account_id == account_id)))
        assert s.scalar(select(func.count()).select_from(JobRun).where(JobRun.kind == SYNC)) == 2
    assert len(ids) == len(set(ids)) and set(ids) == truth


def test_a_dead_run_is_not_already_running(setup: Setup) -> None:  # noqa: F811
    """`submit_unique` (costs sync) does not answer "already running" for a run whose worker
    is gone (known at once on its host) or silent (elsewhere: after STALE_AFTER)."""
    key = {"account_id": 1, "scope_id": "x", "period": "2024-01"}
    gone = Worker(Worker.parse(recovery.worker_id()).host, 999_999, 1)  # type: ignore[union-attr]
    with setup.rt.db.session() as s:
        s.add(JobRun(kind=IMPORT_PERIOD, params=key, status="running", worker=gone.id,
                     started_at=utcnow(), heartbeat_at=utcnow()))
        s.add(JobRun(kind=IMPORT_PERIOD, params={**key, "period": "2024-02"}, status="running",
                     worker="elsewhere:12:34", started_at=utcnow(),
                     heartbeat_at=utcnow() - jobs.STALE_AFTER - timedelta(seconds=1)))
        s.add(JobRun(kind=IMPORT_PERIOD, params={**key, "period": "2024-03"}, status="running",
                     worker="elsewhere:12:34", started_at=utcnow(), heartbeat_at=utcnow()))
        s.add(JobRun(kind=IMPORT_PERIOD, params={**key, "period": "2024-04"}, status="running",
                     worker=recovery.worker_id(), started_at=utcnow(),
                     heartbeat_at=utcnow() - timedelta(hours=1)))  # this very process: alive
    held: list[int] = []

    class Holding:
        def dispatch(self, run_id: int) -> None:
            held.append(run_id)

    news = [jobs.submit_unique(setup.rt.db, Holding(), IMPORT_PERIOD, key={**key, "period": p})[1]
            for p in ("2024-01", "2024-02", "2024-03", "2024-04")]
    assert news == [True, True, False, False]
    with setup.rt.db.session() as s:
        first = s.get(JobRun, 1)
        assert first is not None and first.status == "interrupted"
        assert "process 999999" in (first.error or "") and "killed or crashed" in (first.error or "")
        second = s.get(JobRun, 2)
        assert second is not None and second.status == "interrupted" and "stopped reporting" in (second.error or "")


def test_a_run_that_kills_its_worker_is_not_retried_for_ever(setup: Setup) -> None:  # noqa: F811
    gone = Worker(Worker.parse(recovery.worker_id()).host, 999_999, 1)  # type: ignore[union-attr]
    with setup.rt.db.session() as s:
        s.add(JobRun(kind=SYNC, params={"account_id": 5, recovery.ATTEMPT: recovery.MAX_ATTEMPTS},
                     status="running", worker=gone.id, started_at=utcnow(), heartbeat_at=utcnow()))
    held: list[int] = []

    class Holding:
        def dispatch(self, run_id: int) -> None:
            held.append(run_id)

    done = reaper.recover(setup.rt.db, setup.rt.settings.data_dir, Holding())
    assert [r.requeued_as for r in done] == [None] and held == []
    with setup.rt.db.session() as s:
        row = s.get(JobRun, 1)
        assert row is not None and "not run again" in (row.error or "")


pytestmark = pytest.mark.timeout(300)

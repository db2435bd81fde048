"""Job runs are recorded, scoped, and survive failures honestly."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from typing import Any

import pytest

from conftest import backend_params
from skytally.config import Settings
from skytally.errors import InvalidInput, NotFound
from skytally.jobs import service
from skytally.jobs.models import JobRun, JobStatus
from skytally.jobs.registry import JOBS, job
from skytally.jobs.runner import JobContext, PartialFailure
from skytally.runtime import Runtime, build_runtime
from skytally.store.base import utcnow
from skytally.workspaces.models import WorkspaceRole
from skytally.workspaces.schemas import Actor


@job("test.explode", title="Test: always fails")
def _explode(ctx: JobContext, params: dict[str, Any]) -> dict[str, Any]:
    ctx.progress(1, 2, "half way")
    raise RuntimeError("the disk is on fire")


@job("test.partial", title="Test: fan-out with one failure")
def _partial(ctx: JobContext, params: dict[str, Any]) -> dict[str, Any]:
    raise PartialFailure({"ok": ["sub-a"], "failures": [{"item": "sub-b", "error": "403"}]})


@pytest.mark.parametrize("database_url", backend_params(), indirect=True)
def test_housekeeping_run_is_recorded(runtime: Runtime) -> None:
    run = service.submit(runtime.db, runtime.queue, "maintenance.housekeeping", queued_by="test")
    with runtime.db.session() as s:
        row = s.get(JobRun, run.id)
        assert row is not None
        assert row.status == JobStatus.SUCCEEDED
        assert row.progress == 1.0
        assert row.result is not None and row.result["keep_days"] == 90
        assert row.started_at is not None and row.finished_at is not None


def test_failures_and_partial_results_are_recorded(runtime: Runtime) -> None:
    failed = service.submit(runtime.db, runtime.queue, "test.explode")
    partial = service.submit(runtime.db, runtime.queue, "test.partial")
    with runtime.db.session() as s:
        f = s.get(JobRun, failed.id)
        p = s.get(JobRun, partial.id)
        assert f is not None and f.status == JobStatus.FAILED
        assert f.error == "RuntimeError: the disk is on fire" and f.progress == 0.5
        assert p is not None and p.status == JobStatus.PARTIAL
        assert p.result == {"ok": ["sub-a"], "failures": [{"item": "sub-b", "error": "403"}]}


def test_unknown_kind_is_refused(runtime: Runtime) -> None:
    with pytest.raises(InvalidInput, match="unknown job kind"):
        service.submit(runtime.db, runtime.queue, "no.such.job")


def test_runs_are_scoped_to_workspaces(runtime: Runtime) -> None:
    from skytally.workspaces.models import Workspace

    with runtime.db.session() as s:
        a, b = Workspace(name="A"), Workspace(name="B")
        s.add_all([a, b])
        s.flush()
        a_id, b_id = a.id, b.id
    run_b = service.submit(runtime.db, runtime.queue, "maintenance.housekeeping", workspace_id=b_id)
    viewer_a = Actor(user_id=1, email="v@example.com", is_admin=False, roles={a_id: WorkspaceRole.VIEWER})
    with runtime.db.session() as s:
        assert service.list_runs(s, viewer_a) == []
        with pytest.raises(NotFound):
            service.get_run(s, viewer_a, run_b.id)


def test_redis_queue_runs_jobs_through_a_real_consumer(tmp_path: Any, redis_url: str) -> None:
    import redis

    db_index_url = redis_url.rstrip("/").rsplit("/", 1)[0] + "/13"
    redis.Redis.from_url(db_index_url).flushdb()
    rt = build_runtime(Settings(data_dir=tmp_path, queue_url=db_index_url, demo=True))  # type: ignore[call-arg]
    consumer = rt.queue.consumer(workers=1)
    consumer.start()
    try:
        run = service.submit(rt.db, rt.queue, "maintenance.housekeeping")
        deadline = time.monotonic() + 20
        status = None
        while time.monotonic() < deadline:
            with rt.db.session() as s:
                row = s.get(JobRun, run.id)
                assert row is not None
                status = row.status
            if JobStatus(status).finished:
                break
            time.sleep(0.1)
        assert status == JobStatus.SUCCEEDED
    finally:
        consumer.stop(graceful=True)
        rt.close()


_quiet_due: list[bool] = [False]


@job("test.quiet", title="Test: scheduled, rarely due", due=lambda session: _quiet_due[0])
def _quiet(ctx: JobContext, params: dict[str, Any]) -> dict[str, Any]:
    return {"ran": True}


def test_scheduled_ticks_with_nothing_due_record_no_run(runtime: Runtime) -> None:
    _quiet_due[0] = False
    assert runtime.queue.tick("test.quiet") is None
    with runtime.db.session() as s:
        assert service.list_runs(s, Actor(user_id=0, email="x", is_admin=True), kind="test.quiet") == []
    _quiet_due[0] = True
    ran = runtime.queue.tick("test.quiet")
    assert ran is not None and ran.status is JobStatus.SUCCEEDED and ran.target == "scheduled"


def test_test_jobs_registered() -> None:
    assert {"test.explode", "test.partial", "test.unique", "maintenance.housekeeping"} <= set(JOBS)


@job("test.unique", title="Test: one run per key at a time")
def _unique(ctx: JobContext, params: dict[str, Any]) -> dict[str, Any]:
    return {"ran": params}


class _Holding:
    """Queues nothing: runs stay `queued`, as behind busy workers."""

    def dispatch(self, run_id: int) -> None:
        pass


@pytest.mark.parametrize("database_url", backend_params(), indirect=True)
def test_submit_unique_submits_once_even_when_submitters_race(runtime: Runtime) -> None:
    """Six submitters at once, ten times (without the lock, most rounds submit twice or more)."""
    winners: dict[str, list[int]] = {}
    for month in range(1, 11):
        key = {"scope_id": "1234", "period": f"2024-{month:02d}"}
        gate = threading.Barrier(6)
        results: list[tuple[int, bool]] = []

        def submit(n: int, key: dict[str, Any] = key, gate: threading.Barrier = gate,
                   results: list[tuple[int, bool]] = results) -> None:
            gate.wait()
            run, new = service.submit_unique(runtime.db, _Holding(), "test.unique", key=key, params={"n": n})
            results.append((run.id, new))

        threads = [threading.Thread(target=submit, args=(n,)) for n in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(new for _, new in results) == [False] * 5 + [True], key
        assert len({run_id for run_id, _ in results}) == 1
        winners[key["period"]] = [run_id for run_id, new in results if new]
    assert len({ids[0] for ids in winners.values()}) == 10  # one run per key

    # finished, or queued so long ago that its queue was lost: no longer a duplicate
    key = {"scope_id": "1234", "period": "2024-01"}
    with runtime.db.session() as s:
        row = s.get(JobRun, winners["2024-01"][0])
        assert row is not None
        row.created_at = row.created_at - service.QUEUED_WITHIN - timedelta(minutes=1)
    again, new = service.submit_unique(runtime.db, runtime.queue, "test.unique", key=key)
    assert new and again.status is JobStatus.SUCCEEDED and again.params == key
    assert service.submit_unique(runtime.db, runtime.queue, "test.unique", key=key)[1]


def test_a_running_run_that_stopped_reporting_is_no_duplicate(runtime: Runtime) -> None:
    key = {"scope_id": "1234", "period": "2024-05"}
    run, _ = service.submit_unique(runtime.db, _Holding(), "test.unique", key=key)
    with runtime.db.session() as s:
        row = s.get(JobRun, run.id)
        assert row is not None
        row.status, row.heartbeat_at = JobStatus.RUNNING.value, utcnow()
    same, new = service.submit_unique(runtime.db, _Holding(), "test.unique", key=key)
    assert not new and same.id == run.id
    with runtime.db.session() as s:
        row = s.get(JobRun, run.id)
        assert row is not None
        row.heartbeat_at = utcnow() - service.STALE_AFTER - timedelta(minutes=1)  # its worker died
    assert service.submit_unique(runtime.db, _Holding(), "test.unique", key=key)[1]


@pytest.mark.parametrize("database_url", backend_params(), indirect=True)
def test_a_stopped_foreground_command_interrupts_what_it_left(runtime: Runtime) -> None:
    # `skytally costs sync` stopped with Ctrl-C: its queued runs end cancelled, its running one stopped
    runs = [service.submit(runtime.db, _Holding(), "test.unique", params={"n": n}).id for n in range(3)]
    with runtime.db.session() as s:
        row = s.get(JobRun, runs[1])
        assert row is not None
        row.status = JobStatus.RUNNING.value
    with runtime.db.session() as s:
        assert service.interrupt_runs(s, runs, JobStatus.QUEUED, "cancelled") == 2
        assert service.interrupt_runs(s, runs, JobStatus.RUNNING, "stopped") == 1
        assert service.interrupt_runs(s, [], JobStatus.QUEUED, "cancelled") == 0
    with runtime.db.session() as s:
        got = service.get_runs(s, None, [runs[2], 999, runs[0], runs[1]])  # the order asked; unknown ids left out
        assert [(r.id, r.status, r.error) for r in got] == [
            (runs[2], JobStatus.INTERRUPTED, "cancelled"), (runs[0], JobStatus.INTERRUPTED, "cancelled"),
            (runs[1], JobStatus.INTERRUPTED, "stopped")]
        assert all(r.finished_at is not None for r in got)
        nobody = Actor(user_id=1, email="v@example.com", is_admin=False, roles={})
        assert service.get_runs(s, nobody, runs) == []  # the same visibility as get_run

"""A reusable crash test for any job kind: run it on a real `skytally worker` process
(SQLite queue in the data dir), SIGKILL the worker while the run is running, start a
new worker, and return the dead run and the run that finished the work.

    dead, final = crash_and_recover(rt, IMPORT_PERIOD, params, env=emu.settings,
                                    slow=lambda: emu.control.post("/faults", json=...),
                                    fast=lambda: emu.control.delete("/faults"))
    assert dead.status == "interrupted" and final.status == "succeeded"
    # then: the work was done once (totals exact, nothing counted twice)

`slow` makes the work last long enough to be killed mid-way (e.g. emulator latency);
`fast` undoes it before the new worker starts. The caller checks that the work was
done exactly once; the helper checks recovery (cause, requeue, temp files removed).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from skytally.jobs import service as jobs
from skytally.jobs.models import JobRun, JobStatus
from skytally.jobs.recovery import RECOVERS
from skytally.jobs.schemas import JobRunOut
from skytally.jobs.workers import SCRATCH
from skytally.runtime import Runtime, build_runtime

WORKER = "from skytally.cli.main import main; import sys; sys.argv = ['skytally', 'worker', '--workers', '1']; main()"


class WorkerProcess:
    """`skytally worker` in its own process, on the runtime's data dir and database."""

    def __init__(self, rt: Runtime, env: Mapping[str, str] | None = None) -> None:
        s = rt.settings
        self.env = {**os.environ, **(env or {}), "SKYTALLY_DATA_DIR": str(s.data_dir),
                    "SKYTALLY_DATABASE_URL": s.resolved_database_url, "SKYTALLY_DEMO": "true"}
        self.env.pop("SKYTALLY_QUEUE_URL", None)
        self.log = s.data_dir / f"worker-{time.monotonic_ns()}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> WorkerProcess:
        out = open(self.log, "wb")  # noqa: SIM115  # the child's; closed when it ends
        self.proc = subprocess.Popen([sys.executable, "-c", WORKER], env=self.env, stdout=out,
                                     stderr=subprocess.STDOUT, cwd=self.log.parent)
        out.close()
        return self

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


def queue_runtime(rt: Runtime) -> Runtime:
    """A runtime on the same data dir and database whose queue is the SQLite queue the
    worker process consumes (the test's runtime may run jobs immediately)."""
    return build_runtime(rt.settings, migrate_db=False)


def wait_for(rt: Runtime, run_id: int, ok: Callable[[JobRun], bool], timeout: float, what: str,
             worker: WorkerProcess | None = None) -> JobRun:
    deadline = time.monotonic() + timeout
    while True:
        with rt.db.session() as s:
            row = s.get(JobRun, run_id)
            if row is not None and ok(row):
                s.expunge(row)
                return row
        if time.monotonic() > deadline:
            log = worker.output() if worker else ""
            raise AssertionError(f"job run {run_id}: {what} not within {timeout} s "
                                 f"(status {row.status if row else None}); worker log:\n{log}")
        time.sleep(0.1)


def scratch_dirs(rt: Runtime) -> list[Path]:
    root = rt.settings.data_dir / SCRATCH
    return [p for d in root.iterdir() if d.is_dir() for p in d.iterdir()] if root.is_dir() else []


def crash_and_recover(rt: Runtime, kind: str, params: dict[str, Any], *, env: Mapping[str, str] | None = None,
                      slow: Callable[[], Any] = lambda: None, fast: Callable[[], Any] = lambda: None,
                      running: Callable[[JobRun], bool] = lambda r: True,
                      timeout: float = 90) -> tuple[JobRunOut, JobRunOut]:
    """Submit `kind` with `params`, kill its worker (SIGKILL) once the run is running (and
    `running(run)` holds), start another worker; return (the dead run, the run that
    finished the work after recovery)."""
    qrt = queue_runtime(rt)
    first = WorkerProcess(rt, env)
    second = WorkerProcess(rt, env)
    try:
        slow()
        run = jobs.submit(qrt.db, qrt.queue, kind, params=params, queued_by="crash-test")
        first.start()
        wait_for(rt, run.id, lambda r: r.status == JobStatus.RUNNING.value and running(r), timeout,
                 "running", first)
        first.kill()
        assert first.proc is not None and first.proc.returncode == -signal.SIGKILL
        with rt.db.session() as s:
            row = s.get(JobRun, run.id)
            assert row is not None and row.status == JobStatus.RUNNING.value  # as the crash left it
        fast()
        second.start()
        # The reaper marks the run interrupted, then submits it again and says so in a second
        # step: wait for both (under load a read can fall between them).
        dead = wait_for(rt, run.id, lambda r: r.status == JobStatus.INTERRUPTED.value
                        and "submitted again" in (r.error or ""), timeout, "recovered", second)
        assert dead.error and "killed or crashed" in dead.error and "submitted again as job run #" in dead.error, dead.error
        again = int(dead.error.rsplit("#", 1)[1].split()[0])
        final = wait_for(rt, again, lambda r: JobStatus(r.status).finished, timeout, "finished", second)
        assert (final.params or {}).get(RECOVERS) == run.id
        assert scratch_dirs(rt) == [], "the dead worker's temporary files are left"
        return JobRunOut.model_validate(dead), JobRunOut.model_validate(final)
    finally:
        first.stop()
        second.stop()
        qrt.close()

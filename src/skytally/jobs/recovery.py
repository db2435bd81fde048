"""Crashed work is recovered at once.

Each running job beats: a thread of its worker writes the run's `heartbeat_at` every
HEARTBEAT_SECONDS while the job function runs (whatever the job reports). A run is dead
when its worker, on this host, is no longer alive (known at once), or, on another host,
when its heartbeat has been silent for STALE_AFTER. `reaper.recover` ends each dead run
`interrupted` with the cause, lets its kind clean up what it left (`JobSpec.on_interrupted`,
e.g. the cost import's bookkeeping), removes the dead processes' scratch directories and,
given a dispatcher, submits the run again (jobs are idempotent) up to MAX_ATTEMPTS times.

It runs when a worker starts, every REAP_SECONDS in every worker (the reaper thread), and
before a unique submission (`service.submit_unique`), so `costs sync` never answers
"already running" for a run nobody runs.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from skytally.jobs.models import JobRun, JobStatus
from skytally.jobs.registry import JOBS
from skytally.jobs.workers import Worker, this_worker
from skytally.store.base import utcnow
from skytally.store.db import Database

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 5.0
STALE_AFTER = timedelta(seconds=90)  # a running job silent this long (its worker elsewhere) is dead
REAP_SECONDS = 15.0
MAX_ATTEMPTS = 3  # a run that kills its worker each time is not retried for ever
ATTEMPT = "_attempt"  # params: which attempt this run is (1 when absent)
RECOVERS = "_recovers"  # params: the run this one was submitted again for


class Heartbeat:
    """While a job runs: its run's heartbeat, written every HEARTBEAT_SECONDS."""

    def __init__(self, db: Database, run_id: int, every: float = HEARTBEAT_SECONDS) -> None:
        self.db, self.run_id, self.every = db, run_id, every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"heartbeat-{run_id}", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            try:
                with self.db.session() as session:
                    run = session.get(JobRun, self.run_id)
                    if run is not None and run.status == JobStatus.RUNNING.value:
                        run.heartbeat_at = utcnow()
            except Exception:  # a busy database: the next beat tries again
                log.warning("heartbeat of job run %s not written", self.run_id, exc_info=True)


@dataclass
class Recovered:
    run_id: int
    kind: str
    cause: str
    requeued_as: int | None = None


def dead_because(run: JobRun, now: datetime) -> str | None:
    """Why a `running` run has nobody running it, None if it may still be running."""
    worker = Worker.parse(run.worker)
    beat = run.heartbeat_at or run.started_at
    silent = f"last heartbeat {beat:%Y-%m-%d %H:%M:%S} UTC" if beat else "no heartbeat"
    if worker is not None:
        alive = worker.alive()
        if alive is False:
            return f"its worker (process {worker.pid} on {worker.host}) is gone: killed or crashed; {silent}"
        if alive:
            return None
    if beat is None or now - beat > STALE_AFTER:
        where = f"process {worker.pid} on {worker.host}" if worker else "a worker"
        return (f"its worker ({where}) stopped reporting: {silent}, more than "
                f"{int(STALE_AFTER.total_seconds())} s ago")
    return None


def mark_dead(session: Session) -> list[Recovered]:
    """End every dead `running` run `interrupted`, saying why (in the caller's transaction)."""
    now = utcnow()
    out: list[Recovered] = []
    for run in session.scalars(select(JobRun).where(JobRun.status == JobStatus.RUNNING.value)):
        cause = dead_because(run, now)
        if cause is None:
            continue
        run.status, run.finished_at = JobStatus.INTERRUPTED.value, now
        run.error = f"interrupted: {cause}"
        spec = JOBS.get(run.kind)
        if spec is not None and spec.on_interrupted is not None:
            try:
                spec.on_interrupted(session, run, cause)
            except Exception:
                log.exception("cleaning up after interrupted job run %s failed", run.id)
        out.append(Recovered(run.id, run.kind, cause))
    return out


def worker_id() -> str:
    return this_worker().id

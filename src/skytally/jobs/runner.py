"""Runs one job: records it, reports progress, and never swallows an error.

Jobs take IDs, open their own sessions, and are idempotent, so a run that was
interrupted (worker killed) can simply be submitted again.
"""

from __future__ import annotations

import logging
import traceback
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from skytally.config import Settings
from skytally.errors import UserError
from skytally.jobs.models import JobRun, JobStatus
from skytally.jobs.recovery import ATTEMPT, RECOVERS, Heartbeat
from skytally.jobs.registry import JOBS
from skytally.jobs.service import Dispatcher
from skytally.jobs.workers import this_worker
from skytally.security.vault import Vault
from skytally.store.base import utcnow
from skytally.store.db import Database

log = logging.getLogger(__name__)


@dataclass
class JobEnvironment:
    """What a running job may use, bound once per process (worker, server, demo, tests)."""

    settings: Settings
    db: Database
    vault: Vault
    # Where jobs submit further runs (fan-out): the process's job queue, set by JobQueue.
    dispatcher: Dispatcher | None = None


_environment: JobEnvironment | None = None


def bind_environment(env: JobEnvironment | None) -> None:
    global _environment
    _environment = env


def current_environment() -> JobEnvironment:
    if _environment is None:
        raise RuntimeError("no job environment bound in this process; start it with `skytally worker`")
    return _environment


class JobContext:
    """Handed to each job function."""

    def __init__(self, env: JobEnvironment, run_id: int) -> None:
        self.env = env
        self.run_id = run_id

    @property
    def settings(self) -> Settings:
        return self.env.settings

    @property
    def db(self) -> Database:
        return self.env.db

    @property
    def vault(self) -> Vault:
        return self.env.vault

    @property
    def dispatcher(self) -> Dispatcher:
        """The queue this process submits further runs to (a fan-out job's children)."""
        if self.env.dispatcher is None:
            raise RuntimeError("no job queue bound in this process; start it with `skytally worker`")
        return self.env.dispatcher

    def origin(self) -> tuple[int | None, str]:
        """(workspace id, queued by) of this run: a fan-out job gives its children the same."""
        with self.db.session() as session:
            run = session.get(JobRun, self.run_id)
            return (run.workspace_id, run.queued_by) if run is not None else (None, "system")

    def progress(self, done: float, total: float, message: str = "") -> None:
        """Record progress in its own short transaction so pages see it live."""
        fraction = 0.0 if total <= 0 else max(0.0, min(1.0, done / total))
        with self.db.session() as session:
            run = session.get(JobRun, self.run_id)
            if run is not None:
                run.progress = fraction
                run.message = message[:500]
                run.heartbeat_at = utcnow()


class PartialFailure(Exception):
    """Raised by fan-out jobs: some items failed. `result` lists them."""

    def __init__(self, result: dict[str, Any]) -> None:
        super().__init__("some items failed")
        self.result = result


def run_job(run_id: int, env: JobEnvironment | None = None) -> str:
    """Execute a recorded job run. Returns its final status."""
    env = env or current_environment()
    with env.db.session() as session:
        run = session.get(JobRun, run_id)
        if run is None:
            log.warning("job run %s vanished before it started", run_id)
            return "missing"
        if JobStatus(run.status).finished:
            # Delivered twice (queue retry after a crash): the work is done already.
            return run.status
        spec = JOBS.get(run.kind)
        if spec is None:
            _finish(session, run, JobStatus.FAILED, error=f"unknown job kind {run.kind!r}")
            return run.status
        run.status = JobStatus.RUNNING.value
        run.started_at = run.heartbeat_at = utcnow()
        run.worker = this_worker().id
        params = {k: v for k, v in (run.params or {}).items() if k not in (ATTEMPT, RECOVERS)}
    ctx = JobContext(env, run_id)
    status: JobStatus
    result: dict[str, Any] | None
    error: str | None
    try:
        with Heartbeat(env.db, run_id):
            result = spec.func(ctx, params)
        status, error = JobStatus.SUCCEEDED, None
    except PartialFailure as partial:
        status, result, error = JobStatus.PARTIAL, partial.result, None
    except UserError as exc:
        status, result, error = JobStatus.FAILED, None, exc.message
    except Exception as exc:  # a bug or an outage: keep the type, log the trace
        log.exception("job %s (%s) failed", run_id, spec.kind)
        status, result, error = JobStatus.FAILED, None, f"{type(exc).__name__}: {exc}"
        log.debug("%s", traceback.format_exc())
    with env.db.session() as session:
        run = session.get(JobRun, run_id)
        if run is not None:
            _finish(session, run, status, result=result, error=error)
    return status.value


def _finish(
    session: Session,
    run: JobRun,
    status: JobStatus,
    *,
    result: dict[str, Any] | None = None,
    error: str | None = None,
) -> None:
    run.status = status.value
    run.finished_at = utcnow()
    run.result = result
    run.error = error
    if status is JobStatus.SUCCEEDED:
        run.progress = 1.0

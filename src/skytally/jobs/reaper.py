"""Recovering dead job runs (recovery.py tells which are dead): ended, cleaned up, and
submitted again; when a worker starts and every REAP_SECONDS in each worker."""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

from skytally.jobs import service
from skytally.jobs.models import JobRun
from skytally.jobs.recovery import (
    ATTEMPT,
    MAX_ATTEMPTS,
    REAP_SECONDS,
    RECOVERS,
    Recovered,
    mark_dead,
)
from skytally.jobs.workers import sweep_scratch
from skytally.store.db import Database

log = logging.getLogger(__name__)


def recover(db: Database, data_dir: Path, dispatcher: service.Dispatcher | None = None) -> list[Recovered]:
    """Recover dead runs (and given a dispatcher, submit each again once more, up to
    MAX_ATTEMPTS); remove dead processes' scratch directories."""
    with db.session() as session:
        dead = mark_dead(session)
        again: list[tuple[Recovered, dict[str, Any], str, int | None, str]] = []
        for r in dead:
            run = session.get(JobRun, r.run_id)
            assert run is not None
            params = dict(run.params or {})
            attempt = int(params.get(ATTEMPT, 1))
            if dispatcher is not None and attempt < MAX_ATTEMPTS:
                params.update({ATTEMPT: attempt + 1, RECOVERS: run.id})
                again.append((r, params, run.target, run.workspace_id, run.queued_by))
            elif dispatcher is not None:
                run.error = f"{run.error}; not run again: it was attempt {attempt} of {MAX_ATTEMPTS}"
    for r, params, target, workspace_id, queued_by in again:
        try:
            new = service.submit(db, dispatcher, r.kind, target=target,  # type: ignore[arg-type]
                                 workspace_id=workspace_id, params=params, queued_by=queued_by)
        except Exception as exc:
            log.warning("could not submit interrupted job run %s again: %s", r.run_id, exc)
            continue
        r.requeued_as = new.id
        with db.session() as session:
            run = session.get(JobRun, r.run_id)
            if run is not None:
                run.error = f"{run.error}; submitted again as job run #{new.id}"
    for r in dead:
        log.warning("job run %s (%s) recovered: %s%s", r.run_id, r.kind, r.cause,
                    f"; submitted again as #{r.requeued_as}" if r.requeued_as else "")
    sweep_scratch(data_dir)
    return dead


class Reaper:
    """A worker's thread that recovers dead runs every REAP_SECONDS."""

    def __init__(self, db: Database, data_dir: Path, dispatcher: service.Dispatcher,
                 every: float = REAP_SECONDS) -> None:
        self.db, self.data_dir, self.dispatcher, self.every = db, data_dir, dispatcher, every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="job-reaper", daemon=True)

    def start(self) -> Reaper:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            try:
                recover(self.db, self.data_dir, self.dispatcher)
            except Exception:
                log.warning("recovering dead job runs failed", exc_info=True)

"""The Huey queue: SQLite in the data dir by default, Redis when SKYTALLY_QUEUE_URL says so.

The Huey instance is built on demand (no I/O at import time) and every registered job
kind becomes one Huey task named after it; periodic kinds also get a periodic task
that *submits* a recorded run, so scheduled work shows up on the Jobs page too.
"""

from __future__ import annotations

import logging
from typing import Any

from huey import Huey, RedisHuey, SqliteHuey
from huey.consumer import Consumer

from skytally.config import Settings
from skytally.jobs import reaper, service
from skytally.jobs.registry import JobSpec, load_all
from skytally.jobs.runner import JobEnvironment, bind_environment, run_job
from skytally.jobs.schemas import JobRunOut

log = logging.getLogger(__name__)

RUN_TASK = "skytally.run_job"


class JobQueue:
    """A Huey instance with skytally's tasks, and a dispatcher for job runs."""

    def __init__(self, huey: Huey, env: JobEnvironment) -> None:
        self.huey = huey
        self.env = env
        self.specs = load_all()
        if env.dispatcher is None:
            env.dispatcher = self  # fan-out jobs submit their children here
        bind_environment(env)

        @huey.task(name=RUN_TASK)
        def _run(run_id: int) -> str:
            return run_job(run_id)

        self._run = _run
        for spec in self.specs.values():
            if spec.schedule is not None:
                self._add_periodic(spec)

    def _add_periodic(self, spec: JobSpec) -> None:
        def submit_scheduled() -> None:
            self.tick(spec.kind)

        assert spec.schedule is not None
        self.huey.periodic_task(spec.schedule, name=f"schedule:{spec.kind}")(submit_scheduled)

    def tick(self, kind: str) -> JobRunOut | None:
        """One scheduled tick: submit a run unless the kind says there is nothing due."""
        spec = self.specs[kind]
        if spec.due is not None:
            with self.env.db.session() as session:
                if not spec.due(session):
                    return None
        return service.submit(
            self.env.db, self, spec.kind, target="scheduled", params=spec.schedule_params or {}
        )

    def dispatch(self, run_id: int) -> None:
        self._run(run_id)

    def recover(self) -> list[Any]:
        """Recover the runs of workers that died (and submit them again); reaper.py."""
        return reaper.recover(self.env.db, self.env.settings.data_dir, self)

    def consumer(self, workers: int = 2) -> Consumer:
        # an idle consumer of the SQLite queue polls at most every second (Huey backs off
        # to 10 s): "Run now" and "Import now" then start at once, not up to 10 s later.
        # The Redis queue blocks on the list and is not affected.
        # a worker that starts recovers the runs of workers that died, and keeps doing so
        self.recover()
        consumer = self.huey.create_consumer(workers=workers, worker_type="thread", periodic=True, max_delay=1.0)
        reaper_thread = reaper.Reaper(self.env.db, self.env.settings.data_dir, self)
        consumer.reaper = reaper_thread  # type: ignore[attr-defined]  # stopped with the consumer
        original_stop = consumer.stop

        def stop(graceful: bool = False) -> None:
            reaper_thread.stop()
            original_stop(graceful)

        consumer.stop = stop  # type: ignore[method-assign]
        reaper_thread.start()
        return consumer


def build_huey(settings: Settings, *, immediate: bool = False) -> Huey:
    if immediate:
        return Huey("skytally", immediate=True)
    url = settings.queue_url
    if url:
        settings.check_queue_url()
        return RedisHuey("skytally", url=url)
    settings.prepare()
    return SqliteHuey("skytally", filename=str(settings.data_dir / "jobs.db"))


def describe_queue(settings: Settings) -> dict[str, Any]:
    if settings.queue_url:
        return {"backend": "redis", "url": settings.queue_url.split("@")[-1]}
    return {"backend": "sqlite", "path": str(settings.data_dir / "jobs.db")}

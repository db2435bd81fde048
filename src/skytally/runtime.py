"""Assembles one running skytally: settings → database → vault → job queue.

Interfaces (web, API, CLI, worker, demo) build a Runtime once and hand its parts to
services; services never build these themselves.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from skytally.config import Settings
from skytally.jobs.queue import JobQueue, build_huey
from skytally.jobs.runner import JobEnvironment
from skytally.security.secretbox import SecretBox, load_keys
from skytally.security.vault import Vault
from skytally.store import migrate
from skytally.store.db import Database


@dataclass
class Runtime:
    settings: Settings
    db: Database
    vault: Vault
    queue: JobQueue

    def close(self) -> None:
        self.db.dispose()


def build_runtime(settings: Settings, *, migrate_db: bool = True, immediate_jobs: bool = False) -> Runtime:
    settings.prepare()
    logging.getLogger("skytally").setLevel(settings.log_level.upper())
    db = Database(settings.resolved_database_url)
    if migrate_db:
        migrate.upgrade(db)
    vault = Vault(SecretBox(load_keys(settings.secret_key, settings.data_dir)))
    env = JobEnvironment(settings=settings, db=db, vault=vault)
    queue = JobQueue(build_huey(settings, immediate=immediate_jobs), env)
    return Runtime(settings=settings, db=db, vault=vault, queue=queue)

"""Assembles one running skytally: settings → database → vault → job queue.

Interfaces (web, API, CLI, worker, demo) build a Runtime once and hand its parts to
services; services never build these themselves.

The job queue (Huey, and every job module it registers: costs, inventory…) is heavy to
import; a CLI command that never submits a job should not pay for it, so with
`lazy_queue=True` it is built on first use of `runtime.queue`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from skytally.config import Settings
from skytally.security.secretbox import SecretBox, load_keys
from skytally.security.vault import Vault
from skytally.store import migrate
from skytally.store.db import Database

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from skytally.jobs.queue import JobQueue


@dataclass
class Runtime:
    settings: Settings
    db: Database
    vault: Vault
    immediate_jobs: bool = False
    built_queue: JobQueue | None = field(default=None, repr=False)

    @property
    def queue(self) -> JobQueue:
        if self.built_queue is None:
            from skytally.jobs.queue import JobQueue, build_huey
            from skytally.jobs.runner import JobEnvironment

            env = JobEnvironment(settings=self.settings, db=self.db, vault=self.vault)
            self.built_queue = JobQueue(build_huey(self.settings, immediate=self.immediate_jobs), env)
        return self.built_queue

    def close(self) -> None:
        self.db.dispose()


def build_runtime(settings: Settings, *, migrate_db: bool = True, immediate_jobs: bool = False,
                  lazy_queue: bool = False) -> Runtime:
    settings.prepare()
    settings.check_queue_url()
    logging.getLogger("skytally").setLevel(settings.log_level.upper())
    db = Database(settings.resolved_database_url)
    if migrate_db:
        migrate.upgrade(db)
    vault = Vault(SecretBox(load_keys(settings.secret_key, settings.data_dir)))
    rt = Runtime(settings, db, vault, immediate_jobs=immediate_jobs)
    _wire_listeners()
    if settings.licence_names_csv is not None:
        from skytally.licences import catalog

        catalog.use_full_copy(settings.licence_names_csv)  # validated now: a bad file stops the start
    if not lazy_queue:
        _ = rt.queue  # servers and workers: built now, once, before any thread asks for it
    return rt


def _wire_listeners() -> None:
    """Capabilities that react to another's changes: accounts cannot import the inventory
    (it sits below it), so the inventory listens to access level changes. The inventory is
    imported when a level changes, not here: a command that changes none (`skytally
    accounts list`) does not load it."""
    from skytally.accounts import events

    events.on_access_change(_inventory_access_changed)


def _inventory_access_changed(session: Session, account_id: int, subscription_id: str, old: str, new: str) -> None:
    from skytally.inventory import tag_service

    tag_service.access_changed(session, account_id, subscription_id, old, new)

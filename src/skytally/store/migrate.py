"""Alembic, driven programmatically: `skytally db upgrade`, and on start of serve/worker/demo.

Every command migrates on start; when the database is already at the head revision (read
with one SELECT, the head found from the migration files' `revision`/`down_revision`
lines), alembic is not even imported — it costs a CLI command ~0.2 s.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from skytally.store.db import Database

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
_REVISION = re.compile(r"^(down_revision|revision)\s*(?::[^=]*)?=\s*['\"]?([\w-]+|None)['\"]?", re.M)


def alembic_config(db: Database) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", db.url.replace("%", "%%"))
    cfg.attributes["engine"] = db.engine
    return cfg


def upgrade(db: Database, revision: str = "head") -> None:
    if revision == "head" and _at_head(db):
        return
    from alembic import command

    command.upgrade(alembic_config(db), revision)


def _at_head(db: Database) -> bool:
    head = file_head()
    if head is None:
        return False
    try:
        with db.engine.connect() as conn:
            rows = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    except DBAPIError:  # no alembic_version table yet: a new database
        return False
    return rows == [head]


def file_head() -> str | None:
    """The single head of the migration files, or None when it cannot be told cheaply."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        found = dict((k, v) for k, v in _REVISION.findall(path.read_text()))
        if "revision" not in found:
            return None
        revisions.add(found["revision"])
        if found.get("down_revision", "None") != "None":
            parents.add(found["down_revision"])
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def current_revision(db: Database) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision(db: Database) -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config(db)).get_current_head()

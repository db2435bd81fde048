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
# pg_trgm's index for the Resources list's name~ filter (migration 0015 makes it when the
# database role may create the extension; `ensure_optional_indexes` when it may later)
NAME_SEARCH_INDEX = "ix_inventory_resources_name_trgm"
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


def ensure_optional_indexes(db: Database) -> str | None:
    """On PostgreSQL, the name-search index that needs the pg_trgm extension, made now if it
    is missing (migration 0015 skips it when the role could not create the extension then).
    Returns what was done, or why it could not be; None when there was nothing to do."""
    if db.engine.dialect.name != "postgresql":
        return None
    with db.engine.begin() as conn:
        if conn.execute(text("SELECT 1 FROM pg_indexes WHERE indexname = :n"), {"n": NAME_SEARCH_INDEX}).first():
            return None
        step = "the pg_trgm extension cannot be created"
        try:
            with conn.begin_nested():
                conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
                step = "the index cannot be created"  # e.g. a role that does not own the table
                conn.exec_driver_sql(
                    f"CREATE INDEX {NAME_SEARCH_INDEX} ON inventory_resources USING gin (lower(name) gin_trgm_ops)")
        except DBAPIError as exc:
            return (f"The name search index is not there: {step} ({str(exc.orig).strip().splitlines()[0]}). "
                    "Resources' name~ filter still works, scanning the resources; a superuser can run "
                    "CREATE EXTENSION pg_trgm in this database, then `skytally db upgrade` as the tables' owner.")
    return "Created the name search index (pg_trgm) for Resources' name~ filter."


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

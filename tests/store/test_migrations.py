"""Migrations build exactly the tables the models declare, on every backend."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from conftest import backend_params
from skytally.schema import metadata
from skytally.store import migrate
from skytally.store.db import Database


@pytest.mark.parametrize("database_url", backend_params(), indirect=True)
def test_upgrade_matches_models(database_url: str) -> None:
    db = Database(database_url)
    try:
        migrate.upgrade(db)
        assert migrate.current_revision(db) == migrate.head_revision(db)
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), metadata)
        assert diff == [], f"models and migrations differ: {diff}"
        migrate.upgrade(db)  # idempotent
    finally:
        db.dispose()


def test_unsupported_database_url_is_explained() -> None:
    from skytally.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="postgresql\\+psycopg"):
        Database("mysql://root@localhost/x")


def test_fast_head_check_agrees_with_alembic(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """`migrate.upgrade` skips alembic when the database is at `file_head()`: it must be alembic's head."""
    db = Database(f"sqlite:///{tmp_path / 'app.db'}")
    try:
        assert migrate.file_head() == migrate.head_revision(db)
    finally:
        db.dispose()


@pytest.mark.parametrize("database_url", backend_params(), indirect=True)
def test_0015_indexes_rows_already_there(database_url: str) -> None:
    """0015 builds the Resources list's indexes over an inventory that exists (a PostgreSQL
    database also gets pg_trgm's index for name~), and the filters they serve find its rows."""
    from inventory import tagworld
    from skytally.inventory import filters, tag_repo

    db = Database(database_url)
    try:
        migrate.upgrade(db, "0014")
        with db.session() as s:  # the models' columns are 0014's: 0015 adds indexes only
            tagworld.build(s)
        migrate.upgrade(db)
        listing = ("SELECT name FROM sqlite_master WHERE type = 'index'" if db.engine.dialect.name == "sqlite"
                   else "SELECT indexname FROM pg_indexes")  # the inspector skips expression indexes on SQLite
        with db.engine.connect() as conn:
            indexes = set(conn.exec_driver_sql(listing).scalars())
        assert {"ix_inventory_tags_key_value_resource", "ix_inventory_resources_location_name"} <= indexes
        assert "ix_inventory_tags_key_value" not in indexes
        assert ("ix_inventory_resources_name_trgm" in indexes) == (db.engine.dialect.name == "postgresql")
        with db.session() as s:
            def names(where: str, sort: str = "name") -> list[str]:
                return [r.name for r in tag_repo.page(s, None, filters.parse(where), sort=sort)[0]]
            assert names("name~eb-") == ["web-1", "web-2"]
            assert names("name~DB") == ["db-1"]  # case-insensitive
            assert names("location=WestEurope,type=microsoft.compute/virtualmachines", "location") == ["web-1", "web-2"]
            assert names("lacks:env") == ["stor1", "subnet-a"]
            assert names("tag:env=prod") == ["web-1", "web-2"]
        migrate.upgrade(db)  # idempotent
    finally:
        db.dispose()


@pytest.mark.parametrize("database_url", backend_params()[1:], indirect=True)
def test_db_upgrade_makes_the_name_search_index_0015_could_not(database_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A database migrated by a role that could not create pg_trgm has no name-search index:
    `skytally db upgrade` says why while the extension cannot be created, and makes the
    index once it can (what 0015's warning tells the administrator to do)."""
    import os
    import subprocess
    import sys
    import uuid

    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    def has_index(db: Database) -> bool:
        with db.engine.connect() as conn:
            return conn.execute(text("SELECT 1 FROM pg_indexes WHERE indexname = :n"),
                                {"n": migrate.NAME_SEARCH_INDEX}).first() is not None

    db = Database(database_url)
    role = f"skytally_limited_{uuid.uuid4().hex[:8]}"
    limited: Database | None = None
    try:
        migrate.upgrade(db)
        assert has_index(db)
        with db.engine.begin() as conn:  # as after 0015 run by a role that could not create pg_trgm
            conn.exec_driver_sql("DROP EXTENSION pg_trgm CASCADE")
            conn.exec_driver_sql(f'CREATE ROLE "{role}" LOGIN')
        limited = Database(make_url(database_url).set(username=role).render_as_string(hide_password=False))
        why = migrate.ensure_optional_indexes(limited)
        assert why is not None and "pg_trgm extension cannot be created" in why
        assert "CREATE EXTENSION pg_trgm" in why and "skytally db upgrade" in why
        assert not has_index(db)

        def db_upgrade() -> str:
            env = {**os.environ, "SKYTALLY_DATA_DIR": str(tmp_path / "data"), "SKYTALLY_DATABASE_URL": database_url}
            done = subprocess.run([sys.executable, "-m", "skytally.cli.main", "db", "upgrade"],
                                  capture_output=True, text=True, env=env, timeout=60)
            assert done.returncode == 0, done.stderr
            return done.stdout

        assert "Created the name search index" in db_upgrade()
        assert has_index(db)
        assert "name search index" not in db_upgrade()  # nothing left to do
    finally:
        if limited is not None:
            limited.dispose()
        with db.engine.connect() as conn:
            conn.exec_driver_sql(f'DROP ROLE IF EXISTS "{role}"')
            conn.commit()
        db.dispose()

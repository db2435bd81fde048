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

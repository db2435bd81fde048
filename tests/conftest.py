"""Shared fixtures: database backends (SQLite always, PostgreSQL when configured), a
fresh runtime per test, and a summary line saying which backends ran."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from skytally.config import Settings
from skytally.runtime import Runtime, build_runtime

POSTGRES_URL = os.environ.get("SKYTALLY_TEST_POSTGRES_URL")
REDIS_URL = os.environ.get("SKYTALLY_TEST_REDIS_URL")
REFERENCE_DIR = Path(__file__).resolve().parents[2] / "shared" / "azure-reference"

_backends_used: set[str] = set()


def backend_params() -> list[object]:
    params: list[object] = ["sqlite"]
    params.append(
        pytest.param("postgresql", marks=pytest.mark.postgres)
        if POSTGRES_URL
        else pytest.param(
            "postgresql",
            marks=pytest.mark.skip(reason="SKYTALLY_TEST_POSTGRES_URL not set"),
        )
    )
    return params


@pytest.fixture(scope="session")
def postgres_server_url() -> str:
    if not POSTGRES_URL:
        pytest.skip("SKYTALLY_TEST_POSTGRES_URL not set")
    return POSTGRES_URL


def _pg_admin_url(url: str) -> str:
    u = make_url(url)
    if not u.drivername.startswith("postgresql+"):
        u = u.set(drivername="postgresql+psycopg")
    return u.render_as_string(hide_password=False)


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database of the requested backend (indirect param, default sqlite)."""
    backend = getattr(request, "param", "sqlite")
    _backends_used.add(backend)
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'app.db'}"
        return
    assert POSTGRES_URL
    admin_url = _pg_admin_url(POSTGRES_URL)
    name = f"skytally_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def make_settings(tmp_path: Path, database_url: str) -> Callable[..., Settings]:
    def make(**overrides: object) -> Settings:
        values: dict[str, object] = {
            "data_dir": tmp_path / "data",
            "database_url": database_url,
            "demo": True,
        }
        values.update(overrides)
        return Settings(**values)  # type: ignore[arg-type]

    return make


@pytest.fixture
def runtime(make_settings: Callable[..., Settings]) -> Iterator[Runtime]:
    """A migrated runtime whose jobs run synchronously when submitted."""
    rt = build_runtime(make_settings(), immediate_jobs=True)
    try:
        yield rt
    finally:
        rt.close()


@pytest.fixture
def redis_url() -> str:
    if not REDIS_URL:
        pytest.skip("SKYTALLY_TEST_REDIS_URL not set")
    _backends_used.add("redis")
    return REDIS_URL


def pytest_sessionfinish(session: pytest.Session) -> None:
    # Under xdist each worker reports what it exercised back to the controller.
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput["skytally_backends"] = ",".join(sorted(_backends_used))


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: object, error: object) -> None:
    output = getattr(node, "workeroutput", {}) or {}
    _backends_used.update(b for b in output.get("skytally_backends", "").split(",") if b)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    ran = ", ".join(sorted(_backends_used)) or "none"
    missing = []
    if not POSTGRES_URL:
        missing.append("postgresql (set SKYTALLY_TEST_POSTGRES_URL)")
    if not REDIS_URL:
        missing.append("redis (set SKYTALLY_TEST_REDIS_URL)")
    terminalreporter.write_sep("-", f"backends exercised: {ran}")
    if missing:
        terminalreporter.write_line("backends skipped: " + "; ".join(missing))

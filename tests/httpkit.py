"""Shared helpers for the web, API and browser tests: a seeded installation per test module
(on every available database backend) and signed-in HTTP clients.

`tests/web/conftest.py` and `tests/api/conftest.py` re-export the fixtures.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

import conftest
from skytally.config import Settings
from skytally.jobs.models import JobRun, JobStatus
from skytally.runtime import Runtime, build_runtime
from skytally.store.base import utcnow
from skytally.web.app import create_app
from skytally.workspaces import auth as credentials
from skytally.workspaces import service
from skytally.workspaces.models import WorkspaceRole
from skytally.workspaces.schemas import ApiTokenCreate, MemberAdd, UserCreate, WorkspaceCreate

PASSWORD = "correct-horse-battery"
ADMIN = "admin@example.com"  # organisation admin
ALICE = "alice@example.com"  # viewer of Alpha
ERIN = "erin@example.com"  # editor of Alpha
BOB = "bob@example.com"  # admin of Bravo
CSRF_RE = re.compile(r'name="csrf-token" content="([^"]*)"')
FORM_CSRF_RE = re.compile(r'name="csrf_token" value="([^"]*)"')


@contextmanager
def fresh_database(backend: str, data_dir: Path) -> Iterator[str]:
    """SQLite file in the data dir, or a uniquely named PostgreSQL database (dropped after)."""
    getattr(conftest, "_backends_used", set()).add(backend)
    if backend == "sqlite":
        yield f"sqlite:///{data_dir / 'app.db'}"
        return
    server = conftest.POSTGRES_URL
    assert server, "SKYTALLY_TEST_POSTGRES_URL not set"
    admin_url = make_url(server)
    if not admin_url.drivername.startswith("postgresql+"):
        admin_url = admin_url.set(drivername="postgresql+psycopg")
    name = f"skytally_web_{uuid.uuid4().hex[:12]}"
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


class Client(TestClient):
    """A TestClient that remembers the session's CSRF token."""

    csrf: str = ""

    def refresh_csrf(self, path: str = "/") -> str:
        match = CSRF_RE.search(self.get(path).text)
        self.csrf = match.group(1) if match else ""
        return self.csrf


def login(
    client: TestClient, email: str, password: str = PASSWORD, next_path: str = "/"
) -> httpx.Response:
    page = client.get("/login")
    token = FORM_CSRF_RE.search(page.text)
    assert token, "login form has no csrf_token field"
    return client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": token.group(1), "next": next_path},
        follow_redirects=False,
    )


@dataclass
class World:
    """A seeded installation: users, two workspaces, job runs, an API token."""

    runtime: Runtime
    app: FastAPI
    backend: str
    alpha: int = 0
    bravo: int = 0
    users: dict[str, int] = field(default_factory=dict)
    runs: dict[str, int] = field(default_factory=dict)
    bob_token: str = ""
    _clients: dict[str, Client] = field(default_factory=dict)

    def anonymous(self) -> Client:
        return Client(self.app, follow_redirects=False)

    def client(self, email: str) -> Client:
        """A signed-in client (one per user, reused within the module)."""
        if email not in self._clients:
            client = Client(self.app, follow_redirects=False)
            response = login(client, email)
            assert response.status_code == 303, response.text
            client.refresh_csrf()
            self._clients[email] = client
        return self._clients[email]

    def fresh_client(self, email: str) -> Client:
        client = Client(self.app, follow_redirects=False)
        login(client, email)
        client.refresh_csrf()
        return client

    def bearer(self, token: str | None = None) -> Client:
        client = Client(self.app, follow_redirects=False)
        client.headers["Authorization"] = f"Bearer {token or self.bob_token}"
        return client


def seed(runtime: Runtime, backend: str) -> World:
    world = World(runtime=runtime, app=create_app(runtime), backend=backend)
    with runtime.db.session() as s:
        service.ensure_organisation(s)
        for email, is_admin in ((ADMIN, True), (ALICE, False), (ERIN, False), (BOB, False)):
            user = service.create_user(
                s, None, UserCreate(email=email, password=SecretStr(PASSWORD), is_admin=is_admin)
            )
            world.users[email] = user.id
        alpha = service.create_workspace(s, None, WorkspaceCreate(name="Alpha", description="Team A"))
        bravo = service.create_workspace(s, None, WorkspaceCreate(name="Bravo", description="Team B"))
        world.alpha, world.bravo = alpha.id, bravo.id
        for ws, email, role in (
            (alpha.id, ALICE, WorkspaceRole.VIEWER),
            (alpha.id, ERIN, WorkspaceRole.EDITOR),
            (alpha.id, ADMIN, WorkspaceRole.ADMIN),
            (bravo.id, BOB, WorkspaceRole.ADMIN),
        ):
            service.add_member(s, None, ws, MemberAdd(email=email, role=role))
        for name, ws_id in (("alpha", alpha.id), ("bravo", bravo.id), ("system", None)):
            run = JobRun(
                kind="maintenance.housekeeping",
                target=f"seed {name}",
                workspace_id=ws_id,
                status=JobStatus.SUCCEEDED.value,
                progress=1.0,
                result={"seeded": True},
                queued_by="seed",
                started_at=utcnow(),
                finished_at=utcnow(),
            )
            s.add(run)
            s.flush()
            world.runs[name] = run.id
        bob = service.actor_for_user(s, service.get_user(s, world.users[BOB]))
        world.bob_token = credentials.create_api_token(s, bob, ApiTokenCreate(name="bob-cli")).token
    return world


@pytest.fixture(scope="module", params=conftest.backend_params())
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    backend: str = request.param
    data_dir = tmp_path_factory.mktemp(f"web-{backend}")
    with fresh_database(backend, data_dir) as url:
        settings = Settings(data_dir=data_dir, database_url=url, demo=True)
        runtime = build_runtime(settings, immediate_jobs=True)
        try:
            yield seed(runtime, backend)
        finally:
            runtime.close()

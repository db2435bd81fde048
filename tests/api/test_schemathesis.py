"""Property-based tests of the whole REST API with schemathesis, against a live server
(`skytally serve` in its own process, the HTTPS emulator as its Azure) with an
organisation admin's API token: every operation, a bounded number of generated requests
each; no answer is a server error, every status, content type and body is one the
OpenAPI document declares.

Left out: the two operations that would lock the test out of its own server (revoking
the admin's token, demoting or deactivating the admin)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

pytest.importorskip("schemathesis")
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import checks

from azure_emulator.testing import RunningEmulator
from skytally.config import Settings
from skytally.runtime import build_runtime
from skytally.workspaces import auth, repo, service
from skytally.workspaces.schemas import ApiTokenCreate, UserCreate, WorkspaceCreate

EXAMPLES = int(os.environ.get("SKYTALLY_SCHEMATHESIS_EXAMPLES", "6"))
LOCKOUT = {("DELETE", "/api/v1/tokens/{token_id}"), ("PATCH", "/api/v1/users/{user_id}")}
CHECKS = [checks.not_a_server_error, checks.status_code_conformance, checks.content_type_conformance,
          checks.response_schema_conformance]
pytestmark = pytest.mark.timeout(600)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """(base URL, admin API token) of a live server on a fresh data dir."""
    data = tmp_path_factory.mktemp("schemathesis")
    with RunningEmulator(seed=7, size="small") as emu:
        env = {**os.environ, **emu.settings, "SKYTALLY_DATA_DIR": str(data), "SKYTALLY_DEMO": "true"}
        env.pop("SKYTALLY_DATABASE_URL", None)
        env.pop("SKYTALLY_QUEUE_URL", None)
        rt = build_runtime(Settings(data_dir=data, demo=True, database_url=f"sqlite:///{data / 'skytally.db'}"))
        with rt.db.session() as s:
            service.ensure_organisation(s)
            admin = service.create_user(s, None, UserCreate(email="admin@example.com", password=SecretStr("x" * 16),
                                                            is_admin=True))
            service.create_workspace(s, None, WorkspaceCreate(name="Alpha"))
            user = repo.user_by_email(s, admin.email)
            assert user is not None
            token = auth.create_api_token(s, service.actor_for_user(s, user), ApiTokenCreate(name="schemathesis")).token
        rt.close()
        port = _free_port()
        log = open(data / "server.log", "wb")  # noqa: SIM115
        proc = subprocess.Popen([sys.executable, "-m", "skytally.cli.main", "serve", "--port", str(port)],
                                env={**env, "SKYTALLY_DATABASE_URL": f"sqlite:///{data / 'skytally.db'}"},
                                stdout=log, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert proc.poll() is None and time.monotonic() < deadline, (data / "server.log").read_text()[-3000:]
                time.sleep(0.2)
            yield base, token
        finally:
            proc.terminate()
            proc.wait(20)
            log.close()


def test_every_operation(server: tuple[str, str]) -> None:
    base, token = server
    schema = schemathesis.openapi.from_url(f"{base}/api/v1/openapi.json")
    headers = {"Authorization": f"Bearer {token}"}
    cases, server_errors, failures = 0, 0, []
    statuses: dict[int, int] = {}
    operations = [r.ok() for r in schema.get_all_operations()]
    for op in operations:
        if (op.method.upper(), op.path) in LOCKOUT:
            continue
        seen: list[str] = []
        name = f"{op.method.upper()} {op.path}"

        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
        @given(case=op.as_strategy())
        def run(case: Any) -> None:
            nonlocal cases, server_errors
            cases += 1
            response = case.call(base_url=base, headers=headers, timeout=60)
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            if response.status_code >= 500:
                server_errors += 1
            try:
                case.validate_response(response, checks=CHECKS)
            except Exception as exc:  # collected: every operation is tried
                seen.append(f"{name}: {str(exc).strip().splitlines()[0][:300]}")  # noqa: B023  # run() runs here

        run()
        failures += seen[:1]
    print(f"schemathesis: {len(operations) - len(LOCKOUT)} operations, {cases} cases, {server_errors} server "
          f"errors; statuses {dict(sorted(statuses.items()))}")
    assert statuses.get(200, 0) > len(operations) // 2  # the token works: most operations answered
    assert server_errors == 0 and not failures, "\n".join(failures)


def test_forwarded_headers_are_not_believed(server: tuple[str, str]) -> None:
    """Wrong passwords sent with a different X-Forwarded-For each time still come from one
    address (no proxy is configured): they are throttled."""
    import re

    base, _ = server
    statuses = []
    with httpx.Client(base_url=base) as client:
        for n in range(6):
            form = client.get("/login").text
            csrf = re.search(r'name="csrf_token" value="([^"]*)"', form)
            assert csrf is not None
            r = client.post("/login", data={"email": "admin@example.com", "password": f"wrong-{n}",
                                            "csrf_token": csrf.group(1), "next": "/"},
                            headers={"X-Forwarded-For": f"203.0.113.{n + 1}"})
            statuses.append(r.status_code)
    assert statuses[:3] == [401, 401, 401] and 429 in statuses[3:], statuses

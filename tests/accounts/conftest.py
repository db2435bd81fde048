"""Accounts tests run against one HTTPS emulator per module, through the real SDK path.

See `flows.py` for the helpers that play the user at the emulator's pages.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from pydantic import SecretStr
from sqlalchemy import select

from azure_emulator.testing import RunningEmulator
from skytally.accounts.context import AccountsEnv
from skytally.config import Settings
from skytally.runtime import Runtime, build_runtime
from skytally.workspaces import service as ws_service
from skytally.workspaces.models import User
from skytally.workspaces.schemas import Actor, UserCreate, WorkspaceCreate


@pytest.fixture(scope="module")
def emu() -> Iterator[RunningEmulator]:
    with RunningEmulator(seed=7, size="small") as running:
        yield running


@pytest.fixture(autouse=True)
def _fresh_world(emu: RunningEmulator) -> None:
    """Each test starts from the generated world: consent changes role assignments."""
    emu.control.post("/reset").raise_for_status()


@pytest.fixture
def fx(emu: RunningEmulator) -> dict[str, str]:
    return emu.fixtures


@pytest.fixture
def rt(emu: RunningEmulator, make_settings: Callable[..., Settings], monkeypatch: pytest.MonkeyPatch) -> Iterator[Runtime]:
    for key, value in emu.settings.items():
        monkeypatch.setenv(key, value)
    runtime = build_runtime(make_settings(base_url="http://127.0.0.1:8765"), immediate_jobs=True)
    try:
        yield runtime
    finally:
        runtime.close()


@pytest.fixture
def env(rt: Runtime) -> AccountsEnv:
    return AccountsEnv(rt.settings, rt.vault)


@dataclass
class People:
    admin: Actor
    ws_id: int
    other_ws_id: int


@pytest.fixture
def people(rt: Runtime) -> People:
    with rt.db.session() as s:
        ws_service.ensure_organisation(s)
        ws_service.create_user(s, None, UserCreate(email="admin@example.com", password=SecretStr("a-long-password"), is_admin=True))
        ws = ws_service.create_workspace(s, None, WorkspaceCreate(name="Cloud"))
        other = ws_service.create_workspace(s, None, WorkspaceCreate(name="Other"))
        user = s.scalar(select(User).where(User.email == "admin@example.com"))
        assert user is not None
        actor = ws_service.actor_for_user(s, user)
    return People(actor, ws.id, other.id)

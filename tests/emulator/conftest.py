"""Shared fixtures for emulator tests: one HTTPS emulator per session (small world, seed 1).

- ``emulator``: the session's ``RunningEmulator`` (``.base_url``, ``.ca_bundle``, ``.world``,
  ``.control``, ``.token(api)``, ``.user_token(upn, password, api)``, ``.fixtures``).
- ``fresh_emulator``: a private emulator for tests that change the world heavily.
- ``fx``: the world's fixture dict; ``http``: an httpx client trusting the emulator CA.

After each test that used ``emulator``, faults, throttle settings, buckets and the clock
offset are reset (world data such as consents or tags is not).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest

from azure_emulator.core.throttle import ThrottleConfig
from azure_emulator.testing import RunningEmulator


@pytest.fixture(scope="session")
def emulator() -> Iterator[RunningEmulator]:
    with RunningEmulator(seed=1, size="small") as emu:
        yield emu


@pytest.fixture
def fresh_emulator() -> Iterator[RunningEmulator]:
    with RunningEmulator(seed=2, size="small") as emu:
        yield emu


@pytest.fixture
def fx(emulator: RunningEmulator) -> dict[str, str]:
    return emulator.fixtures


@pytest.fixture
def http(emulator: RunningEmulator) -> Iterator[httpx.Client]:
    with emulator.client() as client:
        yield client


@pytest.fixture(autouse=True)
def _reset_emulator_behaviour(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "emulator" not in request.fixturenames:
        return
    emu: RunningEmulator = request.getfixturevalue("emulator")
    runtime = emu.app.state.emulator
    runtime.faults.clear()
    runtime.buckets.config = ThrottleConfig()
    runtime.buckets.reset()
    emu.app.state.world.clock.offset = timedelta(0)

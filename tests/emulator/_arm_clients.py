"""Official-SDK clients against the emulator (ARM, Authorization, Resource Graph tests)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from azure.core.credentials import AccessToken, TokenCredential
from azure.identity import ClientSecretCredential

from azure_emulator.testing import RunningEmulator


class StaticTokenCredential(TokenCredential):
    """A user's delegated token obtained from the emulator (azure-identity has no ROPC for
    confidential clients); the SDKs call ``get_token`` as with any credential."""

    def __init__(self, token: str) -> None:
        self._token = token

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken(self._token, int(time.time()) + 3000)


def sp_credential(emu: RunningEmulator, client_id: str, secret: str, tenant_id: str | None = None) -> ClientSecretCredential:
    return ClientSecretCredential(
        tenant_id or emu.fixtures["primary_tenant_id"], client_id, secret,
        authority=emu.base_url, disable_instance_discovery=True, connection_verify=emu.ca_bundle,
    )


def skytally_credential(emu: RunningEmulator) -> ClientSecretCredential:
    fx = emu.fixtures
    return sp_credential(emu, fx["skytally_client_id"], fx["skytally_client_secret"])


def customer_credential(emu: RunningEmulator) -> ClientSecretCredential:
    fx = emu.fixtures
    return sp_credential(emu, fx["customer_sp_client_id"], fx["customer_sp_secret"])


def user_credential(emu: RunningEmulator, upn_key: str = "owner_upn", password_key: str = "owner_password") -> StaticTokenCredential:
    fx = emu.fixtures
    return StaticTokenCredential(emu.user_token(fx[upn_key], fx[password_key]))


def arm_kwargs(emu: RunningEmulator) -> dict[str, Any]:
    """What a custom-cloud client passes: base URL, audience scope, CA bundle."""
    return {
        "base_url": emu.arm_url,
        "credential_scopes": [f"{emu.arm_url}/.default"],
        "connection_verify": emu.ca_bundle,
        "polling_interval": 0,
    }



_OPEN: list[Any] = []


def track(client: Any) -> Any:
    """Register an SDK client to be closed after the test: idle keep-alive connections left
    open would otherwise hold up the emulator's graceful shutdown."""
    _OPEN.append(client)
    return client


@pytest.fixture(autouse=True)
def _close_sdk_clients() -> Iterator[None]:
    yield
    while _OPEN:
        _OPEN.pop().close()

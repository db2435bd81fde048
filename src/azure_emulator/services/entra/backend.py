"""Entra ID's transient state: authorize flows, authorization codes, refresh tokens."""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from starlette.requests import HTTPConnection

from azure_emulator.core.context import get_runtime


@dataclass(slots=True)
class Flow:
    """An interactive request between the sign-in page and the redirect back."""

    id: str
    kind: Literal["authorize", "adminconsent"]
    path_tenant: str
    params: dict[str, str]
    created: datetime
    user_id: str | None = None
    user_tenant_id: str | None = None


@dataclass(slots=True)
class AuthCode:
    client_id: str
    redirect_uri: str
    user_id: str
    tenant_id: str
    scope: str
    code_challenge: str | None
    code_challenge_method: str | None
    nonce: str | None
    expires: datetime
    redeemed: bool = False


@dataclass(slots=True)
class RefreshGrant:
    client_id: str
    user_id: str
    tenant_id: str
    issued: datetime
    last_used: datetime
    revoked: bool = False


@dataclass
class EntraState:
    flows: dict[str, Flow] = field(default_factory=dict)
    codes: dict[str, AuthCode] = field(default_factory=dict)
    refresh: dict[str, RefreshGrant] = field(default_factory=dict)
    # device_code → devicecode.DeviceFlow (the device code flow's pending sign-ins)
    device_flows: dict[str, Any] = field(default_factory=dict)
    token_lifetime_seconds: int = 3599
    lock: threading.Lock = field(default_factory=threading.Lock)

    def new_id(self) -> str:
        return secrets.token_urlsafe(24)

    def settings(self) -> dict[str, Any]:
        return {"token_lifetime_seconds": self.token_lifetime_seconds}


def entra_state(request: HTTPConnection) -> EntraState:
    services = get_runtime(request).services
    state = services.get("entra")
    if state is None:
        state = services.setdefault("entra", EntraState())
    return state  # type: ignore[no-any-return]

"""Request helpers every service uses: the world, base URLs, runtime, the clock."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from starlette.requests import HTTPConnection

from azure_emulator.core.runtime import BaseUrls, Runtime
from azure_emulator.world.model import World

__all__ = ["BaseUrls", "base_urls", "get_runtime", "get_world", "now", "set_response_headers"]


def get_world(request: HTTPConnection) -> World:
    return request.app.state.world  # type: ignore[no-any-return]


def get_runtime(request: HTTPConnection) -> Runtime:
    return request.app.state.emulator  # type: ignore[no-any-return]


def base_urls(request: HTTPConnection) -> BaseUrls:
    """``.root``, ``.arm``, ``.graph``, ``.ea``, ``.blobs``: absolute https URLs for links."""
    return get_runtime(request).base


def now(request: HTTPConnection) -> datetime:
    """The emulator clock (real time + the offset tests advanced)."""
    return get_world(request).clock.now()


def set_response_headers(request: HTTPConnection, headers: dict[str, Any]) -> None:
    """Headers the core middleware adds to this request's response (whatever it is)."""
    extra: dict[str, str] = request.scope.setdefault("state", {}).setdefault("extra_headers", {})
    for key, value in headers.items():
        extra[key] = str(value)

"""The emulator's ASGI app: one port, every emulated host by path.

Layout: Entra ID at ``/`` (``/{tenant}/oauth2/v2.0/token`` …), ARM at ``/arm`` (with the
Authorization and Resource Graph providers), Microsoft Graph at ``/graph``, the legacy
EA API at ``/ea``, blob downloads at ``/blobs`` and the control API at ``/_emulator``.

Services are listed by module path (``SERVICE_MODULES``): each exposes ``router`` (a
Starlette Router) or ``routes`` (a list of routes). Every listed module must load: a module
that is missing or fails to import stops the app at start (``ServiceLoadError``), rather than
serving without it.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount

from azure_emulator.core.errors import ApiError, arm_error, graph_error
from azure_emulator.core.http import JsonResponse
from azure_emulator.core.keys import Signer
from azure_emulator.core.middleware import EmulatorMiddleware, api_of
from azure_emulator.core.runtime import BaseUrls, Runtime
from azure_emulator.world.model import World

log = logging.getLogger("azure_emulator")

# (mount prefix, module). Within a prefix, earlier modules' routes match first: the
# specific ARM providers come before ARM's generic resource routes.
SERVICE_MODULES: list[tuple[str, str]] = [
    ("/_emulator", "azure_emulator.services.control.routes"),
    ("/_emulator", "azure_emulator.services.billing.control"),
    ("/_emulator", "azure_emulator.services.costmanagement.control"),
    ("/_emulator", "azure_emulator.services.policy.control"),
    ("/_emulator", "azure_emulator.services.blobs.control"),
    ("/arm", "azure_emulator.services.authorization.routes"),
    ("/arm", "azure_emulator.services.locks.routes"),
    ("/arm", "azure_emulator.services.policy.routes"),
    ("/arm", "azure_emulator.services.resourcegraph.routes"),
    ("/arm", "azure_emulator.services.billing.routes"),
    ("/arm", "azure_emulator.services.costmanagement.routes"),
    ("/arm", "azure_emulator.services.consumption.routes"),
    ("/arm", "azure_emulator.services.arm.routes"),
    ("/graph", "azure_emulator.services.graph.routes"),
    ("/ea", "azure_emulator.services.ea.routes"),
    ("/blobs", "azure_emulator.services.blobs.routes"),
    ("", "azure_emulator.services.entra.routes"),
]


class ServiceLoadError(RuntimeError):
    """A listed service module is missing, fails to import, or exposes no routes."""


def _load_routes(module_name: str) -> list[BaseRoute]:
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:
        raise ServiceLoadError(f"emulator service {module_name} could not be loaded: {exc!r}") from exc
    router = getattr(module, "router", None)
    if router is not None:
        return list(router.routes)
    routes = getattr(module, "routes", None)
    if routes is None:
        raise ServiceLoadError(f"emulator service {module_name} exposes neither 'router' nor 'routes'")
    return list(routes)


def loaded_services() -> list[str]:
    return [m for _, m in SERVICE_MODULES]


def _build_routes() -> list[BaseRoute]:
    by_prefix: dict[str, list[BaseRoute]] = {}
    for prefix, module_name in SERVICE_MODULES:
        found = _load_routes(module_name)
        bucket = by_prefix.setdefault(prefix, [])
        for route in found:
            if all(route is not r for r in bucket):
                bucket.append(route)
    routes: list[BaseRoute] = []
    for prefix, bucket in by_prefix.items():
        if prefix:
            routes.append(Mount(prefix, routes=bucket))
    routes.extend(by_prefix.get("", []))
    return routes


async def _api_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return JsonResponse(exc.body, status_code=exc.status, headers=exc.headers)


async def _http_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    api = api_of(request.url.path)
    status = exc.status_code
    if status == 404 and api == "graph":
        segment = request.url.path.rstrip("/").rsplit("/", 1)[-1]
        err = graph_error(400, "BadRequest", f"Resource not found for the segment '{segment}'.")
    elif status == 404 and api == "arm":
        # The path as the client sent it to ARM: without the emulator's /arm mount.
        path = request.url.path.removeprefix("/arm") or "/"
        err = arm_error(404, "NotFound", f"The requested path '{path}' was not found.", {"x-ms-failure-cause": "gateway"})
    elif status == 405 and api in ("arm", "graph"):
        err = arm_error(405, "MethodNotAllowed", f"The requested method '{request.method}' is not allowed.")
    else:
        return JsonResponse({"error": {"code": "NotFound" if status == 404 else str(status), "message": str(exc.detail)}}, status_code=status)
    return JsonResponse(err.body, status_code=err.status, headers=err.headers)


def create_app(
    world: World,
    *,
    base_url: str,
    state_dir: Path | None = None,
    signer: Signer | None = None,
    world_factory: Callable[[], World] | None = None,
) -> Starlette:
    """The emulator app for ``world``; ``base_url`` is the public https root (no trailing /).

    ``world_factory`` (optional) rebuilds the initial world for ``POST /_emulator/reset``.
    """
    runtime = Runtime(
        base=BaseUrls.from_root(base_url),
        signer=signer or Signer.from_state_dir(state_dir),
        state_dir=state_dir,
    )
    app: Starlette

    def current() -> tuple[Runtime, World]:
        return app.state.emulator, app.state.world

    app = Starlette(
        routes=_build_routes(),
        middleware=[Middleware(EmulatorMiddleware, runtime_getter=current)],
        exception_handlers={ApiError: _api_error_handler, HTTPException: _http_error_handler},
    )
    app.state.world = world
    app.state.emulator = runtime
    app.state.world_factory = world_factory
    app.state.services = loaded_services()
    warm_indexes(world)
    return app


# (module, index builder): built at start so the first request of a large world is not slow.
WARM_INDEXES = [
    ("azure_emulator.services.arm.backend", "arm_index"),
    ("azure_emulator.services.resourcegraph.backend", "graph_index"),
]


def warm_indexes(world: World) -> None:
    for module_name, builder in WARM_INDEXES:
        getattr(importlib.import_module(module_name), builder)(world)


def app_settings(app: Any) -> Runtime:
    return app.state.emulator  # type: ignore[no-any-return]

"""Control API (``/_emulator``): deny policy assignments and management locks without a token.

- ``GET /policy-denials`` · ``POST /policy-denials`` ``{"scope", "assignment_name", …}`` (adds one)
  · ``DELETE /policy-denials`` (all) or ``?assignment_name=`` (one)
- ``GET /locks`` · ``POST /locks`` ``{"scope", "name", "level", "notes"}`` · ``DELETE /locks``
  (all) or ``?id=`` (one)
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, Router

from azure_emulator.core.context import get_world
from azure_emulator.core.errors import ApiError
from azure_emulator.core.http import JsonResponse
from azure_emulator.services.locks import backend as locks
from azure_emulator.services.locks.responses import lock_json
from azure_emulator.services.policy import responses as R
from azure_emulator.world.model import PolicyDenial

_FIELDS = {"scope", "assignment_name", "assignment_display_name", "definition_name", "definition_display_name",
           "resource_types", "require_tag"}


async def _json(request: Request) -> dict[str, Any]:
    raw = await request.body()
    data = json.loads(raw) if raw else {}
    if not isinstance(data, dict):
        raise ValueError("expected a JSON object")
    return data


def _bad(message: str) -> Response:
    return JsonResponse({"error": message}, status_code=400)


async def denials(request: Request) -> Response:
    world = get_world(request)
    if request.method == "POST":
        try:
            data = await _json(request)
            unknown = set(data) - _FIELDS
            if unknown or "scope" not in data or "assignment_name" not in data:
                return _bad(f"need scope and assignment_name; unknown fields {sorted(unknown)}")
            denial = PolicyDenial(**data)
        except (ValueError, TypeError) as exc:
            return _bad(str(exc))
        with world.lock:
            world.policy_denials.append(denial)
    elif request.method == "DELETE":
        name = request.query_params.get("assignment_name")
        with world.lock:
            world.policy_denials = [d for d in world.policy_denials if name is not None and d.assignment_name != name]
    return JsonResponse({"value": [R.to_dict(d) for d in world.policy_denials]})


async def lock_list(request: Request) -> Response:
    world = get_world(request)
    if request.method == "POST":
        try:
            data = await _json(request)
            scope, name = str(data["scope"]), str(data["name"])
            props: dict[str, Any] = {"level": data.get("level")}
            if data.get("notes") is not None:
                props["notes"] = data["notes"]
            level, notes, owners = locks.validate(name, {"properties": props})
        except (ValueError, KeyError, TypeError) as exc:
            return _bad(f"{type(exc).__name__}: {exc}")
        except ApiError as exc:
            return JsonResponse(exc.body, status_code=exc.status)
        with world.lock:
            locks.put(world, "/" + scope.strip("/"), name, level, notes, owners)
    elif request.method == "DELETE":
        wanted = request.query_params.get("id")
        with world.lock:
            for key in [k for k in world.locks if wanted is None or k == wanted.lower()]:
                del world.locks[key]
    return JsonResponse({"value": [lock_json(lock) for lock in world.locks.values()]})


router = Router(routes=[
    Route("/policy-denials", denials, methods=["GET", "POST", "DELETE"]),
    Route("/locks", lock_list, methods=["GET", "POST", "DELETE"]),
])

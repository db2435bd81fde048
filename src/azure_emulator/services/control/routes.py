"""Control API routes: ``/_emulator/...`` (unauthenticated; a local test tool, never the product)."""

from __future__ import annotations

import collections
import json
from datetime import datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, Router

from azure_emulator.core.context import get_runtime, get_world
from azure_emulator.core.faults import FaultRule
from azure_emulator.core.http import JsonResponse
from azure_emulator.services.control import backend
from azure_emulator.services.control import responses as R
from azure_emulator.services.entra.backend import entra_state
from azure_emulator.world.io import world_from_dict, world_to_dict


async def _json(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw:
        return {}
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise backend.ControlError(400, f"invalid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise backend.ControlError(400, "expected a JSON object")
    return data


def _handler(fn: Any) -> Any:
    async def wrapped(request: Request) -> Response:
        try:
            return await fn(request)  # type: ignore[no-any-return]
        except backend.ControlError as exc:
            return R.control_error(exc)
        except (ValueError, KeyError, TypeError) as exc:
            return R.control_error(backend.ControlError(400, f"{type(exc).__name__}: {exc}"))

    return wrapped


async def health(request: Request) -> Response:
    return JsonResponse({"status": "ok", "services": list(request.app.state.services), "base_url": get_runtime(request).base.root})


async def fixtures(request: Request) -> Response:
    return JsonResponse(get_world(request).fixtures)


async def world_get(request: Request) -> Response:
    return JsonResponse(world_to_dict(get_world(request)))


def _replace_world(request: Request, world: Any) -> None:
    request.app.state.world = world
    runtime = get_runtime(request)
    runtime.reset_behaviour()
    runtime.services.clear()


async def world_put(request: Request) -> Response:
    data = await _json(request)
    if "tenants" in data or "format" in data:
        world = world_from_dict(data)
    else:
        from azure_emulator.world.generate import generate_world

        world = generate_world(int(data.get("seed", 1)), data.get("size", "small"), tag_demo=bool(data.get("tag_demo")))
    _replace_world(request, world)
    return JsonResponse({"status": "replaced", "tenants": len(world.tenants), "fixtures": world.fixtures})


async def reset(request: Request) -> Response:
    runtime = get_runtime(request)
    factory = getattr(request.app.state, "world_factory", None)
    if factory is not None:
        _replace_world(request, factory())
    else:
        runtime.reset_behaviour()
        get_world(request).clock.offset = timedelta(0)
    return JsonResponse({"status": "reset", "world_regenerated": factory is not None})


async def faults_get(request: Request) -> Response:
    faults = get_runtime(request).faults
    return JsonResponse({"rules": [r.to_dict() for r in faults.rules], "latency_ms": faults.latency_ms})


async def faults_post(request: Request) -> Response:
    """Replace the fault rules: ``{"rules": [...], "latency_ms": 0}``; ``{"append": true}`` adds."""
    data = await _json(request)
    faults = get_runtime(request).faults
    rules = [FaultRule.from_dict(r) for r in data.get("rules", [])]
    with faults._lock:
        faults.rules = (faults.rules + rules) if data.get("append") else rules
        if "latency_ms" in data:
            faults.latency_ms = float(data["latency_ms"])
    return await faults_get(request)


async def faults_delete(request: Request) -> Response:
    get_runtime(request).faults.clear()
    return await faults_get(request)


async def latency_post(request: Request) -> Response:
    data = await _json(request)
    get_runtime(request).faults.latency_ms = float(data.get("latency_ms", 0))
    return await faults_get(request)


async def throttle_get(request: Request) -> Response:
    return JsonResponse(get_runtime(request).buckets.config.to_dict())


async def throttle_post(request: Request) -> Response:
    """Partial update, e.g. ``{"reads": {"capacity": 5, "refill_per_second": 1}}``; buckets refill."""
    data = await _json(request)
    buckets = get_runtime(request).buckets
    buckets.config.update(data)
    buckets.reset()
    return await throttle_get(request)


async def graph_quota(request: Request) -> Response:
    """Resource Graph's per-user quota (queries per window, the window in seconds): read by
    benchmarks for their floor; a POST changes it (``{"queries": 15, "window_seconds": 5}``;
    queries 0 turns it off) and starts every user's window afresh."""
    world = get_world(request)
    if request.method == "POST":
        data = await _json(request)
        if "queries" in data:
            world.arg_quota = int(data["queries"])
        if "window_seconds" in data:
            world.arg_quota_window = timedelta(seconds=float(data["window_seconds"]))
        world.derived.pop("arg_quota_state", None)
    return JsonResponse({"queries": world.arg_quota, "window_seconds": world.arg_quota_window.total_seconds()})


async def clock_get(request: Request) -> Response:
    clock = get_world(request).clock
    return JsonResponse({"now": clock.now().isoformat(), "offset_seconds": clock.offset.total_seconds()})


async def clock_advance(request: Request) -> Response:
    data = await _json(request)
    delta = timedelta(seconds=float(data.get("seconds", 0)), minutes=float(data.get("minutes", 0)),
                      hours=float(data.get("hours", 0)), days=float(data.get("days", 0)))
    get_world(request).clock.advance(delta)
    return await clock_get(request)


async def clock_set(request: Request) -> Response:
    data = await _json(request)
    clock = get_world(request).clock
    target = datetime.fromisoformat(str(data["now"]))
    clock.offset += target - clock.now()
    return await clock_get(request)


async def secret_expire(request: Request) -> Response:
    data = await _json(request)
    world = get_world(request)
    return JsonResponse(backend.expire_secret(world, str(data["app_id"]), str(data["key_id"]), world.clock.now()))


async def certificate_add(request: Request) -> Response:
    data = await _json(request)
    world = get_world(request)
    app_id = request.path_params["app_id"]
    return JsonResponse(backend.add_certificate(world, app_id, str(data["certificate_pem"]), world.clock.now(), float(data.get("days", 365))))


async def redirect_uris_add(request: Request) -> Response:
    data = await _json(request)
    app = get_world(request).application(request.path_params["app_id"])
    if app is None:
        raise backend.ControlError(404, "no such application")
    for uri in data.get("uris", []):
        if uri not in app.redirect_uris:
            app.redirect_uris.append(str(uri))
    return JsonResponse({"appId": app.app_id, "redirectUris": app.redirect_uris})


async def ea_key_revoke(request: Request) -> Response:
    data = await _json(request)
    world = get_world(request)
    key = str(data["key"])
    with world.lock:
        if key not in world.revoked_ea_keys:
            world.revoked_ea_keys.append(key)
    return JsonResponse({"revoked": world.revoked_ea_keys})


async def role_assignments(request: Request) -> Response:
    return JsonResponse({"value": backend.role_assignments(get_world(request), request.query_params.get("principal_id"))})


async def role_propagation(request: Request) -> Response:
    data = await _json(request)
    world = get_world(request)
    world.role_propagation_delay = timedelta(seconds=float(data.get("seconds", 0)))
    return JsonResponse({"seconds": world.role_propagation_delay.total_seconds()})


async def tags(request: Request) -> Response:
    return JsonResponse({"value": backend.tags(get_world(request), request.query_params.get("scope_prefix"))})


async def consents(request: Request) -> Response:
    return JsonResponse({"value": backend.consents(get_world(request), request.query_params.get("tenant_id"))})


async def requests_get(request: Request) -> Response:
    """The request log, filtered by ``path_contains``, ``method``, ``status`` and ``fault``
    (``none`` for requests without an injected fault); ``count=true`` answers only the count."""
    entries = get_runtime(request).log.snapshot()
    q = request.query_params
    path = q.get("path_contains")
    if path:
        entries = [e for e in entries if path.lower() in e["path"].lower()]
    if q.get("method"):
        entries = [e for e in entries if e["method"] == q["method"].upper()]
    if q.get("status"):
        entries = [e for e in entries if str(e["status"]) == q["status"]]
    if q.get("fault"):
        want = None if q["fault"] == "none" else q["fault"]
        entries = [e for e in entries if e.get("fault") == want]
    if q.get("count") == "true":
        return JsonResponse({"count": len(entries)})
    return JsonResponse({"value": entries})


async def requests_delete(request: Request) -> Response:
    get_runtime(request).log.clear()
    return JsonResponse({"value": []})


async def requests_config(request: Request) -> Response:
    """``{"maxlen": N}``: how many requests the log keeps (default 20 000; the log is emptied)."""
    data = await _json(request)
    log = get_runtime(request).log
    maxlen = int(data.get("maxlen", log.entries.maxlen or 20000))
    if maxlen < 1:
        raise backend.ControlError(400, "maxlen must be positive")
    log.entries = collections.deque(maxlen=maxlen)
    return JsonResponse({"maxlen": maxlen})


async def tag_writes(request: Request) -> Response:
    """Tag writes ARM applied, in order (``seq``): ``scope_contains``, ``since_seq``, ``count=true``.
    DELETE empties the journal."""
    journal = get_runtime(request).tag_writes
    if request.method == "DELETE":
        journal.clear()
        return JsonResponse({"value": []})
    entries = journal.snapshot()
    q = request.query_params
    if q.get("scope_contains"):
        needle = q["scope_contains"].lower()
        entries = [e for e in entries if needle in e["scope"].lower()]
    if q.get("since_seq"):
        entries = [e for e in entries if e["seq"] > int(q["since_seq"])]
    if q.get("count") == "true":
        return JsonResponse({"count": len(entries)})
    return JsonResponse({"value": entries})


async def entra_settings(request: Request) -> Response:
    state = entra_state(request)
    if request.method == "POST":
        data = await _json(request)
        if "token_lifetime_seconds" in data:
            state.token_lifetime_seconds = int(data["token_lifetime_seconds"])
    return JsonResponse(state.settings())


_R = [
    ("/health", health, ["GET"]),
    ("/fixtures", fixtures, ["GET"]),
    ("/world", world_get, ["GET"]),
    ("/world", world_put, ["PUT"]),
    ("/reset", reset, ["POST"]),
    ("/faults", faults_get, ["GET"]),
    ("/faults", faults_post, ["POST", "PUT"]),
    ("/faults", faults_delete, ["DELETE"]),
    ("/latency", latency_post, ["POST"]),
    ("/throttle", throttle_get, ["GET"]),
    ("/throttle", throttle_post, ["POST"]),
    ("/resource-graph/quota", graph_quota, ["GET", "POST"]),
    ("/clock", clock_get, ["GET"]),
    ("/clock/advance", clock_advance, ["POST"]),
    ("/clock/set", clock_set, ["POST"]),
    ("/secrets/expire", secret_expire, ["POST"]),
    ("/apps/{app_id}/certificates", certificate_add, ["POST"]),
    ("/apps/{app_id}/redirect-uris", redirect_uris_add, ["POST"]),
    ("/ea-keys/revoke", ea_key_revoke, ["POST"]),
    ("/role-assignments", role_assignments, ["GET"]),
    ("/role-propagation", role_propagation, ["POST"]),
    ("/tags", tags, ["GET"]),
    ("/consents", consents, ["GET"]),
    ("/requests", requests_get, ["GET"]),
    ("/requests", requests_delete, ["DELETE"]),
    ("/requests/config", requests_config, ["POST"]),
    ("/tag-writes", tag_writes, ["GET", "DELETE"]),
    ("/entra", entra_settings, ["GET", "POST"]),
]
router = Router(routes=[Route(path, _handler(fn), methods=methods) for path, fn, methods in _R])

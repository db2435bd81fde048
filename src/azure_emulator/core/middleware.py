"""The core ASGI middleware: request ids, faults and latency, extra headers, request log.

Pure ASGI (no BaseHTTPMiddleware) so it costs microseconds per request.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
import uuid
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from azure_emulator.core.errors import aad_error, arm_error, graph_error
from azure_emulator.core.runtime import Runtime

log = logging.getLogger("azure_emulator")


class InjectedConnectionReset(Exception):
    """Raised after a partial response so the server drops the connection."""


class _DropInjectedReset(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, InjectedConnectionReset)


for _name in ("uvicorn.error", "uvicorn"):
    logging.getLogger(_name).addFilter(_DropInjectedReset())


_SLASHES = re.compile(r"/{2,}")


def api_of(path: str) -> str:
    for prefix, api in (("/arm", "arm"), ("/graph", "graph"), ("/ea", "ea"), ("/blobs", "blobs"), ("/_emulator", "control")):
        if path == prefix or path.startswith(prefix + "/"):
            return api
    return "entra"


def _fault_error(api: str, status: int, retry_after: int, now: Any) -> tuple[dict[str, Any], dict[str, str]]:
    headers = {"Retry-After": str(retry_after)} if status in (429, 503) else {}
    if api == "graph":
        code = {429: "TooManyRequests", 500: "InternalServerError", 503: "ServiceNotAvailable"}[status]
        msg = {429: "Too many requests.", 500: "An internal server error occurred.", 503: "The service is temporarily unavailable."}[status]
        err = graph_error(status, code, msg, now=now, headers=headers)
    elif api == "entra":
        codes = {429: 90055, 500: 90033, 503: 90033}[status]
        err = aad_error(status, "temporarily_unavailable", "A transient error has occurred. Please try again.", [codes], now=now, headers=headers)
    else:
        code = {429: "TooManyRequests", 500: "InternalServerError", 503: "ServiceUnavailable"}[status]
        msg = {
            429: "The request was throttled. Please retry after the time in the Retry-After header.",
            500: "Encountered internal server error. Please try again.",
            503: "The service is currently unavailable. Please try again later.",
        }[status]
        err = arm_error(status, code, msg, headers)
    err.headers.update(headers)
    return err.body, err.headers


class EmulatorMiddleware:
    """Request ids, faults and latency, standard headers, the request log."""

    def __init__(self, app: ASGIApp, runtime_getter: Any) -> None:
        self.app = app
        self.runtime_getter = runtime_getter  # () -> (Runtime, World)

    async def _drop_after_apply(self, scope: Scope, receive: Receive, send: Send, status_holder: list[int],
                                hold_seconds: float = 0.0) -> None:
        """Let the service handle the request (the write is applied), then lose the answer:
        a partial response and a dropped connection, as when a response times out in transit."""

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder[0] = message["status"]

        await self.app(scope, receive, capture)
        if hold_seconds:
            await asyncio.sleep(hold_seconds)
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-length", b"1000"), (b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": b'{"id": "', "more_body": True})
        raise InjectedConnectionReset(scope["path"])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        runtime: Runtime
        runtime, world = self.runtime_getter()
        started = time.perf_counter()
        path: str = scope["path"]
        method: str = scope["method"]
        api = api_of(path)
        if api == "graph" and "//" in path:
            # Graph accepts a doubled slash (``/v1.0//users``), as clients joining URLs send it
            path = _SLASHES.sub("/", path)
            scope["path"] = path
            scope["raw_path"] = path.encode()
        state: dict[str, Any] = scope.setdefault("state", {})
        request_id = str(uuid.uuid4())
        state["request_id"] = request_id
        req_headers = {k: v for k, v in scope["headers"] if k in (b"x-ms-correlation-request-id", b"client-request-id", b"x-ms-client-request-id")}
        status_holder = [0]

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder[0] = message["status"]
                headers: list[tuple[bytes, bytes]] = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                extra: dict[str, str] = state.get("extra_headers") or {}
                for key, value in extra.items():
                    k = key.lower().encode("latin-1")
                    if k not in present:
                        headers.append((k, value.encode("latin-1")))
                        present.add(k)
                for k, v in _standard_headers(api, request_id, req_headers, world, method, message["status"]):
                    if k not in present:
                        headers.append((k, v))
                message = {**message, "headers": headers}
            await send(message)

        fault: str | None = None
        decision = None
        try:
            if api != "control":
                decision = runtime.faults.decide(method, path)
                if decision is not None and decision.fault not in (None, "drop"):
                    fault = decision.fault
                if decision is not None:
                    if decision.latency_s:
                        await asyncio.sleep(decision.latency_s)
                    if decision.fault == "slow":
                        await asyncio.sleep(decision.slow_seconds)
                    elif decision.fault == "reset":
                        status_holder[0] = -1
                        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"1000"), (b"content-type", b"application/json")]})
                        await send({"type": "http.response.body", "body": b'{"value": [', "more_body": True})
                        raise InjectedConnectionReset(path)
                    elif decision.fault in ("429", "500", "503"):
                        body, headers = _fault_error(api, int(decision.fault), decision.retry_after, world.clock.now())
                        raw = json.dumps(body).encode()
                        hdrs = [(b"content-type", b"application/json; charset=utf-8"), (b"content-length", str(len(raw)).encode())]
                        hdrs += [(k.lower().encode(), v.encode()) for k, v in headers.items()]
                        await send_wrapper({"type": "http.response.start", "status": int(decision.fault), "headers": hdrs})
                        await send({"type": "http.response.body", "body": raw})
                        return
            if decision is not None and decision.fault == "drop":
                fault = "drop"
                await self._drop_after_apply(scope, receive, send, status_holder, decision.drop_after_seconds)
                return
            await self.app(scope, receive, send_wrapper)
        finally:
            if api != "control":
                principal = state.get("principal")
                runtime.log.add(
                    {
                        "time": world.clock.now().isoformat(),
                        "method": method,
                        "path": path,
                        "query": scope.get("query_string", b"").decode("latin-1"),
                        "api": api,
                        "status": status_holder[0],
                        "fault": fault,
                        "principal": principal.object_id if principal else None,
                        "app_id": principal.app_id if principal else None,
                        "tenant_id": principal.tenant_id if principal else None,
                        "duration_ms": round((time.perf_counter() - started) * 1000, 3),
                    }
                )


def _standard_headers(
    api: str, request_id: str, req: dict[bytes, bytes], world: Any, method: str, status: int
) -> list[tuple[bytes, bytes]]:
    rid = request_id.encode()
    if api == "arm":
        corr = req.get(b"x-ms-correlation-request-id") or rid
        stamp = world.clock.now().strftime("%Y%m%dT%H%M%SZ").encode()
        headers = [
            (b"x-ms-request-id", rid),
            (b"x-ms-correlation-request-id", corr),
            (b"x-ms-routing-request-id", b"EMULATOR:" + stamp + b":" + rid),
            (b"cache-control", b"no-cache"),
            (b"pragma", b"no-cache"),
            (b"expires", b"-1"),
        ]
        if status == 404:
            # A route ARM itself does not know sets "gateway" (server.py); here: the provider said 404.
            headers.append((b"x-ms-failure-cause", b"service"))
        return headers
    if api == "graph":
        return [(b"request-id", rid), (b"client-request-id", req.get(b"client-request-id") or rid)]
    if api == "entra":
        headers = [(b"x-ms-request-id", rid), (b"x-ms-ests-server", b"2.1.emulator")]
        if b"client-request-id" in req:
            headers.append((b"client-request-id", req[b"client-request-id"]))
        return headers
    return [(b"x-ms-request-id", rid)]

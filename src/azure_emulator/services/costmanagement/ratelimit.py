"""Cost Management rate limits (automate/api-latency-rate-limits.md): "30 calls per minute —
per scope, per user or application" and "200 calls per minute — per tenant, per user or
application". Sliding one-minute windows on the emulator clock.

Successful calls carry ``x-ms-ratelimit-remaining-microsoft.costmanagement-entity-requests``
and ``…-tenant-requests``; a throttled call answers 429 with ``Retry-After`` and
``x-ms-ratelimit-microsoft.costmanagement-entity-retry-after`` (or ``-tenant-retry-after``).
"""

from __future__ import annotations

import collections
import math

from starlette.requests import Request

from azure_emulator.core.auth import Principal
from azure_emulator.core.context import get_runtime, now, set_response_headers
from azure_emulator.core.errors import ApiError
from azure_emulator.services.costmanagement import backend

WINDOW = 60.0
PREFIX = "x-ms-ratelimit-microsoft.costmanagement"


def _window(st: backend.CostState, key: tuple[str, str], ts: float) -> collections.deque[float]:
    calls = st.calls.setdefault(key, collections.deque())
    while calls and calls[0] <= ts - WINDOW:
        calls.popleft()
    return calls


def meter(request: Request, principal: Principal, scope: str) -> None:
    """Count one call against the caller's scope and tenant windows (429 when either is full)."""
    st = backend.state(get_runtime(request))
    ts = now(request).timestamp()
    limits = (("entity", (principal.object_id, "scope:" + scope.lower()), st.settings.scope_calls_per_minute),
              ("tenant", (principal.object_id, "tenant:" + principal.tenant_id), st.settings.tenant_calls_per_minute))
    with st.lock:
        windows = [(name, _window(st, key, ts), limit) for name, key, limit in limits]
        for name, calls, limit in windows:
            if limit and len(calls) >= limit:
                retry = max(1, math.ceil(calls[0] + WINDOW - ts))
                raise ApiError(429, {"error": {"code": "429", "message": "Too many requests. Please retry."}},
                               {"Retry-After": str(retry), f"{PREFIX}-{name}-retry-after": str(retry)})
        headers = {}
        for name, calls, limit in windows:
            calls.append(ts)
            if limit:
                headers[f"x-ms-ratelimit-remaining-microsoft.costmanagement-{name}-requests"] = max(0, limit - len(calls))
    set_response_headers(request, headers)

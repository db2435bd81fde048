"""Microsoft Graph throttling: identity & access resource units, directory writes, and the
Microsoft 365 usage reports' request limit. The figures are the world's
(``world.graph_limits``, defaults from Microsoft's documented limits: see
``azure_emulator/world/graph_limits.py``).

Identity and access (every directory path: users, groups, servicePrincipals,
subscribedSkus, …) is a token bucket of *resource units* per application + tenant pair
(sized by the tenant's user count) and per application; a request costs the documented
base cost of its path (``GET users`` 2, ``GET subscribedSkus`` 3, ``GET groups/{id}/members``
3, others 1), less 1 with ``$select``, plus 1 with ``$expand``, less 1 with ``$top`` under
20, never under 1. Writes also draw on write buckets. Buckets refill continuously on the
emulator clock; a request over a limit is refused and costs nothing, answering as Graph
does: ``429`` ``TooManyRequests`` with ``Retry-After`` (seconds until the bucket holds the
request's cost), ``x-ms-throttle-scope`` and ``x-ms-throttle-information``. Answers that pass
carry ``x-ms-resource-unit`` and, past 80 % of the pair's limit, ``x-ms-throttle-limit-percentage``.

Usage reports (``/reports/get…``): a sliding window of calls per app per tenant and per
tenant for all apps, each report API counted on its own.
"""

from __future__ import annotations

import collections
import math
import re
import threading
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request

from azure_emulator.core.auth import Principal, require_principal
from azure_emulator.core.context import get_world, set_response_headers
from azure_emulator.core.errors import ApiError, graph_error
from azure_emulator.world.graph_limits import GraphLimits
from azure_emulator.world.model import World

# (method, path pattern below /v1.0/ with `me/` standing for `users/{id}/`) → (resource units, write units)
_BASE_COSTS: list[tuple[str, re.Pattern[str], int, int]] = [
    (m, re.compile(p + "$", re.IGNORECASE), ru, w) for m, p, ru, w in [
        ("GET", r"applications", 2, 0),
        ("GET", r"applications/[^/]+/extensionProperties", 2, 0),
        ("GET", r"contracts", 3, 0),
        ("POST", r"directoryObjects/getByIds", 3, 0),
        ("GET", r"domains/[^/]+/domainNameReferences", 4, 0),
        ("POST", r"getObjectsById", 3, 0),
        ("GET", r"groups/[^/]+/members", 3, 0),
        ("GET", r"groups/[^/]+/transitiveMembers", 5, 0),
        ("POST", r"(?:.+/)?isMemberOf", 4, 0),
        ("POST", r"me/checkMemberGroups", 4, 0),
        ("POST", r"me/checkMemberObjects", 4, 0),
        ("POST", r"me/getMemberGroups", 2, 0),
        ("POST", r"me/getMemberObjects", 2, 0),
        ("GET", r"me/licenseDetails", 2, 0),
        ("GET", r"me/memberOf", 2, 0),
        ("GET", r"me/ownedObjects", 2, 0),
        ("GET", r"me/transitiveMemberOf", 2, 0),
        ("GET", r"oauth2PermissionGrants(?:/[^/]+)?", 2, 0),
        ("GET", r"servicePrincipals/[^/]+/appRoleAssignments", 2, 0),
        ("GET", r"subscribedSkus", 3, 0),
        ("GET", r"users", 2, 0),
    ]
]
_USER_PATH = re.compile(r"^users(?:/[^/]+|\('[^']*'\))/", re.IGNORECASE)
_NOT_IDENTITY = re.compile(r"^(?:reports/|admin/reportSettings)", re.IGNORECASE)
_READS = ("GET", "HEAD")


def cost(method: str, path: str, query: dict[str, str]) -> tuple[int, int] | None:
    """(resource units, write units) of a request on ``path`` (below ``/v1.0/``), or None
    when the path is not an identity & access path (usage reports)."""
    path = path.strip("/")
    if _NOT_IDENTITY.match(path):
        return None
    path = _USER_PATH.sub("me/", path)
    base, write = 1, (0 if method in _READS else 1)
    for m, pattern, ru, w in _BASE_COSTS:
        if m == method and pattern.match(path):
            base, write = ru, w
            break
    keys = {k.lower(): v for k, v in query.items()}
    if "$select" in keys:
        base -= 1
    if "$expand" in keys:
        base += 1
    top = keys.get("$top", "")
    if top.isdigit() and int(top) < 20:
        base -= 1
    return max(1, base), write


@dataclass
class _Bucket:
    tokens: float
    at: float


@dataclass
class ThrottleState:
    """A world's buckets and report windows (derived state: never saved with the world)."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    buckets: dict[tuple[str, ...], _Bucket] = field(default_factory=dict)
    reports: dict[tuple[str, ...], collections.deque[float]] = field(default_factory=dict)


def state(world: World) -> ThrottleState:
    st = world.derived.get("graph_throttle")
    if not isinstance(st, ThrottleState):
        st = ThrottleState()
        world.derived["graph_throttle"] = st
    return st


def reset(world: World) -> None:
    """Full buckets and empty report windows (tests, or after changing ``world.graph_limits``)."""
    world.derived.pop("graph_throttle", None)


@dataclass(frozen=True)
class _Limit:
    key: tuple[str, ...]
    quota: int
    window: float
    scope: str  # Tenant_Application | Application | Tenant
    kind: str  # Read | Write
    units: int


def _limits(lim: GraphLimits, app: str, tenant: str, users: int, ru: int, write: int) -> list[_Limit]:
    out = [_Limit(("ru", app, tenant), lim.ru_quota(users), lim.ru_window_seconds, "Tenant_Application", "Read", ru),
           _Limit(("ru", app), lim.app_ru, lim.app_ru_window_seconds, "Application", "Read", ru)]
    if write:
        out += [_Limit(("w", app, tenant), lim.writes, lim.writes_window_seconds, "Tenant_Application", "Write", write),
                _Limit(("w", app), lim.app_writes, lim.app_tenant_writes_window_seconds, "Application", "Write", write),
                _Limit(("w", tenant), lim.tenant_writes, lim.app_tenant_writes_window_seconds, "Tenant", "Write", write)]
    return [x for x in out if x.quota > 0 and x.window > 0]


def _level(st: ThrottleState, limit: _Limit, ts: float) -> _Bucket:
    bucket = st.buckets.get(limit.key)
    if bucket is None:
        bucket = st.buckets[limit.key] = _Bucket(float(limit.quota), ts)
    rate = limit.quota / limit.window
    bucket.tokens = min(float(limit.quota), bucket.tokens + max(0.0, ts - bucket.at) * rate)
    bucket.at = ts
    return bucket


def _throttled(request: Request, principal: Principal, limit: _Limit, retry_after: int) -> ApiError:
    # Microsoft's documented sample answer (concepts/throttling.md) and the headers of
    # throttling-limits.md's identity section.
    scope = f"{limit.scope}/{limit.kind}/{principal.app_id}/{principal.tenant_id}"
    info = "WriteLimitExceeded" if limit.kind == "Write" else "ResourceUnitLimitExceeded"
    return graph_error(429, "TooManyRequests", "Please retry again later.",
                       client_request_id=request.headers.get("client-request-id"), now=get_world(request).clock.now(),
                       headers={"Retry-After": str(retry_after), "x-ms-throttle-scope": scope,
                                "x-ms-throttle-information": info})


def meter(request: Request, principal: Principal, path: str) -> None:
    """Charge an identity & access request (``path`` below ``/v1.0/``) or refuse it (429)."""
    world = get_world(request)
    lim = world.graph_limits
    if not lim.enabled:
        return
    charge = cost(request.method, path, dict(request.query_params))
    if charge is None:
        return
    ru, write = charge
    tenant = world.tenants.get(principal.tenant_id)
    users = len(tenant.users) if tenant else 0
    limits = _limits(lim, principal.app_id, principal.tenant_id, users, ru, write)
    ts = world.clock.now().timestamp()
    st = state(world)
    with st.lock:
        levels = [(limit, _level(st, limit, ts)) for limit in limits]
        for limit, bucket in levels:
            need = min(limit.units, limit.quota)  # a request dearer than the whole bucket waits for a full one
            if bucket.tokens < need:
                wait = (need - bucket.tokens) / (limit.quota / limit.window)
                raise _throttled(request, principal, limit, max(1, math.ceil(wait)))
        for limit, bucket in levels:
            bucket.tokens -= limit.units
        pair = levels[0] if levels and levels[0][0].scope == "Tenant_Application" else None
    headers: dict[str, Any] = {"x-ms-resource-unit": ru}
    if pair is not None:
        used = 1.0 - pair[1].tokens / pair[0].quota
        if used > 0.8:
            headers["x-ms-throttle-limit-percentage"] = f"{min(used, 1.8):.1f}"
    set_response_headers(request, headers)


def graph_principal(request: Request) -> Principal:
    """The authenticated caller of a Graph v1.0 route, charged against the world's limits."""
    principal = require_principal(request, "graph")
    path = request.url.path
    marker = path.find("/v1.0/")
    if marker >= 0:
        meter(request, principal, path[marker + len("/v1.0/"):])
    return principal


def meter_report(request: Request, principal: Principal, report: str) -> None:
    """Count one usage-report call (CSV): 429 when the app's or the tenant's window for
    this report API is full."""
    world = get_world(request)
    lim = world.graph_limits
    if not lim.enabled or lim.reports_window_seconds <= 0:
        return
    window = lim.reports_window_seconds
    ts = world.clock.now().timestamp()
    st = state(world)
    keyed = [(("app", principal.app_id, principal.tenant_id, report), lim.reports, "Tenant_Application"),
             (("tenant", principal.tenant_id, report), lim.reports_tenant, "Tenant")]
    with st.lock:
        windows = []
        for key, quota, scope in keyed:
            if quota <= 0:
                continue
            calls = st.reports.setdefault(key, collections.deque())
            while calls and calls[0] <= ts - window:
                calls.popleft()
            if len(calls) >= quota:
                retry = max(1, math.ceil(calls[0] + window - ts))
                raise graph_error(429, "TooManyRequests", "Too many requests.",
                                  client_request_id=request.headers.get("client-request-id"), now=world.clock.now(),
                                  headers={"Retry-After": str(retry),
                                           "x-ms-throttle-scope": f"{scope}/ReadWrite/{principal.app_id}/{principal.tenant_id}"})
            windows.append(calls)
        for calls in windows:
            calls.append(ts)

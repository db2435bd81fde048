"""Bearer-token validation for the resource APIs (ARM, Graph, EA).

``require_principal(request, api)`` checks the RS256 signature with the emulator's key,
the lifetime against the emulator clock and the audience against that API's audiences
(emulator URL and public names), and answers 401 in the API's own words otherwise. For
ARM it also meters the request against the caller's token buckets (429 when empty) and
sets the ``x-ms-ratelimit-remaining-*`` headers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import jwt
from starlette.requests import HTTPConnection

from azure_emulator.core import resources
from azure_emulator.core.context import get_runtime, get_world, set_response_headers
from azure_emulator.core.errors import ApiError, arm_error, graph_error
from azure_emulator.core.throttle import request_kind, subscription_in_path

ApiName = Literal["arm", "graph", "ea"]
_CACHE_MAX = 50_000


@dataclass(frozen=True, slots=True)
class Principal:
    tenant_id: str
    object_id: str
    kind: Literal["User", "ServicePrincipal"]
    app_id: str
    scopes: frozenset[str]
    roles: frozenset[str]
    upn: str | None

    @property
    def is_app(self) -> bool:
        return self.kind == "ServicePrincipal"


def principal_from_claims(claims: dict[str, Any]) -> Principal:
    kind: Literal["User", "ServicePrincipal"] = "User" if claims.get("idtyp") == "user" else "ServicePrincipal"
    return Principal(
        tenant_id=str(claims.get("tid", "")),
        object_id=str(claims.get("oid", "")),
        kind=kind,
        app_id=str(claims.get("appid") or claims.get("azp") or ""),
        scopes=frozenset(str(claims.get("scp", "")).split()),
        roles=frozenset(claims.get("roles") or ()),
        upn=claims.get("upn") or claims.get("preferred_username"),
    )


def _arm_time(ts: datetime) -> str:
    # ARM formats these like .NET's invariant culture: 1/2/2024 3:04:05 PM
    hour = ts.hour % 12 or 12
    return f"{ts.month}/{ts.day}/{ts.year} {hour}:{ts.minute:02d}:{ts.second:02d} {'AM' if ts.hour < 12 else 'PM'}"


def _unauthorized(request: HTTPConnection, api: ApiName, code: str, message: str) -> ApiError:
    base = get_runtime(request).base
    if api == "graph":
        return graph_error(
            401,
            "InvalidAuthenticationToken",
            message,
            client_request_id=request.headers.get("client-request-id"),
            now=get_world(request).clock.now(),
            headers={
                "WWW-Authenticate": (
                    f'Bearer realm="", authorization_uri="{base.root}/common/oauth2/authorize", '
                    f'client_id="{resources.GRAPH_APP_ID}"'
                )
            },
        )
    desc = message.replace('"', "'")
    return arm_error(
        401,
        code,
        message,
        {
            "WWW-Authenticate": (
                f'Bearer authorization_uri="{base.root}/", error="invalid_token", '
                f'error_description="{desc}"'
            )
        },
    )


def _allowed_audiences(request: HTTPConnection, api: ApiName) -> frozenset[str]:
    base = get_runtime(request).base
    own = {"arm": base.arm, "graph": base.graph, "ea": base.ea}[api]
    return resources.audiences(api, own)


def require_principal(request: HTTPConnection, api: ApiName) -> Principal:
    """The caller of a resource API, or an ApiError (401, or 429 for throttled ARM calls)."""
    runtime = get_runtime(request)
    header = request.headers.get("authorization")
    if not header:
        msg = (
            "Access token is empty."
            if api == "graph"
            else "Authentication failed. The 'Authorization' header is missing."
        )
        raise _unauthorized(request, api, "AuthenticationFailed", msg)
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        msg = (
            "Access token is empty."
            if api == "graph"
            else "Authentication failed. The 'Authorization' header is provided in an invalid format."
        )
        raise _unauthorized(request, api, "AuthenticationFailed", msg)

    cached = runtime.auth_cache.get(token)
    if cached is None:
        try:
            claims = runtime.signer.verify(token)
        except jwt.PyJWTError:
            msg = "Invalid signature." if api == "graph" else "The access token is invalid."
            if token.count(".") != 2 and api == "graph":
                msg = "IDX14100: JWT is not well formed, there are no dots (.)."
            raise _unauthorized(request, api, "InvalidAuthenticationToken", msg) from None
        if len(runtime.auth_cache) >= _CACHE_MAX:
            runtime.auth_cache.clear()
        cached = (claims, principal_from_claims(claims))
        runtime.auth_cache[token] = cached
    claims, principal = cached

    world = get_world(request)
    now = world.clock.now()
    now_ts = now.timestamp()
    exp = float(claims.get("exp", 0))
    if now_ts >= exp:
        expired = datetime.fromtimestamp(exp, UTC)
        if api == "graph":
            raise _unauthorized(request, api, "InvalidAuthenticationToken", "Lifetime validation failed, the token is expired.")
        raise _unauthorized(
            request,
            api,
            "ExpiredAuthenticationToken",
            f"The access token expiry UTC time '{_arm_time(expired)}' is earlier than current "
            f"UTC time '{_arm_time(now)}'.",
        )
    if now_ts + 300 < float(claims.get("nbf", 0)):
        raise _unauthorized(request, api, "InvalidAuthenticationToken", "The access token is not yet valid.")

    aud = str(claims.get("aud", ""))
    if aud not in _allowed_audiences(request, api):
        if api == "graph":
            raise _unauthorized(request, api, "InvalidAuthenticationToken", "Access token validation failure. Invalid audience.")
        allowed = ",".join(f"'{a}'" for a in resources.PUBLIC_AUDIENCES["arm"][:4])
        raise _unauthorized(
            request,
            api,
            "InvalidAuthenticationTokenAudience",
            f"The access token has been obtained for wrong audience or resource '{aud}'. "
            f"It should exactly match with one of the allowed audiences {allowed}.",
        )
    if principal.tenant_id not in world.tenants:
        raise _unauthorized(request, api, "InvalidAuthenticationTokenTenant", "The access token is from an unknown tenant.")

    request.scope.setdefault("state", {})["principal"] = principal
    if api == "arm":
        _meter_arm(request, principal, now_ts)
    return principal


def _meter_arm(request: HTTPConnection, principal: Principal, now_ts: float) -> None:
    runtime = get_runtime(request)
    buckets = runtime.buckets
    path = request.url.path
    if buckets.is_exempt(path):
        return
    method = request.scope.get("method", "GET")
    kind = request_kind(method)
    sub = subscription_in_path(path)
    scope_id = sub or principal.tenant_id
    decision = buckets.consume(principal.object_id, scope_id, sub is not None, kind, now_ts)
    if decision.allowed:
        set_response_headers(request, decision.headers())
        return
    verb = kind[:-1]  # read / write / delete
    if sub:
        code = "SubscriptionRequestsThrottled"
        message = (
            f"Number of '{verb}' requests for subscription '{sub}' actor '{principal.object_id}' "
            f"exceeded. Please try again after '{decision.retry_after}' seconds after additional "
            "tokens are available. Refer to https://aka.ms/arm-throttling"
        )
    else:
        code = "TenantRequestsThrottled"
        message = (
            f"Number of '{verb}' requests for tenant '{principal.tenant_id}' actor "
            f"'{principal.object_id}' exceeded. Please try again after '{decision.retry_after}' "
            "seconds after additional tokens are available. Refer to https://aka.ms/arm-throttling"
        )
    raise arm_error(429, code, message, {"Retry-After": str(decision.retry_after), **decision.headers()})

"""Shared ARM plumbing for every service mounted at ``/arm`` (ARM itself and the providers:
authorization, locks, Resource Graph, billing, cost management, consumption): case-insensitive
routes, api-version, JSON bodies, paging tokens, scopes. In ``core`` so that providers need not
import the ``arm`` service (which itself uses authorization and locks)."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import quote

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, NoMatchFound
from starlette.types import Receive, Scope, Send

from azure_emulator.core.errors import ApiError, arm_error
from azure_emulator.core.http import JsonResponse

Endpoint = Callable[[Request], Awaitable[Response]]
_API_VERSION_RE = re.compile(r"^\d{4}-\d{2}-\d{2}(-preview|-beta|-alpha|-privatepreview)?$", re.I)
GUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)


# a namespace the path must hold: not one inside a negative lookahead ``(?!Microsoft\.X/)``
_NAMESPACE = re.compile(r"(?<!\(\?!)Microsoft\\\.[A-Za-z]+")


def _route_path(scope: Scope) -> str:
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    if root and path.startswith(root):
        return path[len(root):] or "/"
    return path


class ArmRoute(BaseRoute):
    """A route matched by a case-insensitive regex over the path below the mount (ARM paths
    are case-insensitive: ``resourcegroups`` and ``resourceGroups`` are the same)."""

    def __init__(self, pattern: str, endpoint: Endpoint, methods: Iterable[str]) -> None:
        self.regex = re.compile(pattern, re.IGNORECASE)
        # A provider namespace in the pattern (``Microsoft\.Billing``; none of these routes has
        # one in an optional group) must be in the path: a
        # substring test skips the regex for most requests (dozens of provider routes are
        # tried before ARM's own on every call).
        namespaces = _NAMESPACE.findall(pattern)
        self.needle = namespaces[0].replace("\\", "").lower() if namespaces else None
        self.endpoint = endpoint
        self.methods = {m.upper() for m in methods}
        if "GET" in self.methods:
            self.methods.add("HEAD")
        self.name = getattr(endpoint, "__name__", pattern)

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] != "http":
            return Match.NONE, {}
        path = _route_path(scope)
        if self.needle is not None and self.needle not in path.lower():
            return Match.NONE, {}
        found = self.regex.fullmatch(path)
        if found is None:
            return Match.NONE, {}
        child = {"endpoint": self.endpoint, "path_params": {**scope.get("path_params", {}), **found.groupdict()}}
        if scope["method"] not in self.methods:
            return Match.PARTIAL, child
        return Match.FULL, child

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] not in self.methods:
            raise HTTPException(status_code=405, headers={"Allow": ", ".join(sorted(self.methods))})
        response = await self.endpoint(Request(scope, receive))
        await response(scope, receive, send)

    def url_path_for(self, name: str, /, **path_params: Any) -> Any:
        raise NoMatchFound(name, path_params)


def require_api_version(request: Request) -> str:
    """The api-version query parameter, or ARM's MissingApiVersionParameter / Invalid error."""
    version = request.query_params.get("api-version")
    if not version:
        raise arm_error(
            400,
            "MissingApiVersionParameter",
            "The api-version query parameter (?api-version=) is required for all requests.",
        )
    if not _API_VERSION_RE.match(version):
        raise arm_error(
            400,
            "InvalidApiVersionParameter",
            f"The api-version '{version}' is invalid. The supported versions are "
            "'2025-04-01,2024-11-01,2024-07-01,2024-03-01,2023-07-01,2022-12-01,2022-09-01,"
            "2021-04-01,2021-01-01,2020-06-01,2019-10-01,2019-05-10,2018-05-01,2016-09-01,2015-11-01'.",
        )
    return version


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return JsonResponse(body, status_code=status, headers=headers)


def empty_response(status: int, headers: dict[str, str] | None = None) -> Response:
    return Response(b"", status_code=status, headers=headers)


async def read_json(request: Request) -> dict[str, Any]:
    """The request body as a JSON object, or ARM's InvalidRequestContent."""
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise arm_error(
            400,
            "InvalidRequestContent",
            f"The request content was invalid and could not be deserialized: '{exc}'.",
        ) from None
    if not isinstance(body, dict):
        raise arm_error(400, "InvalidRequestContent", "The request content must be a JSON object.")
    return body


# --- paging -------------------------------------------------------------------------------


def encode_skiptoken(offset: int) -> str:
    raw = json.dumps({"o": offset}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_skiptoken(token: str | None) -> int:
    if not token:
        return 0
    try:
        pad = "=" * (-len(token) % 4)
        data = json.loads(base64.urlsafe_b64decode(token + pad))
        offset = int(data["o"])
        if offset < 0:
            raise ValueError
        return offset
    except (ValueError, KeyError, TypeError):
        raise arm_error(400, "InvalidSkipToken", f"The skip token '{token}' is invalid.") from None


def page_size(request: Request, default: int = 1000, maximum: int = 1000) -> int:
    top = request.query_params.get("$top")
    if top is None:
        return default
    try:
        value = int(top)
    except ValueError:
        raise arm_error(400, "InvalidTopValue", f"The value '{top}' of $top is not a valid integer.") from None
    if value < 1:
        raise arm_error(400, "InvalidTopValue", f"The value '{top}' of $top must be greater than zero.")
    return min(value, maximum)


def paged(
    request: Request,
    items: list[Any],
    render: Callable[[Any], dict[str, Any]],
    base_url: str,
    *,
    default_size: int = 1000,
) -> dict[str, Any]:
    """``{"value": [...], "nextLink": ...}`` for one page of ``items`` (nextLink only when more)."""
    offset = decode_skiptoken(request.query_params.get("$skiptoken") or request.query_params.get("$skipToken"))
    size = page_size(request, default_size)
    page = items[offset : offset + size]
    body: dict[str, Any] = {"value": [render(item) for item in page]}
    if offset + size < len(items):
        params = [(k, v) for k, v in request.query_params.multi_items() if k.lower() != "$skiptoken"]
        params.append(("$skiptoken", encode_skiptoken(offset + size)))
        query = "&".join(f"{quote(k, safe='$-')}={quote(v, safe='')}" for k, v in params)
        body["nextLink"] = f"{base_url}{request.url.path[len(_mount(request)):]}?{query}"
    return body


def _mount(request: Request) -> str:
    return str(request.scope.get("root_path", ""))


# --- scopes -------------------------------------------------------------------------------

ScopeKind = Literal["tenant", "subscription", "resourceGroup", "resource", "billing", "other"]
_SCOPE_RE = re.compile(
    r"^/subscriptions/(?P<sub>[^/]+)(?:/resourcegroups/(?P<rg>[^/]+)(?P<res>/providers/.+)?)?$",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class ParsedScope:
    kind: ScopeKind
    path: str  # as given, normalised to a leading "/" and no trailing "/"
    subscription_id: str | None = None
    resource_group: str | None = None

    @property
    def lower(self) -> str:
        return self.path.lower()


def parse_scope(raw: str) -> ParsedScope:
    path = "/" + raw.strip("/")
    if path == "/":
        return ParsedScope("tenant", "/")
    found = _SCOPE_RE.match(path)
    if found is None:
        kind: ScopeKind = "billing" if path.lower().startswith("/providers/microsoft.billing/") else "other"
        return ParsedScope(kind, path)
    sub, rg, res = found.group("sub"), found.group("rg"), found.group("res")
    if rg is None:
        return ParsedScope("subscription", path, sub.lower())
    if res is None:
        return ParsedScope("resourceGroup", path, sub.lower(), rg)
    return ParsedScope("resource", path, sub.lower(), rg)


def invalid_scope(scope: str) -> ApiError:
    return arm_error(400, "InvalidScope", f"The scope '{scope}' is invalid.")

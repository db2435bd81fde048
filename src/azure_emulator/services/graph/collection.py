"""Graph collection responses: $filter/$select/$orderby/$top/$count and $skiptoken paging."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import quote, urlencode

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from azure_emulator.core.context import base_urls, get_world
from azure_emulator.core.errors import ApiError, graph_error
from azure_emulator.core.http import GraphJsonResponse
from azure_emulator.services.graph.odata import FilterError, compile_filter, lookup


def bad_request(request: Request, message: str, code: str = "BadRequest") -> ApiError:
    return graph_error(400, code, message, client_request_id=request.headers.get("client-request-id"),
                       now=get_world(request).clock.now())


def not_found(request: Request, key: str) -> ApiError:
    """Graph's 404 for a missing directory object (user, group, application, service principal...)."""
    return graph_error(404, "Request_ResourceNotFound",
                       f"Resource '{key}' does not exist or one of its queried reference-property objects are not present.",
                       client_request_id=request.headers.get("client-request-id"), now=get_world(request).clock.now())


def _advanced(request: Request) -> bool:
    return request.headers.get("consistencylevel", "").lower() == "eventual"


def _skiptoken(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"o": offset}).encode()).decode().rstrip("=")


def _offset(request: Request, token: str) -> int:
    try:
        padded = token + "=" * (-len(token) % 4)
        return int(json.loads(base64.urlsafe_b64decode(padded))["o"])
    except (ValueError, KeyError, TypeError):
        raise bad_request(request, "Invalid $skiptoken value.", "Directory_ExpiredPageToken") from None


def _select(request: Request, type_name: str, sample: dict[str, Any]) -> list[str] | None:
    raw = request.query_params.get("$select")
    if not raw:
        return None
    props = [p.strip() for p in raw.split(",") if p.strip()]
    for p in props:
        if p not in sample:
            raise bad_request(request, f"Could not find a property named '{p}' on type 'microsoft.graph.{type_name}'.")
    return props


def project(obj: dict[str, Any], props: list[str]) -> dict[str, Any]:
    return {p: obj.get(p) for p in props}


def entity(request: Request, entity_set: str, obj: dict[str, Any], type_name: str, default: list[str] | None = None) -> Response:
    props = _select(request, type_name, obj)
    graph = base_urls(request).graph
    shown = project(obj, props or default or list(obj))
    context = f"{graph}/v1.0/$metadata#{entity_set}" + (f"({','.join(props)})" if props else "") + "/$entity"
    return GraphJsonResponse({"@odata.context": context, **shown})


def collection(
    request: Request,
    entity_set: str,
    type_name: str,
    items: Iterable[dict[str, Any]],
    *,
    default: list[str] | None = None,
    page_size: int = 100,
    max_page: int = 999,
    count_only: bool = False,
    hidden: dict[str, Any] | None = None,
    build: Callable[[Any], dict[str, Any]] | None = None,
    cap: int | None = None,
    filtered: bool = False,
) -> Response:
    """A Graph collection page. ``items`` are full objects; ``default`` the default property set.

    With ``build``, ``items`` are model objects turned into Graph objects only when needed
    (every item to filter or sort, else only the page's): large directories page fast.
    ``filtered``: the caller already applied ``$filter`` to ``items``."""
    q = request.query_params
    flt = None if filtered else q.get("$filter")
    lazy = build is not None and not flt and not q.get("$orderby") and not count_only
    if build is not None and not lazy:
        items = [build(o) for o in items]
    all_items = list(items)
    if hidden and not lazy:
        all_items = [{**hidden, **o} for o in all_items]
    if flt:
        try:
            pred = compile_filter(flt, advanced=_advanced(request))
        except FilterError as exc:
            code = "Request_UnsupportedQuery" if exc.unsupported else "BadRequest"
            raise bad_request(request, str(exc), code) from None
        all_items = [o for o in all_items if pred(o)]
    if count_only:
        if not _advanced(request):
            raise bad_request(request, "$count is not currently supported.", "Request_BadRequest")
        return PlainTextResponse(str(len(all_items)))
    orderby = q.get("$orderby")
    if orderby:
        prop, _, direction = orderby.strip().partition(" ")
        all_items.sort(key=lambda o: (str(lookup(o, prop) or "")).lower(), reverse=direction.strip().lower() == "desc")
    first = (build(all_items[0]) if lazy and build else all_items[0]) if all_items else None
    sample = {**(hidden or {}), **first} if first is not None else {**(hidden or {})}
    props = _select(request, type_name, sample) if all_items else None
    top = page_size
    if "$top" in q:
        try:
            top = int(q["$top"])
        except ValueError:
            raise bad_request(request, f"Invalid page size specified: '{q['$top']}'.") from None
        if top < 1 or top > max_page:
            raise bad_request(request, f"Invalid page size specified: '{top}'. Must be between 1 and {max_page} inclusive.", "Request_UnsupportedQuery")
    if cap is not None:
        top = min(top, cap)
    offset = _offset(request, q["$skiptoken"]) if "$skiptoken" in q else 0
    page = all_items[offset: offset + top]
    if lazy and build:
        page = [{**(hidden or {}), **build(o)} for o in page]
    graph = base_urls(request).graph
    body: dict[str, Any] = {
        "@odata.context": f"{graph}/v1.0/$metadata#{entity_set}" + (f"({','.join(props)})" if props else ""),
    }
    if q.get("$count", "").lower() == "true":
        body["@odata.count"] = len(all_items)
    if offset + top < len(all_items):
        params = [(k, v) for k, v in q.multi_items() if k != "$skiptoken"]
        params.append(("$skiptoken", _skiptoken(offset + top)))
        query = urlencode(params, safe="$,()'", quote_via=quote)
        body["@odata.nextLink"] = f"{graph}{request.url.path.removeprefix('/graph')}?{query}"
    keys = props or default
    body["value"] = [project(o, keys) if keys else o for o in page]
    return GraphJsonResponse(body)


def by_id(items: Iterable[Any], key: Callable[[Any], str], value: str) -> Any:
    v = value.lower()
    return next((i for i in items if key(i).lower() == v), None)

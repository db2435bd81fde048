"""``POST /providers/Microsoft.ResourceGraph/resources`` (mounted at ``/arm``)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Router

from azure_emulator.core.arm import (
    ArmRoute,
    json_response,
    read_json,
    require_api_version,
)
from azure_emulator.core.auth import require_principal
from azure_emulator.core.context import get_world
from azure_emulator.services.arm import providers
from azure_emulator.services.resourcegraph import backend, kql
from azure_emulator.services.resourcegraph import responses as R

MAX_PAGE = 1000


def _param_error(now: Any, message: str) -> Exception:
    return R.bad_request(now, [{"code": "InvalidRequestParameter", "message": message}])


async def resources(request: Request) -> Response:
    version = require_api_version(request)
    providers.check_api_version("Microsoft.ResourceGraph/resources", "global", version)
    principal = require_principal(request, api="arm")
    world = get_world(request)
    now = world.clock.now()
    allowed, remaining, reset = backend.consume_quota(world, principal)
    if not allowed:
        raise R.throttled(now, reset)
    quota_headers = {
        "x-ms-user-quota-remaining": str(remaining),
        "x-ms-user-quota-resets-after": R.quota_reset(reset),
    }
    body = await read_json(request)
    text = body.get("query")
    if not isinstance(text, str) or not text.strip():
        raise _param_error(now, "The request body must contain a non-empty 'query' string.")
    requested = body.get("subscriptions")
    if requested is not None and (not isinstance(requested, list) or not all(isinstance(s, str) for s in requested)):
        raise _param_error(now, "'subscriptions' must be an array of subscription ids.")
    options = body.get("options") or {}
    if not isinstance(options, dict):
        raise _param_error(now, "'options' must be an object.")
    default_format = "objectArray" if version >= "2021-03-01" else "table"
    result_format = str(options.get("resultFormat") or default_format)
    if result_format not in ("objectArray", "table"):
        raise _param_error(now, f"The value '{result_format}' of 'options.resultFormat' is invalid.")
    top = options.get("$top")
    if top is not None and (not isinstance(top, int) or not 1 <= top <= MAX_PAGE):
        raise _param_error(now, "'options.$top' must be an integer between 1 and 1000.")
    skip = options.get("$skip")
    if skip is not None and (not isinstance(skip, int) or skip < 0):
        raise _param_error(now, "'options.$skip' must be a non-negative integer.")

    fingerprint = backend.query_fingerprint(text, requested)
    offset = 0
    token = options.get("$skipToken")
    if token:
        decoded = backend.decode_skip_token(str(token), fingerprint)
        if decoded is None:
            raise R.bad_request(now, [{"code": "InvalidSkipToken",
                                       "message": "The skip token is invalid or does not match the query and scopes."}])
        offset = decoded
    if skip is not None:
        offset = skip
    size = top or MAX_PAGE

    try:
        result = backend.run(world, principal, text, requested)
        page = result.materialize(result.rows[offset : offset + size])
        facet_list = R.facets(result, body.get("facets") or [], result_format)
    except kql.KqlError as exc:
        raise R.query_error(now, exc) from None
    total = len(result.rows)
    more = offset + size < total
    pageable = "id" in result.columns
    envelope: dict[str, Any] = {
        "totalRecords": total,
        "count": len(page),
        "resultTruncated": "true" if more and not pageable else "false",
        "facets": facet_list,
    }
    if more and pageable:
        envelope["$skipToken"] = backend.encode_skip_token(offset + size, fingerprint)
    envelope["data"] = R.format_rows(page, result.columns, result_format)
    return json_response(envelope, headers=quota_headers)


router = Router(routes=[ArmRoute(r"/providers/Microsoft\.ResourceGraph/resources", resources, ["POST"])])

"""Error envelopes, one per Microsoft API family.

`ApiError` is raised anywhere in a handler; the app renders it as JSON with its status
and headers. The helpers build the exact body shapes:

- ARM (`CloudError`): ``{"error": {"code": ..., "message": ...}}``
- Microsoft Graph: ``{"error": {"code", "message", "innerError": {"date", "request-id",
  "client-request-id"}}}``
- Entra ID (AADSTS): ``{"error", "error_description", "error_codes", "timestamp", "trace_id",
  "correlation_id", "error_uri"}``
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any


class ApiError(Exception):
    """An HTTP error response with a Microsoft-shaped JSON body."""

    def __init__(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None):
        super().__init__(f"{status}: {body}")
        self.status = status
        self.body = body
        self.headers: dict[str, str] = dict(headers or {})


# Aliases so callers can say what they mean; all render the same way.
ArmError = ApiError
GraphError = ApiError
AadError = ApiError


def _now(now: datetime | None) -> datetime:
    return now if now is not None else datetime.now(UTC)


def arm_error(
    status: int,
    code: str,
    message: str,
    headers: dict[str, str] | None = None,
    *,
    details: list[dict[str, Any]] | None = None,
    target: str | None = None,
) -> ApiError:
    """An ARM CloudError: ``{"error": {"code": code, "message": message}}``."""
    error: dict[str, Any] = {"code": code, "message": message}
    if target is not None:
        error["target"] = target
    if details is not None:
        error["details"] = details
    return ApiError(status, {"error": error}, headers)


def graph_error(
    status: int,
    code: str,
    message: str,
    *,
    client_request_id: str | None = None,
    request_id: str | None = None,
    now: datetime | None = None,
    headers: dict[str, str] | None = None,
) -> ApiError:
    """A Microsoft Graph error with its ``innerError`` block."""
    request_id = request_id or str(uuid.uuid4())
    client_request_id = client_request_id or request_id
    body = {
        "error": {
            "code": code,
            "message": message,
            "innerError": {
                "date": _now(now).strftime("%Y-%m-%dT%H:%M:%S"),
                "request-id": request_id,
                "client-request-id": client_request_id,
            },
        }
    }
    hdrs = {"request-id": request_id, "client-request-id": client_request_id}
    hdrs.update(headers or {})
    return ApiError(status, body, hdrs)


def aad_timestamp(now: datetime | None = None) -> str:
    return _now(now).strftime("%Y-%m-%d %H:%M:%SZ")


def aad_error_body(
    error: str,
    description: str,
    codes: list[int],
    *,
    now: datetime | None = None,
    trace_id: str | None = None,
    correlation_id: str | None = None,
    error_uri: bool = True,
) -> dict[str, Any]:
    """The AADSTS JSON body (``description`` is the text after ``AADSTSnnnn: ``)."""
    trace_id = trace_id or str(uuid.uuid4())
    correlation_id = correlation_id or str(uuid.uuid4())
    ts = aad_timestamp(now)
    body: dict[str, Any] = {
        "error": error,
        "error_description": (
            f"AADSTS{codes[0]}: {description}\r\nTrace ID: {trace_id}\r\n"
            f"Correlation ID: {correlation_id}\r\nTimestamp: {ts}"
        ),
        "error_codes": list(codes),
        "timestamp": ts,
        "trace_id": trace_id,
        "correlation_id": correlation_id,
    }
    if error_uri:
        body["error_uri"] = f"https://login.microsoftonline.com/error?code={codes[0]}"
    return body


def aad_error(
    status: int,
    error: str,
    description: str,
    codes: list[int],
    *,
    now: datetime | None = None,
    trace_id: str | None = None,
    correlation_id: str | None = None,
    error_uri: bool = True,
    headers: dict[str, str] | None = None,
) -> ApiError:
    """An Entra ID token-endpoint error (HTTP 400/401) in Microsoft's AADSTS shape."""
    body = aad_error_body(
        error,
        description,
        codes,
        now=now,
        trace_id=trace_id,
        correlation_id=correlation_id,
        error_uri=error_uri,
    )
    hdrs = {"Cache-Control": "no-store, no-cache", "Pragma": "no-cache", "x-ms-request-id": body["trace_id"]}
    hdrs.update(headers or {})
    return ApiError(status, body, hdrs)

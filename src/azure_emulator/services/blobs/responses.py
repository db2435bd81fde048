"""Azure Storage shapes: its XML error body (``x-ms-error-code`` header, RequestId and Time
in the message) and the authentication failure message."""

from __future__ import annotations

from datetime import datetime

from starlette.responses import Response

AUTH_MESSAGE = ("Server failed to authenticate the request. Make sure the value of Authorization header is "
                 "formed correctly including the signature.")


def storage_error(status: int, code: str, message: str, request_id: str, ts: datetime, detail: str | None = None) -> Response:
    stamp = ts.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond:06d}0Z"
    extra = f"<AuthenticationErrorDetail>{detail}</AuthenticationErrorDetail>" if detail else ""
    body = (f'\ufeff<?xml version="1.0" encoding="utf-8"?><Error><Code>{code}</Code><Message>{message}\n'
            f"RequestId:{request_id}\nTime:{stamp}</Message>{extra}</Error>")
    return Response(body.encode("utf-8"), status_code=status, media_type="application/xml",
                    headers={"x-ms-error-code": code, "x-ms-request-id": request_id, "x-ms-version": "2020-05-31"})

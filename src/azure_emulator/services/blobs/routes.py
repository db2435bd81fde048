"""Blob downloads (mounted at ``/blobs``; the real host is ``*.blob.core.windows.net``).

``GET|HEAD /blobs/{container}/{name}?sv=…&sr=b&sp=r&se=…&sig=…`` streams the file (Range
requests answer 206). A missing, tampered or expired SAS answers 403 ``AuthenticationFailed``
with Azure Storage's XML error body; an unknown blob 404 ``BlobNotFound``.
"""

from __future__ import annotations

import hmac
import uuid
from datetime import UTC, datetime
from email.utils import format_datetime

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route, Router

from azure_emulator.core.context import get_runtime, now
from azure_emulator.services.blobs import responses as R
from azure_emulator.services.blobs.backend import store


def _http_date(ts: datetime) -> str:
    return format_datetime(ts.astimezone(UTC), usegmt=True)


async def get_blob(request: Request) -> Response:
    blobs = store(get_runtime(request))
    name = f"{request.path_params['container']}/{request.path_params['name']}"
    q = request.query_params
    current = now(request)
    request_id = str(uuid.uuid4())
    sig, se, sv, sp = q.get("sig"), q.get("se"), q.get("sv", ""), q.get("sp", "")
    if not sig or not se:
        return R.storage_error(403, "AuthenticationFailed", R.AUTH_MESSAGE, request_id, current,
                             "Signature fields not well formed.")
    expected = blobs.sign(name, se, sv, sp)
    if not hmac.compare_digest(expected, sig):
        to_sign = blobs.string_to_sign(name, se, sv, sp).replace("\n", "\\n")
        return R.storage_error(403, "AuthenticationFailed", R.AUTH_MESSAGE, request_id, current,
                             f"Signature did not match. String to sign used was {to_sign}")
    try:
        expiry = datetime.strptime(se, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:
        return R.storage_error(403, "AuthenticationFailed", R.AUTH_MESSAGE, request_id, current,
                             "se is mandatory. Cannot be empty")
    if current >= expiry:
        return R.storage_error(403, "AuthenticationFailed", R.AUTH_MESSAGE, request_id, current,
                             f"Signed expiry time [{_http_date(expiry)}] must be after signed start time "
                             f"[{_http_date(current)}]")
    path = blobs.files.get(name)
    if path is None or not path.exists():
        return R.storage_error(404, "BlobNotFound", "The specified blob does not exist.", request_id, current)
    stat = path.stat()
    headers = {
        "x-ms-request-id": request_id, "x-ms-version": sv or "2020-05-31", "x-ms-blob-type": "BlockBlob",
        "ETag": f'"0x{int(stat.st_mtime_ns):X}"', "x-ms-server-encrypted": "true",
    }
    media = "application/gzip" if name.endswith(".gz") else "text/csv"
    return FileResponse(path, media_type=media, headers=headers, stat_result=stat)


router = Router(routes=[Route("/{container}/{name:path}", get_blob, methods=["GET", "HEAD"])])

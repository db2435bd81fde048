"""Control routes of the blob store (mounted at ``/_emulator``; tests and the demo):

- ``GET /blobs?prefix={container}/{path}`` → the blobs under the prefix, each with a read SAS
  URL valid for an hour of emulator time: what a storage client would list and download
  (cost export runs write their files here).
"""

from __future__ import annotations

from datetime import timedelta

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, Router

from azure_emulator.core.context import base_urls, get_runtime, now
from azure_emulator.core.http import JsonResponse
from azure_emulator.services.blobs.backend import store


async def list_blobs(request: Request) -> Response:
    blobs = store(get_runtime(request))
    prefix = request.query_params.get("prefix", "")
    expiry = now(request) + timedelta(hours=1)
    with blobs.lock:
        found = sorted((name, path) for name, path in blobs.files.items() if name.startswith(prefix))
    base = base_urls(request).blobs
    return JsonResponse({"value": [{"name": name, "byteCount": path.stat().st_size if path.exists() else 0,
                                    "url": blobs.url(base, name, expiry)} for name, path in found]})


router = Router(routes=[Route("/blobs", list_blobs, methods=["GET"])])

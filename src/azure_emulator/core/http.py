"""Small response helpers shared by the services."""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import Response

GRAPH_CONTENT_TYPE = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"


class JsonResponse(Response):
    """JSON with ``charset=utf-8`` in the content type, as Microsoft's APIs send it."""

    media_type = "application/json; charset=utf-8"

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class GraphJsonResponse(JsonResponse):
    """Graph JSON: the OData content type and the ``OData-Version: 4.0`` header Graph sends."""

    media_type = GRAPH_CONTENT_TYPE

    def __init__(self, content: Any, status_code: int = 200, headers: dict[str, str] | None = None) -> None:
        super().__init__(content, status_code=status_code, headers={"OData-Version": "4.0", **(headers or {})})


async def read_form(request: Any) -> dict[str, str]:
    """The urlencoded/multipart form as a plain dict (last value wins)."""
    form = await request.form()
    return {k: str(v) for k, v in form.items()}

"""Interactive API documentation, served from the vendored swagger-ui-dist (no CDN)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from skytally.errors import UserError
from skytally.web.deps import resolve_caller
from skytally.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/api/v1/docs")
def api_docs(request: Request) -> Response:
    try:
        caller = resolve_caller(request)
    except UserError:
        caller = None
    # With a signed-in session, "Try it out" works too: swagger-init.js sends the CSRF header.
    return render(request, "docs.html", {"openapi_url": request.app.openapi_url}, caller=caller)

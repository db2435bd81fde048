"""The one FastAPI application: pages, the REST API under /api/v1, static files, /healthz.

`skytally serve`, the demo and the tests all call `create_app(runtime)`.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import ValidationError
from sqlalchemy import text
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

import skytally
from skytally.api.router import API_PREFIX, OPENAPI_TAGS, api_router
from skytally.errors import NotAuthenticated, UserError
from skytally.jobs.registry import load_all
from skytally.runtime import Runtime
from skytally.web.deps import LoginRequired, get_runtime, resolve_caller
from skytally.web.pages import (
    accounts,
    accounts_connect,
    auth,
    costs,
    docs,
    home,
    jobs,
    licences,
    settings,
    tags,
    users,
    workspaces,
)
from skytally.web.security import LoginThrottle, SecurityHeaders
from skytally.web.templating import STATIC_DIR, render
from skytally.workspaces import service as workspace_service
from skytally.workspaces.schemas import WorkspaceOut

log = logging.getLogger(__name__)

HTTP_TITLES = {
    400: "Bad request",
    401: "Sign-in needed",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    422: "Invalid input",
    429: "Too many attempts",
    500: "Server error",
}


def create_app(runtime: Runtime) -> FastAPI:
    app = FastAPI(
        title="skytally",
        version=skytally.__version__,
        summary="Self-hosted FinOps for Microsoft clouds — REST API",
        description=(
            "Authenticate with `Authorization: Bearer <API token>` (create tokens under "
            "Settings → API tokens) or the web session cookie plus the `X-CSRF-Token` "
            "header for unsafe methods. Errors are `{\"detail\": \"…\"}`."
        ),
        openapi_url=f"{API_PREFIX}/openapi.json",
        openapi_tags=OPENAPI_TAGS,
        docs_url=None,
        redoc_url=None,
        lifespan=_lifespan,
    )
    app.state.runtime = runtime
    # every job kind, even when no worker runs in this process (`skytally serve`): titles,
    # the Run now list and job submission (tags push, costs import) read the registry
    load_all()
    app.state.login_throttle = LoginThrottle()
    app.add_middleware(SecurityHeaders)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    app.include_router(api_router)
    for module in (auth, home, accounts_connect, accounts, tags, costs, licences, workspaces, jobs, settings, users, docs):
        app.include_router(module.router)

    @app.get("/healthz", include_in_schema=False)
    def healthz(request: Request) -> JSONResponse:
        try:
            with get_runtime(request).db.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception as exc:
            log.warning("health check failed: %s", exc)
            return JSONResponse({"status": "error", "database": "unreachable"}, status_code=503)
        return JSONResponse({"status": "ok", "database": "ok", "version": skytally.__version__})

    _install_error_handlers(app)
    _install_allow(app)
    return app


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    import gc

    _warm(app)
    try:
        yield
    finally:
        gc.unfreeze()


def _warm(app: FastAPI) -> None:
    """Start-up work a server does once instead of its first requests paying it: FastAPI
    builds an included router's routes (dependencies, pydantic validators and serialisers)
    on the first request matching it (~250 ms CPU for the API's, measured on the
    Resources list, bench/tags_list.py); asking every route whether it matches a path none
    takes builds them all now. Then the ORM's mappers and one pooled database connection.
    Last, what start-up built (~300k objects: modules, routes, validators) is moved out of
    the cyclic garbage collector's reach (`gc.freeze`): a full collection walked it all, 175 ms
    CPU landing on whichever request triggered it (one in a few hundred)."""
    import gc

    from sqlalchemy.orm import configure_mappers

    probe = {"type": "http", "path": "/-warm-up-", "root_path": "", "method": "GET", "headers": [],
             "query_string": b""}
    for route in app.router.routes:
        route.matches(probe)
    configure_mappers()
    try:
        with app.state.runtime.db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # the health check reports it; starting is not refused for it
        log.warning("database not reachable at start-up: %s", exc)
    gc.collect()
    gc.freeze()


def _install_allow(app: FastAPI) -> None:
    """A method a path does not take answers 405 with every method it takes in `Allow`
    (Starlette names only those of the first route matching the path)."""

    @app.middleware("http")
    async def allow(request: Request, call_next: Any) -> Response:
        response: Response = await call_next(request)
        if response.status_code != 405:
            return response
        methods = {m for m in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
                   if any(route.matches({**request.scope, "method": m})[0] is Match.FULL
                          for route in app.router.routes)}
        if methods:
            response.headers["Allow"] = ", ".join(sorted(methods))
        return response


# --- errors -----------------------------------------------------------------------------
def _is_api(request: Request) -> bool:
    return request.url.path.startswith(API_PREFIX + "/") or request.url.path == API_PREFIX


def _is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def _readable(errors: list[Any]) -> str:
    parts = []
    for err in errors:
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path", "form")]
        msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        parts.append(f"{'.'.join(loc)}: {msg}" if loc else msg)
    return "; ".join(parts) or "invalid input"


def error_page(request: Request, status: int, message: str) -> Response:
    """A page (or, for htmx, a flash fragment) explaining what went wrong."""
    text_ = message[:1].upper() + message[1:]
    if _is_htmx(request):
        return _htmx_error(request, status, text_)
    try:
        caller = resolve_caller(request)
    except UserError:
        caller = None
    switcher: list[WorkspaceOut] = []
    if caller is not None:
        with get_runtime(request).db.session() as session:
            switcher = workspace_service.list_workspaces(session, caller.actor)
    return render(
        request,
        "error.html",
        {"status": status, "title": HTTP_TITLES.get(status, "Error"), "message": text_},
        caller=caller,
        switcher=switcher,
        status_code=status,
    )


def _htmx_error(request: Request, status: int, message: str) -> Response:
    response = render(
        request, "partials/flash.html", {"flash": ("error", message)}, status_code=status
    )
    response.headers["HX-Retarget"] = "#flash"
    response.headers["HX-Reswap"] = "outerHTML"
    return response


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(UserError)
    async def user_error(request: Request, exc: UserError) -> Response:
        if _is_api(request):
            headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, NotAuthenticated) else None
            return JSONResponse({"detail": exc.message}, exc.status_code, headers=headers)
        return error_page(request, exc.status_code, exc.message)

    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, exc: LoginRequired) -> Response:
        target = "/login" if exc.next_path in ("", "/") else f"/login?next={quote(exc.next_path)}"
        if _is_htmx(request):
            return Response(status_code=204, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)

    @app.exception_handler(RequestValidationError)
    async def request_invalid(request: Request, exc: RequestValidationError) -> Response:
        message = _readable(list(exc.errors()))
        if _is_api(request):
            return JSONResponse({"detail": message}, 422)
        return error_page(request, 422, message)

    @app.exception_handler(ValidationError)
    async def model_invalid(request: Request, exc: ValidationError) -> Response:
        message = _readable(list(exc.errors()))
        if _is_api(request):
            return JSONResponse({"detail": message}, 422)
        return error_page(request, 422, message)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        detail = str(exc.detail) if exc.detail else HTTP_TITLES.get(exc.status_code, "Error")
        if exc.status_code == 404:
            detail = f"there is no page at {request.url.path}"
        if _is_api(request) or request.url.path.startswith("/static/"):
            return JSONResponse({"detail": detail}, exc.status_code, headers=exc.headers)
        return error_page(request, exc.status_code, detail)

    @app.exception_handler(OverflowError)
    @app.exception_handler(DataError)
    async def out_of_range(request: Request, exc: Exception) -> Response:
        # an id or number past what the database stores (2^63 - 1): no such thing exists
        message = f"a number in the request is out of range (ids and counts are at most {2**63 - 1})"
        if _is_api(request):
            return JSONResponse({"detail": message}, 422)
        return error_page(request, 422, message)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        # Starlette re-raises after this response, so the server logs the traceback once.
        message = "an unexpected error occurred; it was logged for the administrator"
        if _is_api(request):
            return JSONResponse({"detail": message}, 500)
        return HTMLResponse(
            "<!doctype html><title>Server error</title><h1>Server error</h1>"
            f"<p>{message}.</p>",
            status_code=500,
        )

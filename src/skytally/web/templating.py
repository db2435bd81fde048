"""Jinja2 environment, navigation, flash messages and the `Page` every page handler gets."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy.orm import Session

import skytally
from skytally.errors import UserError
from skytally.jobs.registry import JOBS
from skytally.runtime import Runtime
from skytally.web.deps import Caller, DbSession, PageCaller, get_runtime
from skytally.workspaces import service as workspaces
from skytally.workspaces.schemas import Actor, WorkspaceOut

HERE = Path(__file__).parent
TEMPLATES_DIR = HERE / "templates"
STATIC_DIR = HERE / "static"
FLASH_COOKIE = "skytally_flash"


# --- navigation: a capability adds one entry here when its pages exist ---------------
@dataclass(frozen=True)
class NavEntry:
    label: str
    path: str
    section: str
    admin_only: bool = False


NAV: list[NavEntry] = [
    NavEntry("Overview", "/", "home"),
    NavEntry("Cloud Tenant Setup", "/accounts", "accounts"),
    NavEntry("Resources & Tags", "/resources", "resources"),
    NavEntry("Costs", "/costs", "costs"),
    NavEntry("Licences", "/licences", "licences"),
    NavEntry("Workspaces", "/workspaces", "workspaces"),
    NavEntry("Jobs", "/jobs", "jobs"),
    NavEntry("Users", "/users", "users", admin_only=True),
]


def nav_for(actor: Actor | None) -> list[NavEntry]:
    if actor is None:
        return []
    return [entry for entry in NAV if actor.is_admin or not entry.admin_only]


def section_of(path: str) -> str:
    first = path.strip("/").split("/", 1)[0]
    return first or "home"


# --- filters ------------------------------------------------------------------------
def _when(value: datetime | None) -> str:
    if value is None:
        return "—"
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _ago(value: datetime | None) -> str:
    if value is None:
        return "never"
    seconds = int((datetime.now(UTC) - value).total_seconds())
    if seconds < 0:
        seconds = -seconds
        for size, unit in ((86400, "day"), (3600, "hour"), (60, "minute")):
            if seconds >= size:
                n = seconds // size
                return f"in {n} {unit}{'s' if n != 1 else ''}"
        return "in a moment"
    for size, unit in ((86400, "day"), (3600, "hour"), (60, "minute")):
        if seconds >= size:
            n = seconds // size
            return f"{n} {unit}{'s' if n != 1 else ''} ago"
    return "just now"


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 120:
        return f"{seconds:.1f} s"
    return f"{seconds / 60:.0f} min"


def _pretty_json(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, default=str)


def _job_title(kind: str) -> str:
    """A job kind in words ("tags.push" -> "Push tag changes to Azure")."""
    spec = JOBS.get(kind)
    return spec.title if spec is not None else kind


def _build_env() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(when=_when, ago=_ago, duration=_duration, pretty_json=_pretty_json, job_title=_job_title)
    env.globals.update(version=skytally.__version__)
    return env


templates = Jinja2Templates(env=_build_env())


# --- flash messages: sealed (Fernet) in a short-lived cookie across one redirect ---------
def set_flash(response: Response, runtime: Runtime, text: str, level: str = "success") -> None:
    sealed = runtime.vault.box.seal(json.dumps([level, text]))
    response.set_cookie(
        FLASH_COOKIE, sealed, max_age=60, httponly=True, samesite="lax",
        secure=runtime.settings.secure_cookies,
    )


def pop_flash(request: Request, runtime: Runtime) -> tuple[str, str] | None:
    sealed = request.cookies.get(FLASH_COOKIE)
    if not sealed:
        return None
    try:
        level, text = json.loads(runtime.vault.box.open(sealed).get_secret_value())
    except Exception:
        return None
    return str(level), str(text)


def render(
    request: Request,
    template: str,
    context: dict[str, Any],
    *,
    caller: Caller | None = None,
    switcher: list[WorkspaceOut] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    runtime = get_runtime(request)
    actor = caller.actor if caller else None
    flash = context.pop("flash", None) or pop_flash(request, runtime)
    ctx = {
        "caller": caller,
        "actor": actor,
        "csrf_token": caller.csrf_token if caller else context.get("csrf_token", ""),
        "nav": nav_for(actor),
        "section": section_of(request.url.path),
        "switcher": switcher or [],
        "current_workspace": next((w for w in switcher or [] if actor is not None and w.id == actor.scope), None),
        "here": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
        "flash": flash,
        "is_htmx": request.headers.get("hx-request") == "true",
        **context,
    }
    response = templates.TemplateResponse(request, template, ctx, status_code=status_code)
    if request.cookies.get(FLASH_COOKIE) and not template.startswith("partials/"):
        response.delete_cookie(FLASH_COOKIE)
    return response


# --- the handle every page handler works with ----------------------------------------
@dataclass
class Page:
    request: Request
    session: Session
    caller: Caller

    @property
    def actor(self) -> Actor:
        return self.caller.actor

    @property
    def runtime(self) -> Runtime:
        return get_runtime(self.request)

    @property
    def is_htmx(self) -> bool:
        return self.request.headers.get("hx-request") == "true"

    def render(self, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        switcher = [] if template.startswith("partials/") else workspaces.list_workspaces(
            self.session, self.actor
        )
        return render(
            self.request, template, context, caller=self.caller, switcher=switcher,
            status_code=status_code,
        )

    def redirect(self, url: str, flash: str | None = None, level: str = "success") -> Response:
        if self.is_htmx:
            response: Response = Response(status_code=204, headers={"HX-Redirect": url})
        else:
            response = RedirectResponse(url, status_code=303)
        if flash:
            set_flash(response, self.runtime, flash, level)
        return response


def get_page(request: Request, session: DbSession, caller: PageCaller) -> Page:
    return Page(request=request, session=session, caller=caller)


PageDep = Annotated[Page, Depends(get_page)]


def error_message(exc: UserError) -> str:
    message = exc.message
    return message[:1].upper() + message[1:] if message else "Something went wrong"

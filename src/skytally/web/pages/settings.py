"""Settings → API tokens: create (shown once), list, revoke."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import Response

from skytally.web.templating import PageDep
from skytally.workspaces import auth as credentials
from skytally.workspaces.schemas import ApiTokenCreate, ApiTokenIssued

router = APIRouter(include_in_schema=False)

EXPIRY_CHOICES = [("30", "30 days"), ("90", "90 days"), ("365", "1 year"), ("", "Never")]


def _page(page: PageDep, issued: ApiTokenIssued | None = None, status_code: int = 200) -> Response:
    return page.render(
        "settings/tokens.html",
        status_code=status_code,
        tokens=credentials.list_api_tokens(page.session, page.actor),
        issued=issued,
        expiry_choices=EXPIRY_CHOICES,
        api_base=str(page.request.base_url).rstrip("/") + "/api/v1",
    )


@router.get("/settings")
def settings_root(page: PageDep) -> Response:
    return page.redirect("/settings/tokens")


@router.get("/settings/tokens")
def tokens_page(page: PageDep) -> Response:
    return _page(page)


@router.post("/settings/tokens")
def create_token(
    page: PageDep,
    name: Annotated[str, Form()] = "",
    expires_in_days: Annotated[str, Form()] = "90",
) -> Response:
    issued = credentials.create_api_token(
        page.session,
        page.actor,
        ApiTokenCreate(
            name=name.strip(),
            expires_in_days=int(expires_in_days) if expires_in_days.strip().isdigit() else None,
        ),
    )
    # Rendered directly (not redirected): the token is shown this once and never stored.
    return _page(page, issued=issued, status_code=201)


@router.post("/settings/tokens/{token_id}/revoke")
def revoke_token(page: PageDep, token_id: int) -> Response:
    token = credentials.revoke_api_token(page.session, page.actor, token_id)
    return page.redirect("/settings/tokens", f"Token “{token.name}” revoked.", "info")

"""Users of the organisation (organisation admins only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import Response
from pydantic import SecretStr

from skytally.web.templating import PageDep
from skytally.workspaces import service as workspaces
from skytally.workspaces.schemas import UserCreate

router = APIRouter(include_in_schema=False)


@router.get("/users")
def list_page(page: PageDep) -> Response:
    return page.render("users/list.html", users=workspaces.list_users(page.session, page.actor))


@router.post("/users")
def create(
    page: PageDep,
    email: Annotated[str, Form()] = "",
    display_name: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    is_admin: Annotated[str, Form()] = "",
) -> Response:
    user = workspaces.create_user(
        page.session,
        page.actor,
        UserCreate(
            email=email,
            display_name=display_name.strip(),
            password=SecretStr(password),
            is_admin=is_admin == "on",
        ),
    )
    return page.redirect("/users", f"User {user.email} created.")


def _set_active(page: PageDep, user_id: int, active: bool) -> Response:
    workspaces.require_admin(page.actor)
    user = workspaces.get_user(page.session, user_id)
    out = workspaces.set_active(page.session, page.actor, user.email, active)
    verb = "reactivated" if active else "deactivated"
    return page.redirect("/users", f"User {out.email} {verb}.", "success" if active else "info")


@router.post("/users/{user_id}/deactivate")
def deactivate(page: PageDep, user_id: int) -> Response:
    return _set_active(page, user_id, False)


@router.post("/users/{user_id}/activate")
def activate(page: PageDep, user_id: int) -> Response:
    return _set_active(page, user_id, True)

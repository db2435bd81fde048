"""Workspaces: list, create, detail, settings, and members (htmx partials)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form
from fastapi.responses import RedirectResponse, Response

from skytally.errors import NotFound
from skytally.jobs import service as jobs
from skytally.web.deps import SCOPE_COOKIE
from skytally.web.templating import Page, PageDep
from skytally.workspaces import service as workspaces
from skytally.workspaces.schemas import MemberAdd, MemberOut, WorkspaceCreate, WorkspaceRole

router = APIRouter(include_in_schema=False)

ROLES = [role.value for role in WorkspaceRole]


@router.get("/scope")
def choose_scope(page: PageDep, workspace: str = "", next: str = "/") -> Response:
    """The header's workspace control: every page then shows that workspace only (or all)."""
    target = next if next.startswith("/") and not next.startswith("//") else "/"
    response = RedirectResponse(target, status_code=303)
    if workspace.isdigit() and page.actor.can_view(int(workspace)):
        response.set_cookie(SCOPE_COOKIE, workspace, max_age=365 * 86400, httponly=True, samesite="lax",
                            secure=page.runtime.settings.secure_cookies)
    else:
        response.delete_cookie(SCOPE_COOKIE)
    return response


@router.get("/workspaces")
def list_page(page: PageDep) -> Response:
    return page.render(
        "workspaces/list.html", workspaces=workspaces.list_workspaces(page.session, page.actor)
    )


@router.post("/workspaces")
def create(
    page: PageDep,
    name: Annotated[str, Form()] = "",
    description: Annotated[str, Form()] = "",
) -> Response:
    ws = workspaces.create_workspace(
        page.session, page.actor, WorkspaceCreate(name=name, description=description.strip())
    )
    return page.redirect(f"/workspaces/{ws.id}", f"Workspace “{ws.name}” created.")


def _member_context(page: Page, workspace_id: int) -> dict[str, Any]:
    members = workspaces.list_members(page.session, page.actor, workspace_id)
    emails: list[str] = []
    if page.actor.is_admin:
        member_ids = {m.user_id for m in members}
        emails = [
            u.email
            for u in workspaces.list_users(page.session, page.actor)
            if u.is_active and u.id not in member_ids
        ]
    return {
        "members": members,
        "roles": ROLES,
        "can_admin": page.actor.can_admin(workspace_id),
        "candidate_emails": emails,
    }


@router.get("/workspaces/{workspace_id}")
def detail(page: PageDep, workspace_id: int) -> Response:
    ws = workspaces.get_workspace(page.session, page.actor, workspace_id)
    return page.render(
        "workspaces/detail.html",
        workspace=ws,
        runs=jobs.list_runs(page.session, page.actor, limit=10, workspace_id=workspace_id),
        **_member_context(page, workspace_id),
    )


@router.post("/workspaces/{workspace_id}")
def update(
    page: PageDep,
    workspace_id: int,
    name: Annotated[str, Form()] = "",
    description: Annotated[str, Form()] = "",
) -> Response:
    ws = workspaces.rename_workspace(
        page.session, page.actor, workspace_id,
        WorkspaceCreate(name=name, description=description.strip()),
    )
    return page.redirect(f"/workspaces/{ws.id}", "Workspace saved.")


@router.post("/workspaces/{workspace_id}/delete")
def delete(page: PageDep, workspace_id: int) -> Response:
    ws = workspaces.get_workspace(page.session, page.actor, workspace_id)
    workspaces.delete_workspace(page.session, page.actor, workspace_id)
    return page.redirect("/workspaces", f"Workspace “{ws.name}” deleted.", "info")


# --- members -------------------------------------------------------------------------
def _members_response(page: Page, workspace_id: int, message: str) -> Response:
    if not page.is_htmx:
        return page.redirect(f"/workspaces/{workspace_id}#members", message)
    ws = workspaces.get_workspace(page.session, page.actor, workspace_id)
    return page.render(
        "partials/members.html",
        workspace=ws,
        notice=("success", message),
        **_member_context(page, workspace_id),
    )


def _member(page: Page, workspace_id: int, user_id: int) -> MemberOut:
    for member in workspaces.list_members(page.session, page.actor, workspace_id):
        if member.user_id == user_id:
            return member
    raise NotFound(f"user {user_id} is not a member of this workspace")


@router.get("/workspaces/{workspace_id}/members")
def members(page: PageDep, workspace_id: int) -> Response:
    ws = workspaces.get_workspace(page.session, page.actor, workspace_id)
    if not page.is_htmx:
        return page.redirect(f"/workspaces/{workspace_id}#members")
    return page.render("partials/members.html", workspace=ws, **_member_context(page, workspace_id))


@router.post("/workspaces/{workspace_id}/members")
def add_member(
    page: PageDep,
    workspace_id: int,
    email: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "viewer",
) -> Response:
    member = workspaces.add_member(
        page.session, page.actor, workspace_id,
        MemberAdd(email=email, role=workspaces.parse_role(role)),
    )
    return _members_response(page, workspace_id, f"{member.email} is now {member.role.value}.")


@router.post("/workspaces/{workspace_id}/members/{user_id}/role")
def change_role(
    page: PageDep, workspace_id: int, user_id: int, role: Annotated[str, Form()] = ""
) -> Response:
    member = _member(page, workspace_id, user_id)
    changed = workspaces.add_member(
        page.session, page.actor, workspace_id,
        MemberAdd(email=member.email, role=workspaces.parse_role(role)),
    )
    return _members_response(page, workspace_id, f"{changed.email} is now {changed.role.value}.")


@router.post("/workspaces/{workspace_id}/members/{user_id}/remove")
def remove_member(page: PageDep, workspace_id: int, user_id: int) -> Response:
    member = _member(page, workspace_id, user_id)
    workspaces.remove_member(page.session, page.actor, workspace_id, user_id)
    if user_id == page.actor.user_id and not page.actor.is_admin:
        return page.redirect("/workspaces", "You left the workspace.", "info")
    return _members_response(page, workspace_id, f"{member.email} was removed.")

"""Workspaces and their members."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from skytally.api.schemas import WorkspacePatch
from skytally.web.deps import ApiActor, DbSession
from skytally.workspaces import service as workspaces
from skytally.workspaces.schemas import MemberAdd, MemberOut, WorkspaceCreate, WorkspaceOut

router = APIRouter(prefix="/workspaces", tags=["workspaces"])


@router.get("", response_model=list[WorkspaceOut], summary="List the workspaces you can see")
def list_workspaces(session: DbSession, actor: ApiActor) -> list[WorkspaceOut]:
    return workspaces.list_workspaces(session, actor)


@router.post(
    "",
    response_model=WorkspaceOut,
    status_code=status.HTTP_201_CREATED,
    summary="Create a workspace (organisation admins)",
)
def create_workspace(data: WorkspaceCreate, session: DbSession, actor: ApiActor) -> WorkspaceOut:
    return workspaces.create_workspace(session, actor, data)


@router.get("/{workspace_id}", response_model=WorkspaceOut, summary="Get a workspace")
def get_workspace(workspace_id: int, session: DbSession, actor: ApiActor) -> WorkspaceOut:
    return workspaces.get_workspace(session, actor, workspace_id)


@router.patch(
    "/{workspace_id}",
    response_model=WorkspaceOut,
    summary="Rename or describe a workspace (workspace admins)",
)
def update_workspace(
    workspace_id: int, data: WorkspacePatch, session: DbSession, actor: ApiActor
) -> WorkspaceOut:
    current = workspaces.get_workspace(session, actor, workspace_id)
    change = WorkspaceCreate(
        name=data.name if data.name is not None else current.name,
        description=data.description if data.description is not None else current.description,
    )
    return workspaces.rename_workspace(session, actor, workspace_id, change)


@router.delete(
    "/{workspace_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Delete a workspace (organisation admins)",
)
def delete_workspace(workspace_id: int, session: DbSession, actor: ApiActor) -> Response:
    workspaces.get_workspace(session, actor, workspace_id)
    workspaces.delete_workspace(session, actor, workspace_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/{workspace_id}/members", response_model=list[MemberOut], summary="List members"
)
def list_members(workspace_id: int, session: DbSession, actor: ApiActor) -> list[MemberOut]:
    return workspaces.list_members(session, actor, workspace_id)


@router.put(
    "/{workspace_id}/members",
    response_model=MemberOut,
    summary="Add a member by email, or change their role (workspace admins)",
)
def put_member(
    workspace_id: int, data: MemberAdd, session: DbSession, actor: ApiActor
) -> MemberOut:
    return workspaces.add_member(session, actor, workspace_id, data)


@router.delete(
    "/{workspace_id}/members/{user_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Remove a member (workspace admins; anyone may remove themselves)",
)
def remove_member(
    workspace_id: int, user_id: int, session: DbSession, actor: ApiActor
) -> Response:
    workspaces.remove_member(session, actor, workspace_id, user_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)

"""Request/response shapes that exist only at the API edge (the rest are services' schemas)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from skytally.workspaces.schemas import UserOut, WorkspaceOut


class ErrorOut(BaseModel):
    detail: str = Field(description="What was wrong and what to do about it.")


class MeOut(BaseModel):
    user: UserOut
    workspaces: list[WorkspaceOut]
    authenticated_by: str = Field(description="`session` (cookie) or `token` (API token)")


class WorkspacePatch(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=100)
    description: str | None = Field(default=None, max_length=500)


class UserPatch(BaseModel):
    is_active: bool = Field(description="false deactivates the user and ends their sessions")


class JobSubmit(BaseModel):
    kind: str = Field(description="A job kind from GET /jobs/kinds, e.g. `maintenance.housekeeping`")
    workspace_id: int | None = Field(default=None, description="For workspace-scoped kinds")
    target: str = Field(default="api", max_length=200)
    params: dict[str, Any] = Field(default_factory=dict)


class JobKindOut(BaseModel):
    kind: str
    title: str
    scope: str = Field(description="`system` (organisation admins) or `workspace`")
    schedule: str = Field(description="When it runs on its own, if periodic")

"""Pydantic shapes the workspaces capability takes and returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from skytally.workspaces.models import WorkspaceRole


@dataclass(frozen=True)
class Actor:
    """Who is acting, and what they may touch. Services authorise against this."""

    user_id: int
    email: str
    is_admin: bool
    roles: dict[int, WorkspaceRole] = field(default_factory=dict)  # workspace id → role
    # The workspace chosen in the web header: lists (accounts, inventory, costs, licences,
    # jobs) show only what is in it. It narrows what is *shown*, never what is allowed.
    scope: int | None = None

    def workspace_filter(self) -> list[int] | None:
        """The workspaces whose data lists show: the chosen one, else every one the actor
        is in (None: all, for an organisation admin with no workspace chosen)."""
        if self.scope is not None and self.can_view(self.scope):
            return [self.scope]
        return None if self.is_admin else list(self.roles)

    def role_in(self, workspace_id: int) -> WorkspaceRole | None:
        return self.roles.get(workspace_id)

    def can_view(self, workspace_id: int) -> bool:
        return self.is_admin or workspace_id in self.roles

    def can_edit(self, workspace_id: int) -> bool:
        role = self.roles.get(workspace_id)
        return self.is_admin or (role is not None and role.rank >= WorkspaceRole.EDITOR.rank)

    def can_admin(self, workspace_id: int) -> bool:
        return self.is_admin or self.roles.get(workspace_id) is WorkspaceRole.ADMIN


def _clean_email(value: str) -> str:
    value = value.strip().lower()
    local, _, domain = value.partition("@")
    if not local or "." not in domain or " " in value:
        raise ValueError("must be an email address like name@example.com")
    return value


class UserCreate(BaseModel):
    email: str
    password: SecretStr
    display_name: str = ""
    is_admin: bool = False

    _email = field_validator("email")(_clean_email)

    @field_validator("password")
    @classmethod
    def _strong_enough(cls, value: SecretStr) -> SecretStr:
        if len(value.get_secret_value()) < 10:
            raise ValueError("must be at least 10 characters")
        return value


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    email: str
    display_name: str
    is_admin: bool
    is_active: bool
    created_at: datetime
    last_login_at: datetime | None


class WorkspaceCreate(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    description: str = Field(default="", max_length=500)

    @field_validator("name")
    @classmethod
    def _strip(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("must not be blank")
        return value


class WorkspaceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    description: str
    created_at: datetime
    role: WorkspaceRole | None = None  # the caller's role, when they are a member


class MemberOut(BaseModel):
    user_id: int
    email: str
    display_name: str
    role: WorkspaceRole


class MemberAdd(BaseModel):
    email: str
    role: WorkspaceRole = WorkspaceRole.VIEWER

    _email = field_validator("email")(_clean_email)


class ApiTokenCreate(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    expires_in_days: int | None = Field(default=None, ge=1, le=3650)


class ApiTokenOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiTokenIssued(ApiTokenOut):
    token: str  # shown once, at creation

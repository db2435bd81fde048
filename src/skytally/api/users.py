"""Users of the organisation (organisation admins)."""

from __future__ import annotations

from fastapi import APIRouter, status

from skytally.api.schemas import UserPatch
from skytally.web.deps import ApiActor, DbSession
from skytally.workspaces import service as workspaces
from skytally.workspaces.schemas import UserCreate, UserOut

router = APIRouter(prefix="/users", tags=["users"])


@router.get("", response_model=list[UserOut], summary="List users")
def list_users(session: DbSession, actor: ApiActor) -> list[UserOut]:
    return workspaces.list_users(session, actor)


@router.post(
    "", response_model=UserOut, status_code=status.HTTP_201_CREATED, summary="Create a user"
)
def create_user(data: UserCreate, session: DbSession, actor: ApiActor) -> UserOut:
    return workspaces.create_user(session, actor, data)


@router.get("/{user_id}", response_model=UserOut, summary="Get a user")
def get_user(user_id: int, session: DbSession, actor: ApiActor) -> UserOut:
    workspaces.require_admin(actor)
    return UserOut.model_validate(workspaces.get_user(session, user_id))


@router.patch("/{user_id}", response_model=UserOut, summary="Deactivate or reactivate a user")
def update_user(user_id: int, data: UserPatch, session: DbSession, actor: ApiActor) -> UserOut:
    workspaces.require_admin(actor)
    user = workspaces.get_user(session, user_id)
    return workspaces.set_active(session, actor, user.email, data.is_active)

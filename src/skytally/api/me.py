"""GET /me."""

from __future__ import annotations

from fastapi import APIRouter

from skytally.api.schemas import MeOut
from skytally.web.deps import ApiCaller, DbSession
from skytally.workspaces import service as workspaces
from skytally.workspaces.schemas import UserOut

router = APIRouter(tags=["me"])


@router.get("/me", response_model=MeOut, summary="The calling user and their workspaces")
def me(session: DbSession, caller: ApiCaller) -> MeOut:
    user = workspaces.get_user(session, caller.actor.user_id)
    return MeOut(
        user=UserOut.model_validate(user),
        workspaces=workspaces.list_workspaces(session, caller.actor),
        authenticated_by=caller.via,
    )

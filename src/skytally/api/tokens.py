"""The caller's API tokens."""

from __future__ import annotations

from fastapi import APIRouter, status

from skytally.web.deps import ApiActor, DbSession
from skytally.workspaces import auth as credentials
from skytally.workspaces.schemas import ApiTokenCreate, ApiTokenIssued, ApiTokenOut

router = APIRouter(prefix="/tokens", tags=["tokens"])


@router.get("", response_model=list[ApiTokenOut], summary="List your API tokens")
def list_tokens(session: DbSession, actor: ApiActor) -> list[ApiTokenOut]:
    return credentials.list_api_tokens(session, actor)


@router.post(
    "",
    response_model=ApiTokenIssued,
    status_code=status.HTTP_201_CREATED,
    summary="Create an API token (the token is returned this once)",
)
def create_token(data: ApiTokenCreate, session: DbSession, actor: ApiActor) -> ApiTokenIssued:
    return credentials.create_api_token(session, actor, data)


@router.delete("/{token_id}", response_model=ApiTokenOut, summary="Revoke an API token")
def revoke_token(token_id: int, session: DbSession, actor: ApiActor) -> ApiTokenOut:
    return credentials.revoke_api_token(session, actor, token_id)

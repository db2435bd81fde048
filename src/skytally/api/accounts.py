"""Cloud accounts: tenants by consent or credentials, subscriptions and access levels,
EA access tokens, credentials, workspaces; billing accounts as integrations of their own
(named, assigned to workspaces independently of their tenant). Consent flows answer with the URL to open."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, BackgroundTasks, Request, Response, status
from pydantic import BaseModel, Field, SecretStr

from skytally.accounts import consent_finish, ea_tokens, service
from skytally.accounts import service_principals as sp
from skytally.accounts.context import AccountsEnv
from skytally.accounts.credentials import CredentialIn
from skytally.accounts.schemas import (
    AccessChange,
    AccountCreate,
    AccountKind,
    AccountOut,
    BillingAccountOut,
    BillingAccountUpdate,
    ConsentOutcome,
    ConsentStart,
    CredentialOut,
    EaTokenAdd,
    EaTokenOut,
    ProbeResult,
    SubscriptionOut,
    WorkspaceAssignment,
)
from skytally.costs import autostart as costs_autostart
from skytally.web.deps import ApiActor, DbSession, get_runtime

router = APIRouter(tags=["accounts"])


def _env(request: Request) -> AccountsEnv:
    runtime = get_runtime(request)
    return AccountsEnv(runtime.settings, runtime.vault)


class ServicePrincipalConnect(BaseModel):
    name: str = Field(default="", max_length=200)
    credential: CredentialIn
    workspace_ids: list[int] = Field(default_factory=list, description=(
        "Workspaces of the new tenant; with a billing account ID, also the billing account's (else its tenant's)"))
    into_account_id: int | None = Field(default=None, description=(
        "Add this credential (and its billing account) to a tenant skytally already has"))
    billing_name: str = Field(default="", max_length=200, description=(
        "Name of the billing account integration (default: its name in Azure)"))


class ServicePrincipalConnected(BaseModel):
    account: AccountOut
    probe: ProbeResult


class SecretReplace(BaseModel):
    secret: SecretStr = Field(description="The new client secret (or certificate PEM)")
    expires_at: datetime | None = None


class AccessChangeResult(BaseModel):
    subscription: SubscriptionOut | None = None
    consent: ConsentStart | None = Field(default=None, description="Open `url` to let an owner approve the role swap")


@router.get("/accounts", response_model=list[AccountOut], summary="List cloud accounts in your workspaces")
def list_accounts(session: DbSession, actor: ApiActor, kind: AccountKind | None = None) -> list[AccountOut]:
    return service.list_accounts(session, actor, kind)


@router.post("/accounts", response_model=ConsentStart, status_code=status.HTTP_201_CREATED,
             summary="Add Cloud Account: start consent (open the returned URL)")
def add_account(data: AccountCreate, request: Request, session: DbSession, actor: ApiActor) -> ConsentStart:
    return service.start_add_account(session, _env(request), actor, data)


@router.post("/accounts/service-principal", response_model=ServicePrincipalConnected,
             status_code=status.HTTP_201_CREATED, summary="Connect an Azure tenant with your own service principal")
def connect_service_principal(data: ServicePrincipalConnect, request: Request, session: DbSession,
                              actor: ApiActor, background: BackgroundTasks) -> ServicePrincipalConnected:
    account, _cred, probe = sp.connect(session, _env(request), actor, data.name, data.credential, data.workspace_ids,
                                       into_account_id=data.into_account_id, billing_name=data.billing_name)
    _start_imports(request, background, actor, account.id)
    return ServicePrincipalConnected(account=service.to_out(session, account), probe=probe)


@router.get("/accounts/consent/callback", response_model=ConsentOutcome,
            summary="Finish a consent (Microsoft's redirect; pages use /accounts/consent/callback)")
def consent_callback(request: Request, session: DbSession, actor: ApiActor,
                     background: BackgroundTasks) -> ConsentOutcome:
    outcome = consent_finish.complete(session, _env(request), actor, dict(request.query_params))
    if outcome.ok and outcome.account_id is not None:
        _start_imports(request, background, actor, outcome.account_id)
    return outcome


def _start_imports(request: Request, background: BackgroundTasks, actor: ApiActor, account_id: int) -> None:
    """Once the connection is committed: its first inventory sync and cost imports."""
    runtime = get_runtime(request)
    background.add_task(costs_autostart.on_connected, runtime.db, runtime.queue, account_id, actor.email)


@router.get("/accounts/{account_id}", response_model=AccountOut, summary="Get a cloud account")
def get_account(account_id: int, session: DbSession, actor: ApiActor) -> AccountOut:
    return service.get_account(session, actor, account_id)


@router.delete("/accounts/{account_id}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response,
               summary="Remove a cloud account (role assignments in Azure stay)")
def remove_account(account_id: int, request: Request, session: DbSession, actor: ApiActor) -> Response:
    service.remove_account(session, _env(request), actor, account_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.put("/accounts/{account_id}/workspaces", response_model=AccountOut, summary="Assign to workspaces")
def assign_workspaces(account_id: int, data: WorkspaceAssignment, session: DbSession, actor: ApiActor) -> AccountOut:
    return service.assign_workspaces(session, actor, account_id, data.workspace_ids)


@router.get("/billing-accounts", response_model=list[BillingAccountOut],
            summary="List billing accounts (EA enrollments, MCA billing accounts) in your workspaces")
def list_billing_accounts(session: DbSession, actor: ApiActor) -> list[BillingAccountOut]:
    return service.list_billing_accounts(session, actor)


@router.get("/accounts/{account_id}/billing-accounts/{billing_id}", response_model=BillingAccountOut,
            summary="Get a billing account of a tenant")
def get_billing_account(account_id: int, billing_id: int, session: DbSession, actor: ApiActor) -> BillingAccountOut:
    return service.billing_account_out(session, service.get_billing_account(session, actor, account_id, billing_id))


@router.patch("/accounts/{account_id}/billing-accounts/{billing_id}", response_model=BillingAccountOut,
              summary="Rename a billing account or set its workspaces (its costs are seen there)")
def update_billing_account(account_id: int, billing_id: int, data: BillingAccountUpdate, session: DbSession,
                           actor: ApiActor) -> BillingAccountOut:
    return service.update_billing_account(session, actor, account_id, billing_id, data)


@router.post("/accounts/{account_id}/subscriptions/consent", response_model=ConsentStart,
             summary="Add Existing Subscriptions: start consent for another owner")
def add_subscriptions(account_id: int, request: Request, session: DbSession, actor: ApiActor) -> ConsentStart:
    return service.start_add_subscriptions(session, _env(request), actor, account_id)


@router.get("/subscriptions", response_model=list[SubscriptionOut], summary="List subscriptions in your workspaces")
def list_subscriptions(session: DbSession, actor: ApiActor, account_id: int | None = None) -> list[SubscriptionOut]:
    return service.list_subscriptions(session, actor, account_id)


@router.put("/accounts/{account_id}/subscriptions/{subscription_id}/access", response_model=AccessChangeResult,
            summary="Change access level (starts consent when the role changes)")
def change_access(account_id: int, subscription_id: str, data: AccessChange, request: Request, session: DbSession,
                  actor: ApiActor) -> AccessChangeResult:
    result = service.change_access(session, _env(request), actor, account_id, subscription_id, data.level)
    if isinstance(result, ConsentStart):
        return AccessChangeResult(consent=result)
    return AccessChangeResult(subscription=result)


@router.get("/accounts/{account_id}/tokens", response_model=list[EaTokenOut], summary="List EA access tokens (masked)")
def list_tokens(account_id: int, session: DbSession, actor: ApiActor) -> list[EaTokenOut]:
    return ea_tokens.listing(session, actor, account_id)


@router.post("/accounts/{account_id}/tokens", response_model=EaTokenOut, status_code=status.HTTP_201_CREATED,
             summary="Add an EA access token (validated: incomplete, expired, revoked)")
def add_token(account_id: int, data: EaTokenAdd, request: Request, session: DbSession, actor: ApiActor,
              background: BackgroundTasks) -> EaTokenOut:
    out = ea_tokens.add(session, _env(request), actor, account_id, data.token)
    _start_imports(request, background, actor, account_id)
    return out


@router.delete("/accounts/{account_id}/tokens/{token_id}", status_code=status.HTTP_204_NO_CONTENT,
               response_class=Response, summary="Delete an EA access token")
def delete_token(account_id: int, token_id: int, request: Request, session: DbSession, actor: ApiActor) -> Response:
    ea_tokens.delete(session, _env(request), actor, account_id, token_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/accounts/{account_id}/credentials", response_model=list[CredentialOut], summary="List credentials")
def list_credentials(account_id: int, session: DbSession, actor: ApiActor) -> list[CredentialOut]:
    return service.get_account(session, actor, account_id).credentials


@router.put("/accounts/{account_id}/credentials/{credential_id}/secret", response_model=CredentialOut,
            summary="Replace a secret in place (verified first; history kept)")
def replace_secret(account_id: int, credential_id: int, data: SecretReplace, request: Request, session: DbSession,
                   actor: ApiActor) -> CredentialOut:
    return sp.replace_secret(session, _env(request), actor, account_id, credential_id, data.secret, data.expires_at)


@router.post("/accounts/{account_id}/credentials/{credential_id}/check", response_model=ProbeResult,
             summary="Probe a credential now")
def check_credential(account_id: int, credential_id: int, request: Request, session: DbSession,
                     actor: ApiActor) -> ProbeResult:
    return sp.check_credential(session, _env(request), actor, account_id, credential_id)


@router.delete("/accounts/{account_id}/credentials/{credential_id}", status_code=status.HTTP_204_NO_CONTENT,
               response_class=Response, summary="Delete a credential")
def delete_credential(account_id: int, credential_id: int, request: Request, session: DbSession,
                      actor: ApiActor) -> Response:
    sp.delete_credential(session, _env(request), actor, account_id, credential_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)

"""Microsoft 365 licences of the caller's Office 365 accounts: products, users, utilisation,
waste by rule (with the users behind it, also as CSV), costs from entered prices, Sync now."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status
from pydantic import BaseModel

from skytally.jobs.schemas import JobRunOut
from skytally.licences import service
from skytally.licences.schemas import (
    ImportOut,
    LicenceReport,
    PriceIn,
    PriceOut,
    SkuOut,
    UserLicenceOut,
)
from skytally.web.deps import ApiActor, DbSession, get_runtime

router = APIRouter(prefix="/licences", tags=["licences"])

Inactive = Annotated[int, Query(ge=1, le=365, description="Days without activity that make a licensed user inactive")]
Active = Annotated[int, Query(ge=1, le=365, description="A further activity window (besides 30 and 90 days)")]


class LicenceAccountOut(BaseModel):
    id: int
    name: str
    tenant_id: str
    last_import: ImportOut | None


@router.get("/accounts", response_model=list[LicenceAccountOut], summary="Office 365 accounts you may see, with their last import")
def accounts(session: DbSession, actor: ApiActor, workspace_id: int | None = None) -> list[LicenceAccountOut]:
    return [LicenceAccountOut(id=a.id, name=a.name, tenant_id=a.tenant_id, last_import=service.last_import(session, actor, a.id))
            for a in service.accounts(session, actor, workspace_id)]


@router.get("/{account_id}/report", response_model=LicenceReport,
            summary="Utilisation per SKU, waste by rule with findings, costs, and what cannot be known")
def report(session: DbSession, actor: ApiActor, account_id: int, inactive_days: Inactive = 90,
           active_days: Active = 60) -> LicenceReport:
    return service.report(session, actor, account_id, inactive_days=inactive_days, active_days=active_days)


@router.get("/{account_id}/skus", response_model=list[SkuOut], summary="Products bought: purchased, assigned, active")
def skus(session: DbSession, actor: ApiActor, account_id: int, inactive_days: Inactive = 90,
         active_days: Active = 60) -> list[SkuOut]:
    return service.report(session, actor, account_id, inactive_days=inactive_days, active_days=active_days).skus


@router.get("/{account_id}/users", response_model=list[UserLicenceOut], summary="Users and their licences")
def users(session: DbSession, actor: ApiActor, account_id: int, licensed_only: bool = True) -> list[UserLicenceOut]:
    return service.users(session, actor, account_id, licensed_only=licensed_only)


@router.get("/{account_id}/waste.csv", summary="The users (and units) behind each waste rule, as CSV",
            response_class=Response, responses={200: {"content": {"text/csv": {}}}})
def waste_csv(session: DbSession, actor: ApiActor, account_id: int, rule: str | None = None,
              inactive_days: Inactive = 90) -> Response:
    rep = service.report(session, actor, account_id, inactive_days=inactive_days)
    name = f"licence-waste-{account_id}{'-' + rule if rule else ''}.csv"
    return Response(service.findings_csv(rep, rule), media_type="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/{account_id}/prices", response_model=list[PriceOut], summary="The prices you entered per SKU")
def prices(session: DbSession, actor: ApiActor, account_id: int) -> list[PriceOut]:
    return service.prices(session, actor, account_id)


@router.put("/{account_id}/prices", response_model=PriceOut, summary="Enter what you pay for a SKU (per user, monthly or annual)")
def set_price(data: PriceIn, session: DbSession, actor: ApiActor, account_id: int) -> PriceOut:
    return service.set_price(session, actor, account_id, data)


@router.delete("/{account_id}/prices/{sku_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Forget a SKU's price")
def delete_price(session: DbSession, actor: ApiActor, account_id: int, sku_id: str) -> Response:
    service.delete_price(session, actor, account_id, sku_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{account_id}/sync", response_model=JobRunOut, status_code=status.HTTP_202_ACCEPTED,
             summary="Import the account's licences now (editors and admins of its workspaces)")
def sync(request: Request, session: DbSession, actor: ApiActor, account_id: int) -> JobRunOut:
    runtime = get_runtime(request)
    return service.request_sync(session, runtime.db, runtime.queue, actor, account_id)

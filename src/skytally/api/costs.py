"""Costs: query, untagged share, stored periods, FOCUS export, import status and "import now".

Every read is scoped to the billing accounts of the caller's workspaces. Amounts are exact
decimals written as JSON numbers, in the billing currency named next to them.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response, status
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field
from starlette.background import BackgroundTask

from skytally.costs import explore
from skytally.costs.service import CostStore, open_store
from skytally.costs.views import (
    CostQueryOut,
    ImportStatusOut,
    PeriodOut,
    ScopeOut,
    SourceChoiceOut,
    UntaggedOut,
    dumps,
)
from skytally.errors import NotFound
from skytally.jobs.schemas import JobRunOut
from skytally.web.deps import ApiActor, DbSession, get_runtime

router = APIRouter(prefix="/costs", tags=["costs"])


def cost_store(request: Request) -> Iterator[CostStore]:
    yield open_store(get_runtime(request).settings.cost_store_dir)  # shared: not closed per request


Store = Annotated[CostStore, Depends(cost_store)]
From = Annotated[date | None, Query(alias="from", description="First day included (YYYY-MM-DD)")]
To = Annotated[date | None, Query(alias="to", description="Last day included (YYYY-MM-DD)")]
BillingAccounts = Annotated[list[str], Query(alias="billing_account", description="Only these billing accounts (repeatable); default: all you may see")]


def _end(to: date | None) -> date | None:
    return to + timedelta(days=1) if to else None


def _json(value: object) -> Response:
    return Response(dumps(value), media_type="application/json")


@router.get("/scopes", response_model=list[ScopeOut], summary="Billing accounts whose costs you may read")
def scopes(session: DbSession, actor: ApiActor, store: Store) -> list[ScopeOut]:
    return explore.scopes(session, store, actor)


@router.get("/query", response_model=CostQueryOut, summary="Total costs grouped by dimensions, optionally as a series")
def query(
    session: DbSession, actor: ApiActor, store: Store, start: From = None, to: To = None,
    group_by: Annotated[list[str], Query(description="FOCUS column or tag:<key> (repeatable or comma-separated)")] = [],  # noqa: B006
    filter_: Annotated[list[str], Query(alias="filter", description="DIM=VALUE (repeatable)")] = [],  # noqa: B006
    granularity: Annotated[Literal["daily", "monthly"] | None, Query()] = None,
    top: Annotated[int | None, Query(ge=1, le=1000)] = None,
    currency: Annotated[str | None, Query(max_length=8)] = None,
    billing_accounts: BillingAccounts = [],  # noqa: B006
) -> Response:
    dims = [d for g in group_by for d in g.split(",") if d.strip()]
    q = explore.query_for(session, store, actor, billing_accounts=billing_accounts, start=start, end=_end(to),
                          group_by=dims, granularity=granularity, filters=filter_, currency=currency, top=top)
    return _json(store.query(q).model_dump())


@router.get("/untagged", response_model=list[UntaggedOut], summary="Untagged share of cost and why, per currency")
def untagged(
    session: DbSession, actor: ApiActor, store: Store, start: From = None, to: To = None,
    tag: Annotated[str | None, Query(description="Tag key; default: rows without any tag")] = None,
    billing_accounts: BillingAccounts = [],  # noqa: B006
) -> Response:
    scope = explore.allowed(session, store, actor, billing_accounts)
    if not scope:
        return _json([])
    q = explore.build_query(scope, start=start, end=_end(to))
    return _json([r.model_dump() for r in explore.untagged(session, store, actor, q, tag)])


@router.get("/periods", response_model=list[PeriodOut], summary="Stored billing periods, their source and last import")
def periods(session: DbSession, actor: ApiActor, store: Store) -> Response:
    scope = explore.allowed(session, store, actor)
    return _json(explore.shown_periods(actor, explore.periods(session, store, actor, scope)) if scope else [])


@router.get("/sources", response_model=list[SourceChoiceOut],
            summary="Per subscription and billing period: the source that counts, and the ones it covers")
def sources(session: DbSession, actor: ApiActor, store: Store) -> Response:
    scope = explore.allowed(session, store, actor)
    return _json(explore.sources(session, store, actor, scope) if scope else [])


@router.get(
    "/export", summary="Download cost rows as FOCUS 1.2 (CSV or Parquet)", response_class=FileResponse,
    responses={200: {"content": {"text/csv": {}, "application/vnd.apache.parquet": {}},
                     "description": "The FOCUS file"}},
)
def export(
    request: Request, session: DbSession, actor: ApiActor, store: Store, start: From = None, to: To = None,
    format_: Annotated[Literal["focus-csv", "focus-parquet"], Query(alias="format")] = "focus-csv",
    currency: Annotated[str | None, Query(max_length=8)] = None,
    billing_accounts: BillingAccounts = [],  # noqa: B006
) -> FileResponse:
    scope = explore.allowed(session, store, actor, billing_accounts)
    fmt: Literal["csv", "parquet"] = "csv" if format_ == "focus-csv" else "parquet"
    tmp = get_runtime(request).settings.data_dir / "tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    dest = tmp / f"export-{uuid.uuid4().hex}.{fmt}"
    if not scope:
        raise NotFound("no billing accounts in your workspaces have costs yet")
    store.export(dest, billing_accounts=scope, start=start, end=_end(to), format=fmt, currency=currency)
    media = "text/csv" if fmt == "csv" else "application/vnd.apache.parquet"
    return FileResponse(dest, media_type=media, filename=f"focus-costs.{fmt}",
                        background=BackgroundTask(Path(dest).unlink, missing_ok=True))


@router.get("/imports", response_model=list[ImportStatusOut], summary="Import state per cost scope and billing period")
def imports(session: DbSession, actor: ApiActor, account_id: int | None = None) -> list[ImportStatusOut]:
    return explore.import_status(session, actor, account_id)


class ImportRequest(BaseModel):
    account_id: int = Field(description="The cloud account whose cost scopes to import")
    periods: list[str] = Field(default_factory=list, description="YYYY-MM; default: previous and current")


@router.post("/imports", response_model=JobRunOut, status_code=status.HTTP_202_ACCEPTED,
             summary="Import an account's costs now (editors and admins of its workspaces)")
def trigger(data: ImportRequest, request: Request, session: DbSession, actor: ApiActor) -> JobRunOut:
    runtime = get_runtime(request)
    return explore.trigger_import(session, runtime.db, runtime.queue, actor, data.account_id, data.periods)

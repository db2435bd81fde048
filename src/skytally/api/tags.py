"""Resources & Tags: resources with their tags (filter grammar `where`), tag edits with a
dry-run diff, pending changes, revert, push to Azure, conflicts, audit log (JSON or CSV),
coverage. Scoped to the caller's workspaces; edits need the editor role."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from skytally.inventory import coverage as cov
from skytally.inventory import push, service, tag_service
from skytally.inventory.tag_schemas import (
    AuditOut,
    AuditPageOut,
    EditPlanOut,
    FailureGroupOut,
    Resolution,
    ResourcePageOut,
    ResourceTagsOut,
    RevertOut,
    TagEdit,
    TagRowOut,
)
from skytally.jobs.schemas import JobRunOut
from skytally.web.deps import ApiActor, DbSession, get_runtime
from skytally.web.tag_costs import cost_shares

router = APIRouter(prefix="/tags", tags=["tags"])

Where = Annotated[str, Query(max_length=2000, description="Filter, e.g. subscription=<id>,type=...,tag:env=prod,lacks:cc")]


class ResourceDetailOut(BaseModel):
    resource: ResourceTagsOut
    history: list[AuditOut]


class Selection(BaseModel):
    where: str = Field("", max_length=2000)
    key: str | None = Field(None, description="Only this tag key")


class ResolveIn(Selection):
    resolution: Resolution


class PushIn(BaseModel):
    account_id: int
    subscription_id: str | None = Field(None, max_length=36)


class SyncIn(BaseModel):
    account_id: int | None = None


@router.get("/resources", response_model=ResourcePageOut, summary="Resources with their tags (paged, sorted, filtered)")
def resources(session: DbSession, actor: ApiActor, where: Where = "",
              sort: Annotated[str, Query(description="name, type, rg, location, subscription, last_seen")] = "name",
              desc: bool = False, limit: Annotated[int, Query(ge=1, le=1000)] = 50,
              offset: Annotated[int, Query(ge=0)] = 0) -> ResourcePageOut:
    return tag_service.list_resources(session, actor, where, sort=sort, descending=desc, limit=limit, offset=offset)


@router.get("/resource", response_model=ResourceDetailOut, summary="One resource: tags, group/subscription tags, history")
def resource(session: DbSession, actor: ApiActor,
             id: Annotated[str, Query(max_length=2000, description="ARM resource id")]) -> ResourceDetailOut:
    res, history = tag_service.resource(session, actor, id)
    return ResourceDetailOut(resource=res, history=history)


@router.post("/edit", response_model=EditPlanOut,
             summary="Edit tags of the matching resources (dry_run=true: only the diff)")
def edit(data: TagEdit, session: DbSession, actor: ApiActor, dry_run: bool = True) -> EditPlanOut:
    return tag_service.edit(session, actor, data, dry_run=dry_run)


@router.get("/pending", response_model=list[TagRowOut], summary="Changes not in Azure yet (pending, failed)")
def pending(session: DbSession, actor: ApiActor, where: Where = "", key: str | None = None,
            limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
            reason_class: Annotated[str | None, Query(description="Only the failed changes of this reason class "
                                                                  "(see /pending/reasons)")] = None) -> list[TagRowOut]:
    return tag_service.tag_rows(session, actor, where, key=key, limit=limit, reason_class=reason_class)


@router.get("/pending/reasons", response_model=list[FailureGroupOut],
            summary="Failed changes grouped by reason class (Azure's code and a message naming no resource)")
def pending_reasons(session: DbSession, actor: ApiActor, where: Where = "",
                    key: str | None = None) -> list[FailureGroupOut]:
    return tag_service.failure_groups(session, actor, where, key=key)


@router.get("/conflicts", response_model=list[TagRowOut], summary="Keys Azure changed since they were edited here")
def conflicts(session: DbSession, actor: ApiActor, where: Where = "", key: str | None = None,
              limit: Annotated[int, Query(ge=1, le=10_000)] = 1000) -> list[TagRowOut]:
    return tag_service.tag_rows(session, actor, where, states=("conflict",), key=key, limit=limit)


@router.post("/revert", response_model=RevertOut, summary="Undo local changes: back to Azure's values")
def revert(data: Selection, session: DbSession, actor: ApiActor) -> RevertOut:
    return RevertOut(reverted=tag_service.revert(session, actor, data.where, data.key))


@router.post("/resolve", response_model=RevertOut, summary="Resolve conflicts: keep Azure's or keep mine")
def resolve(data: ResolveIn, session: DbSession, actor: ApiActor) -> RevertOut:
    return RevertOut(reverted=tag_service.resolve(session, actor, data.resolution, data.where, data.key))


@router.post("/push", response_model=JobRunOut, status_code=202,
             summary="Push an account's pending changes to Azure (job tags.push; follow it under /jobs)")
def push_now(data: PushIn, request: Request, actor: ApiActor) -> JobRunOut:
    runtime = get_runtime(request)
    run, _new = push.start(runtime.db, runtime.queue, actor, data.account_id, data.subscription_id)
    return run


@router.post("/sync", response_model=JobRunOut, status_code=202, summary="Sync the inventory now (job inventory.sync)")
def sync_now(data: SyncIn, request: Request, actor: ApiActor) -> JobRunOut:
    runtime = get_runtime(request)
    run, _new = service.start_sync(runtime.db, runtime.queue, actor, data.account_id)
    return run


@router.get("/audit", response_model=AuditPageOut, summary="Audit log of tag changes (filterable)")
def audit(session: DbSession, actor: ApiActor, resource_id: str | None = None, key: str | None = None,
          by: str | None = None, result: str | None = None, limit: Annotated[int, Query(ge=1, le=10_000)] = 200,
          offset: Annotated[int, Query(ge=0)] = 0) -> AuditPageOut:
    return tag_service.audit(session, actor, resource_id=resource_id, key=key, by=by, result=result, limit=limit,
                             offset=offset)


@router.get("/audit.csv", summary="The audit log as CSV", response_class=Response,
            responses={200: {"content": {"text/csv": {}}}})
def audit_export(session: DbSession, actor: ApiActor, resource_id: str | None = None, key: str | None = None,
                 by: str | None = None, result: str | None = None) -> Response:
    page = tag_service.audit(session, actor, resource_id=resource_id, key=key, by=by, result=result, limit=100_000)
    return Response(tag_service.audit_csv(page), media_type="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="tag-audit.csv"'})


@router.get("/coverage", response_model=cov.CoverageOut, summary="Tag coverage per key, per subscription")
def coverage(request: Request, session: DbSession, actor: ApiActor, where: Where = "",
             workspace_id: int | None = None, with_cost: bool = True) -> cov.CoverageOut:
    out = cov.coverage(session, actor, where, workspace_id=workspace_id)
    if with_cost and out.keys:
        shares = cost_shares(get_runtime(request).settings, session, actor, [k.key for k in out.keys[:10]])
        for k in out.keys:
            k.cost_share = shares.get(k.key.lower())
    return out

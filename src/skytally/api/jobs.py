"""Background job runs."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, status

from skytally.api.schemas import JobKindOut, JobSubmit
from skytally.jobs import service as jobs
from skytally.jobs.schemas import JobRunOut, JobStatus
from skytally.web.deps import ApiActor, DbSession, get_runtime

router = APIRouter(prefix="/jobs", tags=["jobs"])


@router.get("", response_model=list[JobRunOut], summary="List job runs, newest first")
def list_runs(
    session: DbSession,
    actor: ApiActor,
    status_: Annotated[JobStatus | None, Query(alias="status")] = None,
    kind: Annotated[str | None, Query(max_length=64)] = None,
    workspace_id: int | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[JobRunOut]:
    return jobs.list_runs(
        session, actor, limit=limit, status=status_.value if status_ else None, kind=kind,
        workspace_id=workspace_id,
    )


@router.get("/kinds", response_model=list[JobKindOut], summary="Job kinds you may submit")
def list_kinds(actor: ApiActor) -> list[JobKindOut]:
    return [
        JobKindOut(kind=s.kind, title=s.title, scope=s.scope, schedule=s.schedule_text)
        for s in jobs.runnable_kinds(actor)
    ]


@router.get("/{run_id}", response_model=JobRunOut, summary="Get one job run")
def get_run(run_id: int, session: DbSession, actor: ApiActor) -> JobRunOut:
    return jobs.get_run(session, actor, run_id)


@router.post(
    "",
    response_model=JobRunOut,
    status_code=status.HTTP_202_ACCEPTED,
    summary="Submit a job run (system kinds: organisation admins)",
)
def submit(data: JobSubmit, request: Request, actor: ApiActor) -> JobRunOut:
    runtime = get_runtime(request)
    return jobs.submit_as(
        runtime.db, runtime.queue, actor, data.kind,
        workspace_id=data.workspace_id, target=data.target, params=data.params,
    )

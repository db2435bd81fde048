"""Overview: the caller's workspaces and recent jobs."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from skytally.jobs import service as jobs
from skytally.jobs.registry import JOBS
from skytally.jobs.schemas import JobStatus
from skytally.web.templating import PageDep
from skytally.workspaces import service as workspaces

router = APIRouter(include_in_schema=False)


@router.get("/")
def overview(page: PageDep) -> Response:
    mine = workspaces.list_workspaces(page.session, page.actor)
    recent = jobs.list_runs(page.session, page.actor, limit=8)
    active = [r for r in recent if not r.status.finished]
    failed = jobs.list_runs(page.session, page.actor, limit=100, status=JobStatus.FAILED.value)
    return page.render(
        "home.html",
        workspaces=mine,
        recent=recent,
        active_count=len(active),
        failed_count=len(failed),
        names={w.id: w.name for w in mine},
        titles={kind: spec.title for kind, spec in JOBS.items()},
    )

"""Jobs: every recorded run the caller may see, live progress, and submitting a run."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form
from fastapi.responses import Response

from skytally.jobs import service as jobs
from skytally.jobs.models import JobStatus
from skytally.jobs.registry import JOBS
from skytally.jobs.schemas import JobRunOut
from skytally.web.templating import Page, PageDep
from skytally.workspaces import service as workspaces

router = APIRouter(include_in_schema=False)

STATUSES = [s.value for s in JobStatus]
POLL_SECONDS = 2


def _table_context(page: Page, status: str) -> dict[str, Any]:
    runs = jobs.list_runs(page.session, page.actor, limit=100, status=status or None)
    names = {w.id: w.name for w in workspaces.list_workspaces(page.session, page.actor)}
    return {
        "runs": runs,
        "status": status,
        "names": names,
        "titles": {kind: spec.title for kind, spec in JOBS.items()},
        "polling": any(not r.status.finished for r in runs),
        "poll_seconds": POLL_SECONDS,
    }


@router.get("/jobs")
def list_page(page: PageDep, status: str = "") -> Response:
    return page.render(
        "jobs/list.html",
        statuses=STATUSES,
        kinds=jobs.runnable_kinds(page.actor),
        editable=[w for w in workspaces.list_workspaces(page.session, page.actor)
                  if page.actor.can_edit(w.id)],
        **_table_context(page, status),
    )


@router.get("/jobs/table")
def table(page: PageDep, status: str = "") -> Response:
    return page.render("partials/jobs_table.html", **_table_context(page, status))


@router.post("/jobs")
def submit(
    page: PageDep,
    kind: Annotated[str, Form()] = "",
    workspace_id: Annotated[str, Form()] = "",
) -> Response:
    run = jobs.submit_as(
        page.runtime.db,
        page.runtime.queue,
        page.actor,
        kind,
        workspace_id=int(workspace_id) if workspace_id.isdigit() else None,
        target="web",
    )
    spec = JOBS.get(run.kind)
    return page.redirect(f"/jobs/{run.id}", f"{spec.title if spec else run.kind} submitted.")


def _run_context(page: Page, run: JobRunOut) -> dict[str, Any]:
    spec = JOBS.get(run.kind)
    workspace = None
    if run.workspace_id is not None:
        workspace = workspaces.get_workspace(page.session, page.actor, run.workspace_id)
    return {
        "run": run,
        "title": spec.title if spec else run.kind,
        "workspace": workspace,
        "polling": not run.status.finished,
        "poll_seconds": 1,
    }


@router.get("/jobs/{run_id}")
def detail(page: PageDep, run_id: int) -> Response:
    run = jobs.get_run(page.session, page.actor, run_id)
    return page.render("jobs/detail.html", **_run_context(page, run))


@router.get("/jobs/{run_id}/panel")
def panel(page: PageDep, run_id: int) -> Response:
    run = jobs.get_run(page.session, page.actor, run_id)
    return page.render("partials/job_panel.html", **_run_context(page, run))

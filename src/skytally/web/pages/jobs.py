"""Jobs: every recorded run the caller may see, live progress, and submitting a run."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form
from fastapi.responses import Response

from skytally.accounts import service as accounts
from skytally.jobs import service as jobs
from skytally.jobs.registry import JOBS
from skytally.jobs.schemas import JobRunOut, JobStatus
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
        "belongs": _belongs(page, runs),
        "started_by": {r.id: _started_by(r) for r in runs},
        "titles": {kind: spec.title for kind, spec in JOBS.items()},
        "polling": any(not r.status.finished for r in runs),
        "poll_seconds": POLL_SECONDS,
    }


def _belongs(page: Page, runs: list[JobRunOut]) -> dict[int, tuple[str, str, str]]:
    """Where a run without a workspace belongs, in words: (label, link, note). A run about a
    cloud account belongs to that tenant (its workspaces see it); any other to the whole
    installation (organisation admins see it)."""
    def account_of(run: JobRunOut) -> int | None:
        value = (run.params or {}).get("account_id")
        return value if isinstance(value, int) else None

    tenants = accounts.account_names(page.session, {a for r in runs if (a := account_of(r)) is not None})
    out: dict[int, tuple[str, str, str]] = {}
    for run in runs:
        if run.workspace_id is not None:
            continue
        account = account_of(run)
        if account is not None:
            out[run.id] = (f"Tenant {tenants.get(account, f'#{account} (removed)')}",
                           f"/accounts/{account}" if account in tenants else "", "seen in its workspaces")
        else:
            out[run.id] = ("Whole installation", "", "seen by organisation admins")
    return out


def _started_by(run: JobRunOut) -> str:
    """Who queued the run, in words: a person's email, or what in skytally started it."""
    if run.queued_by == "system":
        return "the schedule" if run.target == "scheduled" else "skytally"
    return {"cli": "the command line", "demo": "the demo", "api": "the REST API"}.get(run.queued_by, run.queued_by)


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


EMBEDS = {"tags"}  # pages that show a job's panel inside themselves (and say some of it already)


def _run_context(page: Page, run: JobRunOut, embed: str = "") -> dict[str, Any]:
    spec = JOBS.get(run.kind)
    workspace = None
    if run.workspace_id is not None:
        workspace = workspaces.get_workspace(page.session, page.actor, run.workspace_id)
    return {
        "run": run,
        "title": spec.title if spec else run.kind,
        "workspace": workspace,
        "belongs": _belongs(page, [run]).get(run.id),
        "started_by": _started_by(run),
        "polling": not run.status.finished,
        "poll_seconds": 1,
        "embed": embed if embed in EMBEDS else "",
    }


@router.get("/jobs/{run_id}")
def detail(page: PageDep, run_id: int) -> Response:
    run = jobs.get_run(page.session, page.actor, run_id)
    return page.render("jobs/detail.html", **_run_context(page, run))


@router.get("/jobs/{run_id}/panel")
def panel(page: PageDep, run_id: int, embed: str = "") -> Response:
    """The live part of a job's page; embed=tags for the Resources & Tags page's job box, which
    leaves a push's failures by reason to that page's own card."""
    run = jobs.get_run(page.session, page.actor, run_id)
    return page.render("partials/job_panel.html", **_run_context(page, run, embed))

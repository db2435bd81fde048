"""Resources & Tags: the inventory with its tags (server-side paginated, sortable,
filterable), resource detail with history, bulk edit with a dry-run diff, pending changes
with Push and live progress, conflicts, coverage with charts, the audit log, Sync now.
Everything goes through `skytally.inventory` services (workspace scoped there)."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query
from fastapi.responses import Response

from skytally.accounts import service as accounts
from skytally.errors import UserError
from skytally.inventory import coverage as cov
from skytally.inventory import push, service, tag_service
from skytally.inventory.tag_schemas import EditOp, Resolution, TagEdit
from skytally.jobs import service as jobs
from skytally.web.tag_costs import cost_shares
from skytally.web.templating import Page, PageDep, error_message
from skytally.workspaces import service as workspaces

router = APIRouter(include_in_schema=False)

TABS = ("resources", "pending", "conflicts", "coverage", "audit")
PAGE_SIZE = 50
OPS = [(EditOp.SET, "Set"), (EditOp.SET_MISSING, "Set only where missing"), (EditOp.REMOVE, "Remove"),
       (EditOp.RENAME, "Rename key"), (EditOp.CANONICALISE, "Canonicalise key casing"),
       (EditOp.COPY_FROM_GROUP, "Copy from resource group")]
SORTS = [("name", "Name"), ("type", "Type"), ("rg", "Resource group"), ("location", "Location"),
         ("subscription", "Subscription")]


def _url(**params: Any) -> str:
    return "/resources?" + urlencode({k: v for k, v in params.items() if v not in (None, "", False)})


def _common(page: Page, tab: str, where: str) -> dict[str, Any]:
    subs = accounts.list_subscriptions(page.session, page.actor)
    editable = set(tag_service.may_edit_ids(page.session, page.actor))  # only actions the user may take are shown
    sync_all = page.actor is None or page.actor.is_admin
    return {"tab": tab, "tabs": TABS, "where": where, "counts": tag_service.state_counts(page.session, page.actor),
            "can_edit": bool(editable), "sync_all": sync_all, "sync_accounts": [] if sync_all else sorted(editable),
            "writeback_accounts": sorted({s.account_id for s in subs if s.access_level.value == "tags-writeback"
                                          and s.account_id in editable}),
            "subs": {s.subscription_id: s for s in subs}, "ops": OPS, "url": _url}


@router.get("/resources")
def resources_page(page: PageDep, tab: str = "resources", where: str = "", sort: str = "name", desc: bool = False,
                   offset: Annotated[int, Query(ge=0)] = 0, run: int | None = None, key: str = "", by: str = "",
                   result: str = "", workspace_param: Annotated[str, Query(alias="workspace")] = "",
                   reason: str | None = None) -> Response:
    tab = tab if tab in TABS else "resources"
    ctx = _common(page, tab, where)
    ctx["error"] = None
    try:
        if tab == "resources":
            ctx.update(page_=tag_service.list_resources(page.session, page.actor, where, sort=sort, descending=desc,
                                                        limit=PAGE_SIZE, offset=offset),
                       sort=sort, desc=desc, offset=offset, sorts=SORTS, page_size=PAGE_SIZE)
        elif tab in ("pending", "conflicts"):
            states = ("pending", "failed") if tab == "pending" else ("conflict",)
            ctx["rows"] = tag_service.tag_rows(page.session, page.actor, where, states=states, limit=500,
                                               reason_class=reason if tab == "pending" else None)
            if tab == "pending":  # failures grouped by their class: one line for 300 locked resources
                ctx.update(failure_groups=tag_service.failure_groups(page.session, page.actor, where), reason=reason)
        elif tab == "coverage":
            workspace = int(workspace_param) if workspace_param.isdigit() else None  # "" = all your workspaces
            out = cov.coverage(page.session, page.actor, where, workspace_id=workspace)
            # cost shares are over all the caller's workspaces: not shown beside one workspace's coverage
            shares = {} if workspace is not None else cost_shares(page.runtime.settings, page.session, page.actor,
                                                                   [k.key for k in out.keys[:10]])
            ctx.update(workspace=workspace, workspaces=workspaces.list_workspaces(page.session, page.actor)
                       if page.actor is not None else [])
            for k in out.keys:
                k.cost_share = shares.get(k.key.lower())
            ctx["coverage"] = out
            ctx["chart"] = {"labels": [k.key for k in out.keys[:15]],
                            "resources": [round(k.share * 100, 1) for k in out.keys[:15]],
                            "cost": [None if k.cost_share is None else round(k.cost_share * 100, 1)
                                     for k in out.keys[:15]]}
        else:
            ctx.update(audit=tag_service.audit(page.session, page.actor, key=key or None, by=by or None,
                                               result=result or None, limit=200), key=key, by=by, result=result,
                       audit_qs=urlencode({k: v for k, v in (("key", key), ("by", by), ("result", result)) if v}))
    except UserError as exc:
        ctx["error"] = error_message(exc)
    if run is not None:
        try:
            ctx["run"] = jobs.get_run(page.session, page.actor, run)
        except UserError:
            ctx["run"] = None
    return page.render("resources/index.html", **ctx)


@router.get("/resources/detail")
def resource_detail(page: PageDep, id: str) -> Response:
    res, history = tag_service.resource(page.session, page.actor, id)
    return page.render("resources/detail.html", resource=res, history=history)


@router.post("/resources/edit")
def edit(page: PageDep, op: Annotated[EditOp, Form()], key: Annotated[str, Form()], where: Annotated[str, Form()] = "",
         value: Annotated[str, Form()] = "", new_key: Annotated[str, Form()] = "",
         only_missing: Annotated[bool, Form()] = False, apply: Annotated[str, Form()] = "") -> Response:
    """Without `apply`: the dry-run diff; with it: queue the changes."""
    ctx = _common(page, "resources", where)
    edit_in = TagEdit(op=op, where=where, key=key.strip(), value=value if op in (EditOp.SET, EditOp.SET_MISSING)
                      else None, new_key=new_key.strip() or None, only_missing=only_missing)
    try:
        plan = tag_service.edit(page.session, page.actor, edit_in, dry_run=not apply)
    except UserError as exc:
        ctx.update(error=error_message(exc), edit=edit_in, tab="resources",
                   page_=tag_service.list_resources(page.session, page.actor, "", limit=PAGE_SIZE)
                   if not where else _safe_page(page, where),
                   sort="name", desc=False, offset=0, sorts=SORTS, page_size=PAGE_SIZE)
        return page.render("resources/index.html", status_code=422, **ctx)
    if apply:
        # Pending changes: all of them, not the edit's filter, which the edit may have made
        # match nothing (lacks:costcenter after setting CostCenter), hiding what was queued.
        target = _url(tab="pending") if plan.to_push else _url(tab="resources", where=where)
        return page.redirect(target,
                             f"{plan.changes:,} change(s) queued on {plan.resources_changed:,} resource(s)"
                             + (f"; {plan.to_push:,} to push to Azure" if plan.to_push else "; kept in skytally"))
    ctx.update(plan=plan, edit=edit_in, error=None)
    return page.render("resources/diff.html", **ctx)


def _safe_page(page: Page, where: str) -> Any:
    try:
        return tag_service.list_resources(page.session, page.actor, where, limit=PAGE_SIZE)
    except UserError:
        return tag_service.list_resources(page.session, page.actor, "", limit=PAGE_SIZE)


@router.post("/resources/revert")
def revert(page: PageDep, where: Annotated[str, Form()] = "", key: Annotated[str, Form()] = "",
           back: Annotated[str, Form()] = "pending") -> Response:
    n = tag_service.revert(page.session, page.actor, where, key or None)
    return page.redirect(_url(tab=back if back in TABS else "pending", where=where), f"{n:,} change(s) reverted")


@router.post("/resources/resolve")
def resolve(page: PageDep, resolution: Annotated[Resolution, Form()], where: Annotated[str, Form()] = "",
            key: Annotated[str, Form()] = "") -> Response:
    n = tag_service.resolve(page.session, page.actor, resolution, where, key or None)
    return page.redirect(_url(tab="conflicts"), f"{n:,} conflict(s) resolved: "
                         + ("Azure's value kept" if resolution is Resolution.KEEP_AZURE else "yours will be pushed"))


@router.post("/resources/push")
def push_now(page: PageDep, account_id: Annotated[int, Form()]) -> Response:
    run, new = push.start(page.runtime.db, page.runtime.queue, page.actor, account_id)
    return page.redirect(_url(tab="pending", run=run.id),
                         f"Push started (job #{run.id})" if new else f"A push of this account is already running "
                         f"(job #{run.id})")


@router.post("/resources/sync")
def sync_now(page: PageDep, account_id: Annotated[str, Form()] = "") -> Response:
    run, new = service.start_sync(page.runtime.db, page.runtime.queue, page.actor,
                                  int(account_id) if account_id.isdigit() else None)
    return page.redirect(_url(run=run.id), f"Inventory sync started (job #{run.id})" if new
                         else f"A sync is already running (job #{run.id})")

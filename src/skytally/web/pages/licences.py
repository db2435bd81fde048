"""Licences: per workspace, an Office 365 account's products (purchased / assigned / active),
waste by rule with the users behind it, costs by department and group from the prices the
user entered, and what cannot be known. Scoped through `skytally.licences.service`."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query
from fastapi.responses import Response

from skytally.errors import InvalidInput
from skytally.licences import service
from skytally.licences.schemas import PriceIn
from skytally.web.templating import PageDep
from skytally.workspaces import service as workspaces

router = APIRouter(include_in_schema=False)
SHOWN_PER_RULE = 50


def _chart(rep: Any) -> dict[str, Any]:
    skus = sorted(rep.skus, key=lambda s: -s.purchased)
    return {
        "labels": [s.name for s in skus],
        "datasets": [
            {"label": "Purchased", "data": [s.purchased for s in skus]},
            {"label": "Assigned", "data": [s.assigned for s in skus]},
            {"label": "Active 30 days", "data": [s.active_30 for s in skus]},
            {"label": "Active 90 days", "data": [s.active_90 for s in skus]},
        ],
    }


@router.get("/licences")
def licences_page(
    page: PageDep, account: int | None = None, workspace_param: Annotated[str, Query(alias="workspace")] = "",
    inactive_days: Annotated[int, Query(ge=1, le=365)] = 90, active_days: Annotated[int, Query(ge=1, le=365)] = 60,
) -> Response:
    workspace = int(workspace_param) if workspace_param.isdigit() else None  # "" = all your workspaces
    accounts = service.accounts(page.session, page.actor, workspace)
    chosen = next((a for a in accounts if a.id == account), accounts[0] if accounts else None)
    context: dict[str, Any] = {"accounts": accounts, "chosen": chosen, "workspace": workspace, "rep": None,
                               "workspaces": workspaces.list_workspaces(page.session, page.actor),
                               "inactive_days": inactive_days, "active_days": active_days, "shown": SHOWN_PER_RULE,
                               "can_edit": False}
    if chosen is not None:
        rep = service.report(page.session, page.actor, chosen.id, inactive_days=inactive_days, active_days=active_days)
        try:
            service.check_can_sync(page.session, page.actor, chosen.id)
            context["can_edit"] = True
        except Exception:
            context["can_edit"] = False
        by_rule: dict[str, list[Any]] = {}
        for f in rep.findings:
            by_rule.setdefault(f.rule, []).append(f)
        context.update(rep=rep, chart=_chart(rep), by_rule=by_rule)
    return page.render("licences/page.html", **context)


@router.get("/licences/waste.csv")
def waste_csv(page: PageDep, account: int, rule: str | None = None,
              inactive_days: Annotated[int, Query(ge=1, le=365)] = 90) -> Response:
    rep = service.report(page.session, page.actor, account, inactive_days=inactive_days)
    name = f"licence-waste-{account}{'-' + rule if rule else ''}.csv"
    return Response(service.findings_csv(rep, rule or None), media_type="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.post("/licences/sync")
def sync_now(page: PageDep, account: Annotated[int, Form()]) -> Response:
    runtime = page.runtime
    run = service.request_sync(page.session, runtime.db, runtime.queue, page.actor, account)
    return page.redirect(f"/licences?account={account}", f"Licence import queued (job {run.id}); the page shows it when it ends.")


@router.post("/licences/prices")
def set_price(page: PageDep, account: Annotated[int, Form()], sku_id: Annotated[str, Form()],
              amount: Annotated[str, Form()], currency: Annotated[str, Form()], term: Annotated[str, Form()] = "monthly",
              ) -> Response:
    if not amount.strip():
        service.delete_price(page.session, page.actor, account, sku_id)
        return page.redirect(f"/licences?account={account}", "Price removed.")
    try:
        value = Decimal(amount.strip().replace(",", "."))
    except InvalidOperation:
        raise InvalidInput(f"{amount!r} is not an amount; write it like 36.50") from None
    if term not in ("monthly", "annual"):
        raise InvalidInput("the term is monthly or annual")
    out = service.set_price(page.session, page.actor, account, PriceIn(sku_id=sku_id, amount=value, currency=currency,
                                                                       term=term))  # type: ignore[arg-type]
    return page.redirect(f"/licences?account={account}",
                         f"Price saved: {out.amount} {out.currency} {out.term} ({out.monthly:.2f} {out.currency} a month).")

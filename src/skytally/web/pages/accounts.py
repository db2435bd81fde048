"""Cloud Tenant Setup: the overview (tenants, subscriptions, Office 365, credential health,
billing accounts) and Manage per tenant (subscriptions and access levels, EA access tokens,
credentials, workspaces), a billing account's page, removing a tenant.

Adding tenants and the consent flows are in pages/accounts_connect.py.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, File, Form, UploadFile
from fastapi.responses import Response
from pydantic import SecretStr

from skytally.accounts import ea_tokens, office365, service
from skytally.accounts import service_principals as sp
from skytally.accounts.schemas import (
    AccessLevel,
    AccountKind,
    AccountOut,
    BillingAccountUpdate,
    ConsentStart,
    RoleStatus,
)
from skytally.costs import explore as costs_explore
from skytally.errors import InvalidInput, UserError
from skytally.web.pages.accounts_connect import (
    accounts_env,
    admin_workspaces,
    consent_available,
    go_to_microsoft,
    parse_date,
    start_imports,
)
from skytally.web.templating import Page, PageDep
from skytally.workspaces import service as workspaces

router = APIRouter(include_in_schema=False)
LEVELS = list(AccessLevel)
TABS = ("subscriptions", "tokens", "credentials", "workspaces")


def _can_add(page: Page) -> bool:
    return page.actor.is_admin or bool(admin_workspaces(page))


# --- overview ---------------------------------------------------------------------------
@router.get("/accounts")
def overview(page: PageDep) -> Response:
    accounts = service.list_accounts(page.session, page.actor)
    azure = [a for a in accounts if a.kind is AccountKind.AZURE]
    subs = [s for a in azure for s in a.subscriptions]
    return page.render(
        "accounts/overview.html", o365_permissions=office365.PERMISSIONS,
        azure=azure,
        office365=[a for a in accounts if a.kind is AccountKind.OFFICE365],
        credentials=[(a, c) for a in azure for c in a.credentials],
        tokens=[(a, t) for a in azure for t in a.ea_tokens],
        stats={
            "tenants": len(accounts),
            "subscriptions": len(subs),
            "activating": sum(1 for s in subs if s.role_status is RoleStatus.ACTIVATING),
            "warnings": sum(len(a.warnings) for a in accounts),
        },
        polling=any(s.role_status is RoleStatus.ACTIVATING for s in subs),
        can_add=_can_add(page), consent_available=consent_available(page),
        billing_only=[b for b in service.list_billing_accounts(page.session, page.actor)
                      if b.account_id not in {a.id for a in accounts}],
    )


# --- one tenant -------------------------------------------------------------------------
def _detail(page: Page, account: AccountOut, tab: str) -> Response:
    return page.render(
        "accounts/detail.html", account=account, tab=tab if tab in TABS else "subscriptions", levels=LEVELS,
        workspaces=workspaces.list_workspaces(page.session, page.actor),
        can_manage=page.actor.is_admin or any(page.actor.can_admin(w.id) for w in account.workspaces),
        polling=any(s.role_status is RoleStatus.ACTIVATING for s in account.subscriptions),
        consent_available=consent_available(page),
        cost_imports=_cost_imports(page, account.id) if account.kind is AccountKind.AZURE else [],
    )


def _cost_imports(page: Page, account_id: int) -> list[Any]:
    return costs_explore.import_status(page.session, page.actor, account_id)


@router.get("/accounts/{account_id}/cost-imports")
def cost_imports_partial(page: PageDep, account_id: int) -> Response:
    account = service.get_account(page.session, page.actor, account_id)
    return page.render("costs/_account_imports.html", account=account, cost_imports=_cost_imports(page, account_id))


@router.get("/accounts/{account_id}")
def detail(page: PageDep, account_id: int, tab: str = "subscriptions") -> Response:
    return _detail(page, service.get_account(page.session, page.actor, account_id), tab)


@router.get("/accounts/{account_id}/subscriptions")
def subscriptions_partial(page: PageDep, account_id: int) -> Response:
    account = service.get_account(page.session, page.actor, account_id)
    return page.render("accounts/_subscriptions.html", account=account, levels=LEVELS,
                       can_manage=page.actor.is_admin or any(page.actor.can_admin(w.id) for w in account.workspaces),
                       polling=any(s.role_status is RoleStatus.ACTIVATING for s in account.subscriptions))


@router.post("/accounts/{account_id}/subscriptions/add")
def add_subscriptions(page: PageDep, account_id: int) -> Response:
    start = service.start_add_subscriptions(page.session, accounts_env(page), page.actor, account_id)
    return go_to_microsoft(page, start, "consent for more subscriptions")


@router.post("/accounts/{account_id}/subscriptions/{subscription_id}/access")
def change_access(page: PageDep, account_id: int, subscription_id: str, level: Annotated[str, Form()] = "") -> Response:
    try:
        wanted = AccessLevel(level)
    except ValueError:
        raise InvalidInput(f"unknown access level {level!r}; use one of {', '.join(x.value for x in LEVELS)}") from None
    result = service.change_access(page.session, accounts_env(page), page.actor, account_id, subscription_id, wanted)
    if isinstance(result, ConsentStart):
        return go_to_microsoft(page, result, f"an owner's consent to switch to {wanted.value}")
    return page.redirect(f"/accounts/{account_id}", f"{result.display_name} now imports at level {result.access_level.value}.")


@router.post("/accounts/{account_id}/tokens")
async def add_token(
    page: PageDep, background: BackgroundTasks, account_id: int, token: Annotated[str, Form()] = "",
    token_file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    if token_file is not None and token_file.filename:
        token = (await token_file.read()).decode("utf-8", "replace")
    added = ea_tokens.add(page.session, accounts_env(page), page.actor, account_id, token)
    start_imports(page, background, account_id)
    return page.redirect(f"/accounts/{account_id}?tab=tokens",
                         f"EA access token for enrollment {added.enrollment_number} added (expires {added.expires_at:%Y-%m-%d})."
                         if added.expires_at else f"EA access token for enrollment {added.enrollment_number} added.")


@router.post("/accounts/{account_id}/tokens/{token_id}/delete")
def delete_token(page: PageDep, account_id: int, token_id: int) -> Response:
    ea_tokens.delete(page.session, accounts_env(page), page.actor, account_id, token_id)
    return page.redirect(f"/accounts/{account_id}?tab=tokens", "EA access token deleted.", "info")


@router.post("/accounts/{account_id}/credentials/{credential_id}/secret")
def replace_secret(
    page: PageDep, account_id: int, credential_id: int, secret: Annotated[str, Form()] = "",
    expires_at: Annotated[str, Form()] = "",
) -> Response:
    out = sp.replace_secret(page.session, accounts_env(page), page.actor, account_id, credential_id, SecretStr(secret),
                            parse_date(expires_at))
    return page.redirect(f"/accounts/{account_id}?tab=credentials", f"Secret of {out.client_id} replaced and verified.")


@router.post("/accounts/{account_id}/credentials/{credential_id}/check")
def check_credential(page: PageDep, account_id: int, credential_id: int) -> Response:
    result = sp.check_credential(page.session, accounts_env(page), page.actor, account_id, credential_id)
    if result.ok:
        return page.redirect(f"/accounts/{account_id}?tab=credentials", "The credential works.")
    return page.redirect(f"/accounts/{account_id}?tab=credentials", f"The credential fails: {result.message}", "error")


@router.post("/accounts/{account_id}/credentials/{credential_id}/delete")
def delete_credential(page: PageDep, account_id: int, credential_id: int) -> Response:
    sp.delete_credential(page.session, accounts_env(page), page.actor, account_id, credential_id)
    return page.redirect(f"/accounts/{account_id}?tab=credentials", "Credential deleted.", "info")


@router.post("/accounts/{account_id}/workspaces")
def assign(page: PageDep, account_id: int, workspace_ids: Annotated[list[int] | None, Form()] = None) -> Response:
    service.assign_workspaces(page.session, page.actor, account_id, workspace_ids or [])
    return page.redirect(f"/accounts/{account_id}?tab=workspaces", "Workspaces saved.")


@router.get("/accounts/{account_id}/billing/{billing_id}")
def billing_page(page: PageDep, account_id: int, billing_id: int) -> Response:
    """A billing account (an integration of its own): its name and the workspaces that see
    its costs, independently of its tenant's."""
    row = service.get_billing_account(page.session, page.actor, account_id, billing_id)
    billing = service.billing_account_out(page.session, row)
    account = service.get_account(page.session, page.actor, account_id) if _sees_tenant(page, account_id) else None
    manage = page.actor.is_admin or any(page.actor.can_admin(w.id) for w in billing.workspaces) or (
        account is not None and any(page.actor.can_admin(w.id) for w in account.workspaces))
    return page.render("accounts/billing.html", billing=billing, account=account, can_manage=manage,
                       workspaces=workspaces.list_workspaces(page.session, page.actor))


def _sees_tenant(page: Page, account_id: int) -> bool:
    try:
        service.get_account(page.session, page.actor, account_id)
    except UserError:
        return False
    return True


@router.post("/accounts/{account_id}/billing/{billing_id}")
def billing_update(page: PageDep, account_id: int, billing_id: int, name: Annotated[str, Form()] = "",
                   workspace_ids: Annotated[list[int] | None, Form()] = None) -> Response:
    out = service.update_billing_account(page.session, page.actor, account_id, billing_id,
                                         BillingAccountUpdate(name=name, workspace_ids=workspace_ids or []))
    where = ", ".join(w.name for w in out.workspaces) or "no workspace (organisation admins only)"
    return page.redirect(f"/accounts/{account_id}/billing/{billing_id}",
                         f"Saved: “{out.name}”; its costs are seen in {where}.")


@router.post("/accounts/{account_id}/delete")
def remove(page: PageDep, account_id: int) -> Response:
    message = service.remove_account(page.session, accounts_env(page), page.actor, account_id)
    return page.redirect("/accounts", message, "info")

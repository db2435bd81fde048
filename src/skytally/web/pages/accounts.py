"""Cloud Tenant Setup: tenants, subscriptions, Office 365, credential health, workspaces;
Add Cloud Account; Manage per tenant (subscriptions, access tokens, credentials, workspaces).

Sending the user to Microsoft goes through a small interstitial page (a link and a meta
refresh) rather than a redirect from a form post: the CSP's `form-action 'self'` rightly
forbids form submissions that end on another origin.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, File, Form, Request, UploadFile
from fastapi.responses import Response
from pydantic import SecretStr, TypeAdapter, ValidationError

from skytally.accounts import consent_finish, ea_tokens, office365, service
from skytally.accounts import service_principals as sp
from skytally.accounts.consent_state import CALLBACK_PATH
from skytally.accounts.context import AccountsEnv
from skytally.accounts.credentials import CredentialIn
from skytally.accounts.jobs import ACTIVATE
from skytally.accounts.models import AccessLevel, AccountKind, RoleStatus
from skytally.accounts.schemas import AccountCreate, AccountOut, BillingAccountUpdate, ConsentStart
from skytally.costs import autostart as costs_autostart
from skytally.costs import explore as costs_explore
from skytally.errors import AlreadyConnected, Conflict, InvalidInput, PermissionDenied, UserError
from skytally.jobs import service as jobs
from skytally.licences.jobs import IMPORT as LICENCES_IMPORT
from skytally.web.templating import Page, PageDep
from skytally.workspaces import service as workspaces

router = APIRouter(include_in_schema=False)
LEVELS = list(AccessLevel)
TABS = ("subscriptions", "tokens", "credentials", "workspaces")
FORM_FIELDS = {"name", "tenant", "tenant_id", "client_id", "client_secret", "certificate_pem", "billing_account_id",
               "billing_name", "secret_expires_at", "workspace_ids"}


def _consent_available(page: Page) -> bool:
    """Consent flows (Add Cloud Account by consent, Add Existing Subscriptions) need
    skytally's own application: without it they are not offered."""
    app = page.runtime.settings.azure_app
    return bool(app.client_id) and app.client_secret is not None


def _can_add(page: Page) -> bool:
    return page.actor.is_admin or bool(_admin_workspaces(page))


def _env(page: Page) -> AccountsEnv:
    return AccountsEnv(page.runtime.settings, page.runtime.vault)


def _admin_workspaces(page: Page) -> list[Any]:
    return [w for w in workspaces.list_workspaces(page.session, page.actor) if page.actor.can_admin(w.id)]


def _go_to_microsoft(page: Page, start: ConsentStart, what: str) -> Response:
    from urllib.parse import urlsplit

    endpoints = page.runtime.settings.endpoints
    # A sign-in server behind a private CA (the emulator, a lab): a browser that never saw
    # that CA stops on a certificate warning; the page says in one line what to do.
    sign_in = urlsplit(start.url)
    private_ca = {"ca": str(endpoints.ca_bundle), "origin": f"{sign_in.scheme}://{sign_in.netloc}/"} \
        if endpoints.ca_bundle is not None else None
    return page.render("accounts/redirect.html", start=start, what=what, private_ca=private_ca)


def _date(value: str, field: str = "secret_expires_at") -> datetime | None:
    if not value.strip():
        return None
    try:
        return datetime.fromisoformat(value.strip()).replace(tzinfo=UTC)
    except ValueError:
        raise InvalidInput(f"{value!r} is not a date; use YYYY-MM-DD", field=field) from None


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
        can_add=_can_add(page), consent_available=_consent_available(page),
        billing_only=[b for b in service.list_billing_accounts(page.session, page.actor)
                      if b.account_id not in {a.id for a in accounts}],
    )


@router.get("/accounts/new")
def new_page(page: PageDep, kind: str = "azure", account: int | None = None) -> Response:
    return _new_form(page, kind, account)


@router.get("/accounts/add-existing")
def add_existing_page(page: PageDep, kind: str = "azure") -> Response:
    """Add Existing Subscriptions: the type (Azure or Office 365), then the tenant; another
    owner (or Global Administrator) consents for what they own."""
    wanted = AccountKind.OFFICE365 if kind == "office365" else AccountKind.AZURE
    manageable = [a for a in service.list_accounts(page.session, page.actor, wanted)
                  if page.actor.is_admin or any(page.actor.can_admin(w.id) for w in a.workspaces)]
    return page.render("accounts/add_existing.html", kind=wanted.value, accounts=manageable,
                       consent_available=_consent_available(page))


@router.post("/accounts/add-existing")
def add_existing(page: PageDep, account_id: Annotated[int, Form()]) -> Response:
    start = service.start_add_subscriptions(page.session, _env(page), page.actor, account_id)
    return _go_to_microsoft(page, start, "consent for more subscriptions")


def _new_form(page: Page, kind: str, into: int | None = None, *, form: dict[str, Any] | None = None,
              error: UserError | None = None, status_code: int = 200) -> Response:
    """Add Cloud Account (or, with `into`, add a credential to that account); after an error,
    the same form with the message next to its field and every value typed kept (except a
    secret, which the page never receives back: its field says to enter it again)."""
    target = service.get_account(page.session, page.actor, into) if into is not None else None
    field = error.field if error is not None else None
    return page.render(
        "accounts/new.html", status_code=status_code, o365_permissions=office365.PERMISSIONS,
        kind=kind if kind in ("azure", "office365", "sp") else "azure", into=target,
        workspaces=_admin_workspaces(page), redirect_uri=page.runtime.settings.base_url.rstrip("/") + CALLBACK_PATH,
        form=form or {}, error=error, field=field,
        existing_id=error.account_id if isinstance(error, AlreadyConnected) else None,
        existing_billing=_existing_billing(page, error, form or {}),
    )


def _existing_billing(page: Page, error: UserError | None, form: dict[str, Any]) -> int | None:
    """The billing account an AlreadyConnected refusal is about, if it is one (its page)."""
    typed = str(form.get("billing_account_id") or "").strip()
    if not isinstance(error, AlreadyConnected) or not typed:
        return None
    for b in service.get_account(page.session, page.actor, error.account_id).billing_accounts:
        if b.billing_account_id == typed.strip("/").rsplit("/", 1)[-1]:
            return b.id
    return None


def _as_user_error(exc: ValidationError) -> UserError:
    first = exc.errors()[0] if exc.errors() else {}
    loc = [str(x) for x in first.get("loc", ())]
    field = next((x for x in reversed(loc) if x in FORM_FIELDS), None)
    field = "certificate" if field == "certificate_pem" else field
    message = str(first.get("msg", "invalid input")).removeprefix("Value error, ")
    return InvalidInput(f"{field.replace('_', ' ') if field else 'input'}: {message}", field=field)


def _failed_form(page: Page, kind: str, into: int | None, form: dict[str, Any], exc: Exception) -> Response:
    page.session.rollback()  # nothing of a refused attempt is kept
    error = exc if isinstance(exc, UserError) else _as_user_error(exc)  # type: ignore[arg-type]
    status = 409 if isinstance(error, Conflict) else 403 if isinstance(error, PermissionDenied) else 422
    return _new_form(page, kind, into, form=form, error=error, status_code=status)


@router.post("/accounts")
def add(
    page: PageDep,
    kind: Annotated[str, Form()] = "azure",
    name: Annotated[str, Form()] = "",
    tenant: Annotated[str, Form()] = "",
    workspace_ids: Annotated[list[int] | None, Form()] = None,
) -> Response:
    form = {"name": name, "tenant": tenant, "workspace_ids": workspace_ids or []}
    try:
        data = AccountCreate(kind=AccountKind(kind), name=name, tenant=tenant, workspace_ids=workspace_ids or [])
        start = service.start_add_account(page.session, _env(page), page.actor, data)
    except (UserError, ValidationError) as exc:
        if isinstance(exc, UserError) and exc.field is None and not isinstance(exc, AlreadyConnected):
            exc.field = "tenant"
        return _failed_form(page, kind, None, form, exc)
    return _go_to_microsoft(page, start, "Office 365 admin consent" if data.kind is AccountKind.OFFICE365 else "Azure consent")


@router.post("/accounts/service-principal")
async def connect_sp(
    page: PageDep,
    background: BackgroundTasks,
    name: Annotated[str, Form()] = "",
    tenant_id: Annotated[str, Form()] = "",
    client_id: Annotated[str, Form()] = "",
    client_secret: Annotated[str, Form()] = "",
    certificate: Annotated[UploadFile | None, File()] = None,
    billing_account_id: Annotated[str, Form()] = "",
    billing_name: Annotated[str, Form()] = "",
    secret_expires_at: Annotated[str, Form()] = "",
    workspace_ids: Annotated[list[int] | None, Form()] = None,
    into_account_id: Annotated[int | None, Form()] = None,
    reads: Annotated[str, Form()] = "azure",
) -> Response:
    form = {"name": name, "tenant_id": tenant_id, "client_id": client_id, "billing_account_id": billing_account_id,
            "billing_name": billing_name, "secret_expires_at": secret_expires_at, "workspace_ids": workspace_ids or []}
    pem = (await certificate.read()).decode("utf-8", "replace") if certificate and certificate.filename else ""
    try:
        payload: dict[str, Any] = {"tenant_id": tenant_id, "client_id": client_id,
                                   "billing_account_id": billing_account_id or None}
        if pem:
            payload.update(kind="certificate", certificate_pem=pem)
        else:
            payload.update(kind="client_secret", client_secret=client_secret,
                           secret_expires_at=_date(secret_expires_at))
        data = TypeAdapter(CredentialIn).validate_python(payload)
        if reads == "office365":
            o365 = office365.connect_service_principal(page.session, _env(page), page.actor, name, data,
                                                       workspace_ids or [])
        else:
            account, _cred, result = sp.connect(page.session, _env(page), page.actor, name, data,
                                                workspace_ids or [], into_account_id=into_account_id,
                                                billing_name=billing_name)
    except (UserError, ValidationError) as exc:
        return _failed_form(page, "sp", into_account_id, {**form, "reads": reads}, exc)
    if reads == "office365":
        runtime = page.runtime
        background.add_task(jobs.submit_unique, runtime.db, runtime.queue, LICENCES_IMPORT, key={"account_id": o365.id},
                            target=f"account {o365.id}", queued_by=page.actor.email)
        return page.redirect(f"/licences?account={o365.id}",
                             f"Connected Office 365 tenant {o365.name} with application {data.client_id}; the first "
                             "licence import is running.")
    _start_imports(page, background, account.id)
    return page.redirect(
        f"/accounts/{account.id}" + ("" if result.billing else "?tab=credentials"),
        f"Connected with application {data.client_id}: {len(result.subscriptions)} subscription(s)"
        + (f", billing account {result.billing.billing_account_id} ({result.billing.agreement_type})" if result.billing else "")
        + ".",
    )


@router.get(CALLBACK_PATH)
def callback(request: Request, page: PageDep, background: BackgroundTasks) -> Response:
    outcome = consent_finish.complete(page.session, _env(page), page.actor, dict(request.query_params))
    if outcome.ok and outcome.account_id is not None:
        _start_imports(page, background, outcome.account_id)
        if any(s.role_status is RoleStatus.ACTIVATING for s in outcome.subscriptions):
            runtime = page.runtime
            background.add_task(jobs.submit, runtime.db, runtime.queue, ACTIVATE, target=f"account {outcome.account_id}",
                                params={"account_id": outcome.account_id}, queued_by=page.actor.email)
        if service.get_account(page.session, page.actor, outcome.account_id).kind is AccountKind.OFFICE365:
            # The first licence import starts as soon as the tenant is connected.
            runtime = page.runtime
            background.add_task(jobs.submit_unique, runtime.db, runtime.queue, LICENCES_IMPORT,
                                key={"account_id": outcome.account_id}, target=f"account {outcome.account_id}",
                                queued_by=page.actor.email)
        return page.redirect(f"/accounts/{outcome.account_id}", outcome.message)
    return page.render("accounts/consent_result.html", outcome=outcome, status_code=400)


# --- one tenant -------------------------------------------------------------------------
def _detail(page: Page, account: AccountOut, tab: str) -> Response:
    return page.render(
        "accounts/detail.html", account=account, tab=tab if tab in TABS else "subscriptions", levels=LEVELS,
        workspaces=workspaces.list_workspaces(page.session, page.actor),
        can_manage=page.actor.is_admin or any(page.actor.can_admin(w.id) for w in account.workspaces),
        polling=any(s.role_status is RoleStatus.ACTIVATING for s in account.subscriptions),
        consent_available=_consent_available(page),
        cost_imports=_cost_imports(page, account.id) if account.kind is AccountKind.AZURE else [],
    )


def _cost_imports(page: Page, account_id: int) -> list[Any]:
    return costs_explore.import_status(page.session, page.actor, account_id)


def _start_imports(page: Page, background: BackgroundTasks, account_id: int) -> None:
    """Once the connection is committed: the first inventory sync and cost imports."""
    runtime = page.runtime
    background.add_task(costs_autostart.on_connected, runtime.db, runtime.queue, account_id, page.actor.email)


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
    start = service.start_add_subscriptions(page.session, _env(page), page.actor, account_id)
    return _go_to_microsoft(page, start, "consent for more subscriptions")


@router.post("/accounts/{account_id}/subscriptions/{subscription_id}/access")
def change_access(page: PageDep, account_id: int, subscription_id: str, level: Annotated[str, Form()] = "") -> Response:
    try:
        wanted = AccessLevel(level)
    except ValueError:
        raise InvalidInput(f"unknown access level {level!r}; use one of {', '.join(x.value for x in LEVELS)}") from None
    result = service.change_access(page.session, _env(page), page.actor, account_id, subscription_id, wanted)
    if isinstance(result, ConsentStart):
        return _go_to_microsoft(page, result, f"an owner's consent to switch to {wanted.value}")
    return page.redirect(f"/accounts/{account_id}", f"{result.display_name} now imports at level {result.access_level.value}.")


@router.post("/accounts/{account_id}/tokens")
async def add_token(
    page: PageDep, background: BackgroundTasks, account_id: int, token: Annotated[str, Form()] = "",
    token_file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    if token_file is not None and token_file.filename:
        token = (await token_file.read()).decode("utf-8", "replace")
    added = ea_tokens.add(page.session, _env(page), page.actor, account_id, token)
    _start_imports(page, background, account_id)
    return page.redirect(f"/accounts/{account_id}?tab=tokens",
                         f"EA access token for enrollment {added.enrollment_number} added (expires {added.expires_at:%Y-%m-%d})."
                         if added.expires_at else f"EA access token for enrollment {added.enrollment_number} added.")


@router.post("/accounts/{account_id}/tokens/{token_id}/delete")
def delete_token(page: PageDep, account_id: int, token_id: int) -> Response:
    ea_tokens.delete(page.session, _env(page), page.actor, account_id, token_id)
    return page.redirect(f"/accounts/{account_id}?tab=tokens", "EA access token deleted.", "info")


@router.post("/accounts/{account_id}/credentials/{credential_id}/secret")
def replace_secret(
    page: PageDep, account_id: int, credential_id: int, secret: Annotated[str, Form()] = "",
    expires_at: Annotated[str, Form()] = "",
) -> Response:
    out = sp.replace_secret(page.session, _env(page), page.actor, account_id, credential_id, SecretStr(secret),
                            _date(expires_at))
    return page.redirect(f"/accounts/{account_id}?tab=credentials", f"Secret of {out.client_id} replaced and verified.")


@router.post("/accounts/{account_id}/credentials/{credential_id}/check")
def check_credential(page: PageDep, account_id: int, credential_id: int) -> Response:
    result = sp.check_credential(page.session, _env(page), page.actor, account_id, credential_id)
    if result.ok:
        return page.redirect(f"/accounts/{account_id}?tab=credentials", "The credential works.")
    return page.redirect(f"/accounts/{account_id}?tab=credentials", f"The credential fails: {result.message}", "error")


@router.post("/accounts/{account_id}/credentials/{credential_id}/delete")
def delete_credential(page: PageDep, account_id: int, credential_id: int) -> Response:
    sp.delete_credential(page.session, _env(page), page.actor, account_id, credential_id)
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
    message = service.remove_account(page.session, _env(page), page.actor, account_id)
    return page.redirect("/accounts", message, "info")

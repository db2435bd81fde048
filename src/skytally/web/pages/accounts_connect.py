"""Connecting tenants: Add Cloud Account (by consent or with the customer's own service
principal), Add Existing Subscriptions, the consent callback; and what every flow that ends
at Microsoft or adds a connection shares (`go_to_microsoft`, `start_imports`).

Sending the user to Microsoft goes through a small interstitial page (a link and a meta
refresh) rather than a redirect from a form post: the CSP's `form-action 'self'` rightly
forbids form submissions that end on another origin.

A refused form is shown again with the message next to its field and what was typed kept
(`_new_form`). The tenant pages themselves are in pages/accounts.py.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, File, Form, Request, UploadFile
from fastapi.responses import Response
from pydantic import TypeAdapter, ValidationError

from skytally.accounts import consent_finish, office365, service
from skytally.accounts import service_principals as sp
from skytally.accounts.consent_state import CALLBACK_PATH
from skytally.accounts.context import AccountsEnv
from skytally.accounts.credentials import CredentialIn
from skytally.accounts.jobs import ACTIVATE
from skytally.accounts.schemas import AccountCreate, AccountKind, ConsentStart, RoleStatus
from skytally.costs import autostart as costs_autostart
from skytally.errors import AlreadyConnected, Conflict, InvalidInput, PermissionDenied, UserError
from skytally.jobs import service as jobs
from skytally.licences.jobs import IMPORT as LICENCES_IMPORT
from skytally.web.templating import Page, PageDep
from skytally.workspaces import service as workspaces

router = APIRouter(include_in_schema=False)
FORM_FIELDS = {"name", "tenant", "tenant_id", "client_id", "client_secret", "certificate_pem", "billing_account_id",
               "billing_name", "secret_expires_at", "workspace_ids"}


def consent_available(page: Page) -> bool:
    """Consent flows (Add Cloud Account by consent, Add Existing Subscriptions) need
    skytally's own application: without it they are not offered."""
    app = page.runtime.settings.azure_app
    return bool(app.client_id) and app.client_secret is not None


def accounts_env(page: Page) -> AccountsEnv:
    return AccountsEnv(page.runtime.settings, page.runtime.vault)


def admin_workspaces(page: Page) -> list[Any]:
    return [w for w in workspaces.list_workspaces(page.session, page.actor) if page.actor.can_admin(w.id)]


def go_to_microsoft(page: Page, start: ConsentStart, what: str) -> Response:
    from urllib.parse import urlsplit

    endpoints = page.runtime.settings.endpoints
    # A sign-in server behind a private CA (the emulator, a lab): a browser that never saw
    # that CA stops on a certificate warning; the page says in one line what to do.
    sign_in = urlsplit(start.url)
    private_ca = {"ca": str(endpoints.ca_bundle), "origin": f"{sign_in.scheme}://{sign_in.netloc}/"} \
        if endpoints.ca_bundle is not None else None
    return page.render("accounts/redirect.html", start=start, what=what, private_ca=private_ca)


def start_imports(page: Page, background: BackgroundTasks, account_id: int) -> None:
    """Once the connection is committed: the first inventory sync and cost imports."""
    runtime = page.runtime
    background.add_task(costs_autostart.on_connected, runtime.db, runtime.queue, account_id, page.actor.email)


def parse_date(value: str, field: str = "secret_expires_at") -> datetime | None:
    if not value.strip():
        return None
    try:
        return datetime.fromisoformat(value.strip()).replace(tzinfo=UTC)
    except ValueError:
        raise InvalidInput(f"{value!r} is not a date; use YYYY-MM-DD", field=field) from None


CARRIED = ("client_id", "billing_account_id", "billing_name")  # kept from an "already connected" refusal


@router.get("/accounts/new")
def new_page(page: PageDep, kind: str = "azure", account: int | None = None, client_id: str = "",
             billing_account_id: str = "", billing_name: str = "") -> Response:
    """The form; the offer "Add a service principal credential" of an "already connected"
    refusal brings what was typed along (never the secret, which is entered again)."""
    carried = {"client_id": client_id, "billing_account_id": billing_account_id, "billing_name": billing_name}
    return _new_form(page, kind, account, form={k: v for k, v in carried.items() if v.strip()})


@router.get("/accounts/add-existing")
def add_existing_page(page: PageDep, kind: str = "azure") -> Response:
    """Add Existing Subscriptions: the type (Azure or Office 365), then the tenant; another
    owner (or Global Administrator) consents for what they own."""
    wanted = AccountKind.OFFICE365 if kind == "office365" else AccountKind.AZURE
    manageable = [a for a in service.list_accounts(page.session, page.actor, wanted)
                  if page.actor.is_admin or any(page.actor.can_admin(w.id) for w in a.workspaces)]
    return page.render("accounts/add_existing.html", kind=wanted.value, accounts=manageable,
                       consent_available=consent_available(page))


@router.post("/accounts/add-existing")
def add_existing(page: PageDep, account_id: Annotated[int, Form()]) -> Response:
    start = service.start_add_subscriptions(page.session, accounts_env(page), page.actor, account_id)
    return go_to_microsoft(page, start, "consent for more subscriptions")


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
        workspaces=admin_workspaces(page), redirect_uri=page.runtime.settings.base_url.rstrip("/") + CALLBACK_PATH,
        form=form or {}, error=error, field=field,
        existing_id=error.account_id if isinstance(error, AlreadyConnected) else None,
        existing_billing=_existing_billing(page, error, form or {}),
        carried={k: v for k, v in (form or {}).items() if k in CARRIED and v},
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
        start = service.start_add_account(page.session, accounts_env(page), page.actor, data)
    except (UserError, ValidationError) as exc:
        if isinstance(exc, UserError) and exc.field is None and not isinstance(exc, AlreadyConnected):
            exc.field = "tenant"
        return _failed_form(page, kind, None, form, exc)
    return go_to_microsoft(page, start, "Office 365 admin consent" if data.kind is AccountKind.OFFICE365 else "Azure consent")


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
                           secret_expires_at=parse_date(secret_expires_at))
        data = TypeAdapter(CredentialIn).validate_python(payload)
        if reads == "office365":
            o365 = office365.connect_service_principal(page.session, accounts_env(page), page.actor, name, data,
                                                       workspace_ids or [])
        else:
            account, _cred, result = sp.connect(page.session, accounts_env(page), page.actor, name, data,
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
    start_imports(page, background, account.id)
    return page.redirect(
        f"/accounts/{account.id}" + ("" if result.billing else "?tab=credentials"),
        f"Connected with application {data.client_id}: {len(result.subscriptions)} subscription(s)"
        # the integration by the name the user gave it (or Azure's), not its 84-character ID
        + (f", billing account {billing_name or result.billing.display_name or result.billing.billing_account_id}"
           f" ({result.billing.agreement_type})" if result.billing else "")
        + ".",
    )


@router.get(CALLBACK_PATH)
def callback(request: Request, page: PageDep, background: BackgroundTasks) -> Response:
    outcome = consent_finish.complete(page.session, accounts_env(page), page.actor, dict(request.query_params))
    if outcome.ok and outcome.account_id is not None:
        start_imports(page, background, outcome.account_id)
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

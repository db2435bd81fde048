"""Interactive endpoints: authorize (sign-in + consent), admin consent, logout."""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime, timedelta
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from azure_emulator.core.context import base_urls, get_world
from azure_emulator.core.errors import ApiError
from azure_emulator.core.http import read_form
from azure_emulator.services.entra import pages
from azure_emulator.services.entra import responses as R
from azure_emulator.services.entra.backend import AuthCode, EntraState, Flow, entra_state
from azure_emulator.services.entra.clients import is_alias, redirect_uri_allowed, resolve_tenant
from azure_emulator.services.entra.scopes import (
    ScopeRequest,
    admin_consent,
    admin_consent_only,
    ensure_service_principal,
    grant_delegated,
    is_admin,
    needed_consent,
    needs_admin,
    parse_scopes,
    permission_lines,
    requested_delegated,
)
from azure_emulator.services.entra.tokens import own_urls
from azure_emulator.world.firstparty import GRAPH_APP_ID, OIDC_SCOPES
from azure_emulator.world.model import Application, User, World

_NO_CACHE = {"Cache-Control": "no-store, no-cache", "Pragma": "no-cache"}


def _html(content: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(content, status_code=status, headers=_NO_CACHE)


def _error_page(err: ApiError, status: int = 400) -> HTMLResponse:
    code = err.body["error_codes"][0]
    desc = err.body["error_description"].split("\r\n")[0].split(": ", 1)[-1]
    return _html(pages.error_page(code, desc), status)


def _redirect(uri: str, params: dict[str, str], mode: str = "query") -> Response:
    if mode == "form_post":
        return _html(pages.form_post_page(uri, params))
    sep = "#" if mode == "fragment" else ("&" if "?" in uri else "?")
    return RedirectResponse(uri + sep + urlencode(params), status_code=302, headers=_NO_CACHE)


def _redirect_error(flow_params: dict[str, str], err: ApiError, **extra: str) -> Response:
    params = {"error": err.body["error"], **extra, "error_description": err.body["error_description"]}
    if flow_params.get("state") is not None:
        params["state"] = flow_params["state"]
    return _redirect(flow_params["redirect_uri"], params, flow_params.get("response_mode", "query"))


def _purge(state: EntraState, now: datetime) -> None:
    cutoff = now - timedelta(hours=1)
    for key in [k for k, f in state.flows.items() if f.created < cutoff]:
        state.flows.pop(key, None)
    for key in [k for k, c in state.codes.items() if c.expires < cutoff]:
        state.codes.pop(key, None)


def _validate_client(world: World, tenant_key: str, params: dict[str, str], now: datetime) -> Application | HTMLResponse:
    tenant = resolve_tenant(world, tenant_key)
    if tenant is None and not is_alias(tenant_key):
        return _error_page(R.tenant_not_found(tenant_key, now))
    client_id = params.get("client_id")
    if not client_id:
        return _error_page(R.missing_parameter("client_id", now))
    app = world.application(client_id)
    if app is None:
        return _error_page(R.app_not_found(client_id, tenant.display_name if tenant else tenant_key, now))
    if app.sign_in_audience == "AzureADMyOrg":
        if tenant is None:
            return _error_page(R.single_tenant_over_common(app.app_id, app.display_name, now))
        if tenant.tenant_id != app.home_tenant_id:
            return _error_page(R.app_not_found(client_id, tenant.display_name, now))
    redirect_uri = params.get("redirect_uri") or (app.redirect_uris[0] if len(app.redirect_uris) == 1 else "")
    if not redirect_uri:
        return _error_page(R.missing_parameter("redirect_uri", now))
    if not redirect_uri_allowed(app, redirect_uri):
        return _error_page(R.redirect_uri_mismatch(redirect_uri, client_id, now))
    params["redirect_uri"] = redirect_uri
    return app


async def authorize_get(request: Request) -> Response:
    return await _start(request, "authorize")


async def adminconsent_get(request: Request) -> Response:
    return await _start(request, "adminconsent")


async def _start(request: Request, kind: str) -> Response:
    world = get_world(request)
    now = world.clock.now()
    params = dict(request.query_params)
    tenant_key = request.path_params["tenant"]
    checked = _validate_client(world, tenant_key, params, now)
    if isinstance(checked, Response):
        return checked
    app = checked
    if kind == "authorize":
        if params.get("response_type", "code") != "code":
            return _redirect_error(params, R.response_type_unsupported(params.get("response_type", ""), now))
        method = params.get("code_challenge_method", "plain" if params.get("code_challenge") else "")
        if method and method not in ("S256", "plain"):
            return _redirect_error(params, R.missing_parameter("code_challenge_method", now))
        try:
            parse_scopes(params.get("scope", "openid"), own_urls(request), tenant_key, now)
        except ApiError as err:
            return _redirect_error(params, err)
    state = entra_state(request)
    flow = Flow(state.new_id(), kind, tenant_key, params, now)  # type: ignore[arg-type]
    with state.lock:
        _purge(state, now)
        state.flows[flow.id] = flow
    heading = "Sign in" if kind == "authorize" else "Sign in as an administrator"
    return _html(pages.signin_page(request.url.path, flow.id, app.display_name, username=params.get("login_hint", ""), heading=heading))


async def interactive_post(request: Request) -> Response:
    world = get_world(request)
    now = world.clock.now()
    form = await read_form(request)
    state = entra_state(request)
    flow = state.flows.get(form.get("flow", ""))
    if flow is None:
        return _error_page(R.code_invalid(now))
    app = world.application(flow.params["client_id"])
    if app is None:
        return _error_page(R.code_invalid(now))
    if form.get("step") == "consent" and flow.user_id:
        user = world.user(flow.user_id)
        if user is None:
            return _error_page(R.code_invalid(now))
        return _consent_decision(request, flow, app, user, form, now)
    return _signin(request, flow, app, form, now)


def _signin(request: Request, flow: Flow, app: Application, form: dict[str, str], now: datetime) -> Response:
    world = get_world(request)
    username = form.get("username", "").strip()
    user = world.user_by_upn(username) if username else None
    action = request.url.path

    def again(message: str, code: int) -> Response:
        return _html(pages.signin_page(action, flow.id, app.display_name, username=username, error=message, code=code))

    if user is None:
        return again("We couldn't find an account with that username. Try another, or get a new Microsoft account.", 50034)
    if user.password != form.get("password", ""):
        return again("Your account or password is incorrect. If you don't remember your password, reset it now.", 50126)
    if not user.account_enabled:
        return again("Your account has been locked. Contact your support person to unlock it, then try again.", 50057)
    path_tenant = resolve_tenant(world, flow.path_tenant)
    if path_tenant is not None and path_tenant.tenant_id != user.tenant_id:
        return _error_page(R.user_other_tenant(user.user_principal_name, user.tenant_id, path_tenant.display_name, app.app_id, app.display_name, now))
    flow.user_id, flow.user_tenant_id = user.object_id, user.tenant_id
    if flow.kind == "adminconsent":
        return _admin_consent_screen(request, flow, app, user)
    req = _scopes(request, flow, user, now)
    tenant = world.tenants[user.tenant_id]
    needed = needed_consent(tenant, app, user, req)
    if tenant.service_principal_by_app_id(app.app_id) is None or flow.params.get("prompt") == "consent":
        needed = list(dict.fromkeys([*requested_delegated(app, req), *sorted(req.oidc), *needed]))
    if not needed:
        return _issue_code(request, flow, user, now)
    if flow.params.get("prompt") == "none":
        return _redirect_error(flow.params, R.consent_required(app.app_id, app.display_name, now))
    admin_only = needs_admin(req.resource.app_id, needed)
    publisher = world.tenants[app.home_tenant_id].display_name
    lines = permission_lines(app, req, needed, application=False)
    return _html(pages.consent_page(action, flow.id, app.display_name, publisher, user.user_principal_name, lines,
                                    org_option=is_admin(user), need_admin=bool(admin_only) and not is_admin(user)))


def _scopes(request: Request, flow: Flow, user: User, now: datetime) -> ScopeRequest:
    world = get_world(request)
    return parse_scopes(flow.params.get("scope", "openid"), own_urls(request), world.tenants[user.tenant_id].display_name, now)


def _admin_consent_screen(request: Request, flow: Flow, app: Application, user: User) -> Response:
    world = get_world(request)
    publisher = world.tenants[app.home_tenant_id].display_name
    lines = permission_lines(app, None, [], application=True, only=admin_consent_only(flow.params.get("scope")))
    return _html(pages.consent_page(request.url.path, flow.id, app.display_name, publisher, user.user_principal_name,
                                    lines, org_option=False, for_org=True, need_admin=not is_admin(user)))


def _consent_decision(request: Request, flow: Flow, app: Application, user: User, form: dict[str, str], now: datetime) -> Response:
    world = get_world(request)
    tenant = world.tenants[user.tenant_id]
    accepted = form.get("action") == "accept"
    if flow.kind == "adminconsent":
        entra_state(request).flows.pop(flow.id, None)
        if not accepted or not is_admin(user):
            params = {"error": "permission_denied", "error_description": "The admin canceled the request"}
            if not is_admin(user):
                err = R.admin_required(now)
                params = {"error": "access_denied", "error_description": err.body["error_description"]}
            if "state" in flow.params:
                params["state"] = flow.params["state"]
            return _redirect(flow.params["redirect_uri"], params)
        admin_consent(world, tenant, app, now, admin_consent_only(flow.params.get("scope")))
        params = {"admin_consent": "True", "tenant": tenant.tenant_id}
        if "state" in flow.params:
            params["state"] = flow.params["state"]
        if "scope" in flow.params:
            params["scope"] = flow.params["scope"]
        return _redirect(flow.params["redirect_uri"], params)
    if not accepted:
        entra_state(request).flows.pop(flow.id, None)
        return _redirect_error(flow.params, R.user_declined(now), error_subcode="cancel")
    req = _scopes(request, flow, user, now)
    wanted = requested_delegated(app, req)
    if needs_admin(req.resource.app_id, wanted) and not is_admin(user):
        return _redirect_error(flow.params, R.admin_required(now))
    for_org = is_admin(user) and form.get("consent_org") == "true"
    grantee = None if for_org else user.object_id
    with world.lock:
        ensure_service_principal(tenant, app, now)
        grant_delegated(tenant, app.app_id, req.resource.app_id, wanted, grantee, now)
        grant_delegated(tenant, app.app_id, GRAPH_APP_ID, sorted(req.oidc & OIDC_SCOPES), grantee, now)
    return _issue_code(request, flow, user, now)


def _issue_code(request: Request, flow: Flow, user: User, now: datetime) -> Response:
    state = entra_state(request)
    code = "1.A" + secrets.token_urlsafe(64)
    p = flow.params
    with state.lock:
        state.codes[code] = AuthCode(
            client_id=p["client_id"], redirect_uri=p["redirect_uri"], user_id=user.object_id, tenant_id=user.tenant_id,
            scope=p.get("scope", "openid"), code_challenge=p.get("code_challenge"),
            code_challenge_method=p.get("code_challenge_method", "plain" if p.get("code_challenge") else None),
            nonce=p.get("nonce"), expires=now + timedelta(minutes=10),
        )
        state.flows.pop(flow.id, None)
    params = {"code": code}
    if "state" in p:
        params["state"] = p["state"]
    params["session_state"] = str(uuid.uuid5(uuid.NAMESPACE_OID, user.object_id))
    return _redirect(p["redirect_uri"], params, p.get("response_mode", "query"))


async def logout(request: Request) -> Response:
    target = request.query_params.get("post_logout_redirect_uri")
    if target:
        return RedirectResponse(target, status_code=302)
    root = base_urls(request).root
    return _html(f"<!DOCTYPE html><html><body><p id=\"signed-out\">You signed out of your account.</p><p>{root}</p></body></html>")

"""The token endpoint: ``POST /{tenant}/oauth2/v2.0/token``.

Grants: client_credentials (secret or certificate assertion), authorization_code (with
PKCE), refresh_token, and password (ROPC; handy for tests). Errors are AADSTS-shaped.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from azure_emulator.core.context import base_urls, get_runtime, get_world
from azure_emulator.core.http import JsonResponse, read_form
from azure_emulator.services.entra import devicecode, minting
from azure_emulator.services.entra import responses as R
from azure_emulator.services.entra.backend import entra_state
from azure_emulator.services.entra.clients import (
    app_in_tenant,
    authenticate_client,
    basic_auth,
    is_alias,
    resolve_tenant,
)
from azure_emulator.services.entra.scopes import (
    ScopeRequest,
    app_roles_for,
    granted_scopes,
    parse_scopes,
    requested_delegated,
)
from azure_emulator.world.model import Application, Tenant, User, World

TOKEN_HEADERS = {"Cache-Control": "no-store, no-cache", "Pragma": "no-cache", "Expires": "-1", "x-ms-clitelem": "1,0,0,,"}
GRANTS = ("client_credentials", "authorization_code", "refresh_token", "password", devicecode.GRANT)
own_urls = devicecode.own_urls


async def token_endpoint(request: Request) -> Response:
    world = get_world(request)
    now = world.clock.now()
    form = await read_form(request)
    basic_id, basic_secret = basic_auth(request.headers.get("authorization"))
    client_id = form.get("client_id") or basic_id
    grant = form.get("grant_type")
    if not grant:
        raise R.missing_parameter("grant_type", now)
    if grant not in GRANTS:
        raise R.unsupported_grant(grant, now)
    if not client_id:
        raise R.missing_parameter("client_id", now)
    tenant_key = request.path_params["tenant"]
    tenant = resolve_tenant(world, tenant_key)
    if tenant is None and not is_alias(tenant_key):
        raise R.tenant_not_found_token(tenant_key, now)
    ctx = _Ctx(request, world, now, form, client_id, basic_secret)
    if grant == "client_credentials":
        body = ctx.client_credentials(tenant)
    elif grant == "password":
        body = ctx.password(tenant)
    elif grant == "authorization_code":
        body = ctx.authorization_code()
    elif grant == devicecode.GRANT:
        body = ctx.device_code()
    else:
        body = ctx.refresh_token()
    return JsonResponse(body, headers=TOKEN_HEADERS)


class _Ctx:
    def __init__(self, request: Request, world: World, now: datetime, form: dict[str, str], client_id: str, basic_secret: str | None):
        self.request, self.world, self.now, self.form = request, world, now, form
        self.client_id, self.basic_secret = client_id, basic_secret
        self.root = base_urls(request).root
        self.signer = get_runtime(request).signer
        self.state = entra_state(request)

    def _auth(self, app: Application) -> int:
        return authenticate_client(app, self.form, self.basic_secret, self.root, self.now)

    def _scopes(self, tenant_name: str, default: str = "") -> ScopeRequest:
        return parse_scopes(self.form.get("scope") or default, own_urls(self.request), tenant_name, self.now)

    # --- client credentials ---------------------------------------------------------
    def client_credentials(self, tenant: Tenant | None) -> dict[str, Any]:
        if tenant is None:
            raise R.grant_over_common(self.now)
        scope = self.form.get("scope")
        if not scope:
            raise R.missing_parameter("scope", self.now)
        found = app_in_tenant(self.world, self.client_id, tenant)
        if found is None:
            raise R.app_not_found(self.client_id, tenant.display_name, self.now)
        app, sp = found
        acr = self._auth(app)
        parts = scope.split()
        if any(not p.endswith("/.default") for p in parts):
            raise R.scope_not_default(scope, self.now)
        req = self._scopes(tenant.display_name)
        roles = app_roles_for(tenant, sp, req.resource.app_id)
        return minting.app_token(
            self.signer, self.root, tenant.tenant_id, req.resource, app.app_id, sp, roles, acr, self.now,
            entra_state(self.request).token_lifetime_seconds,
        )

    # --- delegated --------------------------------------------------------------------
    def _issue(self, user: User, app: Application, req: ScopeRequest, acr: int, nonce: str | None = None) -> dict[str, Any]:
        tenant = self.world.tenants[user.tenant_id]
        if tenant.service_principal_by_app_id(app.app_id) is None:
            raise R.consent_required(app.app_id, app.display_name, self.now)
        granted = granted_scopes(tenant, app.app_id, req.resource.app_id, user.object_id)
        wanted = requested_delegated(app, req)
        if not granted or any(s not in granted for s in wanted if not req.is_default):
            raise R.consent_required(app.app_id, app.display_name, self.now)
        return minting.user_tokens(
            self.signer, self.state, self.root, user, app.app_id, req.resource, sorted(granted), req.oidc, acr,
            self.now, nonce=nonce, want_client_info=self.form.get("client_info") == "1",
        )

    def _app_for_user(self, user: User, tenant_key_tenant: Tenant | None) -> Application:
        app = self.world.application(self.client_id)
        user_tenant = self.world.tenants[user.tenant_id]
        if app is None:
            raise R.app_not_found(self.client_id, user_tenant.display_name, self.now)
        if app.sign_in_audience == "AzureADMyOrg" and app.home_tenant_id != user.tenant_id:
            if tenant_key_tenant is None:
                raise R.single_tenant_over_common(app.app_id, app.display_name, self.now)
            raise R.app_not_found(self.client_id, user_tenant.display_name, self.now)
        return app

    def password(self, tenant: Tenant | None) -> dict[str, Any]:
        username, password = self.form.get("username"), self.form.get("password")
        if not username:
            raise R.missing_parameter("username", self.now)
        if not password:
            raise R.missing_parameter("password", self.now)
        user = self.world.user_by_upn(username)
        if user is None or (tenant is not None and user.tenant_id != tenant.tenant_id):
            name = tenant.display_name if tenant else username.rpartition("@")[2]
            raise R.user_not_found(name, self.now)
        app = self._app_for_user(user, tenant)
        acr = self._auth(app)
        if not hmac.compare_digest(user.password.encode(), password.encode()):
            raise R.bad_password(self.now)
        if not user.account_enabled:
            raise R.user_disabled(self.now)
        req = self._scopes(self.world.tenants[user.tenant_id].display_name)
        return self._issue(user, app, req, acr)

    def authorization_code(self) -> dict[str, Any]:
        code = self.form.get("code")
        if not code:
            raise R.missing_parameter("code", self.now)
        with self.state.lock:
            ac = self.state.codes.get(code)
            if ac is None:
                raise R.code_invalid(self.now)
            if ac.redeemed:
                raise R.code_redeemed(self.now)
            if ac.expires <= self.now:
                raise R.code_expired(self.now)
            if ac.client_id != self.client_id:
                raise R.client_mismatch(self.now)
            sent_redirect = self.form.get("redirect_uri", "")
            if sent_redirect != ac.redirect_uri:
                raise R.redirect_mismatch_grant(sent_redirect, ac.redirect_uri, self.now)
            if ac.code_challenge:
                verifier = self.form.get("code_verifier", "")
                if ac.code_challenge_method == "S256":
                    computed = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
                else:
                    computed = verifier
                if not verifier or not hmac.compare_digest(computed, ac.code_challenge):
                    raise R.pkce_mismatch(self.now)
            app = self.world.application(self.client_id)
            if app is None:
                raise R.code_invalid(self.now)
            acr = self._auth(app)
            ac.redeemed = True
        user = self.world.user(ac.user_id)
        if user is None:
            raise R.code_invalid(self.now)
        req = self._scopes(self.world.tenants[user.tenant_id].display_name, ac.scope)
        return self._issue(user, app, req, acr, nonce=ac.nonce)

    def device_code(self) -> dict[str, Any]:
        code = self.form.get("device_code")
        if not code:
            raise R.missing_parameter("device_code", self.now)
        user_id, scope = devicecode.redeem(self.request, code, self.client_id, self.now)
        user = self.world.user(user_id)
        app = self.world.application(self.client_id)
        if user is None or app is None:
            raise devicecode.unknown(self.now)
        req = self._scopes(self.world.tenants[user.tenant_id].display_name, scope)
        return self._issue(user, app, req, 0)

    def refresh_token(self) -> dict[str, Any]:
        token = self.form.get("refresh_token")
        if not token:
            raise R.missing_parameter("refresh_token", self.now)
        grant = self.state.refresh.get(token)
        if grant is None:
            raise R.code_invalid(self.now)
        if minting.refresh_expired(grant, self.now):
            raise R.refresh_expired(grant.issued, self.now)
        if grant.client_id != self.client_id:
            raise R.client_mismatch(self.now)
        user = self.world.user(grant.user_id)
        app = self.world.application(self.client_id)
        if user is None or app is None:
            raise R.code_invalid(self.now)
        acr = self._auth(app)
        grant.last_used = self.now
        req = self._scopes(self.world.tenants[user.tenant_id].display_name)
        req.oidc.add("offline_access")
        return self._issue(user, app, req, acr)

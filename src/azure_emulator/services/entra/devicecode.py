"""The device code flow (RFC 8628) as Entra ID runs it, for public clients (the Azure CLI's
``az login --use-device-code``):

- ``POST /{tenant}/oauth2/v2.0/devicecode`` (``client_id``, ``scope``) → ``device_code``,
  ``user_code``, ``verification_uri`` (``<root>/devicelogin``), ``expires_in`` 900,
  ``interval`` 5, ``message``
- ``GET /devicelogin`` → a page asking for the code, then the account (``#otc``,
  ``#username``, ``#password``, ``#signin``); ``POST /devicelogin`` signs the user in for that
  code. Consent is not asked on this page: the app must already be consented (first-party
  clients such as the Azure CLI are preauthorized); otherwise the page shows AADSTS65001.
- the token endpoint's ``urn:ietf:params:oauth:grant-type:device_code`` grant answers 400
  ``authorization_pending`` (AADSTS70016) until then, ``expired_token`` (AADSTS70020) after
  900 s of emulator clock, ``invalid_grant`` (AADSTS70000) for an unknown or used code.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from html import escape

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from azure_emulator.core.context import base_urls, get_world
from azure_emulator.core.errors import ApiError, aad_error
from azure_emulator.core.http import JsonResponse, read_form
from azure_emulator.core.resources import Api
from azure_emulator.services.entra import pages
from azure_emulator.services.entra import responses as R
from azure_emulator.services.entra.backend import entra_state
from azure_emulator.services.entra.clients import is_alias, resolve_tenant
from azure_emulator.services.entra.scopes import needed_consent, parse_scopes
from azure_emulator.world.model import World

GRANT = "urn:ietf:params:oauth:grant-type:device_code"
LIFETIME = timedelta(seconds=900)
INTERVAL = 5
_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ23456789"


@dataclass(slots=True)
class DeviceFlow:
    device_code: str
    user_code: str
    client_id: str
    scope: str
    path_tenant: str
    expires: datetime
    user_id: str | None = None


def _flows(request: Request) -> dict[str, DeviceFlow]:
    return entra_state(request).device_flows  # type: ignore[return-value]


def own_urls(request: Request) -> dict[Api, str]:
    base = base_urls(request)
    return {"arm": base.arm, "graph": base.graph, "ea": base.ea}


def pending(now: datetime) -> ApiError:
    return aad_error(400, "authorization_pending",
                     "OAuth 2.0 device flow error. Authorization is pending. Continue polling.", [70016], now=now)


def expired(now: datetime) -> ApiError:
    return aad_error(400, "expired_token", "The provided value for the input parameter 'device_code' is not valid. "
                     "The device code has expired.", [70020], now=now)


def unknown(now: datetime) -> ApiError:
    return aad_error(400, "invalid_grant", "The provided value for the input parameter 'device_code' is not valid.",
                     [70000], now=now)


async def devicecode_endpoint(request: Request) -> Response:
    world = get_world(request)
    now = world.clock.now()
    form = await read_form(request)
    tenant_key = request.path_params["tenant"]
    if resolve_tenant(world, tenant_key) is None and not is_alias(tenant_key):
        raise R.tenant_not_found_token(tenant_key, now)
    client_id = form.get("client_id")
    if not client_id:
        raise R.missing_parameter("client_id", now)
    scope = form.get("scope")
    if not scope:
        raise R.missing_parameter("scope", now)
    app = world.application(client_id)
    if app is None:
        raise R.app_not_found(client_id, tenant_key, now)
    if not app.is_public_client:
        raise aad_error(400, "invalid_client", "The request body must contain the following parameter: "
                        "'client_assertion' or 'client_secret'.", [7000218], now=now)
    parse_scopes(scope, own_urls(request), tenant_key, now)  # 400 for an unknown scope, now
    user_code = "".join(secrets.choice(_ALPHABET) for _ in range(9))
    flow = DeviceFlow(secrets.token_urlsafe(48), user_code, client_id, scope, tenant_key, now + LIFETIME)
    _flows(request)[flow.device_code] = flow
    uri = f"{base_urls(request).root}/devicelogin"
    return JsonResponse({
        "user_code": user_code,
        "device_code": flow.device_code,
        "verification_uri": uri,
        "expires_in": int(LIFETIME.total_seconds()),
        "interval": INTERVAL,
        "message": f"To sign in, use a web browser to open the page {uri} and enter the code {user_code} to authenticate.",
    }, headers={"Cache-Control": "no-store, no-cache", "Pragma": "no-cache"})


def _page(error: str | None = None, code: int | None = None, otc: str = "", username: str = "") -> str:
    err = pages.error_div(error, code)
    body = (
        "<h1>Enter code</h1><p class=\"muted\">Enter the code displayed on your app or device, then sign in.</p>"
        f"{err}<form method=\"post\" action=\"/devicelogin\" id=\"device-form\">"
        f"<input type=\"text\" id=\"otc\" name=\"otc\" placeholder=\"Code\" value=\"{escape(otc)}\" required>"
        f"<input type=\"email\" id=\"username\" name=\"username\" placeholder=\"Email\" value=\"{escape(username)}\" required>"
        "<input type=\"password\" id=\"password\" name=\"password\" placeholder=\"Password\" required>"
        "<div class=\"buttons\"><button type=\"submit\" id=\"signin\" class=\"primary\">Sign in</button></div></form>"
    )
    return pages.page("Enter code", body)


async def devicelogin_get(request: Request) -> Response:
    return HTMLResponse(_page(otc=request.query_params.get("otc", "")))


def _find(request: Request, otc: str) -> DeviceFlow | None:
    wanted = otc.strip().upper()
    return next((f for f in _flows(request).values() if hmac.compare_digest(f.user_code, wanted)), None)


async def devicelogin_post(request: Request) -> Response:
    world: World = get_world(request)
    now = world.clock.now()
    form = await read_form(request)
    otc, username, password = form.get("otc", ""), form.get("username", ""), form.get("password", "")
    flow = _find(request, otc)
    if flow is None or flow.expires <= now or flow.user_id is not None:
        return HTMLResponse(_page("That code didn't work. Check the code and try again.", 70000, otc, username), 400)
    user = world.user_by_upn(username)
    path_tenant = resolve_tenant(world, flow.path_tenant)
    if user is None or (path_tenant is not None and user.tenant_id != path_tenant.tenant_id):
        return HTMLResponse(_page("This account does not exist in the directory.", 50034, otc, username), 400)
    if not hmac.compare_digest(user.password.encode(), password.encode()):
        return HTMLResponse(_page("Your account or password is incorrect.", 50126, otc, username), 400)
    if not user.account_enabled:
        return HTMLResponse(_page("Your account has been locked.", 50057, otc, username), 400)
    app = world.application(flow.client_id)
    assert app is not None
    req = parse_scopes(flow.scope, own_urls(request), flow.path_tenant, now)
    if needed_consent(world.tenants[user.tenant_id], app, user, req):
        return HTMLResponse(_page(f"{app.display_name} needs permission that has not been granted "
                                  "(sign in once through the browser to consent).", 65001, otc, username), 400)
    flow.user_id = user.object_id
    done = (f"<h1>{escape(app.display_name)}</h1><p id=\"done\">You have signed in to the {escape(app.display_name)} "
            "application on your device. You may now close this window.</p>")
    return HTMLResponse(pages.page("Signed in", done))


def redeem(request: Request, device_code: str, client_id: str, now: datetime) -> tuple[str, str]:
    """(user object id, requested scope) of an approved flow; the flow is used up."""
    flows = _flows(request)
    flow = flows.get(device_code)
    if flow is None or flow.client_id != client_id:
        raise unknown(now)
    if flow.expires <= now:
        flows.pop(device_code, None)
        raise expired(now)
    if flow.user_id is None:
        raise pending(now)
    flows.pop(device_code, None)
    return flow.user_id, flow.scope

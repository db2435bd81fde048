"""OpenID Connect discovery, instance discovery and JWKS, shaped like the recorded documents."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response

from azure_emulator.core.context import base_urls, get_runtime, get_world
from azure_emulator.core.http import JsonResponse
from azure_emulator.services.entra import responses as R
from azure_emulator.services.entra.clients import resolve_tenant

DISCOVERY_HEADERS = {
    "Cache-Control": "max-age=86400, private",
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, OPTIONS",
}


def openid_configuration(root: str, graph: str, tenant_segment: str, tenant_id: str | None) -> dict[str, Any]:
    """Same keys and order as the real tenant document; ``tenant_id`` None → ``{tenantid}``."""
    t = tenant_segment
    iss_tenant = tenant_id or "{tenantid}"
    return {
        "token_endpoint": f"{root}/{t}/oauth2/v2.0/token",
        "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
        "jwks_uri": f"{root}/{t}/discovery/v2.0/keys",
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "issuer": f"{root}/{iss_tenant}/v2.0",
        "request_uri_parameter_supported": False,
        "userinfo_endpoint": f"{graph}/oidc/userinfo",
        "authorization_endpoint": f"{root}/{t}/oauth2/v2.0/authorize",
        "device_authorization_endpoint": f"{root}/{t}/oauth2/v2.0/devicecode",
        "http_logout_supported": True,
        "frontchannel_logout_supported": True,
        "end_session_endpoint": f"{root}/{t}/oauth2/v2.0/logout",
        "claims_supported": [
            "sub", "iss", "cloud_instance_name", "cloud_instance_host_name", "cloud_graph_host_name",
            "msgraph_host", "aud", "exp", "iat", "auth_time", "acr", "nonce", "preferred_username",
            "name", "tid", "ver", "at_hash", "c_hash", "email",
        ],
        "kerberos_endpoint": f"{root}/{t}/kerberos",
        "tenant_region_scope": "WW" if tenant_id else None,
        "cloud_instance_name": "microsoftonline.com",
        "cloud_graph_host_name": "graph.windows.net",
        "msgraph_host": "graph.microsoft.com",
        "rbac_url": "https://pas.windows.net",
    }


async def openid_config_endpoint(request: Request) -> Response:
    world = get_world(request)
    key = request.path_params["tenant"]
    base = base_urls(request)
    if key.lower() in ("common", "organizations"):
        return JsonResponse(openid_configuration(base.root, base.graph, key.lower(), None), headers=DISCOVERY_HEADERS)
    tenant = resolve_tenant(world, key)
    if tenant is None:
        raise R.tenant_not_found(key, world.clock.now())
    doc = openid_configuration(base.root, base.graph, tenant.tenant_id, tenant.tenant_id)
    return JsonResponse(doc, headers=DISCOVERY_HEADERS)


async def jwks_endpoint(request: Request) -> Response:
    key = request.path_params.get("tenant", "common")
    world = get_world(request)
    base = base_urls(request)
    issuer = None
    if key.lower() not in ("common", "organizations", "consumers"):
        tenant = resolve_tenant(world, key)
        if tenant is None:
            raise R.tenant_not_found(key, world.clock.now())
        issuer = f"{base.root}/{tenant.tenant_id}/v2.0"
    else:
        issuer = f"{base.root}/{{tenantid}}/v2.0"
    return JsonResponse(get_runtime(request).signer.jwks(issuer), headers=DISCOVERY_HEADERS)


async def instance_discovery_endpoint(request: Request) -> Response:
    base = base_urls(request)
    host = urlsplit(base.root).netloc
    auth_endpoint = request.query_params.get("authorization_endpoint", "")
    tenant = "common"
    if auth_endpoint:
        parts = urlsplit(auth_endpoint).path.strip("/").split("/")
        if parts and parts[0]:
            tenant = parts[0]
    return JsonResponse(
        {
            "tenant_discovery_endpoint": f"{base.root}/{tenant}/v2.0/.well-known/openid-configuration",
            "api-version": "1.1",
            "metadata": [{"preferred_network": host, "preferred_cache": host, "aliases": [host]}],
        },
        headers=DISCOVERY_HEADERS,
    )


async def user_realm_endpoint(request: Request) -> Response:
    """``GET /common/userrealm/{username}?api-version=1.0``: whether the user's domain is
    managed by Entra ID or federated, which MSAL asks before a username/password (ROPC)
    token request. Every domain of the world is managed (no federation is emulated): a verified
    domain answers ``Managed`` with its name, any other ``Unknown``."""
    username = request.path_params["username"]
    domain = username.rsplit("@", 1)[-1] if "@" in username else ""
    tenant = get_world(request).tenant_by_domain_or_id(domain) if domain else None
    body: dict[str, Any] = {"ver": "1.0", "account_type": "Managed" if tenant else "Unknown"}
    if tenant is not None:
        body["domain_name"] = next(d for d in tenant.verified_domains if d.lower() == domain.lower())
    body.update({"cloud_instance_name": "microsoftonline.com", "cloud_audience_urn": "urn:federation:MicrosoftOnline"})
    return JsonResponse(body, headers={"Cache-Control": "no-store"})

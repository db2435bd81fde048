"""Entra ID routes (mounted at the root of the emulator)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, Router

from azure_emulator.services.entra import authorize, devicecode, discovery, tokens


async def _no_icon(request: Request) -> Response:
    return Response(status_code=204)


router = Router(
    routes=[
        # Browsers ask every host for an icon; the sign-in pages should not log a 404.
        Route("/favicon.ico", _no_icon, methods=["GET"]),
        Route("/common/discovery/instance", discovery.instance_discovery_endpoint, methods=["GET"]),
        Route("/{tenant}/discovery/instance", discovery.instance_discovery_endpoint, methods=["GET"]),
        Route("/common/userrealm/{username}", discovery.user_realm_endpoint, methods=["GET"]),
        Route("/{tenant}/v2.0/.well-known/openid-configuration", discovery.openid_config_endpoint, methods=["GET"]),
        Route("/{tenant}/discovery/v2.0/keys", discovery.jwks_endpoint, methods=["GET"]),
        Route("/{tenant}/discovery/keys", discovery.jwks_endpoint, methods=["GET"]),
        Route("/discovery/v2.0/keys", discovery.jwks_endpoint, methods=["GET"]),
        Route("/{tenant}/oauth2/v2.0/token", tokens.token_endpoint, methods=["POST"]),
        Route("/{tenant}/oauth2/v2.0/devicecode", devicecode.devicecode_endpoint, methods=["POST"]),
        Route("/devicelogin", devicecode.devicelogin_get, methods=["GET"]),
        Route("/devicelogin", devicecode.devicelogin_post, methods=["POST"]),
        Route("/{tenant}/oauth2/v2.0/authorize", authorize.authorize_get, methods=["GET"]),
        Route("/{tenant}/oauth2/v2.0/authorize", authorize.interactive_post, methods=["POST"]),
        Route("/{tenant}/v2.0/adminconsent", authorize.adminconsent_get, methods=["GET"]),
        Route("/{tenant}/v2.0/adminconsent", authorize.interactive_post, methods=["POST"]),
        Route("/{tenant}/adminconsent", authorize.adminconsent_get, methods=["GET"]),
        Route("/{tenant}/adminconsent", authorize.interactive_post, methods=["POST"]),
        Route("/{tenant}/oauth2/v2.0/logout", authorize.logout, methods=["GET", "POST"]),
    ]
)

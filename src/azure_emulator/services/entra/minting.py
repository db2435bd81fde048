"""Access, ID and refresh tokens: claims as Entra ID v2.0 issues them."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from datetime import datetime, timedelta
from typing import Any

from azure_emulator.core.keys import Signer
from azure_emulator.core.resources import GRAPH_APP_ID, TokenResource
from azure_emulator.services.entra.backend import EntraState, RefreshGrant
from azure_emulator.world.model import ServicePrincipal, User

GLOBAL_ADMIN_TEMPLATE_ID = "62e90394-69f5-4237-9190-012177145e10"
ROLE_TEMPLATE_IDS = {
    "Global Administrator": GLOBAL_ADMIN_TEMPLATE_ID,
    "Privileged Role Administrator": "e8611ab8-c189-46e8-94e1-60213ab1f814",
    "Cloud Application Administrator": "158c047a-c907-4556-b7ef-446551a6b5f7",
    "Application Administrator": "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3",
    "Global Reader": "f2ef992c-3afb-46b9-b7cf-a126ee74c451",
}


def issuer(root: str, tenant_id: str) -> str:
    return f"{root}/{tenant_id}/v2.0"


def _rand(n: int = 16) -> str:
    return secrets.token_urlsafe(n)


def _base_claims(root: str, tenant_id: str, aud: str, now: datetime, lifetime: int) -> dict[str, Any]:
    iat = int(now.timestamp())
    return {
        "aud": aud,
        "iss": issuer(root, tenant_id),
        "iat": iat,
        "nbf": iat,
        "exp": iat + lifetime + 1,
        "aio": _rand(24),
        "rh": f"0.{_rand(30)}.",
        "tid": tenant_id,
        "uti": _rand(16),
        "ver": "2.0",
    }


def app_token(
    signer: Signer, root: str, tenant_id: str, resource: TokenResource, client_id: str, sp: ServicePrincipal,
    roles: list[str], appidacr: int, now: datetime, lifetime: int,
) -> dict[str, Any]:
    claims = _base_claims(root, tenant_id, resource.identifier, now, lifetime)
    claims.update({
        "azp": client_id, "azpacr": str(appidacr), "appid": client_id, "appidacr": str(appidacr),
        "idp": issuer(root, tenant_id), "idtyp": "app", "oid": sp.object_id, "sub": sp.object_id,
    })
    if roles:
        claims["roles"] = roles
    return {
        "token_type": "Bearer",
        "expires_in": lifetime,
        "ext_expires_in": lifetime,
        "access_token": signer.sign(claims),
    }


def _pairwise_sub(user: User, client_id: str) -> str:
    digest = hashlib.sha256(f"{user.object_id}:{client_id}".encode()).digest()
    return base64.urlsafe_b64encode(digest[:32]).rstrip(b"=").decode()


def client_info(user: User) -> str:
    raw = json.dumps({"uid": user.object_id, "utid": user.tenant_id}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def scope_string(resource: TokenResource, scopes: list[str], oidc: set[str]) -> str:
    if resource.app_id == GRAPH_APP_ID:
        names = list(scopes)
    else:
        prefix = resource.identifier.rstrip("/")
        names = [f"{prefix}/{s}" for s in scopes]
    return " ".join(dict.fromkeys([*names, *sorted(oidc)]))


def user_tokens(
    signer: Signer, state: EntraState, root: str, user: User, client_id: str, resource: TokenResource,
    scopes: list[str], oidc: set[str], appidacr: int, now: datetime, *, nonce: str | None = None,
    want_client_info: bool = False,
) -> dict[str, Any]:
    lifetime = state.token_lifetime_seconds
    tid = user.tenant_id
    claims = _base_claims(root, tid, resource.identifier, now, lifetime)
    wids = [ROLE_TEMPLATE_IDS[r] for r in user.directory_roles if r in ROLE_TEMPLATE_IDS]
    claims.update({
        "azp": client_id, "azpacr": str(appidacr), "appid": client_id, "appidacr": str(appidacr),
        "idtyp": "user", "name": user.display_name, "oid": user.object_id,
        "preferred_username": user.user_principal_name, "upn": user.user_principal_name,
        "unique_name": user.user_principal_name, "given_name": user.given_name or "",
        "family_name": user.surname or "", "scp": " ".join(scopes), "sub": _pairwise_sub(user, client_id),
    })
    if wids:
        claims["wids"] = [*wids, "b79fbf4d-3ef9-4689-8143-76b194e85509"]
    response: dict[str, Any] = {
        "token_type": "Bearer",
        "scope": scope_string(resource, scopes, oidc),
        "expires_in": lifetime,
        "ext_expires_in": lifetime,
        "access_token": signer.sign(claims),
    }
    if "offline_access" in oidc:
        token = "1.A" + _rand(48)
        with state.lock:
            state.refresh[token] = RefreshGrant(client_id, user.object_id, tid, now, now)
        response["refresh_token"] = token
    if "openid" in oidc:
        id_claims = _base_claims(root, tid, client_id, now, lifetime)
        for k in ("aio", "uti"):
            id_claims.pop(k, None)
        id_claims.update({
            "name": user.display_name, "oid": user.object_id, "preferred_username": user.user_principal_name,
            "sub": _pairwise_sub(user, client_id),
        })
        if "email" in oidc and user.mail:
            id_claims["email"] = user.mail
        if nonce:
            id_claims["nonce"] = nonce
        response["id_token"] = signer.sign(id_claims)
    if want_client_info:
        response["client_info"] = client_info(user)
    return response


def refresh_expired(grant: RefreshGrant, now: datetime) -> bool:
    return grant.revoked or now - grant.last_used > timedelta(days=90)

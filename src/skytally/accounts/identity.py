"""App-only identities (skytally's multi-tenant app, or a customer's service principal)
in one tenant, and Entra ID's AADSTS error codes turned into exact, actionable causes."""

from __future__ import annotations

import base64
import json
import logging
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from skytally.azure.messages import readable
from skytally.config import Settings
from skytally.errors import ConfigurationError

if TYPE_CHECKING:
    from azure.core.credentials import TokenCredential

    from skytally.azure.clients import AzureConnector

_AADSTS = re.compile(r"AADSTS(\d+)")

# azure-identity logs every failed sign-in as a warning with Microsoft's full text; skytally
# reports the exact cause itself, so keep its log for errors only.
logging.getLogger("azure.identity._internal.get_token_mixin").setLevel(logging.ERROR)


@dataclass(frozen=True)
class AuthProblem:
    problem: str  # machine-readable cause
    message: str  # what was wrong and what to do


def aadsts_code(text: str) -> int | None:
    found = _AADSTS.search(text or "")
    return int(found.group(1)) if found else None


def describe_auth_failure(text: str, *, tenant_id: str, client_id: str, own_app: bool = False) -> AuthProblem:
    """Map an Entra ID sign-in failure (its AADSTS code) to one exact cause."""
    code = aadsts_code(text)
    who = "skytally's application" if own_app else f"application {client_id}"
    fix_secret = (
        "an administrator must update SKYTALLY_AZURE_APP__CLIENT_SECRET"
        if own_app
        else "create a new client secret for the app in Entra ID and enter it here"
    )
    if code in (90002, 900023, 90013):
        return AuthProblem("tenant_not_found", f"tenant {tenant_id} was not found in Microsoft Entra ID; check the tenant ID")
    if code in (700016, 700011, 50194):
        return AuthProblem(
            "app_not_in_tenant",
            f"{who} was not found in tenant {tenant_id}: check the application (client) ID, and that "
            "the app is registered in (or consented to by) that tenant",
        )
    if code in (7000215, 70002):
        return AuthProblem("wrong_secret", f"the client secret is wrong for {who}; {fix_secret} (use the secret's value, not its ID)")
    if code == 7000222:
        return AuthProblem("expired_secret", f"the client secret of {who} has expired; {fix_secret}")
    if code in (700027, 700024, 700021, 50027, 7000218):
        return AuthProblem(
            "bad_certificate",
            f"Entra ID rejected the certificate for {who} (AADSTS{code}): upload the certificate's "
            "public part to the app registration, and give skytally the matching private key",
        )
    first = readable(text) or "no details"
    return AuthProblem("sign_in_failed", f"Entra ID refused the sign-in for {who}: {first}")


def claims_of(token: str) -> dict[str, Any]:
    """The payload of a JWT access token, unverified (we only read our own token's claims)."""
    try:
        payload = token.split(".")[1]
        payload += "=" * (-len(payload) % 4)
        data = json.loads(base64.urlsafe_b64decode(payload))
    except (IndexError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def skytally_app(settings: Settings) -> tuple[str, Any]:
    client_id = settings.azure_app.client_id
    secret = settings.azure_app.client_secret
    if not client_id or secret is None:
        raise ConfigurationError(
            "skytally's Azure application is not configured: set SKYTALLY_AZURE_APP__CLIENT_ID and "
            "SKYTALLY_AZURE_APP__CLIENT_SECRET (a multi-tenant app registration), or connect the "
            "tenant with your own service principal instead"
        )
    return client_id, secret


def skytally_credential(connector: AzureConnector, settings: Settings, tenant_id: str) -> TokenCredential:
    client_id, secret = skytally_app(settings)
    return connector.client_secret_credential(tenant_id, client_id, secret)


def app_token_claims(credential: TokenCredential, scope: str) -> dict[str, Any]:
    """Claims of an app-only token (`oid` = the service principal in that tenant, `roles`)."""
    return claims_of(credential.get_token(scope).token)


def try_app_token(
    credential: TokenCredential, scope: str, *, tenant_id: str, client_id: str, own_app: bool = False
) -> tuple[dict[str, Any] | None, AuthProblem | None]:
    from azure.core.exceptions import ClientAuthenticationError, ServiceRequestError

    try:
        return app_token_claims(credential, scope), None
    except ClientAuthenticationError as exc:
        return None, describe_auth_failure(str(exc.message or exc), tenant_id=tenant_id, client_id=client_id, own_app=own_app)
    except (ServiceRequestError, OSError) as exc:
        return None, AuthProblem("unreachable", f"could not reach Microsoft Entra ID: {exc}")
    except ValueError as exc:  # e.g. a malformed certificate
        return None, AuthProblem("bad_certificate", f"the certificate could not be used: {exc}")

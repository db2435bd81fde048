"""Tenants in URLs, client applications, client authentication, redirect URIs."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime
from urllib.parse import urlsplit

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from azure_emulator.core.errors import ApiError
from azure_emulator.services.entra import responses as R
from azure_emulator.world.model import Application, ServicePrincipal, Tenant, World

MULTI_TENANT_ALIASES = ("common", "organizations")
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def resolve_tenant(world: World, key: str) -> Tenant | None:
    """A tenant by GUID or verified domain; None for unknown names and aliases."""
    if key.lower() in (*MULTI_TENANT_ALIASES, "consumers"):
        return None
    return world.tenant_by_domain_or_id(key)


def is_alias(key: str) -> bool:
    return key.lower() in MULTI_TENANT_ALIASES


def app_in_tenant(world: World, client_id: str, tenant: Tenant) -> tuple[Application, ServicePrincipal] | None:
    """The application and its service principal in ``tenant`` (None: not there, 700016)."""
    app = world.application(client_id)
    if app is None:
        return None
    sp = tenant.service_principal_by_app_id(client_id)
    if sp is None:
        return None
    if app.sign_in_audience == "AzureADMyOrg" and tenant.tenant_id != app.home_tenant_id:
        return None
    return app, sp


def _secret_matches(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def check_secret(app: Application, secret: str, now: datetime) -> ApiError | None:
    matched = [c for c in app.password_credentials if not c.revoked and _secret_matches(c.secret, secret)]
    if not matched:
        return R.invalid_secret(app.app_id, now)
    if all(c.end <= now for c in matched):
        return R.expired_secret(app.app_id, now)
    return None


def check_assertion(app: Application, assertion: str, root: str, now: datetime) -> ApiError | None:
    """A certificate client assertion (RFC 7523), verified against the app's key credentials."""
    try:
        header = jwt.get_unverified_header(assertion)
    except jwt.PyJWTError:
        return R.assertion_invalid(50027, "JWT token is invalid or malformed.", now)
    # msal sends padded base64url thumbprints; Entra ID accepts both forms
    thumb = str(header.get("x5t") or "").rstrip("=")
    thumb256 = str(header.get("x5t#S256") or "").rstrip("=")
    for cred in app.key_credentials:
        cert = x509.load_pem_x509_certificate(cred.certificate_pem.encode())
        der = cert.public_bytes(serialization.Encoding.DER)
        sha1 = base64.urlsafe_b64encode(hashlib.sha1(der).digest()).rstrip(b"=").decode()
        sha256 = base64.urlsafe_b64encode(hashlib.sha256(der).digest()).rstrip(b"=").decode()
        if thumb not in (sha1, cred.thumbprint_sha1_b64url) and thumb256 != sha256:
            continue
        if not (cred.start <= now <= cred.end):
            return R.assertion_invalid(700027, f"The certificate with identifier used to sign the client assertion is expired on application. [Reason - The key used is expired., Thumbprint of key used by client: '{thumb}', Found key 'Start={cred.start:%m/%d/%Y %H:%M:%S}, End={cred.end:%m/%d/%Y %H:%M:%S}']", now)
        try:
            claims = jwt.decode(
                assertion, cert.public_key(), algorithms=["RS256", "PS256", "ES256"],  # type: ignore[arg-type]
                options={"verify_exp": False, "verify_nbf": False, "verify_aud": False, "verify_iat": False},
            )
        except jwt.PyJWTError:
            return R.assertion_invalid(700027, f"Client assertion contains an invalid signature. [Reason - The key was not found., Thumbprint of key used by client: '{thumb}']", now)
        if claims.get("iss") != app.app_id or claims.get("sub") != app.app_id:
            return R.assertion_invalid(700021, "Client assertion application identifier doesn't match 'client_id' parameter. Review the documentation at https://aka.ms/certCreds .", now)
        ts = now.timestamp()
        if float(claims.get("exp", 0)) < ts - 300 or float(claims.get("nbf", 0)) > ts + 300:
            return R.assertion_invalid(700024, "Client assertion is not within its valid time range.", now)
        aud = str(claims.get("aud", ""))
        if not aud.startswith(root):
            return R.assertion_invalid(700212, f"No matching federated identity record found for presented assertion audience '{aud}'.", now)
        return None
    return R.assertion_invalid(700027, f"Client assertion contains an invalid signature. [Reason - The key was not found., Thumbprint of key used by client: '{thumb}']", now)


def authenticate_client(
    app: Application,
    form: dict[str, str],
    basic_secret: str | None,
    root: str,
    now: datetime,
    *,
    required: bool = True,
) -> int:
    """Validate the client credential; returns appidacr (0 public, 1 secret, 2 certificate)."""
    secret = form.get("client_secret") or basic_secret
    assertion = form.get("client_assertion")
    if assertion:
        if form.get("client_assertion_type") != ASSERTION_TYPE:
            raise R.missing_parameter("client_assertion_type", now)
        err = check_assertion(app, assertion, root, now)
        if err:
            raise err
        return 2
    if secret:
        err = check_secret(app, secret, now)
        if err:
            raise err
        return 1
    if required and not app.is_public_client:
        raise R.credential_missing(now)
    return 0


def basic_auth(header: str | None) -> tuple[str | None, str | None]:
    if not header or not header.lower().startswith("basic "):
        return None, None
    try:
        raw = base64.b64decode(header[6:].strip()).decode()
    except (ValueError, UnicodeDecodeError):
        return None, None
    from urllib.parse import unquote_plus

    user, _, pwd = raw.partition(":")
    return unquote_plus(user), unquote_plus(pwd)


_LOOPBACK = ("localhost", "127.0.0.1", "::1", "[::1]")


def redirect_uri_allowed(app: Application, uri: str) -> bool:
    """Exact match, except that loopback URIs match on any port (as Entra ID does)."""
    if uri in app.redirect_uris:
        return True
    try:
        sent = urlsplit(uri)
    except ValueError:
        return False
    if sent.hostname not in _LOOPBACK:
        return False
    for registered in app.redirect_uris:
        reg = urlsplit(registered)
        if reg.hostname == sent.hostname and reg.scheme == sent.scheme and reg.path.rstrip("/") == sent.path.rstrip("/"):
            return True
    return False

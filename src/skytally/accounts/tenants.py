"""Tenant IDs and domains: `contoso.com` → the tenant GUID, through the tenant's OpenID
configuration document (the `issuer` / `token_endpoint` carry the GUID)."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from skytally.azure.clients import AzureConnector
from skytally.azure.errors import AzureHttpError, AzureUnreachable
from skytally.errors import InvalidInput, NotFound, UserError

_DOMAIN = re.compile(r"^(?=.{3,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_GUID_IN_URL = re.compile(r"/([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})/")
_GUIDISH = re.compile(r"^[0-9a-fA-F-]{30,40}$")
RESERVED = {"common", "organizations", "consumers"}


@dataclass(frozen=True)
class ResolvedTenant:
    tenant_id: str
    domain: str  # what the user typed when it was a domain, else ""


def parse_guid(value: str, what: str = "tenant ID") -> str:
    """A canonical lower-case GUID, or InvalidInput explaining the expected form."""
    text = value.strip().strip("{}")
    try:
        parsed = uuid.UUID(text)
    except ValueError:
        raise InvalidInput(
            f"{value.strip()!r} is not a valid {what}: expected a GUID like "
            "72f988bf-86f1-41af-91ab-2d7cd011db47"
        ) from None
    if len(text) != 36:
        raise InvalidInput(f"{value.strip()!r} is not a valid {what}: write it with dashes (8-4-4-4-12)")
    return str(parsed)


def classify(value: str) -> tuple[str, str]:
    """("guid", id) or ("domain", domain) for what a user typed; InvalidInput otherwise."""
    text = value.strip().lower()
    if not text:
        raise InvalidInput("give the tenant ID (a GUID) or one of the tenant's domains, like contoso.com")
    if text in RESERVED:
        raise InvalidInput(
            f"{text!r} is not a tenant: give the tenant ID or a domain of the tenant, like contoso.com"
        )
    if _GUIDISH.match(text) and "." not in text:
        return "guid", parse_guid(text)
    if text.startswith(("http://", "https://")) or "@" in text:
        raise InvalidInput(
            f"{value.strip()!r} is neither a tenant ID nor a domain: give the domain alone, like contoso.com"
        )
    if not _DOMAIN.match(text):
        raise InvalidInput(
            f"{value.strip()!r} is neither a tenant ID (GUID) nor a domain name like contoso.com"
        )
    return "domain", text


def resolve(connector: AzureConnector, value: str) -> ResolvedTenant:
    """The tenant GUID for a GUID or domain, checked against Entra ID's discovery document."""
    kind, text = classify(value)
    try:
        doc = connector.openid().configuration(text)
    except AzureHttpError as exc:
        if exc.status in (400, 404):
            what = "tenant ID" if kind == "guid" else "domain"
            raise NotFound(
                f"no Microsoft Entra tenant has the {what} {text}; check it for typos "
                "(the tenant ID is on the Entra ID overview page of the Azure portal)"
            ) from None
        raise UserError(f"Microsoft Entra ID could not look up {text}: {exc.message}") from None
    except AzureUnreachable as exc:
        raise UserError(f"could not reach Microsoft Entra ID to look up {text}: {exc}") from None
    tenant_id = _tenant_id_of(doc)
    if tenant_id is None:
        raise UserError(f"Microsoft Entra ID's discovery document for {text} names no tenant ID")
    if kind == "guid" and tenant_id != text:
        raise NotFound(f"tenant {text} is not known to Microsoft Entra ID")
    return ResolvedTenant(tenant_id=tenant_id, domain=text if kind == "domain" else "")


def _tenant_id_of(doc: dict[str, object]) -> str | None:
    for key in ("issuer", "token_endpoint", "authorization_endpoint"):
        found = _GUID_IN_URL.search(str(doc.get(key, "")) + "/")
        if found:
            return found.group(1).lower()
    return None


def state_text(value: object) -> str:
    """A subscription state as Azure spells it ("Enabled"), whether the SDK gave an enum or a string."""
    raw = getattr(value, "value", value)
    return str(raw) if raw else "Enabled"

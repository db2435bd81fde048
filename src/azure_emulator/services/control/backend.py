"""Control operations on the world and the runtime (no HTTP here)."""

from __future__ import annotations

import base64
import hashlib
import uuid
from datetime import datetime, timedelta
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from azure_emulator.world.model import KeyCredential, World


class ControlError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def find_credential(world: World, app_id: str, key_id: str) -> Any:
    app = world.application(app_id)
    if app is None:
        raise ControlError(404, f"no application with appId {app_id}")
    creds: list[Any] = [*app.password_credentials, *app.key_credentials]
    for cred in creds:
        if cred.key_id == key_id:
            return cred
    raise ControlError(404, f"application {app_id} has no credential {key_id}")


def expire_secret(world: World, app_id: str, key_id: str, now: datetime) -> dict[str, Any]:
    with world.lock:
        cred = find_credential(world, app_id, key_id)
        cred.end = now - timedelta(seconds=1)
        if cred.start > cred.end:
            cred.start = cred.end - timedelta(days=1)
    return {"appId": app_id, "keyId": key_id, "endDateTime": cred.end.isoformat()}


def add_certificate(world: World, app_id: str, pem: str, now: datetime, days: float = 365) -> dict[str, Any]:
    app = world.application(app_id)
    if app is None:
        raise ControlError(404, f"no application with appId {app_id}")
    try:
        cert = x509.load_pem_x509_certificate(pem.encode())
    except ValueError as exc:
        raise ControlError(400, f"not a PEM certificate: {exc}") from None
    der = cert.public_bytes(serialization.Encoding.DER)
    thumb = base64.urlsafe_b64encode(hashlib.sha1(der).digest()).rstrip(b"=").decode()
    cred = KeyCredential(str(uuid.uuid4()), "certificate", pem, thumb, now - timedelta(minutes=5), now + timedelta(days=days))
    with world.lock:
        app.key_credentials.append(cred)
    return {"appId": app_id, "keyId": cred.key_id, "thumbprint": thumb, "endDateTime": cred.end.isoformat()}


def role_assignments(world: World, principal_id: str | None = None) -> list[dict[str, Any]]:
    out = []
    for ra in list(world.role_assignments.values()):
        if principal_id and ra.principal_id != principal_id:
            continue
        out.append({
            "name": ra.name, "scope": ra.scope, "roleDefinitionId": ra.role_definition_id,
            "roleName": world.role_definitions[ra.role_definition_id].role_name if ra.role_definition_id in world.role_definitions else None,
            "principalId": ra.principal_id, "principalType": ra.principal_type, "tenantId": ra.tenant_id,
            "createdOn": ra.created.isoformat(), "createdBy": ra.created_by,
            "effectiveFrom": ra.effective_from.isoformat() if ra.effective_from else None,
        })
    return out


def tags(world: World, scope_prefix: str | None = None) -> list[dict[str, Any]]:
    """Tags as they stand at every scope that has some (subscriptions, groups, resources)."""
    prefix = scope_prefix.lower() if scope_prefix else None
    out: list[dict[str, Any]] = []

    def add(scope: str, value: dict[str, str] | None, changed: datetime | None = None) -> None:
        if value and (prefix is None or scope.lower().startswith(prefix)):
            entry: dict[str, Any] = {"scope": scope, "tags": dict(value)}
            if changed is not None:
                entry["changed"] = changed.isoformat()
            out.append(entry)

    for tenant in list(world.tenants.values()):
        for sub in list(tenant.subscriptions.values()):
            add(f"/subscriptions/{sub.subscription_id}", sub.tags)
            for rg in list(sub.resource_groups.values()):
                add(rg.id, rg.tags)
                for res in list(rg.resources.values()):
                    add(res.id, res.tags, res.changed)
    return out


def consents(world: World, tenant_id: str | None = None) -> list[dict[str, Any]]:
    out = []
    for tenant in world.tenants.values():
        if tenant_id and tenant.tenant_id != tenant_id:
            continue
        out.append({
            "tenantId": tenant.tenant_id,
            "servicePrincipals": [{"id": sp.object_id, "appId": sp.app_id, "displayName": sp.display_name} for sp in tenant.service_principals.values()],
            "delegatedGrants": [
                {"id": g.id, "clientAppId": g.client_app_id, "resourceAppId": g.resource_app_id, "scope": " ".join(g.scopes),
                 "consentType": g.consent_type, "principalId": g.user_id}
                for g in tenant.delegated_grants
            ],
            "appRoleAssignments": [
                {"id": a.id, "principalId": a.principal_id, "resourceAppId": a.resource_app_id, "value": a.value}
                for a in tenant.app_role_assignments
            ],
        })
    return out

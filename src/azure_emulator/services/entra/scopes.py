"""Scope parsing and the consent model (delegated grants, app role assignments, SPs)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from azure_emulator.core.resources import GRAPH_APP_ID, Api, TokenResource, resolve
from azure_emulator.services.entra import responses as R
from azure_emulator.world.firstparty import (
    OIDC_SCOPES,
    app_roles_of,
    preauthorized_scopes,
    scopes_of,
)
from azure_emulator.world.model import (
    Application,
    AppRoleAssignment,
    DelegatedGrant,
    ServicePrincipal,
    Tenant,
    User,
    World,
)

ADMIN_ROLES = frozenset(
    {"Global Administrator", "Privileged Role Administrator", "Cloud Application Administrator", "Application Administrator"}
)


@dataclass(slots=True)
class ScopeRequest:
    resource: TokenResource
    names: list[str] = field(default_factory=list)  # scope names (".default" for static)
    oidc: set[str] = field(default_factory=set)
    raw: str = ""

    @property
    def is_default(self) -> bool:
        return ".default" in self.names


def parse_scopes(raw: str, own_urls: dict[Api, str], tenant_name: str, now: datetime) -> ScopeRequest:
    oidc: set[str] = set()
    found: dict[str, tuple[TokenResource, list[str]]] = {}
    for token in raw.split():
        if token in OIDC_SCOPES:
            oidc.add(token)
            continue
        if "/" in token:
            resource_part, name = token.rsplit("/", 1)
            resource = resolve(resource_part, own_urls)
            if resource is None:
                raise R.resource_not_found(resource_part, tenant_name, now)
        else:
            resource, name = TokenResource("graph", GRAPH_APP_ID, GRAPH_APP_ID), token
        if name != ".default" and name not in scopes_of(resource.app_id):
            raise R.invalid_scope(token, now)
        entry = found.setdefault(resource.app_id, (resource, []))
        entry[1].append(name)
    if len(found) > 1:
        raise R.multiple_resources(raw, now)
    if not found:
        return ScopeRequest(TokenResource("graph", GRAPH_APP_ID, GRAPH_APP_ID), [], oidc, raw)
    resource, names = next(iter(found.values()))
    return ScopeRequest(resource, names, oidc, raw)


def is_admin(user: User) -> bool:
    return bool(ADMIN_ROLES.intersection(user.directory_roles))


def granted_scopes(tenant: Tenant, client_id: str, resource_app_id: str, user_id: str | None) -> set[str]:
    """Delegated scopes consented for the client (plus what Microsoft preauthorized its own
    public clients for: the Azure CLI needs no consent)."""
    granted: set[str] = set(preauthorized_scopes(client_id, resource_app_id))
    for grant in tenant.delegated_grants:
        if grant.client_app_id != client_id or grant.resource_app_id != resource_app_id:
            continue
        if grant.consent_type == "AllPrincipals" or grant.user_id == user_id:
            granted.update(grant.scopes)
    return granted


def required_delegated(app: Application, resource_app_id: str) -> list[str]:
    return [p.value for p in app.required_permissions if p.kind == "Delegated" and p.resource_app_id == resource_app_id]


def requested_delegated(app: Application, req: ScopeRequest) -> list[str]:
    """The resource scopes this request asks for (static ones for ``.default``)."""
    if req.is_default:
        return required_delegated(app, req.resource.app_id)
    names = [n for n in req.names if n != ".default"]
    if not names and req.resource.app_id == GRAPH_APP_ID:
        names = ["User.Read"]
    return names


def needed_consent(tenant: Tenant, app: Application, user: User, req: ScopeRequest) -> list[str]:
    granted = granted_scopes(tenant, app.app_id, req.resource.app_id, user.object_id)
    wanted = requested_delegated(app, req)
    graph_granted = granted_scopes(tenant, app.app_id, GRAPH_APP_ID, user.object_id)
    missing = [s for s in wanted if s not in granted]
    missing += [s for s in sorted(req.oidc) if s not in graph_granted]
    return list(dict.fromkeys(missing))


def needs_admin(resource_app_id: str, scopes: list[str]) -> list[str]:
    perms = scopes_of(resource_app_id)
    return [s for s in scopes if s in perms and perms[s].admin_consent_required]


def grant_delegated(
    tenant: Tenant, client_id: str, resource_app_id: str, scopes: list[str], user_id: str | None, now: datetime
) -> None:
    """Add scopes to the client's grant (per user, or AllPrincipals when ``user_id`` is None)."""
    if not scopes:
        return
    consent_type = "AllPrincipals" if user_id is None else "Principal"
    for grant in tenant.delegated_grants:
        if (grant.client_app_id, grant.resource_app_id, grant.consent_type, grant.user_id) == (
            client_id, resource_app_id, consent_type, user_id,
        ):
            grant.scopes.extend(s for s in scopes if s not in grant.scopes)
            return
    tenant.delegated_grants.append(
        DelegatedGrant(str(uuid.uuid4()), client_id, resource_app_id, list(scopes), consent_type, user_id, now)  # type: ignore[arg-type]
    )


def ensure_service_principal(tenant: Tenant, app: Application, now: datetime) -> ServicePrincipal:
    """The app's service principal in ``tenant``, created on first consent as Azure does."""
    sp = tenant.service_principal_by_app_id(app.app_id)
    if sp is None:
        sp = ServicePrincipal(str(uuid.uuid4()), app.app_id, tenant.tenant_id, app.display_name, created=now)
        tenant.service_principals[sp.object_id] = sp
    return sp


def grant_app_roles(tenant: Tenant, sp: ServicePrincipal, resource_app_id: str, values: list[str], now: datetime) -> None:
    have = {(a.resource_app_id, a.value) for a in tenant.app_role_assignments if a.principal_id == sp.object_id}
    for value in values:
        if (resource_app_id, value) not in have:
            tenant.app_role_assignments.append(AppRoleAssignment(str(uuid.uuid4()), sp.object_id, resource_app_id, value, now))


def app_roles_for(tenant: Tenant, sp: ServicePrincipal, resource_app_id: str) -> list[str]:
    return sorted(
        {a.value for a in tenant.app_role_assignments if a.principal_id == sp.object_id and a.resource_app_id == resource_app_id}
    )


def admin_consent_only(scope: str | None) -> set[str] | None:
    """The permissions a v2.0 admin consent names in ``scope`` (``…/User.Read.All …``), or
    None for ``/.default`` (everything the app statically requires)."""
    names = {s.rsplit("/", 1)[-1] for s in (scope or "").split() if s}
    names.discard(".default")
    return names or None


def admin_consent(world: World, tenant: Tenant, app: Application, now: datetime, only: set[str] | None = None) -> ServicePrincipal:
    """Grant what the app statically requires in ``tenant`` (tenant-wide): all of it, or
    only the permissions named in the consent request (``only``)."""
    with world.lock:
        sp = ensure_service_principal(tenant, app, now)
        by_resource: dict[tuple[str, str], list[str]] = {}
        for perm in app.required_permissions:
            if only is not None and perm.value not in only:
                continue
            by_resource.setdefault((perm.resource_app_id, perm.kind), []).append(perm.value)
        for (resource_app_id, kind), values in by_resource.items():
            if kind == "Application":
                valid = [v for v in values if v in app_roles_of(resource_app_id)]
                grant_app_roles(tenant, sp, resource_app_id, valid, now)
            else:
                grant_delegated(tenant, app.app_id, resource_app_id, values, None, now)
        return sp


def permission_lines(app: Application, req: ScopeRequest | None, scopes: list[str], *, application: bool,
                     only: set[str] | None = None) -> list[tuple[str, str]]:
    """(value, description) pairs for the consent screen."""
    lines: list[tuple[str, str]] = []
    if application:
        for perm in app.required_permissions:
            if only is not None and perm.value not in only:
                continue
            roles = app_roles_of(perm.resource_app_id) if perm.kind == "Application" else scopes_of(perm.resource_app_id)
            desc = roles[perm.value].display_name if perm.value in roles else perm.value
            suffix = " (application)" if perm.kind == "Application" else ""
            lines.append((perm.value, desc + suffix))
        return lines
    resource_app = req.resource.app_id if req else GRAPH_APP_ID
    perms = {**scopes_of(GRAPH_APP_ID), **scopes_of(resource_app)}
    for scope in scopes:
        lines.append((scope, perms[scope].display_name if scope in perms else scope))
    return lines

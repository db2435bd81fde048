"""Microsoft Graph v1.0 directory routes (mounted at /graph).

Microsoft 365 usage reports and subscribedSkus are in ``routes_reports.py``, directory-object
actions in ``routes_directory.py``; both are appended here (after the reads).
"""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route, Router

from azure_emulator.core.auth import Principal
from azure_emulator.core.context import get_world
from azure_emulator.services.graph import licensing as L
from azure_emulator.services.graph import responses as R
from azure_emulator.services.graph import routes_directory, routes_reports
from azure_emulator.services.graph.collection import (
    bad_request,
    by_id,
    collection,
    entity,
    not_found,
)
from azure_emulator.services.graph.permissions import require
from azure_emulator.services.graph.throttling import graph_principal
from azure_emulator.world.model import Tenant

_ALT_KEY = re.compile(r"^\(appId='([^']+)'\)$")


def _caller(request: Request, operation: str) -> tuple[Principal, Tenant]:
    principal = graph_principal(request)
    require(request, principal, operation)
    return principal, get_world(request).tenants[principal.tenant_id]


def _not_found(request: Request, key: str) -> Any:
    return not_found(request, key)


# --- organization & domains -----------------------------------------------------------
async def organization(request: Request) -> Response:
    _, tenant = _caller(request, "organization")
    return collection(request, "organization", "organization", [R.organization(tenant)])


async def organization_item(request: Request) -> Response:
    _, tenant = _caller(request, "organization")
    if request.path_params["id"].lower() != tenant.tenant_id:
        raise _not_found(request, request.path_params["id"])
    return entity(request, "organization", R.organization(tenant), "organization")


async def domains(request: Request) -> Response:
    _, tenant = _caller(request, "domains")
    return collection(request, "domains", "domain", [R.domain(d, tenant) for d in tenant.verified_domains])


async def domain_item(request: Request) -> Response:
    _, tenant = _caller(request, "domains")
    name = by_id(tenant.verified_domains, lambda d: d, request.path_params["id"])
    if name is None:
        raise _not_found(request, request.path_params["id"])
    return entity(request, "domains", R.domain(name, tenant), "domain")


# --- users ------------------------------------------------------------------------
_LICENCE_PROPS = {"assignedlicenses", "licenseassignmentstates"}
_UPN_PREFIX = re.compile(r"^\s*startswith\(userPrincipalName,\s*'((?:[^']|'')*)'\)\s*$", re.IGNORECASE)


def _user_builder(request: Request, principal: Principal, tenant: Tenant) -> tuple[Any, bool]:
    """How to render this tenant's users for this request (licences through groups,
    signInActivity when asked for and allowed). The group index (every licensed group's
    members) is built only when a selected property needs it, once per request: a
    ``$select=id,signInActivity`` page of a 50,000-user tenant does not pay for it."""
    sign_in = L.wants_sign_in(request)
    if sign_in:
        L.check_sign_in(request, principal, tenant)
    select = {p.strip().lower() for p in request.query_params.get("$select", "").split(",") if p.strip()}
    flt = request.query_params.get("$filter", "").lower()
    if select and not select & _LICENCE_PROPS and "assignedlicenses" not in flt and "licenseassignmentstates" not in flt:
        return (lambda u: R.user(u, None, sign_in=sign_in)), sign_in
    index: list[L.GroupIndex] = []

    def build(u: Any) -> dict[str, Any]:
        if not index:
            index.append(L.group_index(tenant))
        return R.user(u, index[0].get(u.object_id), sign_in=sign_in)

    return build, sign_in


def _users_of(request: Request, tenant: Tenant) -> tuple[Any, bool]:
    """(the users to page through, whether ``$filter`` is already applied). A lone
    ``startswith(userPrincipalName,'…')`` is applied to the model, so its pages build only
    the users they show (Graph compares case-insensitively)."""
    m = _UPN_PREFIX.match(request.query_params.get("$filter", ""))
    if not m:
        return tenant.users.values(), False
    needle = m.group(1).replace("''", "'").lower()
    return [u for u in tenant.users.values() if u.user_principal_name.lower().startswith(needle)], True


async def users(request: Request) -> Response:
    principal, tenant = _caller(request, "users")
    build, sign_in = _user_builder(request, principal, tenant)
    items, filtered = _users_of(request, tenant)
    return collection(request, "users", "user", items, default=R.USER_DEFAULT, build=build,
                      cap=120 if sign_in else None, filtered=filtered)


async def users_count(request: Request) -> Response:
    principal, tenant = _caller(request, "users")
    build, _ = _user_builder(request, principal, tenant)
    return collection(request, "users", "user", tenant.users.values(), count_only=True, build=build)


async def user_item(request: Request) -> Response:
    principal, tenant = _caller(request, "users")
    key = request.path_params["id"]
    u = tenant.users.get(key) or tenant.user_by_upn(key)
    if u is None:
        raise _not_found(request, key)
    build, _ = _user_builder(request, principal, tenant)
    return entity(request, "users", build(u), "user", R.USER_DEFAULT)


async def user_by_key(request: Request) -> Response:
    """``users('{key}')``: the same answer as ``users/{key}``."""
    request.path_params["id"] = request.path_params["key"]
    return await user_item(request)


async def me(request: Request) -> Response:
    principal = graph_principal(request)
    if principal.is_app:
        raise bad_request(request, "/me request is only valid with delegated authentication flow.")
    require(request, principal, "me")
    u = get_world(request).tenants[principal.tenant_id].users.get(principal.object_id)
    if u is None:
        raise _not_found(request, principal.object_id)
    return entity(request, "users", R.user(u), "user", R.USER_DEFAULT)


# --- groups ------------------------------------------------------------------------
def _group(tenant: Tenant) -> Any:
    return lambda g: {**R.group(g, tenant), "assignedLicenses": [{"disabledPlans": [], "skuId": s} for s in g.assigned_licenses]}


def _group_default(tenant: Tenant) -> list[str] | None:
    """The default property set: everything but assignedLicenses (selectable, not default)."""
    first = next(iter(tenant.groups.values()), None)
    return [k for k in R.group(first, tenant) if k != "assignedLicenses"] if first else None


async def groups(request: Request) -> Response:
    _, tenant = _caller(request, "groups")
    return collection(request, "groups", "group", tenant.groups.values(), default=_group_default(tenant), build=_group(tenant))


async def groups_count(request: Request) -> Response:
    _, tenant = _caller(request, "groups")
    return collection(request, "groups", "group", tenant.groups.values(), count_only=True, build=_group(tenant))


async def group_item(request: Request) -> Response:
    _, tenant = _caller(request, "groups")
    g = tenant.groups.get(request.path_params["id"])
    if g is None:
        raise _not_found(request, request.path_params["id"])
    return entity(request, "groups", _group(tenant)(g), "group", _group_default(tenant))


async def group_members(request: Request) -> Response:
    _, tenant = _caller(request, "groups")
    g = tenant.groups.get(request.path_params["id"])
    if g is None:
        raise _not_found(request, request.path_params["id"])
    index = L.group_index(tenant)
    members = [tenant.users[m] for m in g.member_ids if m in tenant.users]

    def build(u: Any) -> dict[str, Any]:
        return {"@odata.type": "#microsoft.graph.user", **R.user(u, index.get(u.object_id))}

    return collection(request, "directoryObjects", "user", members, default=["@odata.type", *R.USER_DEFAULT], build=build)


# --- applications & service principals ---------------------------------------------
def _apps(tenant: Tenant) -> list[Any]:
    return list(tenant.applications.values())


async def applications(request: Request) -> Response:
    _, tenant = _caller(request, "applications")
    return collection(request, "applications", "application", [R.application(a, tenant) for a in _apps(tenant)])


async def application_item(request: Request) -> Response:
    _, tenant = _caller(request, "applications")
    key = request.path_params["id"]
    alt = _ALT_KEY.match(key)
    app = tenant.applications.get(alt.group(1)) if alt else by_id(_apps(tenant), lambda a: a.object_id, key)
    if app is None:
        raise _not_found(request, key)
    return entity(request, "applications", R.application(app, tenant), "application")


async def application_alt(request: Request) -> Response:
    request.path_params["id"] = f"(appId='{request.path_params['app_id']}')"
    return await application_item(request)


async def service_principals(request: Request) -> Response:
    _, tenant = _caller(request, "applications")
    world = get_world(request)
    items = [R.service_principal(sp, world) for sp in tenant.service_principals.values()]
    return collection(request, "servicePrincipals", "servicePrincipal", items, default=R.SP_DEFAULT)


def _sp(request: Request, tenant: Tenant, key: str) -> Any:
    alt = _ALT_KEY.match(key)
    sp = tenant.service_principal_by_app_id(alt.group(1)) if alt else tenant.service_principals.get(key.lower())
    if sp is None:
        raise _not_found(request, key)
    return sp


async def service_principal_item(request: Request) -> Response:
    _, tenant = _caller(request, "applications")
    sp = _sp(request, tenant, request.path_params["id"])
    return entity(request, "servicePrincipals", R.service_principal(sp, get_world(request)), "servicePrincipal", R.SP_DEFAULT)


async def service_principal_alt(request: Request) -> Response:
    request.path_params["id"] = f"(appId='{request.path_params['app_id']}')"
    return await service_principal_item(request)


async def sp_app_role_assignments(request: Request) -> Response:
    _, tenant = _caller(request, "applications")
    sp = _sp(request, tenant, request.path_params["id"])
    items = [R.app_role_assignment(a, tenant) for a in tenant.app_role_assignments if a.principal_id == sp.object_id]
    return collection(request, f"servicePrincipals('{sp.object_id}')/appRoleAssignments", "appRoleAssignment", items)


async def sp_app_role_assigned_to(request: Request) -> Response:
    _, tenant = _caller(request, "applications")
    sp = _sp(request, tenant, request.path_params["id"])
    items = [R.app_role_assignment(a, tenant) for a in tenant.app_role_assignments if a.resource_app_id == sp.app_id]
    return collection(request, f"servicePrincipals('{sp.object_id}')/appRoleAssignedTo", "appRoleAssignment", items)


def _alt(handler: Any) -> Any:
    async def wrapped(request: Request) -> Response:
        request.path_params["id"] = f"(appId='{request.path_params['app_id']}')"
        return await handler(request)  # type: ignore[no-any-return]

    return wrapped


async def permission_grants(request: Request) -> Response:
    _, tenant = _caller(request, "grants")
    items = [R.permission_grant(g, tenant) for g in tenant.delegated_grants]
    return collection(request, "oauth2PermissionGrants", "oAuth2PermissionGrant", items)


routes: list[BaseRoute] = [
    Route("/v1.0/organization", organization, methods=["GET"]),
    Route("/v1.0/organization/{id}", organization_item, methods=["GET"]),
    Route("/v1.0/domains", domains, methods=["GET"]),
    Route("/v1.0/domains/{id}", domain_item, methods=["GET"]),
    Route("/v1.0/me", me, methods=["GET"]),
    Route("/v1.0/users", users, methods=["GET"]),
    Route("/v1.0/users/$count", users_count, methods=["GET"]),
    Route("/v1.0/users/{id}", user_item, methods=["GET"]),
    Route("/v1.0/groups", groups, methods=["GET"]),
    Route("/v1.0/groups/$count", groups_count, methods=["GET"]),
    Route("/v1.0/groups/{id}", group_item, methods=["GET"]),
    Route("/v1.0/groups/{id}/members", group_members, methods=["GET"]),
    Route("/v1.0/applications", applications, methods=["GET"]),
    Route("/v1.0/applications(appId='{app_id}')", application_alt, methods=["GET"]),
    Route("/v1.0/applications/{id}", application_item, methods=["GET"]),
    Route("/v1.0/servicePrincipals", service_principals, methods=["GET"]),
    Route("/v1.0/servicePrincipals(appId='{app_id}')", service_principal_alt, methods=["GET"]),
    Route("/v1.0/servicePrincipals/{id}", service_principal_item, methods=["GET"]),
    Route("/v1.0/servicePrincipals/{id}/appRoleAssignments", sp_app_role_assignments, methods=["GET"]),
    Route("/v1.0/servicePrincipals/{id}/appRoleAssignedTo", sp_app_role_assigned_to, methods=["GET"]),
    Route("/v1.0/servicePrincipals(appId='{app_id}')/appRoleAssignments", _alt(sp_app_role_assignments), methods=["GET"]),
    Route("/v1.0/servicePrincipals(appId='{app_id}')/appRoleAssignedTo", _alt(sp_app_role_assigned_to), methods=["GET"]),
    Route("/v1.0/oauth2PermissionGrants", permission_grants, methods=["GET"]),
    *routes_reports.router.routes,
    # after the directory reads, which most requests are: its POST actions and users('…') are rarer
    *routes_directory.router.routes,
    Route("/v1.0/users('{key}')", user_by_key, methods=["GET"]),
]
router = Router(routes=routes)

"""Role assignments and role definitions over the world (Microsoft.Authorization 2022-04-01)."""

from __future__ import annotations

import re
from typing import Any

from azure_emulator.core import arm_index as arm
from azure_emulator.core.arm import GUID_RE, ParsedScope
from azure_emulator.core.errors import ApiError, arm_error
from azure_emulator.services.authorization import rbac
from azure_emulator.services.authorization.rbac import Caller
from azure_emulator.world.builtin_roles import is_azure_rbac_role
from azure_emulator.world.model import PrincipalType, RoleAssignment, RoleDefinition, World

_ROLE_ID_RE = re.compile(r"(?:^|/)roleDefinitions/([^/]+)$", re.IGNORECASE)
_FILTER_PRINCIPAL = re.compile(r"principalId\s+eq\s+'([^']+)'", re.IGNORECASE)
_FILTER_ASSIGNED = re.compile(r"assignedTo\('([^']+)'\)", re.IGNORECASE)
_FILTER_ATSCOPE = re.compile(r"atScope\(\)", re.IGNORECASE)
_FILTER_ROLENAME = re.compile(r"roleName\s+eq\s+'([^']+)'", re.IGNORECASE)
_FILTER_TYPE = re.compile(r"type\s+eq\s+'([^']+)'", re.IGNORECASE)


def check_scope_exists(world: World, caller: Caller, scope: ParsedScope) -> None:
    """404 for a scope that does not exist (after the tenant check)."""
    if scope.subscription_id is None:
        return
    sub = arm.get_subscription(world, caller, scope.subscription_id)
    if scope.kind in ("resourceGroup", "resource") and scope.resource_group is not None:
        arm.get_resource_group(sub, scope.resource_group)
    if scope.kind == "resource" and arm.find_resource(world, scope.path) is None:
        raise arm.resource_not_found(scope.path)


def principal_kind(world: World, tenant_id: str, principal_id: str) -> PrincipalType | None:
    tenant = world.tenants.get(tenant_id.lower()) or world.tenants.get(tenant_id)
    if tenant is None:
        return None
    for key in (principal_id, principal_id.lower()):
        if key in tenant.users:
            return "User"
        if key in tenant.service_principals:
            return "ServicePrincipal"
        if key in tenant.groups:
            return "Group"
    return None


def role_definition_guid(value: str) -> str:
    found = _ROLE_ID_RE.search(value.strip())
    return (found.group(1) if found else value.strip()).lower()


def tenant_of_scope(world: World, caller: Caller, scope: ParsedScope) -> str:
    if scope.subscription_id is not None:
        return arm.get_subscription(world, caller, scope.subscription_id).tenant_id
    return caller.tenant_id


def create_assignment(
    world: World, caller: Caller, scope: ParsedScope, name: str, body: dict[str, Any]
) -> tuple[RoleAssignment, bool]:
    """Create (201) or return the identical existing assignment (200)."""
    if not GUID_RE.match(name):
        raise arm_error(
            400,
            "InvalidRoleAssignmentId",
            f"The role assignment ID '{name}' is not valid. The role assignment ID must be a GUID.",
        )
    props = body.get("properties")
    if not isinstance(props, dict) or not props.get("roleDefinitionId") or not props.get("principalId"):
        raise arm_error(
            400,
            "InvalidCreateRoleAssignmentRequest",
            "The request to create role assignment is invalid: 'properties.roleDefinitionId' and "
            "'properties.principalId' are required.",
        )
    role_id = role_definition_guid(str(props["roleDefinitionId"]))
    role = world.role_definitions.get(role_id)
    if role is None or not is_azure_rbac_role(role):
        raise arm_error(
            400,
            "RoleDefinitionDoesNotExist",
            f"The specified role definition with ID '{role_id}' does not exist.",
        )
    principal_id = str(props["principalId"]).lower()
    tenant_id = tenant_of_scope(world, caller, scope)
    actual = principal_kind(world, tenant_id, principal_id)
    if actual is None:
        raise arm_error(
            400,
            "PrincipalNotFound",
            f"Principal {principal_id.replace('-', '')} does not exist in the directory {tenant_id}. Check "
            "that you have the correct principal ID. If you are creating this principal and then "
            "immediately assigning a role, this error might be related to a replication delay. In "
            "this case, set the role assignment principalType property to a value, such as "
            "ServicePrincipal, User, or Group.  See https://aka.ms/docs-principaltype",
        )
    wanted = props.get("principalType")
    if wanted is not None and str(wanted) != actual:
        raise arm_error(
            400,
            "UnmatchedPrincipalType",
            f"The PrincipalId '{principal_id.replace('-', '')}' has type '{actual}' , which is "
            f"different from specified PrincipalType '{wanted}'.",
        )
    with world.lock:
        existing = world.role_assignments.get(name.lower()) or world.role_assignments.get(name)
        if existing is not None:
            same = (
                existing.principal_id.lower() == principal_id
                and existing.role_definition_id.lower() == role_id
                and existing.scope.lower() == scope.lower
            )
            if same:
                return existing, False
            raise arm_error(
                409,
                "RoleAssignmentUpdateNotPermitted",
                "Tenant ID, application ID, principal ID, and scope are not allowed to be updated.",
            )
        for ra in world.role_assignments.values():
            if (
                ra.principal_id.lower() == principal_id
                and ra.role_definition_id.lower() == role_id
                and ra.scope.lower() == scope.lower
            ):
                raise arm_error(409, "RoleAssignmentExists", "The role assignment already exists.")
        now = world.clock.now()
        ra = RoleAssignment(
            name=name.lower(),
            scope=scope.path,
            role_definition_id=role_id,
            principal_id=principal_id,
            principal_type=actual,
            tenant_id=tenant_id,
            created=now,
            created_by=caller.object_id,
            effective_from=now + world.role_propagation_delay,
        )
        world.role_assignments[ra.name] = ra
        rbac.assignments_changed(world)
        return ra, True


def find_assignment(world: World, scope: ParsedScope, name: str) -> RoleAssignment | None:
    ra = world.role_assignments.get(name.lower()) or world.role_assignments.get(name)
    if ra is None or ra.scope.lower() != scope.lower:
        return None
    return ra


def delete_assignment(world: World, ra: RoleAssignment) -> None:
    with world.lock:
        world.role_assignments.pop(ra.name, None)
        rbac.assignments_changed(world)


def assignment_not_found() -> ApiError:
    return arm_error(404, "RoleAssignmentNotFound", "The role assignment does not exist.")


def list_assignments(world: World, scope: ParsedScope, filter_text: str | None) -> list[RoleAssignment]:
    """At, above and below ``scope``; ``atScope()`` keeps at/above; ``principalId eq`` and
    ``assignedTo()`` keep one principal (assignedTo also through its groups)."""
    text = filter_text or ""
    at_scope = bool(_FILTER_ATSCOPE.search(text))
    principals: set[str] | None = None
    m = _FILTER_PRINCIPAL.search(text)
    if m:
        principals = {m.group(1).lower()}
    m = _FILTER_ASSIGNED.search(text)
    if m:
        pid = m.group(1).lower()
        principals = {pid}
        for tenant in world.tenants.values():
            for group in tenant.groups.values():
                if any(x.lower() == pid for x in group.member_ids):
                    principals.add(group.object_id.lower())
    if text and not (at_scope or principals is not None):
        raise arm_error(400, "UnsupportedQuery", f"The filter '{text}' is not supported.")
    result = []
    for ra in world.role_assignments.values():
        above_or_at = rbac.scope_covers(ra.scope, scope.path)
        below = rbac.scope_covers(scope.path, ra.scope)
        if not (above_or_at or (below and not at_scope)):
            continue
        if principals is not None and ra.principal_id.lower() not in principals:
            continue
        result.append(ra)
    return result


def list_role_definitions(world: World, filter_text: str | None) -> list[RoleDefinition]:
    roles = [r for r in world.role_definitions.values() if is_azure_rbac_role(r)]
    text = filter_text or ""
    m = _FILTER_ROLENAME.search(text)
    if m:
        roles = [r for r in roles if r.role_name.lower() == m.group(1).lower()]
    m = _FILTER_TYPE.search(text)
    if m:
        roles = [r for r in roles if r.role_type.lower() == m.group(1).lower()]
    return roles


def role_definition_not_found(role_id: str) -> ApiError:
    return arm_error(404, "RoleDefinitionDoesNotExist", f"The specified role definition with ID '{role_id}' does not exist.")


def caller_permissions(world: World, caller: Caller, scope: str) -> list[RoleDefinition]:
    """The roles (one per effective assignment at or above ``scope``) granting the caller anything."""
    now = world.clock.now()
    roles = []
    for ra in rbac.caller_assignments(world, caller, now):
        if rbac.scope_covers(ra.scope, scope):
            role = world.role_definitions.get(ra.role_definition_id)
            if role is not None:
                roles.append(role)
    return roles

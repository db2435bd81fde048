"""Microsoft.Authorization JSON shapes (role assignments 2022-04-01, role definitions, permissions)."""

from __future__ import annotations

from typing import Any

from azure_emulator.core.arm_index import utc
from azure_emulator.world.model import RoleAssignment, RoleDefinition

_BUILTIN_CREATED = "2015-02-02T21:55:09.8806423Z"
_BUILTIN_UPDATED = "2022-11-29T19:54:33.5493289Z"


def role_definition_id(scope: str, role_id: str) -> str:
    """Role definition ids are expressed at the subscription of the scope (tenant root otherwise)."""
    parts = scope.strip("/").split("/")
    if len(parts) >= 2 and parts[0].lower() == "subscriptions":
        return f"/subscriptions/{parts[1]}/providers/Microsoft.Authorization/roleDefinitions/{role_id}"
    return f"/providers/Microsoft.Authorization/roleDefinitions/{role_id}"


def role_assignment_json(ra: RoleAssignment) -> dict[str, Any]:
    created = utc(ra.created)
    return {
        "properties": {
            "roleDefinitionId": role_definition_id(ra.scope, ra.role_definition_id),
            "principalId": ra.principal_id,
            "principalType": ra.principal_type,
            "scope": ra.scope,
            "condition": None,
            "conditionVersion": None,
            "createdOn": created,
            "updatedOn": created,
            "createdBy": ra.created_by,
            "updatedBy": ra.created_by,
            "delegatedManagedIdentityResourceId": None,
            "description": None,
        },
        "id": f"{ra.scope.rstrip('/')}/providers/Microsoft.Authorization/roleAssignments/{ra.name}",
        "type": "Microsoft.Authorization/roleAssignments",
        "name": ra.name,
    }


def role_definition_json(scope: str, role: RoleDefinition) -> dict[str, Any]:
    return {
        "properties": {
            "roleName": role.role_name,
            "type": role.role_type,
            "description": role.description,
            "assignableScopes": list(role.assignable_scopes),
            "permissions": [
                {
                    "actions": list(role.actions),
                    "notActions": list(role.not_actions),
                    "dataActions": list(role.data_actions),
                    "notDataActions": list(role.not_data_actions),
                }
            ],
            "createdOn": _BUILTIN_CREATED,
            "updatedOn": _BUILTIN_UPDATED,
            "createdBy": None,
            "updatedBy": None,
        },
        "id": role_definition_id(scope, role.id),
        "type": "Microsoft.Authorization/roleDefinitions",
        "name": role.id,
    }


def permission_json(role: RoleDefinition, api_version: str) -> dict[str, Any]:
    body: dict[str, Any] = {"actions": list(role.actions), "notActions": list(role.not_actions)}
    if api_version >= "2018-01-01":
        body["dataActions"] = list(role.data_actions)
        body["notDataActions"] = list(role.not_data_actions)
    return body

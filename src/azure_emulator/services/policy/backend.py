"""Deny policy assignments (``World.policy_denials``) and the RequestDisallowedByPolicy refusal.

Azure's shape (error-policy-requestdisallowedbypolicy.md and real CLI output): 403,
``{"error": {"code": "RequestDisallowedByPolicy", "target": "<resource name>", "message":
"Resource '<name>' was disallowed by policy. Policy identifiers: '[{\\"policyAssignment\\":
{\\"name\\":\\"<assignment display name>\\",\\"id\\":\\"<assignment id>\\"},\\"policyDefinition\\":
{\\"name\\":\\"<definition display name>\\",\\"id\\":\\"<definition id>\\"}}]'.", "additionalInfo":
[{"type": "PolicyViolation", "info": {...}}]}}``.
"""

from __future__ import annotations

import json
from typing import Any

from azure_emulator.core.errors import ApiError
from azure_emulator.world.model import PolicyDenial, World


def assignment_id(denial: PolicyDenial) -> str:
    return f"{denial.scope.rstrip('/')}/providers/Microsoft.Authorization/policyAssignments/{denial.assignment_name}"


def definition_id(denial: PolicyDenial) -> str:
    return f"/providers/Microsoft.Authorization/policyDefinitions/{denial.definition_name}"


def _applies(denial: PolicyDenial, target: str, resource_type: str, tags: dict[str, str]) -> bool:
    scope = denial.scope.lower().rstrip("/")
    t = target.lower().rstrip("/")
    if not (t == scope or t.startswith(scope + "/")):
        return False
    if denial.resource_types and resource_type.lower() not in {r.lower() for r in denial.resource_types}:
        return False
    if denial.require_tag is not None:
        return denial.require_tag.lower() not in {k.lower() for k in tags}
    return True


def disallowed(denial: PolicyDenial, target: str) -> ApiError:
    name = target.rstrip("/").rsplit("/", 1)[-1]
    identifiers = [{
        "policyAssignment": {"name": denial.assignment_display_name, "id": assignment_id(denial)},
        "policyDefinition": {"name": denial.definition_display_name, "id": definition_id(denial)},
    }]
    info: dict[str, Any] = {
        "policyDefinitionDisplayName": denial.definition_display_name,
        "policyDefinitionId": definition_id(denial),
        "policyDefinitionName": denial.definition_name,
        "policyDefinitionEffect": "deny",
        "policyAssignmentId": assignment_id(denial),
        "policyAssignmentName": denial.assignment_name,
        "policyAssignmentDisplayName": denial.assignment_display_name,
        "policyAssignmentScope": denial.scope,
    }
    message = (f"Resource '{name}' was disallowed by policy. Policy identifiers: "
               f"'{json.dumps(identifiers, separators=(',', ':'))}'.")
    body = {"error": {"code": "RequestDisallowedByPolicy", "target": name, "message": message,
                      "additionalInfo": [{"type": "PolicyViolation", "info": info}]}}
    return ApiError(403, body)


def check(world: World, target: str, resource_type: str, resulting_tags: dict[str, str]) -> None:
    """Raise RequestDisallowedByPolicy when a deny assignment covers this tag write."""
    for denial in world.policy_denials:
        if _applies(denial, target, resource_type, resulting_tags):
            raise disallowed(denial, target)


def to_dict(denial: PolicyDenial) -> dict[str, Any]:
    return {
        "scope": denial.scope, "assignment_name": denial.assignment_name,
        "assignment_display_name": denial.assignment_display_name, "definition_name": denial.definition_name,
        "definition_display_name": denial.definition_display_name, "resource_types": denial.resource_types,
        "require_tag": denial.require_tag, "assignment_id": assignment_id(denial),
    }

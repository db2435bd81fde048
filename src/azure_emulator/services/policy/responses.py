"""Policy shapes: the RequestDisallowedByPolicy refusal (shape in ``backend.py``'s notes),
a deny assignment as ARM lists it (PolicyAssignment: id, name, type, properties) and as the
control API shows it."""

from __future__ import annotations

import json
from typing import Any

from azure_emulator.core.errors import ApiError
from azure_emulator.world.model import PolicyDenial


def assignment_id(denial: PolicyDenial) -> str:
    return f"{denial.scope.rstrip('/')}/providers/Microsoft.Authorization/policyAssignments/{denial.assignment_name}"


def definition_id(denial: PolicyDenial) -> str:
    return f"/providers/Microsoft.Authorization/policyDefinitions/{denial.definition_name}"


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


def to_dict(denial: PolicyDenial) -> dict[str, Any]:
    return {
        "scope": denial.scope, "assignment_name": denial.assignment_name,
        "assignment_display_name": denial.assignment_display_name, "definition_name": denial.definition_name,
        "definition_display_name": denial.definition_display_name, "resource_types": denial.resource_types,
        "require_tag": denial.require_tag, "assignment_id": assignment_id(denial),
    }


def assignment_json(denial: PolicyDenial) -> dict[str, Any]:
    return {"id": assignment_id(denial), "name": denial.assignment_name,
            "type": "Microsoft.Authorization/policyAssignments",
            "properties": {"displayName": denial.assignment_display_name, "scope": denial.scope,
                           "policyDefinitionId": definition_id(denial), "enforcementMode": "Default"}}

"""Deny policy assignments (``World.policy_denials``) and the RequestDisallowedByPolicy refusal.

Azure's shape (error-policy-requestdisallowedbypolicy.md and real CLI output): 403,
``{"error": {"code": "RequestDisallowedByPolicy", "target": "<resource name>", "message":
"Resource '<name>' was disallowed by policy. Policy identifiers: '[{\\"policyAssignment\\":
{\\"name\\":\\"<assignment display name>\\",\\"id\\":\\"<assignment id>\\"},\\"policyDefinition\\":
{\\"name\\":\\"<definition display name>\\",\\"id\\":\\"<definition id>\\"}}]'.", "additionalInfo":
[{"type": "PolicyViolation", "info": {...}}]}}``.
"""

from __future__ import annotations

from azure_emulator.services.policy import responses as R
from azure_emulator.world.model import PolicyDenial, World


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


def check(world: World, target: str, resource_type: str, resulting_tags: dict[str, str]) -> None:
    """Raise RequestDisallowedByPolicy when a deny assignment covers this tag write."""
    for denial in world.policy_denials:
        if _applies(denial, target, resource_type, resulting_tags):
            raise R.disallowed(denial, target)

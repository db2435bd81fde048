"""Azure RBAC work on one subscription: does the signed-in user own it, assign or swap
skytally's role (Reader ↔ Tag Contributor), and has that role taken effect yet.

All calls go through the connector's SDK clients; failures surface as `RoleError` with
ARM's own code and message so callers can report them per subscription.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

from skytally.azure.errors import AzureHttpError, AzureUnreachable

if TYPE_CHECKING:
    from azure.core.credentials import TokenCredential
    from azure.core.exceptions import HttpResponseError

    from skytally.azure.clients import AzureConnector

# Built-in role definition ids (the same in every tenant and cloud).
READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
TAG_CONTRIBUTOR = "4a9ae827-6dc8-4573-8ac7-8239d42aa03f"
ROLE_IDS = {"Reader": READER, "Tag Contributor": TAG_CONTRIBUTOR}
SKYTALLY_ROLES = frozenset(ROLE_IDS.values())

ASSIGN_ACTION = "Microsoft.Authorization/roleAssignments/write"
PERMISSIONS_API = "2022-04-01"
# What each role must let skytally's identity do before the subscription counts as active.
PROOF_ACTION = {"Reader": "Microsoft.Resources/subscriptions/resourceGroups/read",
                "Tag Contributor": "Microsoft.Resources/tags/write"}


class RoleError(Exception):
    def __init__(self, message: str, code: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True)
class Permission:
    actions: tuple[str, ...]
    not_actions: tuple[str, ...]


def _matches(pattern: str, action: str) -> bool:
    regex = "^" + re.escape(pattern).replace(r"\*", ".*") + "$"
    return re.match(regex, action, re.IGNORECASE) is not None


def allows(permissions: list[Permission], action: str) -> bool:
    """Whether any permission entry grants `action` (wildcards, notActions honoured)."""
    return any(
        any(_matches(a, action) for a in p.actions) and not any(_matches(n, action) for n in p.not_actions)
        for p in permissions
    )


def sub_scope(subscription_id: str) -> str:
    return f"/subscriptions/{subscription_id}"


def permissions_at(connector: AzureConnector, credential: TokenCredential, subscription_id: str) -> list[Permission]:
    """The caller's effective permissions on a subscription (Microsoft.Authorization/permissions)."""
    try:
        doc = connector.arm_rest(credential).get(
            f"{sub_scope(subscription_id)}/providers/Microsoft.Authorization/permissions", PERMISSIONS_API
        )
    except AzureHttpError as exc:
        if exc.status in (401, 403, 404):
            return []
        raise RoleError(exc.message, exc.code) from None
    except AzureUnreachable as exc:
        raise RoleError(str(exc), "Unreachable") from None
    return [
        Permission(tuple(item.get("actions") or ()), tuple(item.get("notActions") or ()))
        for item in doc.get("value", [])
    ]


def can_assign_roles(connector: AzureConnector, credential: TokenCredential, subscription_id: str) -> bool:
    """The user may create role assignments on the subscription (Owner, User Access Administrator…)."""
    return allows(permissions_at(connector, credential, subscription_id), ASSIGN_ACTION)


def role_effective(connector: AzureConnector, app_credential: TokenCredential, subscription_id: str, role_name: str) -> bool:
    """skytally's own identity can already use the role on the subscription."""
    try:
        perms = permissions_at(connector, app_credential, subscription_id)
    except RoleError:
        return False
    return allows(perms, PROOF_ACTION.get(role_name, PROOF_ACTION["Reader"]))


def _assignments(connector: AzureConnector, credential: TokenCredential, subscription_id: str, principal_id: str) -> list[tuple[str, str]]:
    """(assignment id, role definition GUID) of the principal at exactly the subscription scope."""
    client = connector.authorization(credential, subscription_id)
    scope = sub_scope(subscription_id).lower()
    found = []
    for ra in client.role_assignments.list_for_scope(
        sub_scope(subscription_id), filter=f"principalId eq '{principal_id}'"
    ):
        if (ra.scope or "").lower().rstrip("/") != scope or (ra.principal_id or "").lower() != principal_id.lower():
            continue
        role_guid = (ra.role_definition_id or "").rstrip("/").rsplit("/", 1)[-1].lower()
        found.append((ra.id or "", role_guid))
    return found


def ensure_role(
    connector: AzureConnector, credential: TokenCredential, subscription_id: str, principal_id: str, role_name: str
) -> tuple[str, bool]:
    """Assign `role_name` to the principal on the subscription unless it has it.

    Returns (assignment id, created). Acting as the consenting owner.
    """
    from azure.core.exceptions import HttpResponseError, ResourceExistsError

    role_guid = ROLE_IDS[role_name]
    try:
        for assignment_id, guid in _assignments(connector, credential, subscription_id, principal_id):
            if guid == role_guid:
                return assignment_id, False
        client = connector.authorization(credential, subscription_id)
        name = str(uuid.uuid5(uuid.NAMESPACE_URL, f"skytally:{subscription_id}:{principal_id}:{role_guid}"))
        params = client.role_assignments.models.RoleAssignmentCreateParameters(
            role_definition_id=f"{sub_scope(subscription_id)}/providers/Microsoft.Authorization/roleDefinitions/{role_guid}",
            principal_id=principal_id,
            principal_type="ServicePrincipal",
        )
        try:
            created = client.role_assignments.create(sub_scope(subscription_id), name, params)
        except ResourceExistsError:  # RoleAssignmentExists under another name: fine
            return "", False
        return created.id or "", True
    except HttpResponseError as exc:
        raise RoleError(_arm_message(exc), _arm_code(exc)) from None


def remove_roles(
    connector: AzureConnector, credential: TokenCredential, subscription_id: str, principal_id: str, role_names: list[str]
) -> int:
    """Delete the principal's assignments of these roles at the subscription scope only."""
    from azure.core.exceptions import HttpResponseError

    wanted = {ROLE_IDS[n] for n in role_names}
    removed = 0
    try:
        client = connector.authorization(credential, subscription_id)
        for assignment_id, guid in _assignments(connector, credential, subscription_id, principal_id):
            if guid in wanted and assignment_id:
                client.role_assignments.delete_by_id(assignment_id)
                removed += 1
    except HttpResponseError as exc:
        raise RoleError(_arm_message(exc), _arm_code(exc)) from None
    return removed


def _arm_code(exc: HttpResponseError) -> str:
    return str(getattr(exc.error, "code", "") or exc.status_code or "")


def _arm_message(exc: HttpResponseError) -> str:
    message = getattr(exc.error, "message", None) or exc.message or str(exc)
    return str(message).splitlines()[0]

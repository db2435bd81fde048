"""Microsoft first-party applications the emulator provisions in every tenant.

Permission ids are Microsoft Graph's public ids (as published in Graph's permissions
reference); values not listed get a stable derived id.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

ARM_APP_ID = "797f4846-ba00-4fd7-ba43-dac1f8f63013"
ARM_DISPLAY_NAME = "Windows Azure Service Management API"
GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
GRAPH_DISPLAY_NAME = "Microsoft Graph"


@dataclass(frozen=True, slots=True)
class Permission:
    value: str
    id: str
    admin_consent_required: bool
    display_name: str


def _derived(value: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"https://graph.microsoft.com/{value}"))


GRAPH_APP_ROLES: dict[str, Permission] = {
    p.value: p
    for p in [
        Permission("User.Read.All", "df021288-bdef-4463-88db-98f22de89214", True, "Read all users' full profiles"),
        Permission("User.ReadWrite.All", "741f803b-c850-494e-b5df-cde7c675a1ca", True, "Read and write all users' full profiles"),
        Permission("Group.Read.All", "5b567255-7703-4780-807c-7be8301ae99b", True, "Read all groups"),
        Permission("GroupMember.Read.All", "98830695-27a2-44f7-8c18-0c3ebc9698f6", True, "Read all group memberships"),
        Permission("Application.Read.All", "9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30", True, "Read all applications"),
        Permission("Application.ReadWrite.All", "1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9", True, "Read and write all applications"),
        Permission("Directory.Read.All", "7ab1d382-f21e-4acd-a863-ba3e13f7da61", True, "Read directory data"),
        Permission("Directory.ReadWrite.All", "19dbc75e-c2e2-444c-a770-ec69d8559fc7", True, "Read and write directory data"),
        Permission("Organization.Read.All", "498476ce-e0fe-48b0-b801-37ba7e2685c6", True, "Read organization information"),
        Permission("Domain.Read.All", "dbb9058a-0e50-45d7-ae91-66909b5d4664", True, "Read domains"),
        Permission("Reports.Read.All", "230c1aed-a721-4c5d-9cb4-a90514e508ef", True, "Read all usage reports"),
        Permission("AuditLog.Read.All", "b0afded3-3588-46d8-8b3d-9842eff778da", True, "Read all audit log data"),
        Permission("LicenseAssignment.Read.All", _derived("LicenseAssignment.Read.All"), True, "Read all license assignments"),
        Permission("ReportSettings.Read.All", _derived("ReportSettings.Read.All"), True, "Read all admin report settings"),
    ]
}

GRAPH_SCOPES: dict[str, Permission] = {
    p.value: p
    for p in [
        Permission("openid", "37f7f235-527c-4136-accd-4a02d197296e", False, "Sign users in"),
        Permission("profile", "14dad69e-099b-42c9-810b-d002981feec1", False, "View users' basic profile"),
        Permission("email", "64a6cdd6-aab1-4aaf-94b8-3cc8405e90d0", False, "View users' email address"),
        Permission("offline_access", "7427e0e9-2fba-42fe-b0c0-848c9e6a8182", False, "Maintain access to data you have given it access to"),
        Permission("User.Read", "e1fe6dd8-ba31-4d61-89e7-88639da4683d", False, "Sign in and read user profile"),
        Permission("User.ReadBasic.All", "b340eb25-3456-403f-be2f-af7a0d370277", False, "Read all users' basic profiles"),
        Permission("User.Read.All", "a154be20-db9c-4678-8ab7-66f6cc099a59", True, "Read all users' full profiles"),
        Permission("Group.Read.All", "5f8c59db-677d-491f-a6b8-5f174b11ec1d", True, "Read all groups"),
        Permission("Application.Read.All", "c79f8feb-a9db-4090-85f9-90d820caa0eb", True, "Read applications"),
        Permission("Directory.Read.All", "06da0dbc-49e2-44d2-8312-53f166ab848a", True, "Read directory data"),
        Permission("Organization.Read.All", "4908d5b9-3fb2-4b1e-9336-1888b7937185", True, "Read organization information"),
        Permission("Reports.Read.All", "02e97553-ed7b-43d0-ab3c-f8bace0d040c", True, "Read all usage reports"),
    ]
}

ARM_SCOPES: dict[str, Permission] = {
    "user_impersonation": Permission(
        "user_impersonation", "41094075-9dad-400e-a0bd-54e686782033", False, "Access Azure Service Management as organization users"
    )
}

# OIDC scopes: requested with any resource, never put into an access token's scp.
OIDC_SCOPES = frozenset({"openid", "profile", "email", "offline_access"})


def scopes_of(resource_app_id: str) -> dict[str, Permission]:
    if resource_app_id == GRAPH_APP_ID:
        return GRAPH_SCOPES
    if resource_app_id == ARM_APP_ID:
        return ARM_SCOPES
    return {}


def app_roles_of(resource_app_id: str) -> dict[str, Permission]:
    return GRAPH_APP_ROLES if resource_app_id == GRAPH_APP_ID else {}


def display_name_of(resource_app_id: str) -> str:
    return {ARM_APP_ID: ARM_DISPLAY_NAME, GRAPH_APP_ID: GRAPH_DISPLAY_NAME}.get(resource_app_id, resource_app_id)


# Microsoft 365 licences (skuId, skuPartNumber, display name).
M365_SKUS: list[tuple[str, str, str]] = [
    ("05e9a617-0261-4cee-bb44-138d3ef5d965", "SPE_E3", "Microsoft 365 E3"),
    ("06ebc4ee-1bb5-47dd-8120-11324bc54e06", "SPE_E5", "Microsoft 365 E5"),
    ("6fd2c87f-b296-42f0-b197-1e91e994b900", "ENTERPRISEPACK", "Office 365 E3"),
    ("c7df2760-2c81-4ef7-b578-5b5392b571df", "ENTERPRISEPREMIUM", "Office 365 E5"),
    ("f245ecc8-75af-4f8e-b61f-27d8114de5f3", "O365_BUSINESS_PREMIUM", "Microsoft 365 Business Standard"),
    ("efccb6f7-5641-4e0e-bd10-b4976e1bf68e", "EMS", "Enterprise Mobility + Security E3"),
    ("f8a1db68-be16-40ed-86d5-cb42ce701560", "POWER_BI_PRO", "Power BI Pro"),
    ("c5928f49-12ba-48f7-ada3-0d743a3601d5", "VISIOCLIENT", "Visio Plan 2"),
]


# Microsoft's public client applications people sign in with, homed in Microsoft's own tenant
# and preauthorized for what they call (no consent prompt, no oauth2PermissionGrant).
MICROSOFT_SERVICES_TENANT = "f8cdef31-a31e-4b4a-93e4-5f571e91255a"
AZURE_CLI_APP_ID = "04b07795-8ddb-461a-bbee-02f9e1bf7b46"
AZURE_POWERSHELL_APP_ID = "1950a258-227b-4e31-a9cf-717495945fc2"


@dataclass(frozen=True, slots=True)
class FirstPartyClient:
    app_id: str
    display_name: str
    redirect_uris: tuple[str, ...]
    # resource app id → delegated scopes the app is preauthorized for
    preauthorized: tuple[tuple[str, tuple[str, ...]], ...]

    def scopes_for(self, resource_app_id: str) -> tuple[str, ...]:
        return next((s for r, s in self.preauthorized if r == resource_app_id), ())


_CLI_GRAPH_SCOPES = ("Application.ReadWrite.All", "AuditLog.Read.All", "Directory.AccessAsUser.All",
                     "Group.ReadWrite.All", "User.Read", "User.ReadWrite.All",
                     "email", "offline_access", "openid", "profile")
FIRST_PARTY_CLIENTS: dict[str, FirstPartyClient] = {
    c.app_id: c
    for c in (
        FirstPartyClient(AZURE_CLI_APP_ID, "Microsoft Azure CLI",
                         ("http://localhost", "https://login.microsoftonline.com/common/oauth2/nativeclient"),
                         ((ARM_APP_ID, ("user_impersonation",)), (GRAPH_APP_ID, _CLI_GRAPH_SCOPES))),
        FirstPartyClient(AZURE_POWERSHELL_APP_ID, "Microsoft Azure PowerShell",
                         ("http://localhost", "urn:ietf:wg:oauth:2.0:oob"),
                         ((ARM_APP_ID, ("user_impersonation",)), (GRAPH_APP_ID, _CLI_GRAPH_SCOPES))),
    )
}


def preauthorized_scopes(client_app_id: str, resource_app_id: str) -> tuple[str, ...]:
    client = FIRST_PARTY_CLIENTS.get(client_app_id.lower())
    return client.scopes_for(resource_app_id) if client else ()


def first_party_sp_id(tenant_id: str, app_id: str) -> str:
    """A first-party app's service principal object id in a tenant (stable, not from the seed)."""
    return str(uuid.uuid5(uuid.UUID(tenant_id), app_id))
